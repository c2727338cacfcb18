//! A stored session opened after its recording: [`StoredSession`] opens it (refusing one being recorded or open
//! elsewhere) and reads its record, frames, observations, tracks, annotations and per-second timeline; review's
//! edits (`edits.rs`) are its `&mut` methods. (It was `SessionReader`, a name that hid the edits.)

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{db_error, in_session, is_locked, is_read_only, open_db, open_db_at, InFrameOrder, READ_CACHE_BYTES};
use crate::pipeline::Observation;
use crate::store::error::{Result, StoreError};
use crate::store::layout::{self, DB_DIR};
use crate::store::private_dir;
use crate::store::record::{Annotation, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
use crate::store::timeline::{Bucket, Timeline, SECOND_MS};
use crate::store::trees;
use crate::store::SCHEMA_VERSION;

/// How long opening a session waits for another reader (an export, a report) to let go of its database.
const READER_WAIT: Duration = Duration::from_secs(3);

/// A private temporary copy of a session database (to read a session of a read-only store), removed on drop.
pub(super) struct TempCopy(PathBuf);

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

/// A stored session, opened for review: reading (here), and the edits a reviewer makes (annotations, track
/// names, merges: see `edits.rs`), each written and flushed to disk before the call returns, so an edit survives
/// a crash.
///
/// Opening takes the session database's lock (sled allows one process per database): a session being recorded
/// cannot be opened, every other session can, by one process at a time. In a store that cannot be written
/// (read-only mount, another user's), the session is read from a private temporary copy and edits are refused.
pub struct StoredSession {
    /// The session folder.
    pub(super) dir: PathBuf,
    /// The session record (from `session.json`, or the database's copy when that is unreadable).
    pub(super) record: SessionRecord,
    pub(super) db: sled::Db,
    /// Schema version of the session's database (decides how observations are decoded).
    pub(super) version: u32,
    /// The temporary copy read instead of a read-only store's database (dropped after `db`).
    pub(super) copy: Option<TempCopy>,
}

impl StoredSession {
    pub(in crate::store) fn open(dir: &Path, id: &str) -> Result<StoredSession> {
        let stored = layout::load_record(dir);
        if let Ok(r) = &stored {
            if r.schema_version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema { dir: dir.to_path_buf(), version: r.schema_version });
            }
            if r.status == SessionStatus::Running && layout::recorder_alive(dir, r.pid) {
                let then = "it can be opened once it ends";
                return Err(StoreError::BeingRecorded { id: id.to_string(), pid: r.pid, then });
            }
        }
        if let Some(reason) = layout::damaged_reason(dir) {
            return Err(StoreError::Damaged { reason });
        }
        // sled would create a database in an empty or junk folder: a read opens only one that exists.
        if !layout::has_database(dir) {
            return Err(StoreError::Damaged { reason: layout::no_database_reason(dir) });
        }
        // Another reader (an export, a report) may hold the database for a moment: wait for it a little. A
        // session being recorded was refused above; one open in a review stays refused after the wait.
        let mut opened = open_db_at(&dir.join(DB_DIR), READ_CACHE_BYTES);
        let deadline = Instant::now() + READER_WAIT;
        while matches!(&opened, Err(e) if is_locked(e)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            opened = open_db_at(&dir.join(DB_DIR), READ_CACHE_BYTES);
        }
        let (db, copy) = match opened {
            Ok(db) => (db, None),
            Err(e) if is_read_only(&e) => {
                let copy = TempCopy::of(&dir.join(DB_DIR))?;
                let db = open_db_at(&copy.0.join(DB_DIR), READ_CACHE_BYTES).map_err(|e| db_error(dir, e.into()))?;
                (db, Some(copy))
            }
            Err(_) => (open_db(dir, READ_CACHE_BYTES)?, None),
        };
        let record = layout::load_or_damaged(dir, id);
        let mut reader = StoredSession { dir: dir.to_path_buf(), record, db, version: 0, copy };
        reader.check_and_recount(stored).map_err(|e| db_error(dir, e))?;
        Ok(reader)
    }
    /// Runs a read, turning a database failure into one line naming the session (a corrupt database marks
    /// the session damaged).
    fn guard<T>(&self, read: impl FnOnce() -> anyhow::Result<T>) -> Result<T> {
        in_session(&self.dir, read)
    }

    /// The store schema version the session's database was written with.
    pub fn schema_version(&self) -> u32 {
        self.version
    }

    /// Where a recording of this session would go on from: the frame after the last stored one, and the track id
    /// after the highest stored.
    ///
    /// Errors: the database cannot be read.
    pub fn resume_point(&self) -> Result<super::ResumePoint> {
        self.guard(|| {
            let last = match self.db.open_tree(trees::FRAMES)?.last()? {
                Some((_, v)) => Some(postcard::from_bytes::<FrameRecord>(&v)?),
                None => None,
            };
            let mut max_id = 0u32;
            for k in self.db.open_tree(trees::TRACKS)?.iter().keys() {
                if let Ok(b) = <[u8; 4]>::try_from(k?.as_ref()) {
                    max_id = max_id.max(u32::from_be_bytes(b));
                }
            }
            Ok(super::ResumePoint {
                next_frame: last.as_ref().map_or(0, |f| f.frame_index + 1),
                last_ms: last.map_or(0, |f| f.timestamp_ms),
                next_track_id: max_id + 1,
            })
        })
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
        self.guard(|| {
            self.db.open_tree(trees::TRACKS)?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
        })
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
        self.observations_iter()?.collect()
    }

    /// Calls `f` with every observation in frame order (then track id), one at a time (a long session's
    /// observations need not fit in memory).
    ///
    /// Errors: a damaged record.
    pub fn for_each_observation(&self, mut f: impl FnMut(&Observation)) -> Result<()> {
        self.guard(|| {
            self.scan_observations(0, |o| {
                f(&o);
                ControlFlow::Continue(())
            })
        })
    }

    /// Every observation in frame order (then track id), with its stored track id, read from the database one at a
    /// time as the iterator is advanced: memory stays flat however long the session (the exports stream through
    /// it). The iterator holds its own handle on the database.
    ///
    /// Errors: the observations cannot be opened; an item is an error for a damaged record (naming the session).
    pub fn observations_iter(&self) -> Result<impl Iterator<Item = Result<Observation>> + Send + 'static> {
        let (dir, version) = (self.dir.clone(), self.version);
        let tree = self.guard(|| Ok(self.db.open_tree(trees::OBSERVATIONS)?))?;
        Ok(InFrameOrder::new(tree, 0, version).map(move |o| in_session(&dir, || o)))
    }

    /// Every processed frame in order, read one at a time as the iterator is advanced (see
    /// [`StoredSession::observations_iter`]).
    ///
    /// Errors: the frames cannot be opened; an item is an error for a damaged record (naming the session).
    pub fn frames_iter(&self) -> Result<impl Iterator<Item = Result<FrameRecord>> + Send + 'static> {
        let dir = self.dir.clone();
        let values = self.guard(|| Ok(self.db.open_tree(trees::FRAMES)?.iter().values()))?;
        Ok(values.map(move |v| in_session(&dir, || Ok(postcard::from_bytes(&v?)?))))
    }

    /// The processed frames and observations with timestamps in `[start_ms, end_ms)`, read by key range (fast on
    /// a long session: it starts at the first frame of `start_ms`'s second).
    ///
    /// Errors: a damaged record.
    pub fn window(&self, start_ms: u64, end_ms: u64) -> Result<(Vec<FrameRecord>, Vec<Observation>)> {
        self.guard(|| {
            let second = (start_ms / SECOND_MS) as u32;
            let first = match self.db.open_tree(trees::TIMELINE)?.range(second.to_be_bytes()..).values().next() {
                Some(v) => postcard::from_bytes::<Bucket>(&v?)?.first_frame.unwrap_or(0),
                None => return Ok((Vec::new(), Vec::new())),
            };
            let mut frames = Vec::new();
            for v in self.db.open_tree(trees::FRAMES)?.range(first.to_be_bytes()..).values() {
                let f: FrameRecord = postcard::from_bytes(&v?)?;
                if f.timestamp_ms >= end_ms {
                    break;
                }
                if f.timestamp_ms >= start_ms {
                    frames.push(f);
                }
            }
            let mut observations = Vec::new();
            self.scan_observations(first, |o| {
                if o.timestamp_ms >= end_ms {
                    return ControlFlow::Break(());
                }
                if o.timestamp_ms >= start_ms {
                    observations.push(o);
                }
                ControlFlow::Continue(())
            })?;
            Ok((frames, observations))
        })
    }

    /// The one scan of the observations tree: calls `f` with each stored observation from frame `from_frame` on,
    /// in frame order (then track id), decoded for this session's schema, until `f` breaks.
    pub(super) fn scan_observations(
        &self,
        from_frame: u64,
        mut f: impl FnMut(Observation) -> ControlFlow<()>,
    ) -> anyhow::Result<()> {
        for o in InFrameOrder::new(self.db.open_tree(trees::OBSERVATIONS)?, from_frame, self.version) {
            if f(o?).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The per-second totals of the whole session, with merged tracks folded in.
    ///
    /// Errors: a damaged record.
    pub fn timeline(&self) -> Result<Timeline> {
        self.guard(|| {
            let seconds = self
                .db
                .open_tree(trees::TIMELINE)?
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
            self.db.open_tree(trees::ANNOTATIONS)?.iter().values().map(|v| Ok(serde_json::from_slice(&v?)?)).collect()
        })
    }

    /// All processed frames in order.
    ///
    /// Errors: a damaged record.
    pub fn frames(&self) -> Result<Vec<FrameRecord>> {
        self.frames_iter()?.collect()
    }
}
