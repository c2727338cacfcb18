//! A session folder's layout, named once here: the files beside the database (`session.json`, the `DAMAGED`
//! mark, the recorder's lock, the space kept in reserve) and the database's folder, and the reading of what they
//! say: the record as written, whether the session is damaged, whether its recorder is alive.
//!
//! ```text
//! sessions/<session id>/
//!   session.json     the SessionRecord (SESSION_JSON), rewritten atomically while recording
//!   recorder.lock    locked by the recorder while it records (RECORDER_LOCK)
//!   reserve          space kept aside by the recorder to finalize on a full disk (RESERVE_FILE)
//!   DAMAGED          written when the database is found corrupt; its one line is the reason (DAMAGED_MARK)
//!   db/              the sled database (DB_DIR; trees named in `trees.rs`)
//! ```

use std::path::Path;

use super::error::{Result, StoreError};
use super::record::{SessionRecord, SessionStatus};
use super::SCHEMA_VERSION;

/// File name of the session record beside the database.
pub(super) const SESSION_JSON: &str = "session.json";
/// File the recorder holds an exclusive advisory lock on while it records: a session is being recorded exactly
/// while that lock is taken, whatever process now has the recorder's old id.
pub(super) const RECORDER_LOCK: &str = "recorder.lock";
/// File written beside a database found corrupt; its text (one line) is the reason, and the session is listed
/// as damaged from then on.
pub(super) const DAMAGED_MARK: &str = "DAMAGED";
/// The sled database's folder inside the session folder.
pub(super) const DB_DIR: &str = "db";
/// sled's data file inside [`DB_DIR`]: present in every database sled has opened.
const DB_DATA_FILE: &str = "db";
/// Space the recorder keeps aside while it records and gives back when the disk fills up, so that the session
/// can still be finalized as failed (the record and the last buffered writes need a little room).
pub(super) const RESERVE_FILE: &str = "reserve";

/// Reads `dir/session.json` as written, without judging it.
///
/// Errors: the file is missing or is not a session record (the message names the file).
pub(super) fn load_record(dir: &Path) -> std::result::Result<SessionRecord, String> {
    let path = dir.join(SESSION_JSON);
    std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<SessionRecord>(&b).map_err(|e| e.to_string()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether the session folder `dir` holds a session database (sled's data file in `db/`). sled creates a database
/// wherever it is asked to open one, so a read opens only a database that this says exists: reading an empty or
/// junk folder (or a link to a folder outside the store) must create nothing in it.
pub(super) fn has_database(dir: &Path) -> bool {
    dir.join(DB_DIR).join(DB_DATA_FILE).is_file()
}

/// Why the session folder `dir` cannot be read when it holds no database ([`has_database`]): one line naming the
/// folder. A folder with neither a record nor a database is not an emotrace session (an empty folder, a link to
/// some other folder, files put there by hand), and is left as it is.
pub(super) fn no_database_reason(dir: &Path) -> String {
    if std::fs::symlink_metadata(dir.join(SESSION_JSON)).is_ok() {
        format!("{}: the session database is missing ({} not found)", dir.display(), dir.join(DB_DIR).display())
    } else {
        format!("{}: not an emotrace session (no {SESSION_JSON}, no database); left as it is", dir.display())
    }
}

/// Reads `dir/session.json` and says where the session stands. A missing or unreadable file, a session whose
/// database was found corrupt, or one written by a newer emotrace gives a record with status
/// [`SessionStatus::Damaged`] and the reason in `error`. A "running" session whose recorder is gone (its liveness
/// lock is free) is returned as [`SessionStatus::Interrupted`].
pub(super) fn load_or_damaged(dir: &Path, id: &str) -> SessionRecord {
    match load_record(dir) {
        Ok(r) => judged(dir, r),
        Err(_) if !has_database(dir) && std::fs::symlink_metadata(dir.join(SESSION_JSON)).is_err() => {
            SessionRecord::damaged(id, no_database_reason(dir))
        }
        Err(e) => SessionRecord::damaged(id, e),
    }
}

/// Where the session in `dir` with record `r` stands, as [`load_or_damaged`] says: damaged when written by a
/// newer emotrace or marked damaged, interrupted when "running" with its recorder gone.
pub(super) fn judged(dir: &Path, mut r: SessionRecord) -> SessionRecord {
    if r.schema_version > SCHEMA_VERSION {
        let e = StoreError::NewerSchema { dir: dir.to_path_buf(), version: r.schema_version };
        return SessionRecord { status: SessionStatus::Damaged, error: Some(e.to_string()), ..r };
    }
    if let Some(reason) = damaged_reason(dir) {
        return SessionRecord { status: SessionStatus::Damaged, error: Some(reason), ..r };
    }
    if r.status == SessionStatus::Running && !recorder_alive(dir, r.pid) {
        r.status = SessionStatus::Interrupted;
        r.error.get_or_insert_with(|| "the recording process ended without finishing".into());
    }
    r
}

/// The reason in the session's `DAMAGED` mark (trimmed), `None` when the session in `dir` is not marked damaged.
pub(super) fn damaged_reason(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(DAMAGED_MARK)).ok().map(|reason| reason.trim().to_string())
}

/// Marks the session in `dir` damaged, best effort: writes `reason` (one line) to its `DAMAGED` mark.
pub(super) fn mark_damaged(dir: &Path, reason: &str) {
    let _ = std::fs::write(dir.join(DAMAGED_MARK), format!("{reason}\n"));
}

/// Takes the recorder's liveness lock in `dir` (see [`recorder_alive`]), held until the file is dropped.
///
/// Errors ([`StoreError::Io`]): the lock file cannot be created, or another process records the session.
pub(super) fn take_recorder_lock(dir: &Path) -> Result<std::fs::File> {
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

/// Whether the session in `dir` is being recorded now: its recorder holds an exclusive advisory lock on
/// `recorder.lock` for as long as it records, and the kernel drops the lock when the process ends however it
/// ends, so a reused process id cannot keep a dead session "running". Sessions recorded before the lock existed
/// fall back to asking whether process `pid` exists.
pub(super) fn recorder_alive(dir: &Path, pid: u32) -> bool {
    use fs2::FileExt;
    match std::fs::File::open(dir.join(RECORDER_LOCK)) {
        Ok(f) => match FileExt::try_lock_shared(&f) {
            Ok(()) => {
                let _ = FileExt::unlock(&f);
                false
            }
            Err(e) if e.raw_os_error() == fs2::lock_contended_error().raw_os_error() => true,
            Err(_) => process_alive(pid),
        },
        Err(_) => process_alive(pid),
    }
}

/// True if a process with this id exists (signal 0 probe).
fn process_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    if pid == std::process::id() {
        return true;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
