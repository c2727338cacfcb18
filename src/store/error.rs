//! The store's errors: one type whose variants say what went wrong (locked, not found, being recorded, newer
//! schema, damaged, full disk, I/O), each displayed as the one line the user reads.
//!
//! Callers that only report keep using `?` into `anyhow`; callers that decide (the sessions browser, the review
//! screen) match on the variant instead of searching the text.

use std::path::PathBuf;

use super::SCHEMA_VERSION;

/// Why a store operation failed. `Display` is one line naming the session, folder or file concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another emotrace process has the session's database open (recording or reviewing it); sled allows one
    /// process per database.
    #[error("{}: the session is open in another emotrace process (being recorded or reviewed)", dir.display())]
    Locked {
        /// The session folder.
        dir: PathBuf,
    },
    /// The session is being recorded by a live process (its liveness lock is held), so it cannot be opened or
    /// deleted now.
    #[error("session {id} is being recorded by another emotrace process (process {pid}); {then}")]
    BeingRecorded {
        /// The session id.
        id: String,
        /// The recording process.
        pid: u32,
        /// What the user can do: "stop it first", "it can be opened once it ends".
        then: &'static str,
    },
    /// No such session, annotation or track.
    #[error("no {what} in {place}")]
    NotFound {
        /// What was looked for: "session '20240101-120000'", "annotation 4", "track 7".
        what: String,
        /// Where: the store folder, or "session ID".
        place: String,
    },
    /// The session was written by a newer emotrace (session schema above [`SCHEMA_VERSION`]).
    #[error(
        "{}: written by a newer emotrace (session schema {version}; this one reads up to {SCHEMA_VERSION}): \
         upgrade emotrace to read it",
        dir.display()
    )]
    NewerSchema {
        /// The session folder.
        dir: PathBuf,
        /// The session's schema version.
        version: u32,
    },
    /// The session's schema is older than any this emotrace reads.
    #[error(
        "{}: session schema {version} is not one this emotrace reads ({} to {SCHEMA_VERSION})",
        dir.display(),
        super::MIN_SCHEMA_VERSION
    )]
    OldSchema {
        /// The session folder.
        dir: PathBuf,
        /// The session's schema version.
        version: u32,
    },
    /// The store folder holds another layout version, or is not a store at all.
    #[error("{}: {reason}", root.display())]
    NotAStore {
        /// The store folder.
        root: PathBuf,
        /// Why: "store schema 'X' is not the 'Y' this emotrace reads", "not a folder, ...".
        reason: String,
    },
    /// The session's data cannot be read: a corrupt database (the session is then marked damaged), a record
    /// that does not decode, a missing schema version. `reason` is the whole line, naming the database.
    #[error("{reason}")]
    Damaged {
        /// The line shown.
        reason: String,
    },
    /// The disk is full; what was stored before stays readable.
    #[error("no space left on {} (free some space; what was stored is kept)", dir.display())]
    NoSpace {
        /// The session folder.
        dir: PathBuf,
    },
    /// The disk was full before a new session could be written: nothing was recorded, and the half-made session
    /// folder was removed (so no empty or damaged session is left in the list).
    #[error("no space left on {} to start a session: nothing was recorded (free some space)", root.display())]
    NoSpaceToStart {
        /// The store.
        root: PathBuf,
    },
    /// The session was read from a copy because its store cannot be written: edits are refused.
    #[error("{}: the store is read-only, so edits cannot be saved (reading works)", dir.display())]
    ReadOnly {
        /// The session folder.
        dir: PathBuf,
    },
    /// An edit that cannot be made as asked (an annotation ending before it starts, merging two faces seen at
    /// the same time, ...); `reason` says which.
    #[error("{reason}")]
    Refused {
        /// The line shown.
        reason: String,
    },
    /// A file or folder operation failed; `context` names the path and what was being done.
    #[error("{context}: {error}")]
    Io {
        /// "PATH: cannot write" and the like.
        context: String,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// The session database failed in another way (sled's own message, on one line).
    #[error("{}: {detail}", db.display())]
    Database {
        /// The database folder (`SESSION/db`).
        db: PathBuf,
        /// What sled said, with what was being done.
        detail: String,
    },
}

impl StoreError {
    /// An I/O error with `context` ("PATH: cannot write").
    pub fn io(context: impl Into<String>, error: std::io::Error) -> StoreError {
        StoreError::Io { context: context.into(), error }
    }

    /// An edit refused for `reason`.
    pub fn refused(reason: impl Into<String>) -> StoreError {
        StoreError::Refused { reason: reason.into() }
    }
}

/// `Result` with a [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
