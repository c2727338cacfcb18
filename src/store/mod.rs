//! The session store: one folder, one sled database per session, derived numbers only (no pixels).
//!
//! Layout (folders 0700, files 0600, private to the user):
//!
//! ```text
//! STORE/
//!   VERSION                      "emotrace-store <schema version>"
//!   sessions/<session id>/
//!     session.json               the SessionRecord, rewritten atomically while recording (for listing)
//!     db/                        sled: trees "meta", "observations", "frames", "tracks"
//! ```
//!
//! One sled database per session is what lets several processes use the store at once: sled locks a database
//! for one process, so a recording process holds only its own session's database, and `sessions` (or a review)
//! can read every other session meanwhile; the running session itself is listed from its `session.json`.

pub mod export;
pub mod record;
pub mod session;

use std::path::{Path, PathBuf};

use anyhow::Context;

pub use record::{Annotation, AnnotationKind, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
pub use session::{NewSession, SessionReader, SessionWriter};

/// Version of the on-disk layout and encodings; written in `VERSION` and in each session, checked on open.
pub const SCHEMA_VERSION: u32 = 1;

const VERSION_FILE: &str = "VERSION";
const SESSIONS_DIR: &str = "sessions";

/// A store folder.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// Creates `dir` (and parents) if needed and makes it private (0700).
pub(crate) fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("{}: cannot make the folder private", dir.display()))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file + rename) with mode 0600.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the store at `root`.
    ///
    /// Errors: the folder cannot be created, or it holds a store of another schema version, or something that
    /// is not an emotrace store.
    pub fn open(root: &Path) -> anyhow::Result<Store> {
        private_dir(root)?;
        private_dir(&root.join(SESSIONS_DIR))?;
        let vfile = root.join(VERSION_FILE);
        let expected = format!("emotrace-store {SCHEMA_VERSION}");
        match std::fs::read_to_string(&vfile) {
            Ok(text) => {
                let text = text.trim();
                anyhow::ensure!(
                    text == expected,
                    "{}: store schema '{}' is not the '{}' this emotrace reads",
                    root.display(),
                    text,
                    expected
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_private_atomic(&vfile, format!("{expected}\n").as_bytes())?;
            }
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", vfile.display())),
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
    /// Errors: the session folder or database cannot be created.
    pub fn create_session(&self, new: NewSession) -> anyhow::Result<SessionWriter> {
        let now = chrono::Local::now();
        let base = now.format("%Y%m%d-%H%M%S").to_string();
        let mut id = base.clone();
        let mut n = 1;
        while self.session_dir(&id).exists() {
            n += 1;
            id = format!("{base}-{n}");
        }
        SessionWriter::create(&self.session_dir(&id), id, now.into(), new)
    }

    /// All sessions, oldest first, from their `session.json`. A session whose recording process is gone
    /// without finishing (killed) is reported as [`SessionStatus::Interrupted`]; an unreadable one as
    /// [`SessionStatus::Damaged`].
    ///
    /// Errors: the sessions folder cannot be listed.
    pub fn list_sessions(&self) -> anyhow::Result<Vec<SessionRecord>> {
        let dir = self.root.join(SESSIONS_DIR);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}: cannot list", dir.display()))? {
            let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
            if !entry.path().is_dir() {
                continue;
            }
            let id = entry.file_name().to_string_lossy().into_owned();
            out.push(SessionRecord::load_or_damaged(&entry.path(), &id));
        }
        out.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Opens a stored session for reading.
    ///
    /// Errors: no such session; its database is locked by a process that is still recording it; it is
    /// damaged or of another schema version.
    pub fn open_session(&self, id: &str) -> anyhow::Result<SessionReader> {
        let dir = self.session_dir(id);
        anyhow::ensure!(dir.is_dir(), "no session '{id}' in {}", self.root.display());
        SessionReader::open(&dir, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::SourceKind;
    use crate::detect::BBox;
    use crate::pipeline::{FrameResult, Observation, PipelineStats};

    fn new_session() -> NewSession {
        NewSession {
            source: "recordings/x.mp4".into(),
            source_kind: SourceKind::Video,
            models: "test".into(),
            config: serde_json::json!({}),
        }
    }

    fn result(frame: u64, tracks: &[u32]) -> FrameResult {
        let p = [0.1, 0.0, 0.1, 0.5, 0.1, 0.1, 0.1];
        FrameResult {
            frame_index: frame,
            timestamp_ms: frame * 40,
            width: 640,
            height: 360,
            detections: tracks.len(),
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
                })
                .collect(),
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
    fn a_damaged_session_record_is_listed_as_damaged_and_a_foreign_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let w = store.create_session(new_session()).unwrap();
        let id = w.id().to_string();
        w.finish(SessionStatus::Completed, None).unwrap();
        std::fs::write(dir.path().join("sessions").join(&id).join("session.json"), b"{not json").unwrap();
        let listed = store.list_sessions().unwrap();
        assert_eq!(listed[0].status, SessionStatus::Damaged);
        // The copy inside the database still opens.
        assert_eq!(store.open_session(&id).unwrap().record().status, SessionStatus::Completed);

        std::fs::write(dir.path().join("VERSION"), "emotrace-store 99\n").unwrap();
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("99"), "{err}");
    }
}
