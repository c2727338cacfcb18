//! One session's database: writing while recording ([`SessionWriter`], `writer.rs`), reading afterwards
//! ([`StoredSession`], `stored.rs`), the edits a reviewer makes (`edits.rs`) and the repairs made on opening a
//! session whose recorder did not finish (`repair.rs`).
//!
//! The trees, their keys and encodings are named once in `store/trees.rs` (schema version
//! [`super::SCHEMA_VERSION`]):
//! - `meta`: `"schema_version"` -> u32 big-endian; `"session"` -> [`SessionRecord`] as JSON;
//!   `"timeline_last_frame"` -> u64 BE, the last frame the timeline covers.
//! - `observations`: key `frame_index (u64 BE) ++ track_id (u32 BE)` -> [`Observation`] (postcard; schema 1
//!   sessions hold the older layout without landmarks and flags, read as
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
use super::write_private_atomic;
use crate::capture::SourceKind;
use crate::fmt::one_line;
use crate::pipeline::observation::ObservationV1;
use crate::pipeline::Observation;

pub use stored::StoredSession;
pub use writer::SessionWriter;

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

/// Decodes a stored observation of session schema `version` (1: without landmarks and predicted flag).
fn decode_observation(version: u32, bytes: &[u8]) -> anyhow::Result<Observation> {
    Ok(if version >= 2 { postcard::from_bytes(bytes)? } else { postcard::from_bytes::<ObservationV1>(bytes)?.into() })
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
