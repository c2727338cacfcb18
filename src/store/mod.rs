//! The session store: one folder, one sled database per session, derived numbers only (no pixels).
//!
//! Layout (folders 0700, files 0600, private to the user):
//!
//! ```text
//! STORE/
//!   VERSION                      "emotrace-store <store layout version>"
//!   sessions/<session id>/
//!     session.json               the SessionRecord, rewritten atomically while recording (for listing);
//!                                beside it the recorder's lock and the damaged mark (named in `layout.rs`)
//!     db/                        sled: trees "meta", "observations", "frames", "tracks", "annotations",
//!                                "timeline" (per-second totals; named in `trees.rs`, see [`session`])
//! ```
//!
//! One sled database per session is what lets several processes use the store at once: sled locks a database
//! for one process, so a recording process holds only its own session's database, and `sessions` (or a review)
//! can read every other session meanwhile; the running session itself is listed from its `session.json`.
//! A review opens one session's database (taking its lock) for as long as the session is on screen, so a
//! teacher reviews last week's lessons while today's is recorded; two reviews of the same session at once are
//! refused with a clear error rather than risking a corrupt database.

pub mod error;
pub mod export;
mod layout;
pub mod record;
pub mod session;
pub mod timeline;
mod trees;

use std::path::{Path, PathBuf};

pub use error::{Result, StoreError};
pub use record::{Annotation, AnnotationKind, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
pub use session::{AutoJoin, NewSession, ResumePoint, SessionWriter, StoredSession};

/// Version of a session database's encodings, written in each session and checked on open. 2 added landmarks
/// and the detected/predicted flag to each observation; 3 stores a frame's observations as one record (one sled
/// key per frame instead of one per face: a reader's memory no longer grows with the session, see
/// `store/trees.rs`). Sessions of versions 1 and 2 are still read ([`MIN_SCHEMA_VERSION`]), and a resumed one
/// goes on in its own version.
pub const SCHEMA_VERSION: u32 = 3;

/// The first session schema that stores a frame's observations as one record ([`trees::OBSERVATIONS`]).
pub(crate) const GROUPED_SCHEMA_VERSION: u32 = 3;

/// The oldest session schema `analyze --resume` continues (in that schema: [`Store::resume_session`]).
pub const RESUMABLE_SCHEMA_VERSION: u32 = 2;

/// The oldest session schema this emotrace reads.
pub const MIN_SCHEMA_VERSION: u32 = 1;

/// Version of the store folder's layout (`VERSION`, `sessions/<id>/`), checked when the store is opened. Unchanged
/// by session schema versions: a store holds sessions of several.
pub const STORE_LAYOUT_VERSION: u32 = 1;

const VERSION_FILE: &str = "VERSION";
const SESSIONS_DIR: &str = "sessions";

/// A store folder.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// Creates `dir` (and parents) if needed and makes it private (0700).
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format!("{}: cannot create the folder", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| StoreError::io(format!("{}: cannot make the folder private", dir.display()), e))
}

/// Writes `bytes` to `path` atomically (temporary file + rename) with mode 0600. The temporary file's name is
/// unique to this process and call, so that writers racing for the same file (two sessions creating a new store
/// at once, `analyze --jobs`) each rename a whole file of their own.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
    fn cannot(p: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |e| StoreError::io(format!("{}: cannot write", p.display()), e)
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(cannot(&tmp))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(cannot(&tmp))?;
    std::fs::rename(&tmp, path).map_err(cannot(path))
}

/// Whether an existing `root` may be used as a store: a folder holding a store, or nothing but what a store
/// being created by another process at this moment holds (`VERSION`, its temporary file, `sessions/`).
///
/// Errors ([`StoreError::NotAStore`]): `root` is not a folder, or it holds other files (a typo such as
/// `--store /tmp` must not write beside someone else's files or change their folder's mode).
fn adoptable(root: &Path) -> Result<()> {
    let not_a_store = |reason: String| StoreError::NotAStore { root: root.to_path_buf(), reason };
    if !root.is_dir() {
        return Err(not_a_store("not a folder, so not an emotrace store (check --store)".into()));
    }
    if root.join(VERSION_FILE).is_file() {
        return Ok(());
    }
    let entries = std::fs::read_dir(root).map_err(|e| StoreError::io(format!("{}: cannot list", root.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours =
            name == SESSIONS_DIR || name == VERSION_FILE || (name.starts_with(VERSION_FILE) && name.ends_with(".tmp"));
        if !ours {
            return Err(not_a_store(format!(
                "a folder with other files in it (such as '{}') and no emotrace store: give --store a new or empty folder",
                crate::text::terminal_safe(&name)
            )));
        }
    }
    Ok(())
}

/// The error for `path` (in the store) that cannot be read: [`StoreError::Io`] with "PATH: cannot read", and when
/// a folder on the way is a file, which one (the system only says "Not a directory").
fn unreadable(path: &Path, e: std::io::Error) -> StoreError {
    if e.raw_os_error() == Some(libc::ENOTDIR) {
        if let Some(file) = path.ancestors().skip(1).find(|a| a.is_file()) {
            let context = format!("{}: cannot read: '{}' is a file, not a folder", path.display(), file.display());
            return StoreError::io(context, e);
        }
    }
    StoreError::io(format!("{}: cannot read", path.display()), e)
}

/// How the session folder `dir` is listed: as [`layout::load_or_damaged`] says, except that a session whose
/// `session.json` is lost or garbled is listed from the copy of its record inside its database when that can be
/// read (nothing is written: the file is rewritten when the session is next opened).
fn listed(dir: &Path, id: &str) -> SessionRecord {
    let r = layout::load_or_damaged(dir, id);
    let left_running = || layout::load_record(dir).is_ok_and(|s| s.status == SessionStatus::Running);
    if r.status == SessionStatus::Interrupted && left_running() {
        // A recorder killed without warning (kill -9, power loss) left the counts of its last periodic save: opening
        // the session recounts what was stored and saves it as interrupted, as a review or an export would, so
        // the listing's counts are the stored ones from the first listing on. One open in another process keeps
        // the last saved counts until it is free.
        if let Ok(opened) = StoredSession::open(dir, id) {
            return opened.record().clone();
        }
    }
    if r.is_known() || !layout::has_database(dir) {
        return r;
    }
    match session::record_in_database(dir) {
        Ok(rebuilt) => layout::judged(dir, rebuilt),
        Err(e) => SessionRecord { error: Some(format!("{}; {e}", r.error.unwrap_or_default())), ..r },
    }
}

/// Whether `e` is, or was caused by, a full disk ([`session::is_no_space`] anywhere in its chain).
fn out_of_space(e: &StoreError) -> bool {
    if matches!(e, StoreError::NoSpace { .. }) {
        return true;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>().is_some_and(session::is_no_space) {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Checks the text of a store's `VERSION` file against [`STORE_LAYOUT_VERSION`].
fn check_layout(root: &Path, text: &str) -> Result<()> {
    let expected = format!("emotrace-store {STORE_LAYOUT_VERSION}");
    let text = text.trim();
    if text == expected {
        return Ok(());
    }
    let reason = format!("store schema '{text}' is not the '{expected}' this emotrace reads");
    Err(StoreError::NotAStore { root: root.to_path_buf(), reason })
}

impl Store {
    /// Opens (creating if needed) the store at `root`.
    ///
    /// Errors: the folder cannot be created ([`StoreError::Io`]), or it holds a store of another layout version
    /// ([`StoreError::NotAStore`]).
    pub fn open(root: &Path) -> Result<Store> {
        if root.exists() {
            adoptable(root)?;
        } else {
            // Only a folder emotrace creates is made private; an existing one keeps the mode its owner gave it
            // (the sessions inside are private whatever it is).
            private_dir(root)?;
        }
        if !root.join(SESSIONS_DIR).is_dir() {
            private_dir(&root.join(SESSIONS_DIR))?;
        }
        let vfile = root.join(VERSION_FILE);
        let expected = format!("emotrace-store {STORE_LAYOUT_VERSION}");
        match std::fs::read_to_string(&vfile) {
            Ok(text) => check_layout(root, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_private_atomic(&vfile, format!("{expected}\n").as_bytes())?;
            }
            Err(e) => return Err(StoreError::io(format!("{}: cannot read", vfile.display()), e)),
        }
        Ok(Store { root: root.to_path_buf() })
    }

    /// Opens the store at `root` for reading only: nothing is created or changed, so it works on a read-only
    /// store (a read-only mount, another user's store; sessions are then read from a private temporary copy). A
    /// missing folder is an empty store, and stays missing.
    ///
    /// Errors: `root` is something other than a folder, or it holds a store of another layout version
    /// ([`StoreError::NotAStore`]); `root` or its `VERSION` cannot be read ([`StoreError::Io`], naming the
    /// permission or path problem: "a/b: cannot read: 'a' is a file, not a folder").
    pub fn open_existing(root: &Path) -> Result<Store> {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                let reason = "not a folder, so not an emotrace store (check --store)".to_string();
                return Err(StoreError::NotAStore { root: root.to_path_buf(), reason });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(root).is_err() => {
                return Ok(Store { root: root.to_path_buf() });
            }
            Err(e) => return Err(unreadable(root, e)),
        }
        let vfile = root.join(VERSION_FILE);
        match std::fs::read_to_string(&vfile) {
            Ok(text) => check_layout(root, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(unreadable(&vfile, e)),
        }
        Ok(Store { root: root.to_path_buf() })
    }

    /// The store folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn session_dir(&self, id: &str) -> PathBuf {
        self.root.join(SESSIONS_DIR).join(id)
    }

    /// Starts a new session (status "running") and returns its writer. The id is the local start time,
    /// `YYYYMMDD-HHMMSS`, with `-2`, `-3` ... appended if taken.
    ///
    /// Errors: the session folder or database cannot be created; [`StoreError::NoSpaceToStart`] when the disk is
    /// full (the half-made folder is removed: nothing was recorded).
    pub fn create_session(&self, new: NewSession) -> Result<SessionWriter> {
        let now = chrono::Local::now();
        let base = now.format("%Y%m%d-%H%M%S").to_string();
        let mut id = base.clone();
        let mut n = 1;
        // Claim the id by creating its folder (atomic): sessions started in the same second, by `analyze --jobs`
        // or by two processes, get -2, -3, ... instead of one taking the other's folder.
        loop {
            let dir = self.session_dir(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Err(e) if session::is_no_space(&e) => {
                    return Err(StoreError::NoSpaceToStart { root: self.root.clone() })
                }
                Err(e) => return Err(StoreError::io(format!("{}: cannot create the folder", dir.display()), e)),
            }
        }
        let dir = self.session_dir(&id);
        SessionWriter::create(&dir, id, now.into(), new).map_err(|e| {
            if out_of_space(&e) {
                // Nothing was recorded: the half-made folder would list as a damaged session of unknown date.
                let _ = std::fs::remove_dir_all(&dir);
                StoreError::NoSpaceToStart { root: self.root.clone() }
            } else {
                e
            }
        })
    }

    /// All sessions, oldest first, from their `session.json` (or, when that is lost or garbled, the copy of the
    /// record in the session's database). A session whose recorder is gone without
    /// finishing (killed: its liveness lock is free) is reported as [`SessionStatus::Interrupted`]; an unreadable
    /// one, one whose database was found corrupt, or one written by a newer emotrace as
    /// [`SessionStatus::Damaged`] (the reason in `error`).
    ///
    /// An entry of `sessions/` that cannot be read (a broken link) is listed damaged with the reason; a plain file
    /// there is passed over.
    ///
    /// Errors ([`StoreError::Io`]): the sessions folder cannot be read or listed (the permission or path problem
    /// named); a missing one is no sessions.
    pub fn list_sessions(&self) -> Result<Vec<SessionRecord>> {
        let dir = self.root.join(SESSIONS_DIR);
        let mut out = Vec::new();
        match std::fs::metadata(&dir) {
            Ok(_) => {}
            // No sessions folder (and no broken link in its place): a store with no sessions yet.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&dir).is_err() => {
                return Ok(out)
            }
            Err(e) => return Err(unreadable(&dir, e)),
        }
        let cannot = |e| StoreError::io(format!("{}: cannot list", dir.display()), e);
        for entry in std::fs::read_dir(&dir).map_err(cannot)? {
            let entry = entry.map_err(cannot)?;
            let id = entry.file_name().to_string_lossy().into_owned();
            match std::fs::metadata(entry.path()) {
                Ok(m) if m.is_dir() => out.push(listed(&entry.path(), &id)),
                // A plain file is not a session (nor anything of emotrace's): passed over.
                Ok(_) => {}
                // An entry that cannot be read (a broken link, a loop of links) is named, not passed over.
                Err(e) => out.push(SessionRecord::damaged(&id, unreadable(&entry.path(), e).to_string())),
            }
        }
        out.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Opens a stored session for reading.
    ///
    /// Errors: no such session ([`StoreError::NotFound`]); it is being recorded ([`StoreError::BeingRecorded`])
    /// or open in another process ([`StoreError::Locked`]); it is damaged ([`StoreError::Damaged`]) or of another
    /// schema version ([`StoreError::NewerSchema`], [`StoreError::OldSchema`]).
    pub fn open_session(&self, id: &str) -> Result<StoredSession> {
        StoredSession::open(&self.existing_session_dir(id)?, id)
    }

    /// The id of the session that `query` names: a full session id, or a prefix of exactly one.
    ///
    /// Errors: the store cannot be listed ([`StoreError::Io`]); no session matches ([`StoreError::NotFound`]:
    /// "no session 'X' in STORE"); the prefix matches several sessions ([`StoreError::Refused`], listing them).
    pub fn resolve_session(&self, query: &str) -> Result<String> {
        let ids: Vec<String> = self.list_sessions()?.into_iter().map(|s| s.id).collect();
        if ids.iter().any(|id| id == query) {
            return Ok(query.to_string());
        }
        let matches: Vec<&String> =
            if query.is_empty() { Vec::new() } else { ids.iter().filter(|id| id.starts_with(query)).collect() };
        match matches.as_slice() {
            [] => {
                Err(StoreError::NotFound { what: format!("session '{query}'"), place: self.root.display().to_string() })
            }
            [one] => Ok((*one).clone()),
            many => Err(StoreError::refused(format!(
                "session prefix '{query}' is ambiguous in {}: it matches {}",
                self.root.display(),
                many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The folder of session `id`, which must exist.
    fn existing_session_dir(&self, id: &str) -> Result<PathBuf> {
        let dir = self.session_dir(id);
        if id.is_empty() || !dir.is_dir() {
            return Err(StoreError::NotFound {
                what: format!("session '{id}'"),
                place: self.root.display().to_string(),
            });
        }
        Ok(dir)
    }

    /// Reopens an interrupted session (its recorder killed or stopped by a signal) to continue recording it
    /// where it stopped: the writer, and where to go on from ([`ResumePoint`]).
    ///
    /// Errors: as [`Store::open_session`]; [`StoreError::Refused`] when the session did not end interrupted
    /// (completed, failed, damaged) or was written by a schema older than [`RESUMABLE_SCHEMA_VERSION`].
    pub fn resume_session(&self, id: &str) -> Result<(SessionWriter, ResumePoint)> {
        let dir = self.existing_session_dir(id)?;
        let reader = StoredSession::open(&dir, id)?;
        let mut record = reader.record().clone();
        if record.status != SessionStatus::Interrupted {
            return Err(StoreError::refused(format!(
                "session {id} is {}: only an interrupted session can be resumed",
                record.status.name()
            )));
        }
        // A session goes on in its own schema; schema 1 stored observations in a layout this writer no longer
        // writes.
        if reader.schema_version() < RESUMABLE_SCHEMA_VERSION {
            return Err(StoreError::refused(format!(
                "session {id} was recorded with store schema {}: only sessions of schema {RESUMABLE_SCHEMA_VERSION} \
                 or later can be resumed",
                reader.schema_version()
            )));
        }
        record.schema_version = reader.schema_version();
        let point = reader.resume_point()?;
        drop(reader);
        let writer = SessionWriter::reopen(&dir, record)?;
        Ok((writer, point))
    }

    /// Deletes a session and everything stored for it.
    ///
    /// Errors: no such session ([`StoreError::NotFound`]); it is being recorded ([`StoreError::BeingRecorded`])
    /// or reviewed ([`StoreError::Locked`]) by another process; its folder cannot be removed ([`StoreError::Io`]).
    pub fn delete_session(&self, id: &str) -> Result<()> {
        let dir = self.existing_session_dir(id)?;
        let record = layout::load_or_damaged(&dir, id);
        if record.status == SessionStatus::Running {
            return Err(StoreError::BeingRecorded { id: id.to_string(), pid: record.pid, then: "stop it first" });
        }
        session::ensure_not_open(&dir)?;
        std::fs::remove_dir_all(&dir).map_err(|e| StoreError::io(format!("{}: cannot delete", dir.display()), e))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::SourceKind;
    use crate::detect::BBox;
    use crate::pipeline::{FrameResult, Observation, PipelineStats};

    pub(crate) fn new_session() -> NewSession {
        NewSession {
            source: "recordings/x.mp4".into(),
            source_kind: SourceKind::Video,
            decoder: None,
            models: "test".into(),
            detector: None,
            config: serde_json::json!({}),
            schedule: None,
            frame_rate: None,
        }
    }

    pub(crate) fn result(frame: u64, tracks: &[u32]) -> FrameResult {
        let p = [0.1, 0.0, 0.1, 0.5, 0.1, 0.1, 0.1];
        FrameResult {
            frame_index: frame,
            timestamp_ms: frame * 40,
            width: 640,
            height: 360,
            detections: tracks.len(),
            detected: true,
            faces: tracks.len(),
            latency_ms: 12.5,
            observations: tracks
                .iter()
                .map(|&t| Observation {
                    frame_index: frame,
                    timestamp_ms: frame * 40,
                    track_id: t,
                    bbox: BBox::new(10.0 * t as f32, 20.0, 100.0, 110.0),
                    score: 7.5,
                    raw: p,
                    smoothed: p,
                    landmarks: None,
                    predicted: false,
                    classified: true,
                })
                .collect(),
            backfill: Vec::new(),
            stats: PipelineStats::default(),
            image: None,
        }
    }

    #[test]
    fn a_session_round_trips_through_the_store_while_another_is_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        for f in 0..10 {
            w.write(&result(f, if f < 5 { &[1] } else { &[1, 2] })).unwrap();
        }
        w.annotate(AnnotationKind::Marker, 200, None, "stimulus", None).unwrap();
        w.name_track(2, "P07").unwrap();
        let first = w.finish(SessionStatus::Completed, None).unwrap();

        // A second session records while the first is read.
        let mut w2 = store.create_session(new_session()).unwrap();
        w2.write(&result(0, &[1])).unwrap();
        let r = store.open_session(&first.id).unwrap();
        assert_eq!(r.record().status, SessionStatus::Completed);
        assert_eq!(r.frames().unwrap().len(), 10);
        let obs = r.observations().unwrap();
        assert_eq!(obs.len(), 15);
        assert_eq!(obs[14], result(9, &[1, 2]).observations[1]);
        let tracks = r.tracks().unwrap();
        assert_eq!(tracks.len(), 2);
        assert_eq!(tracks[1].label(), "P07");
        assert_eq!((tracks[1].first_ms, tracks[1].last_ms, tracks[1].observations), (200, 360, 5));
        assert_eq!(r.annotations().unwrap()[0].label, "stimulus");

        let listed = store.list_sessions().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].status, SessionStatus::Running);
        // The running session's own database is locked by its writer.
        assert!(store.open_session(&listed[1].id).is_err());
        w2.finish(SessionStatus::Interrupted, None).unwrap();
    }

    #[test]
    fn a_damaged_session_record_is_listed_from_the_database_and_a_foreign_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let w = store.create_session(new_session()).unwrap();
        let id = w.id().to_string();
        w.finish(SessionStatus::Completed, None).unwrap();
        let json = dir.path().join("sessions").join(&id).join("session.json");
        std::fs::write(&json, b"{not json").unwrap();
        // Listed from the copy inside the database, which writes nothing; opening rewrites the file.
        let listed = store.list_sessions().unwrap();
        assert_eq!((listed[0].status, listed[0].started().is_some()), (SessionStatus::Completed, true));
        assert_eq!(std::fs::read(&json).unwrap(), b"{not json");
        assert_eq!(store.open_session(&id).unwrap().record().status, SessionStatus::Completed);
        assert!(serde_json::from_slice::<SessionRecord>(&std::fs::read(&json).unwrap()).is_ok());
        // With neither a readable record nor a database, it is damaged, its start unknown (null, not 1970).
        std::fs::write(&json, b"{not json").unwrap();
        std::fs::remove_dir_all(dir.path().join("sessions").join(&id).join("db")).unwrap();
        let listed = store.list_sessions().unwrap();
        assert_eq!(
            (listed[0].status, listed[0].started(), listed[0].is_known()),
            (SessionStatus::Damaged, None, false)
        );
        assert!(serde_json::to_value(&listed[0]).unwrap()["started_at"].is_null());

        std::fs::write(dir.path().join("VERSION"), "emotrace-store 99\n").unwrap();
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("99"), "{err}");
    }

    #[test]
    fn automatic_joins_are_stored_as_merges_marked_with_their_distance_and_undone_like_any_merge() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        // Track 1 in frames 0..10, track 2 (seen with 1) in frames 5..15, track 3 in frames 20..30.
        for f in 0..30 {
            let t: &[u32] = match f {
                0..5 => &[1],
                5..10 => &[1, 2],
                10..15 => &[2],
                15..20 => &[],
                _ => &[3],
            };
            if f == 20 {
                assert_eq!(w.join_tracks(3, 1, 0.2).unwrap(), AutoJoin::NotYet, "track 3 is not stored yet");
            }
            w.write(&result(f, t)).unwrap();
        }
        assert_eq!(w.join_tracks(2, 1, 0.1).unwrap(), AutoJoin::Refused, "1 and 2 were seen together");
        assert_eq!(w.join_tracks(3, 1, 0.25).unwrap(), AutoJoin::Joined);
        assert_eq!(w.join_tracks(2, 3, 0.3).unwrap(), AutoJoin::Refused, "3 is merged into 1 already");
        assert_eq!(w.record().merged_tracks, 1);
        let id = w.finish(SessionStatus::Completed, None).unwrap().id;

        let mut r = store.open_session(&id).unwrap();
        let tracks = r.tracks().unwrap();
        let t3 = tracks.iter().find(|t| t.id == 3).unwrap();
        assert_eq!((t3.merged_into, t3.auto_merge_distance), (Some(1), Some(0.25)));
        assert_eq!(r.record().faces(), 2);
        r.unmerge_track(3).unwrap();
        let t3 = r.tracks().unwrap().into_iter().find(|t| t.id == 3).unwrap();
        assert_eq!((t3.merged_into, t3.auto_merge_distance), (None, None));
        assert_eq!(r.record().faces(), 3);
    }

    #[test]
    fn review_edits_are_stored_at_once_and_merged_tracks_count_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        // Track 1 all along; track 2 in frames 0..10, track 3 in frames 20..30 (the same person back).
        for f in 0..30 {
            let t: &[u32] = match f {
                0..10 => &[1, 2],
                10..20 => &[1],
                _ => &[1, 3],
            };
            w.write(&result(f, t)).unwrap();
        }
        let id = w.finish(SessionStatus::Completed, None).unwrap().id;

        let mut r = store.open_session(&id).unwrap();
        let a = r.annotate(AnnotationKind::Note, 400, Some(800), "group work", None).unwrap();
        assert!(r.annotate(AnnotationKind::Note, 800, Some(400), "backwards", None).is_err());
        r.annotate(AnnotationKind::Marker, 1000, None, "quiz", None).unwrap();
        r.update_annotation(&Annotation { label: "pair work".into(), ..a.clone() }).unwrap();
        r.name_track(2, "P07").unwrap();
        assert!(r.name_track(9, "nobody").is_err());
        assert!(r.merge_tracks(1, 2).unwrap_err().to_string().contains("same time"));
        r.merge_tracks(3, 2).unwrap();
        assert!(r.merge_tracks(3, 1).is_err());
        drop(r);

        // Everything is there after reopening (a new process would see the same).
        let r = store.open_session(&id).unwrap();
        let notes = r.annotations().unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!((notes[0].label.as_str(), notes[0].end_ms), ("pair work", Some(800)));
        assert_eq!(r.record().annotations, 2);
        assert_eq!(r.record().faces(), 2);
        assert_eq!(store.list_sessions().unwrap()[0].annotations, 2);
        assert_eq!(r.merges().unwrap(), std::collections::BTreeMap::from([(3, 2)]));
        let t = r.timeline().unwrap();
        let whole = t.total(0, t.span_ms());
        assert_eq!(whole.frames, 30);
        assert_eq!(whole.tracks.iter().map(|(id, a)| (*id, a.frames)).collect::<Vec<_>>(), vec![(1, 30), (2, 20)]);
        let data = export::SessionExport::load(r).unwrap();
        let exported: Vec<u32> = export::tests::faces(&data).iter().map(|o| o.track_id).collect();
        assert!(exported.iter().all(|&t| t != 3));
        assert_eq!(exported.iter().filter(|&&t| t == 2).count(), 20);
        let export::Observations::Stored { reader, .. } = data.observations else {
            unreachable!("loaded from the store")
        };
        let mut r = *reader;

        r.delete_annotation(notes[1].id).unwrap();
        assert!(r.delete_annotation(notes[1].id).is_err());
        r.unmerge_track(3).unwrap();
        assert_eq!(r.record().faces(), 3);
        // A session open for review cannot be deleted; once closed it can.
        assert!(store.delete_session(&id).unwrap_err().to_string().contains("another emotrace process"));
        drop(r);
        store.delete_session(&id).unwrap();
        assert!(store.list_sessions().unwrap().is_empty());
        assert!(store.delete_session(&id).is_err());
    }

    #[test]
    fn labels_and_names_are_cleaned_on_every_way_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        w.write(&result(0, &[1])).unwrap();
        // As `[tui] marker_labels` or a typed label would arrive: leading space, control characters.
        w.annotate(AnnotationKind::Marker, 0, None, " =1+1\x1b[2J\x07", None).unwrap();
        w.name_track(1, "\tP07\n").unwrap();
        let id = w.finish(SessionStatus::Completed, None).unwrap().id;
        let mut r = store.open_session(&id).unwrap();
        r.annotate(AnnotationKind::Note, 0, None, "a\r\nb", None).unwrap();
        let labels: Vec<String> = r.annotations().unwrap().into_iter().map(|a| a.label).collect();
        assert_eq!(labels, ["=1+1 [2J", "a b"]);
        assert_eq!(r.tracks().unwrap()[0].name.as_deref(), Some("P07"));
        let data = export::SessionExport::load(r).unwrap();
        let mut csv = Vec::new();
        export::csv::write_annotations(&data, false, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains(",'=1+1 [2J,") && !csv.contains('\x1b'), "{csv}");
        assert_eq!(export::csv::spreadsheet_safe(" =1+1"), "' =1+1");
    }

    #[test]
    fn a_dead_recorder_is_found_by_its_free_lock_even_when_its_pid_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        w.write(&result(0, &[1])).unwrap();
        let id = w.id().to_string();
        // While it records, it is running (its lock is held), whatever its pid says.
        assert_eq!(store.list_sessions().unwrap()[0].status, SessionStatus::Running);
        assert!(store.delete_session(&id).is_err());
        drop(w); // killed: the kernel drops the lock
        let json = dir.path().join("sessions").join(&id).join("session.json");
        let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(record["status"], "running");
        record["pid"] = 1.into(); // init: a live process with the recorder's old pid
        std::fs::write(&json, serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(store.list_sessions().unwrap()[0].status, SessionStatus::Interrupted);
        store.delete_session(&id).unwrap();
    }

    #[test]
    fn a_killed_recorders_last_second_is_rebuilt_into_the_timeline_and_windows_read_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(new_session()).unwrap();
        let id = w.id().to_string();
        // 40 ms frames: seconds 0, 1 and part of 2 (frames 50..59).
        for f in 0..60 {
            w.write(&result(f, &[1])).unwrap();
        }
        drop(w); // no finish: as if killed
        let r = store.open_session(&id).unwrap();
        let t = r.timeline().unwrap();
        assert_eq!(t.seconds().iter().map(|b| b.frames).collect::<Vec<_>>(), vec![25, 25, 10]);
        assert_eq!(t.seconds()[2].first_frame, Some(50));
        assert_eq!(t.total(0, 3000).track(1).unwrap().dominant[3], 60);
        let (frames, obs) = r.window(1100, 1300).unwrap();
        assert_eq!(frames.iter().map(|f| f.frame_index).collect::<Vec<_>>(), vec![28, 29, 30, 31, 32]);
        assert_eq!(obs.len(), 5);
    }
}
