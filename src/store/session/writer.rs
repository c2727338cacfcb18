//! Recording: [`SessionWriter`] stores each processed frame, its observations and tracks, and the per-second
//! totals, while the pipeline runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

use super::{class_shares, db_error, edits, in_session, make_private, open_db, store_bucket, store_record, NewSession};
use crate::pipeline::{FrameResult, Observation};
use crate::store::error::Result;
use crate::store::layout::{take_recorder_lock, RESERVE_FILE, SESSION_JSON};
use crate::store::record::{Annotation, AnnotationKind, FrameRecord, SessionRecord, SessionStatus, TrackRecord};
use crate::store::timeline::{Bucket, SECOND_MS};
use crate::store::trees::{self, obs_key};
use crate::store::{private_dir, write_private_atomic, GROUPED_SCHEMA_VERSION, SCHEMA_VERSION};
use crate::text::clean_label;

/// Bytes of the space the recorder keeps aside ([`RESERVE_FILE`]).
const RESERVE_BYTES: usize = 256 << 10;
/// How often a running session's `session.json` is refreshed.
const SIDECAR_EVERY: Duration = Duration::from_secs(2);

/// What [`SessionWriter::join_tracks`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoJoin {
    /// The tracks are one face now.
    Joined,
    /// A track is not stored yet: try again later.
    NotYet,
    /// The stored tracks forbid it (see [`SessionWriter::join_tracks`]).
    Refused,
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
    pub(in crate::store) fn create(
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
        let db = open_db(dir, super::DB_CACHE_BYTES)?;
        let meta = db.open_tree(trees::META)?;
        meta.insert(trees::SCHEMA_VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
        let record = SessionRecord {
            schema_version: SCHEMA_VERSION,
            source: new.source,
            source_kind: Some(new.source_kind),
            decoder: new.decoder,
            models: new.models,
            detector: new.detector,
            config: new.config,
            schedule: new.schedule,
            frame_rate: new.frame_rate.filter(|f| f.is_finite() && *f > 0.0),
            pid: std::process::id(),
            ..SessionRecord::new(id, started_at, SessionStatus::Running)
        };
        let mut w = SessionWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            observations: db.open_tree(trees::OBSERVATIONS)?,
            frames: db.open_tree(trees::FRAMES)?,
            tracks_tree: db.open_tree(trees::TRACKS)?,
            timeline: db.open_tree(trees::TIMELINE)?,
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

    /// Reopens the interrupted session in `dir` (its record `record`, already repaired by a reader) to append to
    /// it: status "running" again under this process, its tracks and counts carried on.
    pub(in crate::store) fn reopen(dir: &Path, record: SessionRecord) -> Result<SessionWriter> {
        in_session(dir, || Self::reopen_in(dir, record))
    }

    fn reopen_in(dir: &Path, record: SessionRecord) -> anyhow::Result<SessionWriter> {
        let lock = take_recorder_lock(dir)?;
        let _ = std::fs::write(dir.join(RESERVE_FILE), vec![0u8; RESERVE_BYTES]);
        let db = open_db(dir, super::DB_CACHE_BYTES)?;
        let tracks_tree = db.open_tree(trees::TRACKS)?;
        let mut tracks = BTreeMap::new();
        for v in tracks_tree.iter().values() {
            let t: TrackRecord = serde_json::from_slice(&v?)?;
            tracks.insert(t.id, t);
        }
        let record = SessionRecord {
            status: SessionStatus::Running,
            error: None,
            ended_at: None,
            pid: std::process::id(),
            ..record
        };
        let mut w = SessionWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            observations: db.open_tree(trees::OBSERVATIONS)?,
            frames: db.open_tree(trees::FRAMES)?,
            tracks_tree,
            timeline: db.open_tree(trees::TIMELINE)?,
            second: None,
            db,
            record,
            tracks,
            last_sidecar: Instant::now(),
        };
        w.save_record()?;
        w.db.flush()?;
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
        self.store_observations(result)?;
        let mut new_track = false;
        for o in result.backfill.iter().chain(&result.observations) {
            let t = self.tracks.entry(o.track_id).or_insert_with(|| {
                new_track = true;
                TrackRecord::new(o.track_id, o.timestamp_ms)
            });
            t.first_ms = t.first_ms.min(o.timestamp_ms);
            t.last_ms = t.last_ms.max(o.timestamp_ms);
            t.observations += 1;
        }
        let r = &mut self.record;
        r.frames += 1;
        r.frames_with_faces += (result.faces > 0) as u64;
        r.detected_frames += result.detected as u64;
        r.frames_with_detections += (result.detected && result.detections > 0) as u64;
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

    /// Stores the frame's observations and those its confirmations bring from earlier frames: one record per frame
    /// in track order (schema 3, [`trees::OBSERVATIONS`]), or one per observation in a resumed session of an older
    /// schema, which goes on in its own.
    fn store_observations(&self, result: &FrameResult) -> anyhow::Result<()> {
        let all = result.backfill.iter().chain(&result.observations);
        if self.record.schema_version < GROUPED_SCHEMA_VERSION {
            for o in all {
                self.observations.insert(obs_key(o.frame_index, o.track_id), postcard::to_stdvec(o)?)?;
            }
            return Ok(());
        }
        let mut by_frame: BTreeMap<u64, Vec<&Observation>> = BTreeMap::new();
        for o in all {
            by_frame.entry(o.frame_index).or_default().push(o);
        }
        for (frame, mut group) in by_frame {
            group.sort_by_key(|o| o.track_id);
            self.observations.insert(obs_key(frame, group[0].track_id), postcard::to_stdvec(&group)?)?;
        }
        Ok(())
    }

    /// Sets the times the source was lost and back (a network stream's [`crate::capture::rtsp::LinkState`]); saved
    /// with the record (within seconds, and at the end).
    pub fn set_source_gaps(&mut self, gaps: &[crate::capture::rtsp::SourceGap]) {
        if self.record.source_gaps != gaps {
            self.record.source_gaps = gaps.to_vec();
        }
    }

    /// Sets the frames the source left out as unreadable ([`crate::capture::skipped`]); saved with the record
    /// (within seconds, and at the end).
    pub fn set_skipped(&mut self, skipped: &crate::capture::skipped::Skipped) {
        if &self.record.skipped != skipped {
            self.record.skipped = skipped.clone();
        }
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
        let a = in_session(&self.dir, || {
            edits::annotate(&self.db, &mut self.record, kind, start_ms, end_ms, label, track_id)
        })?;
        self.save_record().map_err(|e| db_error(&self.dir, e))?;
        Ok(a)
    }

    /// Stores the totals of the second being filled (merging with what is stored for it).
    fn store_second(&mut self) -> anyhow::Result<()> {
        if let Some((second, bucket, last)) = self.second.take() {
            store_bucket(&self.timeline, second, &bucket)?;
            self.db.open_tree(trees::META)?.insert(trees::TIMELINE_LAST_FRAME, &last.to_be_bytes())?;
        }
        Ok(())
    }

    /// Names a track ("P07"); stored and flushed at once. A track not yet stored is created.
    ///
    /// Errors: the database cannot be written.
    pub fn name_track(&mut self, track_id: u32, name: &str) -> Result<()> {
        let t = self.tracks.entry(track_id).or_insert_with(|| TrackRecord::new(track_id, 0));
        let name = clean_label(name);
        t.name = (!name.is_empty()).then_some(name);
        let tree = &self.tracks_tree;
        in_session(&self.dir, || {
            tree.insert(track_id.to_be_bytes(), serde_json::to_vec(t)?)?;
            tree.flush()?;
            Ok(())
        })
    }

    /// Joins track `from` to the earlier face whose first track is `into`, as re-identification decided at
    /// descriptor distance `distance` (issue 21): `from` is merged into `into` as review merges, marked automatic
    /// with its distance, and the record's count of merged tracks is updated; saved at once.
    ///
    /// Returns [`AutoJoin::NotYet`] while either track has no stored observation yet (the recorder is behind the
    /// decision: try again after the next frame), [`AutoJoin::Refused`] when the stored tracks say no: `from` is
    /// already merged, `into` is merged into another, or a track of one face was seen at the same time as a track
    /// of the other (two people).
    ///
    /// Errors: the database cannot be written.
    pub fn join_tracks(&mut self, from: u32, into: u32, distance: f32) -> Result<AutoJoin> {
        let (Some(a), Some(b)) = (self.tracks.get(&from), self.tracks.get(&into)) else {
            return Ok(AutoJoin::NotYet);
        };
        if from == into || a.merged_into.is_some() || b.merged_into.is_some() {
            return Ok(AutoJoin::Refused);
        }
        let span = |root: u32| -> Vec<(u64, u64)> {
            self.tracks
                .values()
                .filter(|t| t.id == root || t.merged_into == Some(root))
                .map(|t| (t.first_ms, t.last_ms))
                .collect()
        };
        for (a0, a1) in span(from) {
            for (b0, b1) in span(into) {
                if !(a1 < b0 || b1 < a0) {
                    return Ok(AutoJoin::Refused);
                }
            }
        }
        if let Some(t) = self.tracks.get_mut(&from) {
            t.merged_into = Some(into);
            t.auto_merge_distance = Some(distance);
        }
        self.record.merged_tracks = self.tracks.values().filter(|t| t.merged_into.is_some()).count() as u32;
        self.save_record()
            .and_then(|_| Ok(self.tracks_tree.flush().map(|_| ())?))
            .map_err(|e| db_error(&self.dir, e))?;
        Ok(AutoJoin::Joined)
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
        let written = self
            .store_second()
            .and_then(|_| {
                self.record.emotion_shares = Some(class_shares(&self.timeline)?);
                Ok(())
            })
            .and_then(|_| self.save_record())
            .and_then(|_| {
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
            match open_db(&dir, super::DB_CACHE_BYTES) {
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
