//! One session's database: writing while recording, reading afterwards.
//!
//! Trees and encodings (schema version [`super::SCHEMA_VERSION`]):
//! - `meta`: `"schema_version"` -> u32 big-endian; `"session"` -> [`SessionRecord`] as JSON.
//! - `observations`: key `frame_index (u64 BE) ++ track_id (u32 BE)` -> [`Observation`] (postcard; schema 1
//!   sessions hold the older layout without landmarks and flags, read as [`ObservationV1`]).
//! - `frames`: key `frame_index (u64 BE)` -> [`FrameRecord`] (postcard).
//! - `tracks`: key `track_id (u32 BE)` -> [`TrackRecord`] (JSON).
//! - `annotations`: key `id (u64 BE)` -> [`Annotation`] (JSON).
//! - `timeline`: key `second (u32 BE)` -> [`Bucket`] (postcard): per-second totals for review; `meta`
//!   `"timeline_last_frame"` -> u64 BE is the last frame they cover. A second is stored once it is over (and at
//!   [`SessionWriter::finish`]); seconds a killed recorder did not store are rebuilt from the observations when
//!   the session is next opened.
//!
//! Big-endian keys make sled's ordered iteration follow time. sled flushes to disk every 500 ms, so a killed
//! process loses at most the last half second; [`SessionWriter::finish`] flushes everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, FixedOffset};

use super::error::{Result, StoreError};
use super::record::{Annotation, AnnotationKind, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
use super::timeline::{Bucket, Timeline, SECOND_MS};
use super::{private_dir, write_private_atomic, MIN_SCHEMA_VERSION, SCHEMA_VERSION};
use crate::capture::SourceKind;
use crate::fmt::one_line;
use crate::pipeline::observation::ObservationV1;
use crate::pipeline::{FrameResult, Observation, PipelineStats};
use crate::text::clean_label;

/// File name of the session record beside the database.
pub const SESSION_JSON: &str = "session.json";
/// File the recorder holds an exclusive advisory lock on while it records: a session is being recorded exactly
/// while that lock is taken, whatever process now has the recorder's old id.
pub const RECORDER_LOCK: &str = "recorder.lock";
/// File written beside a database found corrupt; its text (one line) is the reason, and the session is listed
/// as damaged from then on.
pub const DAMAGED_MARK: &str = "DAMAGED";
/// Space the recorder keeps aside while it records and gives back when the disk fills up, so that the session
/// can still be finalized as failed (the record and the last buffered writes need a little room).
const RESERVE_FILE: &str = "reserve";
const RESERVE_BYTES: usize = 256 << 10;
const DB_DIR: &str = "db";
/// How long opening a session waits for another reader (an export, a report) to let go of its database.
const READER_WAIT: Duration = Duration::from_secs(3);
/// How often a running session's `session.json` is refreshed.
const SIDECAR_EVERY: Duration = Duration::from_secs(2);
const TIMELINE_LAST_FRAME: &str = "timeline_last_frame";

/// What a new session is made from.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The source: file path or camera name.
    pub source: String,
    /// Kind of source.
    pub source_kind: SourceKind,
    /// Models in use.
    pub models: String,
    /// Configuration in force (stored as given).
    pub config: serde_json::Value,
}

/// Whether sled refused a database because another process holds its lock.
fn is_locked(e: &sled::Error) -> bool {
    let msg = e.to_string();
    msg.contains("lock") || msg.contains("WouldBlock") || msg.contains("temporarily unavailable")
}

/// Whether sled could not open a database because its folder cannot be written (read-only mount, another
/// user's store).
fn is_read_only(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied
        || io.raw_os_error() == Some(libc::EROFS))
}

fn is_no_space(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOSPC) || e.kind() == std::io::ErrorKind::StorageFull
}

/// Whether `e` (anywhere in its chain) is "no space left on device".
pub(crate) fn no_space(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<sled::Error>().is_some_and(|s| matches!(s, sled::Error::Io(io) if is_no_space(io)))
            || c.downcast_ref::<std::io::Error>().is_some_and(is_no_space)
    })
}

/// The [`StoreError`] for a failure of the session database in `dir`: a [`StoreError`] raised on purpose is
/// kept; else [`StoreError::NoSpace`] for a full disk, [`StoreError::Damaged`] for corrupt data (the session is
/// then marked damaged, best effort, so that it is listed so) or a record that does not decode, and
/// [`StoreError::Database`] naming the database for anything else.
pub(crate) fn db_error(dir: &Path, e: anyhow::Error) -> StoreError {
    let e = match e.downcast::<StoreError>() {
        Ok(typed) => return typed,
        Err(e) => e,
    };
    if no_space(&e) {
        return StoreError::NoSpace { dir: dir.to_path_buf() };
    }
    let corrupt =
        e.chain().any(|c| c.downcast_ref::<sled::Error>().is_some_and(|s| matches!(s, sled::Error::Corruption { .. })));
    if corrupt {
        let reason = format!(
            "{}: damaged session database (corrupted data; the other sessions are not affected)",
            dir.join(DB_DIR).display()
        );
        let _ = std::fs::write(dir.join(DAMAGED_MARK), format!("{reason}\n"));
        return StoreError::Damaged { reason };
    }
    if e.chain().any(|c| c.downcast_ref::<postcard::Error>().is_some()) {
        // A record that does not decode: damaged data, but not marked so (a decoding bug must not condemn it).
        let reason = format!("{}: damaged session data: {}", dir.join(DB_DIR).display(), one_line(format!("{e:#}")));
        return StoreError::Damaged { reason };
    }
    StoreError::Database { db: dir.join(DB_DIR), detail: one_line(format!("{e:#}")) }
}

/// Runs `f`, turning its failure into the [`StoreError`] for the session in `dir` ([`db_error`]).
fn in_session<T>(dir: &Path, f: impl FnOnce() -> anyhow::Result<T>) -> Result<T> {
    f().map_err(|e| db_error(dir, e))
}

fn open_db_at(path: &Path) -> sled::Result<sled::Db> {
    sled::Config::new().path(path).flush_every_ms(Some(500)).open()
}

fn open_db(dir: &Path) -> Result<sled::Db> {
    open_db_at(&dir.join(DB_DIR)).map_err(|e| {
        if is_locked(&e) {
            StoreError::Locked { dir: dir.to_path_buf() }
        } else {
            db_error(dir, e.into())
        }
    })
}

/// A private temporary copy of a session database (to read a session of a read-only store), removed on drop.
struct TempCopy(PathBuf);

impl TempCopy {
    fn of(db: &Path) -> Result<TempCopy> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("emotrace-read-{}-{n}", std::process::id()));
        let copy = TempCopy(root.clone());
        private_dir(&root)?;
        copy_dir(db, &root.join(DB_DIR)).map_err(|e| {
            StoreError::io(format!("{}: cannot copy the read-only session to {}", db.display(), root.display()), e)
        })?;
        Ok(copy)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// [`StoreError::Locked`] if another process has the session database in `dir` open (taking its lock proves it
/// has not). A missing or damaged database is not an error: it can still be deleted.
pub(super) fn ensure_not_open(dir: &Path) -> Result<()> {
    let path = dir.join(DB_DIR);
    if !path.exists() {
        return Ok(());
    }
    match sled::Config::new().path(&path).open() {
        Err(e) if is_locked(&e) => Err(StoreError::Locked { dir: dir.to_path_buf() }),
        _ => Ok(()),
    }
}

/// Writes the session record into the database's `meta` tree and, atomically, to `session.json` beside it.
fn store_record(db: &sled::Db, dir: &Path, record: &SessionRecord) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(record)?;
    db.open_tree("meta")?.insert("session", json.as_slice())?;
    Ok(write_private_atomic(&dir.join(SESSION_JSON), &json)?)
}

/// Makes every file under `dir` private (0600) and every folder 0700.
fn make_private(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        if p.is_dir() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))?;
            make_private(&p)?;
        } else {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Decodes a stored observation of session schema `version` (1: without landmarks and predicted flag).
fn decode_observation(version: u32, bytes: &[u8]) -> anyhow::Result<Observation> {
    Ok(if version >= 2 { postcard::from_bytes(bytes)? } else { postcard::from_bytes::<ObservationV1>(bytes)?.into() })
}

fn obs_key(frame_index: u64, track_id: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&frame_index.to_be_bytes());
    k[8..].copy_from_slice(&track_id.to_be_bytes());
    k
}

/// Takes the recorder's liveness lock in `dir` (see [`super::record::recorder_alive`]).
fn take_recorder_lock(dir: &Path) -> Result<std::fs::File> {
    use fs2::FileExt;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(RECORDER_LOCK);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| StoreError::io(format!("{}: cannot create", path.display()), e))?;
    FileExt::try_lock_exclusive(&f).map_err(|e| {
        StoreError::io(format!("{}: the session is being recorded by another process", dir.display()), e)
    })?;
    Ok(f)
}

/// Records one session while the pipeline runs. It holds the session's liveness lock (`recorder.lock`) until
/// it is finished or dropped, and keeps a little disk space aside to finalize the session when the disk fills.
pub struct SessionWriter {
    dir: PathBuf,
    _lock: std::fs::File,
    db: sled::Db,
    observations: sled::Tree,
    frames: sled::Tree,
    tracks_tree: sled::Tree,
    record: SessionRecord,
    tracks: BTreeMap<u32, TrackRecord>,
    last_sidecar: Instant,
    timeline: sled::Tree,
    /// The second being filled: (second, totals, last frame in it).
    second: Option<(u32, Bucket, u64)>,
}

impl SessionWriter {
    pub(super) fn create(
        dir: &Path,
        id: String,
        started_at: DateTime<FixedOffset>,
        new: NewSession,
    ) -> Result<SessionWriter> {
        in_session(dir, || Self::create_in(dir, id, started_at, new))
    }

    fn create_in(
        dir: &Path,
        id: String,
        started_at: DateTime<FixedOffset>,
        new: NewSession,
    ) -> anyhow::Result<SessionWriter> {
        private_dir(dir)?;
        let lock = take_recorder_lock(dir)?;
        let _ = std::fs::write(dir.join(RESERVE_FILE), vec![0u8; RESERVE_BYTES]);
        let db = open_db(dir)?;
        let meta = db.open_tree("meta")?;
        meta.insert("schema_version", &SCHEMA_VERSION.to_be_bytes())?;
        let record = SessionRecord {
            id,
            schema_version: SCHEMA_VERSION,
            started_at,
            ended_at: None,
            source: new.source,
            source_kind: Some(new.source_kind),
            models: new.models,
            config: new.config,
            status: SessionStatus::Running,
            error: None,
            pid: std::process::id(),
            frames: 0,
            frames_with_faces: 0,
            observations: 0,
            tracks: 0,
            merged_tracks: 0,
            annotations: 0,
            duration_ms: 0,
            frame_size: None,
            stats: PipelineStats::default(),
        };
        let mut w = SessionWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            observations: db.open_tree("observations")?,
            frames: db.open_tree("frames")?,
            tracks_tree: db.open_tree("tracks")?,
            timeline: db.open_tree("timeline")?,
            second: None,
            db,
            record,
            tracks: BTreeMap::new(),
            last_sidecar: Instant::now(),
        };
        w.save_record()?;
        w.db.flush()?;
        make_private(dir)?;
        Ok(w)
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// The session as recorded so far.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    fn save_record(&mut self) -> anyhow::Result<()> {
        for t in self.tracks.values() {
            self.tracks_tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        }
        store_record(&self.db, &self.dir, &self.record)?;
        self.last_sidecar = Instant::now();
        Ok(())
    }

    /// Stores one processed frame: a frame record, its observations, and the tracks they belong to.
    ///
    /// Errors: the database cannot be written: "no space left on DIR" for a full disk, else the reason naming
    /// the database.
    pub fn write(&mut self, result: &FrameResult) -> Result<()> {
        self.write_frame(result).map_err(|e| db_error(&self.dir, e))
    }

    fn write_frame(&mut self, result: &FrameResult) -> anyhow::Result<()> {
        let frame = FrameRecord {
            frame_index: result.frame_index,
            timestamp_ms: result.timestamp_ms,
            detections: result.detections as u32,
            faces: result.observations.len() as u32,
            latency_ms: result.latency_ms as f32,
        };
        self.frames.insert(result.frame_index.to_be_bytes(), postcard::to_stdvec(&frame)?)?;
        let second = (result.timestamp_ms / SECOND_MS) as u32;
        if self.second.as_ref().is_some_and(|(s, _, _)| *s != second) {
            self.store_second()?;
        }
        let (_, bucket, last) = self.second.get_or_insert_with(|| (second, Bucket::default(), 0));
        bucket.add_frame(result.frame_index);
        *last = result.frame_index;
        for o in &result.observations {
            bucket.add_observation(o.track_id, &o.smoothed);
        }
        // A face confirmed in this frame brings its tentative frames (earlier seconds go to their stored buckets).
        for o in &result.backfill {
            let s = (o.timestamp_ms / SECOND_MS) as u32;
            if s == second {
                bucket.add_observation(o.track_id, &o.smoothed);
            } else {
                let mut b = Bucket::default();
                b.add_observation(o.track_id, &o.smoothed);
                store_bucket(&self.timeline, s, &b)?;
            }
        }
        let mut new_track = false;
        for o in result.backfill.iter().chain(&result.observations) {
            self.observations.insert(obs_key(o.frame_index, o.track_id), postcard::to_stdvec(o)?)?;
            let t = self.tracks.entry(o.track_id).or_insert_with(|| {
                new_track = true;
                TrackRecord {
                    id: o.track_id,
                    name: None,
                    first_ms: o.timestamp_ms,
                    last_ms: o.timestamp_ms,
                    observations: 0,
                    merged_into: None,
                }
            });
            t.first_ms = t.first_ms.min(o.timestamp_ms);
            t.last_ms = t.last_ms.max(o.timestamp_ms);
            t.observations += 1;
        }
        let r = &mut self.record;
        r.frames += 1;
        r.frames_with_faces += (result.detections > 0) as u64;
        r.observations += (result.observations.len() + result.backfill.len()) as u64;
        r.tracks = self.tracks.len() as u32;
        r.duration_ms = result.timestamp_ms;
        r.frame_size = Some([result.width, result.height]);
        r.stats = result.stats.clone();
        if new_track || self.last_sidecar.elapsed() >= SIDECAR_EVERY {
            self.save_record()?;
        }
        Ok(())
    }

    /// Adds a marker or note (`end_ms` for a range) and flushes it to disk at once.
    ///
    /// Errors: `end_ms` before `start_ms`; the database cannot be written.
    pub fn annotate(
        &mut self,
        kind: AnnotationKind,
        start_ms: u64,
        end_ms: Option<u64>,
        label: &str,
        track_id: Option<u32>,
    ) -> Result<Annotation> {
        let (a, count) =
            in_session(&self.dir, || insert_annotation(&self.db, kind, start_ms, end_ms, label, track_id))?;
        self.record.annotations = count;
        self.save_record().map_err(|e| db_error(&self.dir, e))?;
        Ok(a)
    }

    /// Stores the totals of the second being filled (merging with what is stored for it).
    fn store_second(&mut self) -> anyhow::Result<()> {
        if let Some((second, bucket, last)) = self.second.take() {
            store_bucket(&self.timeline, second, &bucket)?;
            self.db.open_tree("meta")?.insert(TIMELINE_LAST_FRAME, &last.to_be_bytes())?;
        }
        Ok(())
    }

    /// Names a track ("P07"); stored and flushed at once. A track not yet stored is created.
    ///
    /// Errors: the database cannot be written.
    pub fn name_track(&mut self, track_id: u32, name: &str) -> Result<()> {
        let t = self.tracks.entry(track_id).or_insert_with(|| TrackRecord {
            id: track_id,
            name: None,
            first_ms: 0,
            last_ms: 0,
            observations: 0,
            merged_into: None,
        });
        let name = clean_label(name);
        t.name = (!name.is_empty()).then_some(name);
        let tree = &self.tracks_tree;
        in_session(&self.dir, || {
            tree.insert(track_id.to_be_bytes(), serde_json::to_vec(t)?)?;
            tree.flush()?;
            Ok(())
        })
    }

    /// Ends the session with `status` (and a one-line `error` for [`SessionStatus::Failed`]), flushes
    /// everything to disk, and returns the final record. On a full disk the space kept aside is given back and
    /// the record is written as "failed" with "no space left on DIR"; what was stored before stays readable.
    ///
    /// Errors: the database cannot be written ("no space left on DIR" for a full disk).
    pub fn finish(mut self, status: SessionStatus, error: Option<String>) -> Result<SessionRecord> {
        self.record.status = status;
        self.record.error = error;
        self.record.ended_at = Some(chrono::Local::now().into());
        let written = self.store_second().and_then(|_| self.save_record()).and_then(|_| {
            self.db.flush()?;
            Ok(())
        });
        let _ = std::fs::remove_file(self.dir.join(RESERVE_FILE));
        if let Err(e) = written {
            let e = db_error(&self.dir, e);
            // The database may refuse every write after a failed one; the record beside it still says how the
            // session ended, in the space just given back.
            if self.record.status != SessionStatus::Failed {
                self.record.status = SessionStatus::Failed;
                self.record.error = Some(format!("{e:#}"));
            }
            if let Ok(json) = serde_json::to_vec_pretty(&self.record) {
                let _ = write_private_atomic(&self.dir.join(SESSION_JSON), &json);
            }
            return Err(e);
        }
        let SessionWriter { dir, record, db, observations, frames, tracks_tree, timeline, .. } = self;
        drop((observations, frames, tracks_tree, timeline));
        drop(db);
        // Opening once more makes sled write its snapshot now, so the first review does not replay the whole
        // log (an hour with 30 faces: about 0.45 s here, paid once by the recorder instead of the reviewer).
        // Best effort: sled's flusher thread may hold the lock for a moment after the drop; the first reader
        // writes the snapshot otherwise.
        for _ in 0..20 {
            match open_db(&dir) {
                Ok(db) => {
                    drop(db);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(25)),
            }
        }
        in_session(&dir, || make_private(&dir))?;
        Ok(record)
    }
}

/// Stores a new annotation and flushes it; returns it with the number of annotations now stored.
fn insert_annotation(
    db: &sled::Db,
    kind: AnnotationKind,
    start_ms: u64,
    end_ms: Option<u64>,
    label: &str,
    track_id: Option<u32>,
) -> anyhow::Result<(Annotation, u32)> {
    ensure_in_order(start_ms, end_ms)?;
    let tree = db.open_tree("annotations")?;
    let a = Annotation {
        id: db.generate_id()?,
        kind,
        start_ms,
        end_ms,
        label: clean_label(label),
        track_id,
        created_at: chrono::Local::now().into(),
    };
    tree.insert(a.id.to_be_bytes(), serde_json::to_vec(&a)?)?;
    tree.flush()?;
    Ok((a, tree.len() as u32))
}

/// [`StoreError::Refused`] for an annotation ending before it starts.
fn ensure_in_order(start_ms: u64, end_ms: Option<u64>) -> Result<()> {
    if end_ms.is_some_and(|e| e < start_ms) {
        return Err(StoreError::refused("an annotation cannot end before it starts"));
    }
    Ok(())
}

/// Adds `bucket` to what `tree` holds for `second`.
fn store_bucket(tree: &sled::Tree, second: u32, bucket: &Bucket) -> anyhow::Result<()> {
    let mut merged = match tree.get(second.to_be_bytes())? {
        Some(v) => postcard::from_bytes::<Bucket>(&v)?,
        None => Bucket::default(),
    };
    merged.merge(bucket, |id| id);
    tree.insert(second.to_be_bytes(), postcard::to_stdvec(&merged)?)?;
    Ok(())
}

fn u64_value(v: Option<sled::IVec>) -> Option<u64> {
    v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok()).map(u64::from_be_bytes)
}

/// A stored session, opened for review: reading, and the edits a reviewer makes (annotations, track names,
/// merges), each written and flushed to disk before the call returns, so an edit survives a crash.
///
/// Opening takes the session database's lock (sled allows one process per database): a session being recorded
/// cannot be opened, every other session can, by one process at a time. In a store that cannot be written
/// (read-only mount, another user's), the session is read from a private temporary copy and edits are refused.
pub struct SessionReader {
    dir: PathBuf,
    record: SessionRecord,
    db: sled::Db,
    /// Schema version of the session's database (decides how observations are decoded).
    version: u32,
    /// The temporary copy read instead of a read-only store's database (dropped after `db`).
    copy: Option<TempCopy>,
}

impl SessionReader {
    pub(super) fn open(dir: &Path, id: &str) -> Result<SessionReader> {
        let stored = SessionRecord::load(dir);
        if let Ok(r) = &stored {
            if r.schema_version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema { dir: dir.to_path_buf(), version: r.schema_version });
            }
            if r.status == SessionStatus::Running && super::record::recorder_alive(dir, r.pid) {
                let then = "it can be opened once it ends";
                return Err(StoreError::BeingRecorded { id: id.to_string(), pid: r.pid, then });
            }
        }
        if let Ok(reason) = std::fs::read_to_string(dir.join(DAMAGED_MARK)) {
            return Err(StoreError::Damaged { reason: reason.trim().to_string() });
        }
        // Another reader (an export, a report) may hold the database for a moment: wait for it a little. A
        // session being recorded was refused above; one open in a review stays refused after the wait.
        let mut opened = open_db_at(&dir.join(DB_DIR));
        let deadline = Instant::now() + READER_WAIT;
        while matches!(&opened, Err(e) if is_locked(e)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            opened = open_db_at(&dir.join(DB_DIR));
        }
        let (db, copy) = match opened {
            Ok(db) => (db, None),
            Err(e) if is_read_only(&e) => {
                let copy = TempCopy::of(&dir.join(DB_DIR))?;
                let db = open_db_at(&copy.0.join(DB_DIR)).map_err(|e| db_error(dir, e.into()))?;
                (db, Some(copy))
            }
            Err(_) => (open_db(dir)?, None),
        };
        let record = SessionRecord::load_or_damaged(dir, id);
        let mut reader = SessionReader { dir: dir.to_path_buf(), record, db, version: 0, copy };
        reader.check_and_recount(stored).map_err(|e| db_error(dir, e))?;
        Ok(reader)
    }

    /// Checks the database's schema, falls back to the record inside the database when `session.json` is
    /// unreadable, recounts a session whose recorder ended without finishing (killed) or that failed, and
    /// rebuilds missing per-second totals.
    fn check_and_recount(&mut self, stored: std::result::Result<SessionRecord, String>) -> anyhow::Result<()> {
        let dir = self.dir.clone();
        let meta = self.db.open_tree("meta")?;
        let version = meta
            .get("schema_version")?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| StoreError::Damaged {
                reason: format!("{}: session database has no schema version", dir.display()),
            })?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { dir, version }.into());
        }
        if version < MIN_SCHEMA_VERSION {
            return Err(StoreError::OldSchema { dir, version }.into());
        }
        self.version = version;
        if self.record.status == SessionStatus::Damaged {
            // Fall back to the copy inside the database.
            let bytes = meta
                .get("session")?
                .ok_or_else(|| StoreError::Damaged { reason: format!("{}: session record missing", dir.display()) })?;
            self.record = serde_json::from_slice(&bytes)?;
        }
        let unfinished =
            stored.as_ref().is_ok_and(|r| matches!(r.status, SessionStatus::Running | SessionStatus::Failed));
        if unfinished {
            self.recount()?;
        }
        self.catch_up_timeline().with_context(|| format!("{}: rebuilding the timeline", dir.display()))?;
        Ok(())
    }

    /// Counts frames, observations and tracks from what is stored, for a session whose recorder could not
    /// write its last counts (killed, or stopped by a full disk), and stores the corrected record ("running"
    /// becomes "interrupted").
    fn recount(&mut self) -> anyhow::Result<()> {
        let (mut frames, mut with_faces, mut last_ms) = (0u64, 0u64, 0u64);
        for v in self.db.open_tree("frames")?.iter().values() {
            let f: FrameRecord = postcard::from_bytes(&v?)?;
            frames += 1;
            with_faces += (f.detections > 0) as u64;
            last_ms = last_ms.max(f.timestamp_ms);
        }
        let mut tracks: BTreeMap<u32, TrackRecord> =
            self.tracks()?.into_iter().map(|t| (t.id, TrackRecord { observations: 0, ..t })).collect();
        let mut observations = 0u64;
        for v in self.db.open_tree("observations")?.iter().values() {
            let o = decode_observation(self.version, &v?)?;
            observations += 1;
            let t = tracks.entry(o.track_id).or_insert_with(|| TrackRecord {
                id: o.track_id,
                name: None,
                first_ms: o.timestamp_ms,
                last_ms: o.timestamp_ms,
                observations: 0,
                merged_into: None,
            });
            if t.observations == 0 {
                t.first_ms = o.timestamp_ms;
            }
            t.last_ms = o.timestamp_ms;
            t.observations += 1;
        }
        let tree = self.db.open_tree("tracks")?;
        for t in tracks.values().filter(|t| t.observations > 0) {
            tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        }
        let r = &mut self.record;
        r.frames = frames;
        r.frames_with_faces = with_faces;
        r.observations = observations;
        r.tracks = tracks.values().filter(|t| t.observations > 0).count() as u32;
        r.duration_ms = last_ms;
        if r.status == SessionStatus::Running {
            r.status = SessionStatus::Interrupted;
            r.error.get_or_insert_with(|| "the recording process ended without finishing".into());
        }
        let _ = std::fs::remove_file(self.dir.join(RESERVE_FILE));
        if self.copy.is_none() {
            self.save_record()?;
        }
        Ok(())
    }

    /// Stores per-second totals for frames the recorder did not cover (it was killed mid-second, or the
    /// session predates the timeline).
    fn catch_up_timeline(&self) -> anyhow::Result<()> {
        let meta = self.db.open_tree("meta")?;
        let covered = u64_value(meta.get(TIMELINE_LAST_FRAME)?);
        let frames = self.db.open_tree("frames")?;
        let Some((last_key, _)) = frames.last()? else { return Ok(()) };
        let last = u64_value(Some(last_key)).unwrap_or(0);
        if covered.is_some_and(|c| c >= last) {
            return Ok(());
        }
        let from = covered.map_or(0, |c| c + 1);
        let mut seconds: BTreeMap<u32, Bucket> = BTreeMap::new();
        for v in frames.range(from.to_be_bytes()..).values() {
            let f: FrameRecord = postcard::from_bytes(&v?)?;
            seconds.entry((f.timestamp_ms / SECOND_MS) as u32).or_default().add_frame(f.frame_index);
        }
        for v in self.db.open_tree("observations")?.range(obs_key(from, 0)..).values() {
            let o = decode_observation(self.version, &v?)?;
            seconds.entry((o.timestamp_ms / SECOND_MS) as u32).or_default().add_observation(o.track_id, &o.smoothed);
        }
        let tree = self.db.open_tree("timeline")?;
        for (second, bucket) in &seconds {
            store_bucket(&tree, *second, bucket)?;
        }
        meta.insert(TIMELINE_LAST_FRAME, &last.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Runs a read, turning a database failure into one line naming the session (a corrupt database marks
    /// the session damaged).
    fn guard<T>(&self, read: impl FnOnce() -> anyhow::Result<T>) -> Result<T> {
        in_session(&self.dir, read)
    }

    /// Runs an edit: refused with [`StoreError::ReadOnly`] when the session was read from a copy of a read-only
    /// store; a failure becomes the session's [`StoreError`].
    fn edit<T>(&mut self, edit: impl FnOnce(&mut Self) -> anyhow::Result<T>) -> Result<T> {
        if self.copy.is_some() {
            return Err(StoreError::ReadOnly { dir: self.dir.clone() });
        }
        let r = edit(self);
        r.map_err(|e| db_error(&self.dir, e))
    }

    /// Whether the session was read from a copy because its store cannot be written (edits are refused).
    pub fn read_only(&self) -> bool {
        self.copy.is_some()
    }

    /// The session record.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// All tracks, by id.
    ///
    /// Errors: a damaged record.
    pub fn tracks(&self) -> Result<Vec<TrackRecord>> {
        self.guard(|| self.db.open_tree("tracks")?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect())
    }

    /// Merged tracks: `track id -> the track it finally counts as` (chains of merges resolved).
    ///
    /// Errors: a damaged record.
    pub fn merges(&self) -> Result<BTreeMap<u32, u32>> {
        let tracks = self.tracks()?;
        let into: BTreeMap<u32, u32> = tracks.iter().filter_map(|t| Some((t.id, t.merged_into?))).collect();
        Ok(into
            .keys()
            .map(|&id| {
                let mut root = id;
                let mut hops = 0;
                while let (Some(&next), true) = (into.get(&root), hops <= into.len()) {
                    root = next;
                    hops += 1;
                }
                (id, root)
            })
            .collect())
    }

    /// All observations in frame order (then track id), with their stored track ids.
    ///
    /// Errors: a damaged record.
    pub fn observations(&self) -> Result<Vec<Observation>> {
        self.guard(|| {
            self.db.open_tree("observations")?.iter().values().map(|v| decode_observation(self.version, &v?)).collect()
        })
    }

    /// Calls `f` with every observation in frame order (then track id), one at a time (a long session's
    /// observations need not fit in memory).
    ///
    /// Errors: a damaged record.
    pub fn for_each_observation(&self, mut f: impl FnMut(&Observation)) -> Result<()> {
        self.guard(|| {
            for v in self.db.open_tree("observations")?.iter().values() {
                f(&decode_observation(self.version, &v?)?);
            }
            Ok(())
        })
    }

    /// The processed frames and observations with timestamps in `[start_ms, end_ms)`, read by key range (fast on
    /// a long session: it starts at the first frame of `start_ms`'s second).
    ///
    /// Errors: a damaged record.
    pub fn window(&self, start_ms: u64, end_ms: u64) -> Result<(Vec<FrameRecord>, Vec<Observation>)> {
        self.guard(|| {
            let second = (start_ms / SECOND_MS) as u32;
            let first = match self.db.open_tree("timeline")?.range(second.to_be_bytes()..).values().next() {
                Some(v) => postcard::from_bytes::<Bucket>(&v?)?.first_frame.unwrap_or(0),
                None => return Ok((Vec::new(), Vec::new())),
            };
            let mut frames = Vec::new();
            for v in self.db.open_tree("frames")?.range(first.to_be_bytes()..).values() {
                let f: FrameRecord = postcard::from_bytes(&v?)?;
                if f.timestamp_ms >= end_ms {
                    break;
                }
                if f.timestamp_ms >= start_ms {
                    frames.push(f);
                }
            }
            let mut observations = Vec::new();
            for v in self.db.open_tree("observations")?.range(obs_key(first, 0)..).values() {
                let o = decode_observation(self.version, &v?)?;
                if o.timestamp_ms >= end_ms {
                    break;
                }
                if o.timestamp_ms >= start_ms {
                    observations.push(o);
                }
            }
            Ok((frames, observations))
        })
    }

    /// The per-second totals of the whole session, with merged tracks folded in.
    ///
    /// Errors: a damaged record.
    pub fn timeline(&self) -> Result<Timeline> {
        self.guard(|| {
            let seconds = self
                .db
                .open_tree("timeline")?
                .iter()
                .map(|kv| {
                    let (k, v) = kv?;
                    let second = <[u8; 4]>::try_from(k.as_ref()).map(u32::from_be_bytes)?;
                    Ok((second, postcard::from_bytes::<Bucket>(&v)?))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(Timeline::new(seconds, self.merges()?))
        })
    }

    /// All markers and notes in creation order.
    ///
    /// Errors: a damaged record.
    pub fn annotations(&self) -> Result<Vec<Annotation>> {
        self.guard(|| {
            self.db.open_tree("annotations")?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
        })
    }

    /// All processed frames in order.
    ///
    /// Errors: a damaged record.
    pub fn frames(&self) -> Result<Vec<FrameRecord>> {
        self.guard(|| self.db.open_tree("frames")?.iter().values().map(|v| Ok(postcard::from_bytes(&v?)?)).collect())
    }

    /// Rewrites the session record (inside the database and `session.json`) after an edit, and flushes.
    fn save_record(&mut self) -> anyhow::Result<()> {
        // A running session cannot be open here, so the file is ours to rewrite; keep "interrupted" as it is
        // reported rather than the stale "running" of a killed recorder.
        store_record(&self.db, &self.dir, &self.record)?;
        self.db.flush()?;
        Ok(())
    }

    /// Adds a marker or a note (`end_ms` for a range), stored and flushed at once.
    ///
    /// Errors: `end_ms` before `start_ms` ([`StoreError::Refused`]); a read-only store
    /// ([`StoreError::ReadOnly`]); the database cannot be written.
    pub fn annotate(
        &mut self,
        kind: AnnotationKind,
        start_ms: u64,
        end_ms: Option<u64>,
        label: &str,
        track_id: Option<u32>,
    ) -> Result<Annotation> {
        self.edit(|s| {
            let (a, count) = insert_annotation(&s.db, kind, start_ms, end_ms, label, track_id)?;
            s.record.annotations = count;
            s.save_record()?;
            Ok(a)
        })
    }

    /// Replaces a stored annotation (same id) with `a`: new text, times or track.
    ///
    /// Errors: no annotation with that id ([`StoreError::NotFound`]); `end_ms` before `start_ms`
    /// ([`StoreError::Refused`]); a read-only store; the database cannot be written.
    pub fn update_annotation(&mut self, a: &Annotation) -> Result<()> {
        self.edit(|s| {
            ensure_in_order(a.start_ms, a.end_ms)?;
            let tree = s.db.open_tree("annotations")?;
            if !tree.contains_key(a.id.to_be_bytes())? {
                return Err(s.not_found(format!("annotation {}", a.id)).into());
            }
            let a = Annotation { label: clean_label(&a.label), ..a.clone() };
            tree.insert(a.id.to_be_bytes(), serde_json::to_vec(&a)?)?;
            tree.flush()?;
            Ok(())
        })
    }

    /// Deletes an annotation.
    ///
    /// Errors: no annotation with that id ([`StoreError::NotFound`]); a read-only store; the database cannot be
    /// written.
    pub fn delete_annotation(&mut self, id: u64) -> Result<()> {
        self.edit(|s| {
            let tree = s.db.open_tree("annotations")?;
            if tree.remove(id.to_be_bytes())?.is_none() {
                return Err(s.not_found(format!("annotation {id}")).into());
            }
            s.record.annotations = tree.len() as u32;
            s.save_record()
        })
    }

    /// [`StoreError::NotFound`] for `what` ("annotation 4") in this session.
    fn not_found(&self, what: String) -> StoreError {
        StoreError::NotFound { what, place: format!("session {}", self.record.id) }
    }

    fn track(&self, id: u32) -> anyhow::Result<TrackRecord> {
        let v = self.db.open_tree("tracks")?.get(id.to_be_bytes())?;
        let v = v.ok_or_else(|| self.not_found(format!("track {id}")))?;
        Ok(serde_json::from_slice(&v)?)
    }

    fn put_track(&self, t: &TrackRecord) -> anyhow::Result<()> {
        let tree = self.db.open_tree("tracks")?;
        tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        tree.flush()?;
        Ok(())
    }

    /// Names a track ("Face 3" to "P07"); an empty name clears it.
    ///
    /// Errors: no such track ([`StoreError::NotFound`]); a read-only store; the database cannot be written.
    pub fn name_track(&mut self, track_id: u32, name: &str) -> Result<()> {
        self.edit(|s| {
            let mut t = s.track(track_id)?;
            let name = clean_label(name);
            t.name = (!name.is_empty()).then_some(name);
            s.put_track(&t)
        })
    }

    /// Merges track `from` into track `into` (the same person, who left and came back): from now on `from`'s
    /// observations count as `into`'s in the timeline, summaries and exports. Undo with [`Self::unmerge_track`].
    ///
    /// Errors: either track missing ([`StoreError::NotFound`]); either already merged, or the two were seen at
    /// the same time (they are two people) ([`StoreError::Refused`]); a read-only store; the database cannot be
    /// written.
    pub fn merge_tracks(&mut self, from: u32, into: u32) -> Result<()> {
        self.edit(|s| {
            if from == into {
                return Err(StoreError::refused("a track cannot be merged into itself").into());
            }
            let mut a = s.track(from)?;
            let b = s.track(into)?;
            for t in [&a, &b] {
                if t.merged_into.is_some() {
                    return Err(
                        StoreError::refused(format!("{} is already merged into another track", t.label())).into()
                    );
                }
            }
            // Every track already merged into either side counts too.
            let tracks = s.tracks()?;
            let merges = s.merges()?;
            let span = |root: u32| -> Vec<(u64, u64)> {
                tracks
                    .iter()
                    .filter(|t| t.id == root || merges.get(&t.id) == Some(&root))
                    .map(|t| (t.first_ms, t.last_ms))
                    .collect()
            };
            for (a0, a1) in span(from) {
                for (b0, b1) in span(into) {
                    if !(a1 < b0 || b1 < a0) {
                        let reason = format!(
                            "{} and {} were seen at the same time, so they are two people",
                            a.label(),
                            b.label()
                        );
                        return Err(StoreError::refused(reason).into());
                    }
                }
            }
            a.merged_into = Some(into);
            // Tracks merged into `from` now count as `into` through the chain.
            s.put_track(&a)?;
            s.recount_merges()
        })
    }

    /// Undoes [`Self::merge_tracks`] for track `id`.
    ///
    /// Errors: no such track ([`StoreError::NotFound`]), or it is not merged ([`StoreError::Refused`]); a
    /// read-only store; the database cannot be written.
    pub fn unmerge_track(&mut self, id: u32) -> Result<()> {
        self.edit(|s| {
            let mut t = s.track(id)?;
            if t.merged_into.is_none() {
                return Err(StoreError::refused(format!("{} is not merged into another track", t.label())).into());
            }
            t.merged_into = None;
            s.put_track(&t)?;
            s.recount_merges()
        })
    }

    /// Stores the number of merged tracks in the session record.
    fn recount_merges(&mut self) -> anyhow::Result<()> {
        self.record.merged_tracks = self.tracks()?.iter().filter(|t| t.merged_into.is_some()).count() as u32;
        self.save_record()
    }
}
