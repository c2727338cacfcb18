//! One session's database: writing while recording, reading afterwards.
//!
//! Trees and encodings (schema version [`super::SCHEMA_VERSION`]):
//! - `meta`: `"schema_version"` -> u32 big-endian; `"session"` -> [`SessionRecord`] as JSON.
//! - `observations`: key `frame_index (u64 BE) ++ track_id (u32 BE)` -> [`Observation`] (postcard).
//! - `frames`: key `frame_index (u64 BE)` -> [`FrameRecord`] (postcard).
//! - `tracks`: key `track_id (u32 BE)` -> [`TrackRecord`] (JSON).
//! - `annotations`: key `id (u64 BE)` -> [`Annotation`] (JSON).
//!
//! Big-endian keys make sled's ordered iteration follow time. sled flushes to disk every 500 ms, so a killed
//! process loses at most the last half second; [`SessionWriter::finish`] flushes everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, FixedOffset};

use super::record::{Annotation, AnnotationKind, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
use super::{private_dir, write_private_atomic, SCHEMA_VERSION};
use crate::capture::SourceKind;
use crate::pipeline::{FrameResult, Observation, PipelineStats};

/// File name of the session record beside the database.
pub const SESSION_JSON: &str = "session.json";
const DB_DIR: &str = "db";
/// How often a running session's `session.json` is refreshed.
const SIDECAR_EVERY: Duration = Duration::from_secs(2);

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

fn open_db(dir: &Path) -> anyhow::Result<sled::Db> {
    let path = dir.join(DB_DIR);
    sled::Config::new().path(&path).flush_every_ms(Some(500)).open().map_err(|e| {
        let msg = e.to_string();
        if msg.contains("lock") || msg.contains("WouldBlock") || msg.contains("temporarily unavailable") {
            anyhow::anyhow!("{}: the session is being recorded by another emotrace process", dir.display())
        } else {
            anyhow::anyhow!("{}: damaged or unreadable session database: {msg}", path.display())
        }
    })
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

fn obs_key(frame_index: u64, track_id: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&frame_index.to_be_bytes());
    k[8..].copy_from_slice(&track_id.to_be_bytes());
    k
}

/// Records one session while the pipeline runs.
pub struct SessionWriter {
    dir: PathBuf,
    db: sled::Db,
    observations: sled::Tree,
    frames: sled::Tree,
    tracks_tree: sled::Tree,
    record: SessionRecord,
    tracks: BTreeMap<u32, TrackRecord>,
    last_sidecar: Instant,
}

impl SessionWriter {
    pub(super) fn create(
        dir: &Path,
        id: String,
        started_at: DateTime<FixedOffset>,
        new: NewSession,
    ) -> anyhow::Result<SessionWriter> {
        private_dir(dir)?;
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
            duration_ms: 0,
            stats: PipelineStats::default(),
        };
        let mut w = SessionWriter {
            dir: dir.to_path_buf(),
            observations: db.open_tree("observations")?,
            frames: db.open_tree("frames")?,
            tracks_tree: db.open_tree("tracks")?,
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
        let json = serde_json::to_vec_pretty(&self.record)?;
        self.db.open_tree("meta")?.insert("session", json.as_slice())?;
        for t in self.tracks.values() {
            self.tracks_tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        }
        write_private_atomic(&self.dir.join(SESSION_JSON), &json)?;
        self.last_sidecar = Instant::now();
        Ok(())
    }

    /// Stores one processed frame: a frame record, its observations, and the tracks they belong to.
    ///
    /// Errors: the database cannot be written (disk full, ...).
    pub fn write(&mut self, result: &FrameResult) -> anyhow::Result<()> {
        let frame = FrameRecord {
            frame_index: result.frame_index,
            timestamp_ms: result.timestamp_ms,
            detections: result.detections as u32,
            faces: result.observations.len() as u32,
            latency_ms: result.latency_ms as f32,
        };
        self.frames.insert(result.frame_index.to_be_bytes(), postcard::to_stdvec(&frame)?)?;
        let mut new_track = false;
        for o in &result.observations {
            self.observations.insert(obs_key(o.frame_index, o.track_id), postcard::to_stdvec(o)?)?;
            let t = self.tracks.entry(o.track_id).or_insert_with(|| {
                new_track = true;
                TrackRecord {
                    id: o.track_id,
                    name: None,
                    first_ms: o.timestamp_ms,
                    last_ms: o.timestamp_ms,
                    observations: 0,
                }
            });
            t.last_ms = o.timestamp_ms;
            t.observations += 1;
        }
        let r = &mut self.record;
        r.frames += 1;
        r.frames_with_faces += (result.detections > 0) as u64;
        r.observations += result.observations.len() as u64;
        r.tracks = self.tracks.len() as u32;
        r.duration_ms = result.timestamp_ms;
        r.stats = result.stats.clone();
        if new_track || self.last_sidecar.elapsed() >= SIDECAR_EVERY {
            self.save_record()?;
        }
        Ok(())
    }

    /// Adds a marker or note and flushes it to disk at once.
    ///
    /// Errors: the database cannot be written.
    pub fn annotate(
        &mut self,
        kind: AnnotationKind,
        start_ms: u64,
        end_ms: Option<u64>,
        label: &str,
        track_id: Option<u32>,
    ) -> anyhow::Result<Annotation> {
        let tree = self.db.open_tree("annotations")?;
        let a = Annotation {
            id: self.db.generate_id()?,
            kind,
            start_ms,
            end_ms,
            label: label.to_string(),
            track_id,
            created_at: chrono::Local::now().into(),
        };
        tree.insert(a.id.to_be_bytes(), serde_json::to_vec(&a)?)?;
        tree.flush()?;
        Ok(a)
    }

    /// Names a track ("P07"); stored and flushed at once. A track not yet stored is created.
    ///
    /// Errors: the database cannot be written.
    pub fn name_track(&mut self, track_id: u32, name: &str) -> anyhow::Result<()> {
        let t = self.tracks.entry(track_id).or_insert_with(|| TrackRecord {
            id: track_id,
            name: None,
            first_ms: 0,
            last_ms: 0,
            observations: 0,
        });
        t.name = Some(name.to_string());
        self.tracks_tree.insert(track_id.to_be_bytes(), serde_json::to_vec(t)?)?;
        self.tracks_tree.flush()?;
        Ok(())
    }

    /// Ends the session with `status` (and a one-line `error` for [`SessionStatus::Failed`]), flushes
    /// everything to disk, and returns the final record.
    ///
    /// Errors: the database cannot be written.
    pub fn finish(mut self, status: SessionStatus, error: Option<String>) -> anyhow::Result<SessionRecord> {
        self.record.status = status;
        self.record.error = error;
        self.record.ended_at = Some(chrono::Local::now().into());
        self.save_record()?;
        self.db.flush().context("flushing the session database")?;
        make_private(&self.dir)?;
        Ok(self.record)
    }
}

/// Read access to a stored session.
pub struct SessionReader {
    record: SessionRecord,
    db: sled::Db,
}

impl SessionReader {
    pub(super) fn open(dir: &Path, id: &str) -> anyhow::Result<SessionReader> {
        let db = open_db(dir)?;
        let meta = db.open_tree("meta")?;
        let version = meta
            .get("schema_version")?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map(u32::from_be_bytes)
            .with_context(|| format!("{}: session database has no schema version", dir.display()))?;
        anyhow::ensure!(
            version == SCHEMA_VERSION,
            "{}: session schema {version} is not the {SCHEMA_VERSION} this emotrace reads",
            dir.display()
        );
        let mut record = SessionRecord::load_or_damaged(dir, id);
        if record.status == SessionStatus::Damaged {
            // Fall back to the copy inside the database.
            let bytes = meta.get("session")?.with_context(|| format!("{}: session record missing", dir.display()))?;
            record = serde_json::from_slice(&bytes)?;
        }
        Ok(SessionReader { record, db })
    }

    /// The session record.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// All tracks, by id.
    ///
    /// Errors: a damaged record.
    pub fn tracks(&self) -> anyhow::Result<Vec<TrackRecord>> {
        self.db.open_tree("tracks")?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
    }

    /// All observations in frame order (then track id).
    ///
    /// Errors: a damaged record.
    pub fn observations(&self) -> anyhow::Result<Vec<Observation>> {
        self.db.open_tree("observations")?.iter().values().map(|v| Ok(postcard::from_bytes(&v?)?)).collect()
    }

    /// All markers and notes in creation order.
    ///
    /// Errors: a damaged record.
    pub fn annotations(&self) -> anyhow::Result<Vec<Annotation>> {
        self.db.open_tree("annotations")?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
    }

    /// All processed frames in order.
    ///
    /// Errors: a damaged record.
    pub fn frames(&self) -> anyhow::Result<Vec<FrameRecord>> {
        self.db.open_tree("frames")?.iter().values().map(|v| Ok(postcard::from_bytes(&v?)?)).collect()
    }
}
