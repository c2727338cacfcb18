//! One session's database: writing while recording ([`SessionWriter`], `writer.rs`), reading afterwards
//! ([`StoredSession`], `stored.rs`), the edits a reviewer makes (`edits.rs`) and the repairs made on opening a
//! session whose recorder did not finish (`repair.rs`).
//!
//! The trees, their keys and encodings are named once in `store/trees.rs` (schema version
//! [`super::SCHEMA_VERSION`]):
//! - `meta`: `"schema_version"` -> u32 big-endian; `"session"` -> [`SessionRecord`] as JSON;
//!   `"timeline_last_frame"` -> u64 BE, the last frame the timeline covers.
//! - `observations`: key `frame_index (u64 BE) ++ lowest track_id (u32 BE)` -> the frame's observations written
//!   together, `Vec<`[`Observation`]`>` in track order (postcard; schemas 1 and 2 hold one observation per key
//!   `frame_index ++ track_id`, schema 1 without landmarks and flags, read as
//!   [`crate::pipeline::observation::ObservationV1`]).
//! - `frames`: key `frame_index (u64 BE)` -> [`super::FrameRecord`] (postcard).
//! - `tracks`: key `track_id (u32 BE)` -> [`super::TrackRecord`] (JSON).
//! - `annotations`: key `id (u64 BE)` -> [`super::Annotation`] (JSON).
//! - `timeline`: key `second (u32 BE)` -> [`Bucket`] (postcard): per-second totals for review. A second is stored
//!   once it is over (and at [`SessionWriter::finish`]); seconds a killed recorder did not store are rebuilt from
//!   the observations when the session is next opened.
//!
//! Big-endian keys make sled's ordered iteration follow time. sled flushes to disk every 500 ms, so a killed
//! process loses at most the last half second; [`SessionWriter::finish`] flushes everything.

mod edits;
mod repair;
mod stored;
mod writer;

use std::path::Path;

use super::error::{Result, StoreError};
use super::layout::{self, DB_DIR, SESSION_JSON};
use super::record::SessionRecord;
use super::timeline::Bucket;
use super::trees;
use super::{write_private_atomic, GROUPED_SCHEMA_VERSION};
use crate::capture::SourceKind;
use crate::fmt::one_line;
use crate::pipeline::observation::ObservationV1;
use crate::pipeline::Observation;

pub use stored::StoredSession;
pub use writer::{AutoJoin, SessionWriter};

/// What a new session is made from.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The source: file path or camera name.
    pub source: String,
    /// Kind of source.
    pub source_kind: SourceKind,
    /// The decoder reading the source ([`crate::capture::SourceInfo::decoder`]).
    pub decoder: Option<String>,
    /// Models in use.
    pub models: String,
    /// The face detector that runs.
    pub detector: Option<crate::detect::Backend>,
    /// Configuration in force (stored as given).
    pub config: serde_json::Value,
    /// The detection and classification plan of the run.
    pub schedule: Option<crate::pipeline::Schedule>,
    /// The source's nominal frame rate, frames per second ([`crate::capture::SourceInfo::fps`]), if it has one.
    pub frame_rate: Option<f64>,
}

/// Where an interrupted session goes on from ([`crate::store::Store::resume_session`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumePoint {
    /// Index (in the source) of the first frame not stored: the run continues from here.
    pub next_frame: u64,
    /// Timestamp of the last stored frame, ms since session start (0 when none was stored).
    pub last_ms: u64,
    /// Id for the next confirmed track: one more than the highest stored.
    pub next_track_id: u32,
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

/// Whether `e` is "no space left on device".
pub(crate) fn is_no_space(e: &std::io::Error) -> bool {
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
        layout::mark_damaged(dir, &reason);
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

/// Bytes of page cache sled may keep per session database a recorder writes. sled's default is 1 GiB, and a
/// recorder's cache grew with the session (about 90 MB after 8,000 frames of a 29-face lecture), so a long
/// analysis' memory was not flat; writes here are sequential and do not need more.
pub(super) const DB_CACHE_BYTES: u64 = 32 << 20;

/// Bytes of page cache for a stored session opened to read it (export, report, review). sled's cache takes several
/// times its nominal size (an export of an 8-minute 30-face session peaked at 134 MB with 32 MB, 68 MB with 4 MB
/// and 61 MB with 1 MB, against 30 MB for a 1-minute session), and reads here are sequential scans or ranges of
/// one second.
pub(super) const READ_CACHE_BYTES: u64 = 1 << 20;

fn open_db_at(path: &Path, cache_bytes: u64) -> sled::Result<sled::Db> {
    sled::Config::new().path(path).flush_every_ms(Some(500)).cache_capacity(cache_bytes).open()
}

fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db> {
    open_db_at(&dir.join(DB_DIR), cache_bytes).map_err(|e| {
        if is_locked(&e) {
            StoreError::Locked { dir: dir.to_path_buf() }
        } else {
            db_error(dir, e.into())
        }
    })
}

/// [`StoreError::Locked`] if another process has the session database in `dir` open (taking its lock proves it
/// has not). A missing or damaged database is not an error: it can still be deleted.
pub(super) fn ensure_not_open(dir: &Path) -> Result<()> {
    let path = dir.join(DB_DIR);
    if !layout::has_database(dir) {
        return Ok(());
    }
    match sled::Config::new().path(&path).open() {
        Err(e) if is_locked(&e) => Err(StoreError::Locked { dir: dir.to_path_buf() }),
        _ => Ok(()),
    }
}

/// The session record kept in the database in `dir` (the copy [`store_record`] writes beside `session.json`), for
/// a session whose `session.json` is lost or garbled. Opens only an existing database (see
/// [`layout::has_database`]).
///
/// Errors: no database ([`StoreError::Damaged`], naming the folder); the database is open in another process
/// ([`StoreError::Locked`]) or cannot be read; it holds no record ([`StoreError::Damaged`]).
pub(in crate::store) fn record_in_database(dir: &Path) -> Result<SessionRecord> {
    if !layout::has_database(dir) {
        return Err(StoreError::Damaged { reason: layout::no_database_reason(dir) });
    }
    let db = open_db(dir, READ_CACHE_BYTES)?;
    in_session(dir, || {
        let bytes = db.open_tree(trees::META)?.get(trees::SESSION_KEY)?.ok_or_else(|| StoreError::Damaged {
            reason: format!("{}: the session record is missing from the database", dir.display()),
        })?;
        Ok(serde_json::from_slice(&bytes)?)
    })
}

/// Writes the session record into the database's `meta` tree and, atomically, to `session.json` beside it.
fn store_record(db: &sled::Db, dir: &Path, record: &SessionRecord) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(record)?;
    db.open_tree(trees::META)?.insert(trees::SESSION_KEY, json.as_slice())?;
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

/// Decodes one stored value of the observations tree of session schema `version`: a frame's group (schema 3
/// on), or one observation (2; 1: without landmarks and predicted flag).
fn decode_observations(version: u32, bytes: &[u8]) -> anyhow::Result<Vec<Observation>> {
    Ok(match version {
        v if v >= GROUPED_SCHEMA_VERSION => postcard::from_bytes(bytes)?,
        2 => vec![postcard::from_bytes(bytes)?],
        _ => vec![postcard::from_bytes::<ObservationV1>(bytes)?.into()],
    })
}

/// The entries of a sled tree from `from` on, each read by a descent from the root (`range(..).next()`, which is
/// what `Tree::get_gt` does). sled's page cache learns of a read page per descent and evicts in batches (256
/// shards, each acting on 64 reads at a time); a long-lived `sled::Iter` reads each leaf page once, too few reads
/// for that, so a read of a whole session kept every page it passed (a one-hour 30-face session of schema 3: 250
/// MB; one descent per entry: 47 MB, and 0.3 s for its 108,000 frames).
struct Entries {
    tree: sled::Tree,
    from: std::ops::Bound<sled::IVec>,
    done: bool,
}

impl Entries {
    fn new(tree: sled::Tree, from: &[u8]) -> Self {
        Entries { tree, from: std::ops::Bound::Included(from.into()), done: false }
    }
}

impl Iterator for Entries {
    type Item = sled::Result<(sled::IVec, sled::IVec)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.tree.range::<sled::IVec, _>((self.from.clone(), std::ops::Bound::Unbounded)).next();
        match &next {
            Some(Ok((key, _))) => self.from = std::ops::Bound::Excluded(key.clone()),
            _ => self.done = true,
        }
        next
    }
}

/// The stored observations in frame order, then track id, from the entries of the observations tree (all of it,
/// or a range from a frame on) of a session of schema `version`. The records of one frame (its group and any
/// groups later confirmations brought, or its single observations in an older schema) are gathered, sorted by
/// track id and handed out one at a time: one frame's observations are held, however long the session. An
/// observation of a frame and track stored twice is given once.
struct InFrameOrder {
    entries: std::iter::Peekable<Entries>,
    version: u32,
    ready: std::vec::IntoIter<Observation>,
}

impl InFrameOrder {
    /// The observations of `tree` (a session's observations tree, schema `version`) from frame `from_frame` on.
    fn new(tree: sled::Tree, from_frame: u64, version: u32) -> Self {
        let entries = Entries::new(tree, &trees::obs_key(from_frame, 0));
        InFrameOrder { entries: entries.peekable(), version, ready: Vec::new().into_iter() }
    }

    /// The next frame's observations in track order; `None` after the last.
    fn next_frame(&mut self) -> anyhow::Result<Option<Vec<Observation>>> {
        let Some(entry) = self.entries.next() else { return Ok(None) };
        let (key, value) = entry?;
        let frame = trees::obs_key_frame(&key)?;
        let mut batch = decode_observations(self.version, &value)?;
        // A damaged entry ahead ends this frame; the next call reports it.
        while let Some(Ok((k, _))) = self.entries.peek() {
            if trees::obs_key_frame(k)? != frame {
                break;
            }
            let Some(entry) = self.entries.next() else { break };
            batch.extend(decode_observations(self.version, &entry?.1)?);
        }
        batch.sort_by_key(|o| o.track_id);
        batch.dedup_by_key(|o| o.track_id);
        Ok(Some(batch))
    }
}

impl Iterator for InFrameOrder {
    type Item = anyhow::Result<Observation>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(o) = self.ready.next() {
                return Some(Ok(o));
            }
            match self.next_frame() {
                Ok(Some(batch)) => self.ready = batch.into_iter(),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The class shares of a whole session ([`SessionRecord::emotion_shares`]) from its stored per-second totals
/// (`tree` is its `timeline`).
fn class_shares(tree: &sled::Tree) -> anyhow::Result<crate::classify::NamedProbs> {
    let mut all = super::timeline::TrackAgg::default();
    for v in tree.iter().values() {
        all.merge(&postcard::from_bytes::<Bucket>(&v?)?.class());
    }
    Ok((&all.share()).into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BBox;

    fn obs(frame_index: u64, track_id: u32) -> Observation {
        Observation {
            frame_index,
            timestamp_ms: frame_index * 33,
            track_id,
            bbox: BBox::new(1.0, 2.0, 30.0, 30.0),
            score: 0.9,
            raw: [1.0 / 7.0; 7],
            smoothed: [1.0 / 7.0; 7],
            landmarks: None,
            predicted: false,
            classified: true,
        }
    }

    fn ids(tree: &sled::Tree, from_frame: u64, version: u32) -> Vec<(u64, u32)> {
        InFrameOrder::new(tree.clone(), from_frame, version)
            .map(|o| o.map(|o| (o.frame_index, o.track_id)))
            .collect::<anyhow::Result<_>>()
            .unwrap()
    }

    /// Schema 3: a frame's groups (its own, and one a later confirmation brought with a lower track id) come out
    /// as one frame in track order; a range starts at its frame; an observation stored twice comes once.
    #[test]
    fn grouped_observations_come_out_one_frame_at_a_time_in_track_order() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree(trees::OBSERVATIONS).unwrap();
        let put = |frame: u64, tracks: &[u32]| {
            let group: Vec<Observation> = tracks.iter().map(|&t| obs(frame, t)).collect();
            tree.insert(trees::obs_key(frame, tracks[0]), postcard::to_stdvec(&group).unwrap()).unwrap();
        };
        put(4, &[7]);
        put(5, &[3, 9]);
        put(6, &[3]);
        put(5, &[1, 4]); // backfill of a face confirmed later
        put(6, &[2, 3]); // the same face of frame 6 stored twice
        let all = ids(&tree, 0, GROUPED_SCHEMA_VERSION);
        assert_eq!(all, [(4, 7), (5, 1), (5, 3), (5, 4), (5, 9), (6, 2), (6, 3)]);
        assert_eq!(ids(&tree, 5, GROUPED_SCHEMA_VERSION), all[1..]);
        assert!(ids(&tree, 7, GROUPED_SCHEMA_VERSION).is_empty());
    }

    /// Schema 2: one observation per key, read the same way.
    #[test]
    fn single_observations_of_schema_2_come_out_in_frame_then_track_order() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree(trees::OBSERVATIONS).unwrap();
        for (f, t) in [(2, 5), (1, 8), (2, 1), (1, 2)] {
            tree.insert(trees::obs_key(f, t), postcard::to_stdvec(&obs(f, t)).unwrap()).unwrap();
        }
        assert_eq!(ids(&tree, 0, 2), [(1, 2), (1, 8), (2, 1), (2, 5)]);
        assert_eq!(ids(&tree, 2, 2), [(2, 1), (2, 5)]);
    }

    /// A damaged record is an error, not an end: the reader learns the session is damaged.
    #[test]
    fn a_damaged_record_is_an_error() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree(trees::OBSERVATIONS).unwrap();
        tree.insert(trees::obs_key(1, 1), &[0xff, 0xff, 0xff][..]).unwrap();
        assert!(InFrameOrder::new(tree, 0, GROUPED_SCHEMA_VERSION).any(|o| o.is_err()));
    }
}
