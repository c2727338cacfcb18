//! Repairs made when a session is opened: its schema is checked, a session whose recorder ended without
//! finishing (killed, or stopped by a full disk) is recounted, and per-second totals the recorder did not store
//! are rebuilt from the observations, and a session recorded before its class shares were kept gets them (from its
//! per-second totals). The only writes a [`StoredSession`] makes besides the reviewer's edits.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use anyhow::Context;

use super::{class_shares, store_bucket, u64_value, StoredSession};
use crate::store::error::StoreError;
use crate::store::layout::RESERVE_FILE;
use crate::store::record::{FrameRecord, SessionRecord, SessionStatus, TrackRecord};
use crate::store::timeline::{Bucket, SECOND_MS};
use crate::store::trees;
use crate::store::{MIN_SCHEMA_VERSION, SCHEMA_VERSION};

impl StoredSession {
    /// Checks the database's schema, falls back to the record inside the database when `session.json` is
    /// unreadable, recounts a session whose recorder ended without finishing (killed) or that failed, and
    /// rebuilds missing per-second totals.
    pub(super) fn check_and_recount(
        &mut self,
        stored: std::result::Result<SessionRecord, String>,
    ) -> anyhow::Result<()> {
        let dir = self.dir.clone();
        let meta = self.db.open_tree(trees::META)?;
        let version = meta
            .get(trees::SCHEMA_VERSION_KEY)?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| StoreError::Damaged {
                reason: format!("{}: session database has no schema version", dir.display()),
            })?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { dir, version }.into());
        }
        if version < MIN_SCHEMA_VERSION {
            return Err(StoreError::OldSchema { dir, version }.into());
        }
        self.version = version;
        let lost = !self.record.is_known();
        if lost {
            // `session.json` is lost or garbled: fall back to the copy inside the database.
            let bytes = meta
                .get(trees::SESSION_KEY)?
                .ok_or_else(|| StoreError::Damaged { reason: format!("{}: session record missing", dir.display()) })?;
            self.record = serde_json::from_slice(&bytes)?;
        }
        let status = match &stored {
            Ok(r) => Some(r.status),
            Err(_) if lost => Some(self.record.status),
            Err(_) => None,
        };
        if matches!(status, Some(SessionStatus::Running | SessionStatus::Failed)) {
            self.recount()?;
        } else if lost && self.copy.is_none() {
            // Rewrite the lost `session.json` from the database's copy, so that it lists as it is again.
            self.save_record()?;
        }
        self.catch_up_timeline().with_context(|| format!("{}: rebuilding the timeline", dir.display()))?;
        if self.record.emotion_shares.is_none()
            || matches!(status, Some(SessionStatus::Running | SessionStatus::Failed))
        {
            // Recorded before the shares were kept, or recounted: the shares from the (rebuilt) timeline.
            self.record.emotion_shares = Some(class_shares(&self.db.open_tree(trees::TIMELINE)?)?);
            if self.copy.is_none() {
                self.save_record()?;
            }
        }
        Ok(())
    }

    /// Counts frames, observations and tracks from what is stored, for a session whose recorder could not
    /// write its last counts (killed, or stopped by a full disk), and stores the corrected record ("running"
    /// becomes "interrupted").
    fn recount(&mut self) -> anyhow::Result<()> {
        let (mut frames, mut with_faces, mut last_ms) = (0u64, 0u64, 0u64);
        for v in self.db.open_tree(trees::FRAMES)?.iter().values() {
            let f: FrameRecord = postcard::from_bytes(&v?)?;
            frames += 1;
            // A face observed (a confirmed one, or the latest detection found one: a face not yet confirmed).
            with_faces += (f.faces > 0 || f.detections > 0) as u64;
            last_ms = last_ms.max(f.timestamp_ms);
        }
        let mut tracks: BTreeMap<u32, TrackRecord> =
            self.tracks()?.into_iter().map(|t| (t.id, TrackRecord { observations: 0, ..t })).collect();
        let mut observations = 0u64;
        self.scan_observations(0, |o| {
            observations += 1;
            let t = tracks.entry(o.track_id).or_insert_with(|| TrackRecord::new(o.track_id, o.timestamp_ms));
            if t.observations == 0 {
                t.first_ms = o.timestamp_ms;
            }
            t.last_ms = o.timestamp_ms;
            t.observations += 1;
            ControlFlow::Continue(())
        })?;
        let tree = self.db.open_tree(trees::TRACKS)?;
        for t in tracks.values().filter(|t| t.observations > 0) {
            tree.insert(t.id.to_be_bytes(), serde_json::to_vec(t)?)?;
        }
        let r = &mut self.record;
        r.frames = frames;
        r.frames_with_faces = with_faces;
        r.observations = observations;
        r.tracks = tracks.values().filter(|t| t.observations > 0).count() as u32;
        r.duration_ms = last_ms;
        if r.status == SessionStatus::Running {
            r.status = SessionStatus::Interrupted;
            r.error.get_or_insert_with(|| "the recording process ended without finishing".into());
        }
        let _ = std::fs::remove_file(self.dir.join(RESERVE_FILE));
        if self.copy.is_none() {
            self.save_record()?;
        }
        Ok(())
    }

    /// Stores per-second totals for frames the recorder did not cover (it was killed mid-second, or the
    /// session predates the timeline).
    fn catch_up_timeline(&self) -> anyhow::Result<()> {
        let meta = self.db.open_tree(trees::META)?;
        let covered = u64_value(meta.get(trees::TIMELINE_LAST_FRAME)?);
        let frames = self.db.open_tree(trees::FRAMES)?;
        let Some((last_key, _)) = frames.last()? else { return Ok(()) };
        let last = u64_value(Some(last_key)).unwrap_or(0);
        if covered.is_some_and(|c| c >= last) {
            return Ok(());
        }
        let from = covered.map_or(0, |c| c + 1);
        let mut seconds: BTreeMap<u32, Bucket> = BTreeMap::new();
        for v in frames.range(from.to_be_bytes()..).values() {
            let f: FrameRecord = postcard::from_bytes(&v?)?;
            seconds.entry((f.timestamp_ms / SECOND_MS) as u32).or_default().add_frame(f.frame_index);
        }
        self.scan_observations(from, |o| {
            seconds.entry((o.timestamp_ms / SECOND_MS) as u32).or_default().add_observation(o.track_id, &o.smoothed);
            ControlFlow::Continue(())
        })?;
        let tree = self.db.open_tree(trees::TIMELINE)?;
        for (second, bucket) in &seconds {
            store_bucket(&tree, *second, bucket)?;
        }
        meta.insert(trees::TIMELINE_LAST_FRAME, &last.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }
}
