//! Stage 3: emotion classification of the tracked faces (all of a frame's faces in one batched call), smoothing,
//! statistics, and the [`FrameResult`] of each frame.
//!
//! Which faces are classified on a frame ([`ClassifyBudget`]):
//! - files, lecture schedule: each face at a fixed rate of video time (10 per second by default): on the frame
//!   nearest each of its due times `t0, t0 + 1/hz, t0 + 2/hz, ...` (from its first classification; restarted
//!   after a gap), so its mean rate is the rate whatever the frame rate (at 24 FPS, 10 per second alternates 2 and
//!   3 frames apart). On a frame where its box was detected (not predicted) a face is taken up to half a period
//!   early: crops from detected boxes and landmarks read closer to `--every-frame` (on the 1080p classroom clip,
//!   mean class-share difference 2.26 -> 2.14 pp, face-seconds agreeing 88.6 -> 90.3%). It depends on the frames
//!   only, so a run is the same on any machine;
//! - files with `--every-frame`: every face on every frame;
//! - live sources: every face whose latest classification would be older than the rate floor allows by the next
//!   frame ([`ClassifyBudget::Live::min_rate_hz`], 10 per second by default) must be classified; the others are,
//!   stalest first, while the measured cost of a face fits the frame's time budget. A face not classified on a
//!   frame still gets an observation (its box), marked `classified: false`, repeating its latest probabilities.
//!
//! A new face is classified from its first (tentative) frame; when the tracker confirms it, those first
//! observations are emitted under its new id in [`FrameResult::backfill`], so no face loses its first frames.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::latest::LatestSlot;
use super::reid_stage::ReidFeed;
use super::stats::StatsTracker;
use super::{FrameResult, InFlight, Observation};
use crate::classify::preprocess::face_input;
use crate::classify::smoothing::Smoother;
use crate::classify::{Classifier, Probs};

/// How many faces a frame may classify.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClassifyBudget {
    /// Every face on every frame (files with `--every-frame`: accuracy first).
    All,
    /// Each face `hz` times per second of video, on the frame nearest each due time (files: the lecture schedule).
    Rate {
        /// Classifications per second of video per face.
        hz: f64,
        /// Nominal frame rate of the source, frames per second.
        fps: f64,
    },
    /// Live: each face at least `min_rate_hz` times per second; more while their CPU cost fits `share` of the
    /// frame interval (`1000 / fps` ms) of one core.
    Live {
        /// Minimum classifications per second per face.
        min_rate_hz: f64,
        /// Nominal frame rate of the source, frames per second.
        fps: f64,
        /// Share of the frame interval (CPU time of one core) this stage may spend classifying, in `(0, 1]`.
        share: f64,
    },
}

/// At most this many tentative observations are kept per face until it is confirmed.
const MAX_PENDING: usize = 30;
/// Per-face state is forgotten this long (source time) after the face was last seen.
const FORGET_MS: u64 = 10_000;

/// What the stage remembers of one face (tentative or confirmed), by tracker key.
struct FaceState {
    smoother: Smoother,
    /// Latest classification: raw and smoothed probabilities, and its time.
    latest: Option<(Probs, Probs, u64)>,
    /// Observations made while the face was tentative (track id 0), until it is confirmed.
    pending: Vec<Observation>,
    /// [`ClassifyBudget::Rate`]: when the face is next due, ms of video.
    next_due_ms: Option<u64>,
    last_seen_ms: u64,
}

/// The classification stage's settings and shared counters.
pub struct ClassifyStage {
    /// The networks.
    pub classifier: Classifier,
    /// Which faces to classify.
    pub budget: ClassifyBudget,
    /// Half-life of per-face smoothing, seconds.
    pub half_life_s: f64,
    /// Attach each frame's pixels to its result (preview).
    pub keep_images: bool,
    /// Window of the FPS and latency figures, seconds.
    pub stats_window_s: f64,
    /// When the pipeline started.
    pub start: Instant,
    /// Frames read by the capture stage so far.
    pub frames_in: Arc<AtomicU64>,
    /// The live handoff, whose replaced frames are the drops.
    pub slot: Option<Arc<LatestSlot<InFlight>>>,
    /// Re-identification: the confirmed faces of each frame go to its worker (issue 21); `None` when it is off.
    pub reid: Option<ReidFeed>,
}

impl ClassifyStage {
    /// Runs until `next` returns `None`, `stop` is set or `out` returns false.
    ///
    /// Errors: a tensor operation fails in the classifier.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        mut next: impl FnMut() -> Option<InFlight>,
        mut out: impl FnMut(FrameResult) -> bool,
    ) -> anyhow::Result<()> {
        let mut faces: HashMap<u64, FaceState> = HashMap::new();
        let mut stats = StatsTracker::new(self.start, self.stats_window_s);
        // Measured CPU cost of one face, ms (exponential average), for the live budget.
        let mut ms_per_face = 3.0f64;
        while let Some(item) = next() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if item.scene_start {
                faces.clear(); // smoothing restarts with the scene
            }
            let ts = item.timestamp_ms;
            for f in &item.faces {
                faces
                    .entry(f.key)
                    .or_insert_with(|| FaceState {
                        smoother: Smoother::new(self.half_life_s),
                        latest: None,
                        pending: Vec::new(),
                        next_due_ms: None,
                        last_seen_ms: ts,
                    })
                    .last_seen_ms = ts;
            }
            let chosen = self.choose(&item, &faces, ms_per_face);
            let inputs: Vec<_> = chosen
                .iter()
                .map(|&i| {
                    let f = &item.faces[i];
                    face_input(&item.gray, &f.bbox, f.landmarks.as_ref())
                })
                .collect();
            let t0 = Instant::now();
            let probs = self.classifier.predict(&inputs)?;
            if !inputs.is_empty() {
                // CPU time per face: the classifier's workers share a call's faces and run at the same time.
                let busy = self.classifier.threads().min(inputs.len()) as f64;
                let per = t0.elapsed().as_secs_f64() * 1000.0 * busy / inputs.len() as f64;
                ms_per_face = 0.9 * ms_per_face + 0.1 * per;
            }
            for (&i, raw) in chosen.iter().zip(probs) {
                let st = faces.get_mut(&item.faces[i].key).expect("state made above");
                let smoothed = st.smoother.update(&raw, ts);
                st.latest = Some((raw, smoothed, ts));
                if let ClassifyBudget::Rate { hz, .. } = self.budget {
                    st.next_due_ms = Some(next_due(st.next_due_ms, ts, hz));
                }
            }
            let (mut observations, backfill) = observations(&item, &chosen, &mut faces);
            observations.sort_by_key(|o| o.track_id);
            if let Some(feed) = &mut self.reid {
                feed.frame(&item, &observations);
            }
            faces.retain(|_, st| ts.saturating_sub(st.last_seen_ms) <= FORGET_MS);

            let dropped = self.slot.as_ref().map_or(0, |s| s.dropped());
            let now = Instant::now();
            let latency_ms = now.duration_since(item.captured_at).as_secs_f64() * 1000.0;
            let st =
                stats.record(now, self.frames_in.load(Ordering::SeqCst), dropped, latency_ms, !item.faces.is_empty());
            let result = FrameResult {
                frame_index: item.index,
                timestamp_ms: ts,
                width: item.image.width(),
                height: item.image.height(),
                detections: item.detections,
                detected: item.detected,
                faces: item.faces.len(),
                latency_ms,
                observations,
                backfill,
                stats: st,
                image: self.keep_images.then(|| item.image.clone()),
            };
            if !out(result) {
                break;
            }
        }
        if let Some(feed) = self.reid.take() {
            feed.finish();
        }
        Ok(())
    }

    /// Indices into `item.faces` of the faces to classify on this frame (see the module docs).
    fn choose(&self, item: &InFlight, faces: &HashMap<u64, FaceState>, ms_per_face: f64) -> Vec<usize> {
        let (min_rate_hz, fps, share) = match self.budget {
            ClassifyBudget::All => return (0..item.faces.len()).collect(),
            ClassifyBudget::Rate { hz, fps } => {
                // Due: never classified, or the frame nearest its due time (within half a frame of it); a face whose
                // box was detected on this frame, up to half a period early (its crop then comes from a detected box
                // and landmarks rather than predicted ones).
                let half_frame = 500.0 / fps.max(1.0);
                let half_period = 500.0 / hz.max(0.001);
                let due = |f: &crate::track::TrackedFace| {
                    let early = if f.predicted { half_frame } else { half_period.max(half_frame) };
                    faces
                        .get(&f.key)
                        .and_then(|s| s.next_due_ms)
                        .is_none_or(|at| item.timestamp_ms as f64 + early >= at as f64)
                };
                return (0..item.faces.len()).filter(|&i| due(&item.faces[i])).collect();
            }
            ClassifyBudget::Live { min_rate_hz, fps, share } => (min_rate_hz, fps, share),
        };
        let frame_ms = 1000.0 / fps.max(1.0);
        let n = item.faces.len();
        let age = |i: usize| -> f64 {
            match faces.get(&item.faces[i].key).and_then(|s| s.latest) {
                Some((_, _, at)) => item.timestamp_ms.saturating_sub(at) as f64,
                None => f64::INFINITY,
            }
        };
        // Stalest first (never classified first of all). Taking the floor's average share on every frame spreads
        // the faces evenly over frames instead of classifying them all at once every 100 ms; faces that are due
        // anyway (jitter) are added.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| age(b).total_cmp(&age(a)));
        let per_frame = (n as f64 * min_rate_hz.max(0.1) / fps.max(1.0)).ceil() as usize;
        // Due now: a face whose age would pass the period on the next frame (half a frame of margin, since frame
        // times are whole milliseconds: at 30 FPS a face last classified 3 frames ago may be 99 ms old, and waiting
        // one more frame would make its interval 133 ms).
        let due_ms = 1000.0 / min_rate_hz.max(0.1) - frame_ms / 2.0;
        let overdue = order.iter().filter(|&&i| age(i) >= due_ms).count();
        let affordable = ((frame_ms * share) / ms_per_face.max(0.01)).floor() as usize;
        order.truncate(per_frame.max(overdue).max(affordable));
        order.sort_unstable();
        order
    }
}

/// [`ClassifyBudget::Rate`]: a face classified at `ts` (ms of video) that was due at `due` is next due one period
/// (`1000 / hz` ms) after that due time, so that its mean rate is `hz`; a face classified for the first time, or
/// after a gap of more than a period (out of view), one period after `ts`.
fn next_due(due: Option<u64>, ts: u64, hz: f64) -> u64 {
    let period = (1000.0 / hz.max(0.001)).round().max(1.0) as u64;
    match due {
        Some(d) if ts < d + period => d + period,
        _ => ts + period,
    }
}

/// The observations of `item`'s confirmed faces (sorted by the caller), and the backfill of faces confirmed on this
/// frame: the observations they made while tentative, under their new track id. A tentative face's observation is
/// kept in its [`FaceState::pending`] (at most [`MAX_PENDING`]); a face never classified yet has none.
/// `chosen` are the indices into `item.faces` classified on this frame.
fn observations(
    item: &InFlight,
    chosen: &[usize],
    faces: &mut HashMap<u64, FaceState>,
) -> (Vec<Observation>, Vec<Observation>) {
    let ts = item.timestamp_ms;
    let mut observations = Vec::new();
    let mut backfill = Vec::new();
    for (i, f) in item.faces.iter().enumerate() {
        let st = faces.get_mut(&f.key).expect("state made for every face of the frame");
        let Some((raw, smoothed, at)) = st.latest else { continue };
        let o = Observation {
            frame_index: item.index,
            timestamp_ms: ts,
            track_id: f.track_id.unwrap_or(0),
            bbox: f.bbox,
            score: f.score,
            raw,
            smoothed,
            landmarks: f.landmarks,
            predicted: f.predicted,
            classified: at == ts && chosen.contains(&i),
        };
        match f.track_id {
            None => {
                if st.pending.len() < MAX_PENDING {
                    st.pending.push(o);
                }
            }
            Some(id) => {
                if f.newly_confirmed {
                    backfill.extend(st.pending.drain(..).map(|p| Observation { track_id: id, ..p }));
                }
                observations.push(o);
            }
        }
    }
    (observations, backfill)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames (at `fps`) a face present all along is classified on at `hz`, over one second.
    fn classified(fps: f64, hz: f64) -> Vec<u64> {
        let mut due = None;
        let mut out = Vec::new();
        for i in 0..(fps as u64) {
            let ts = (i as f64 * 1000.0 / fps).round() as u64;
            if due.is_none_or(|d| ts as f64 + 500.0 / fps >= d as f64) {
                due = Some(next_due(due, ts, hz));
                out.push(i);
            }
        }
        out
    }

    #[test]
    fn a_face_is_classified_at_the_rate_of_video_time_whatever_the_frame_rate() {
        // 30 FPS: every 3rd frame; 24 FPS: 2 and 3 frames apart in turn (100 ms on average); 25 FPS: every 2.5.
        assert_eq!(classified(30.0, 10.0), vec![0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
        assert_eq!(classified(24.0, 10.0), vec![0, 2, 5, 7, 10, 12, 14, 17, 19, 22]);
        assert_eq!(classified(25.0, 10.0).len(), 10);
        assert_eq!(classified(60.0, 5.0).len(), 5);
        // After a gap (out of view for a second), the count restarts from the frame it is back on.
        assert_eq!(next_due(Some(1000), 2500, 10.0), 2600);
    }
}
