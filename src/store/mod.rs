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

pub mod record;
pub mod session;

use std::path::{Path, PathBuf};

use anyhow::Context;

pub use record::{FrameRecord, SessionRecord, SessionStatus, TrackRecord};
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
