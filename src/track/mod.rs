//! Multi-face tracking: detections in, stable track ids out, and boxes predicted between detections.
//!
//! Each track carries a constant-velocity Kalman filter on its box ([`kalman::BoxFilter`]). On a frame with
//! detections ([`Tracker::update`]) the tracks are matched to them in two stages, as ByteTrack does (Zhang et al.,
//! "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022):
//! 1. every track against the **high-score** detections (score at least [`Tracker::new`]'s `high_score`), by
//!    IoU between the track's predicted box and the detection, optimal assignment with the Hungarian algorithm
//!    (Kuhn-Munkres, `pathfinding` crate), accepted at [`TrackerConfig::iou_threshold`];
//! 2. the tracks still unmatched against the **low-score** detections (a face half turned away or partly
//!    hidden), accepted at the stricter [`TrackerConfig::low_iou_threshold`]. Low-score detections never start a
//!    track.
//!
//! Hysteresis on both ends keeps ids stable:
//! - birth: a new face is tentative until it has been matched [`TrackerConfig::min_hits`] times, then it is
//!   confirmed and gets the next id (1, 2, ...); [`TrackedFace::newly_confirmed`] marks that frame so that the
//!   tentative frames can be stored too;
//! - death: a track survives missed detections until it has not been matched for [`TrackerConfig::max_age_s`]
//!   seconds, so brief misses and occlusions do not make a new id. A missed confirmed track is reported with its
//!   predicted box for [`TrackerConfig::coast_s`] seconds, then hidden until it is matched again or ends.
//!
//! Between detections (a detection schedule), [`Tracker::predict`] reports every tracked face at the frame's time
//! with its box extrapolated by the filter, marked `predicted`.

pub mod kalman;

use pathfinding::prelude::{kuhn_munkres, Matrix};
use serde::{Deserialize, Serialize};

use crate::detect::{BBox, Detection, Landmarks};
use crate::fmt::secs_to_ms;
use kalman::BoxFilter;

/// Tracker settings (the `[track]` table of the configuration).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Minimum IoU, in `[0, 1]`, between a track's predicted box and a high-score detection for them to match.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub iou_threshold: f32,
    /// Minimum IoU, in `[0, 1]`, for the second association with low-score detections.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub low_iou_threshold: f32,
    /// Matched detections needed before a new face is confirmed and given an id (>= 1).
    pub min_hits: u32,
    /// Seconds a track may go unmatched before it ends.
    pub max_age_s: f64,
    /// Seconds a missed confirmed track is still reported with its predicted box.
    pub coast_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self { iou_threshold: 0.3, low_iou_threshold: 0.5, min_hits: 2, max_age_s: 1.0, coast_s: 0.3 }
    }
}

impl TrackerConfig {
    /// Errors: a value out of range (one line naming the key and the allowed range).
    pub fn validate(&self) -> anyhow::Result<()> {
        for (key, v) in [("iou_threshold", self.iou_threshold), ("low_iou_threshold", self.low_iou_threshold)] {
            anyhow::ensure!((0.0..=1.0).contains(&v), "track.{key} must be in [0, 1], got {v}");
        }
        for (key, v) in [("max_age_s", self.max_age_s), ("coast_s", self.coast_s)] {
            anyhow::ensure!(v.is_finite() && v >= 0.0, "track.{key} must be a number of seconds >= 0, got {v}");
        }
        anyhow::ensure!(self.min_hits >= 1, "track.min_hits must be at least 1, got {}", self.min_hits);
        Ok(())
    }
}

/// A face in one frame, as the tracker reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedFace {
    /// Internal key of the track, unique for the tracker's life, also while tentative (for per-track state such as
    /// smoothing that starts before confirmation).
    pub key: u64,
    /// Stable id of a confirmed track (1, 2, ... in order of confirmation); `None` while tentative.
    pub track_id: Option<u32>,
    /// The box in this frame, pixels of the source frame: detected, or predicted by the motion model.
    pub bbox: BBox,
    /// Detector score of the matched detection (of the last one for a predicted box).
    pub score: f32,
    /// Landmarks of the matched detection; for a predicted box, the last detected ones moved with the box.
    pub landmarks: Option<Landmarks>,
    /// The box was predicted (no detection matched this face in this frame).
    pub predicted: bool,
    /// The track was confirmed in this very frame (its tentative frames can now be stored under its id).
    pub newly_confirmed: bool,
}

#[derive(Clone, Debug)]
struct Track {
    key: u64,
    /// 0 while tentative.
    id: u32,
    filter: BoxFilter,
    /// Last detected box, its time, score and landmarks.
    last_box: BBox,
    last_seen_ms: u64,
    score: f32,
    landmarks: Option<Landmarks>,
    hits: u32,
    /// The track has been reported with its id (so the next report is not "newly confirmed").
    announced: bool,
}

impl Track {
    /// Reports the track at `t_ms` (see [`Track::face_at`]), marking the first report of a confirmed track as
    /// [`TrackedFace::newly_confirmed`].
    fn report(&mut self, t_ms: u64, predicted: bool) -> TrackedFace {
        let mut f = self.face_at(t_ms, predicted);
        f.newly_confirmed = self.id != 0 && !self.announced;
        self.announced |= self.id != 0;
        f
    }

    /// The face at `t_ms`: predicted box, landmarks moved by the box's displacement and scaled with its size.
    fn face_at(&self, t_ms: u64, predicted: bool) -> TrackedFace {
        let bbox = if predicted { self.filter.predict_box(t_ms) } else { self.last_box };
        let landmarks = self.landmarks.map(|lm| {
            let (sx, sy) = (bbox.w / self.last_box.w.max(1.0), bbox.h / self.last_box.h.max(1.0));
            lm.map(|[x, y]| [bbox.x + (x - self.last_box.x) * sx, bbox.y + (y - self.last_box.y) * sy])
        });
        TrackedFace {
            key: self.key,
            track_id: (self.id != 0).then_some(self.id),
            bbox,
            score: self.score,
            landmarks,
            predicted,
            newly_confirmed: false,
        }
    }
}

/// How sure the tracker is of its boxes, as of its last detection: what an adaptive detection schedule reads
/// ([`crate::pipeline::schedule`]). The default is an empty tracker's: no track, nothing drifted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackHealth {
    /// Tracks not yet confirmed (a face seen once: the next detection confirms or drops it).
    pub tentative: usize,
    /// Confirmed tracks matched at the last detection.
    pub matched: usize,
    /// Confirmed tracks missed at the last detection but still alive (shown with predicted boxes or kept).
    pub coasting: usize,
    /// Lowest IoU, in `[0, 1]`, between a matched track's predicted box and its detection at the last detection
    /// (1 when nothing was matched): how far the motion model had drifted.
    pub worst_match_iou: f32,
    /// Fastest confirmed track, box sides per second (centre speed over the box's height).
    pub fastest_sides_per_s: f32,
}

impl Default for TrackHealth {
    fn default() -> Self {
        TrackHealth { tentative: 0, matched: 0, coasting: 0, worst_match_iou: 1.0, fastest_sides_per_s: 0.0 }
    }
}

/// Assigns stable ids to faces across frames. Feed detections in timestamp order.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackerConfig,
    high_score: f32,
    tracks: Vec<Track>,
    next_id: u32,
    next_key: u64,
    /// Lowest IoU of a stage-1 match at the last update.
    worst_match_iou: f32,
}

/// IoU is scaled to integers for the assignment solver (which needs an exact `Ord` weight).
const IOU_SCALE: f32 = 1_000_000.0;

impl Tracker {
    /// A tracker with no tracks. Detections scoring at least `high_score` can start tracks (stage 1), the others
    /// only extend existing ones (stage 2). `min_hits` below 1 is treated as 1.
    pub fn new(mut cfg: TrackerConfig, high_score: f32) -> Self {
        cfg.min_hits = cfg.min_hits.max(1);
        Self { cfg, high_score, tracks: Vec::new(), next_id: 1, next_key: 1, worst_match_iou: 1.0 }
    }

    /// A tracker whose first confirmed track gets id `first_id` (a resumed session continues its numbering).
    pub fn starting_at(cfg: TrackerConfig, high_score: f32, first_id: u32) -> Self {
        Self { next_id: first_id.max(1), ..Self::new(cfg, high_score) }
    }

    /// How sure the tracker is of its boxes, as of the last [`Tracker::update`].
    pub fn health(&self) -> TrackHealth {
        let last = self.tracks.iter().map(|t| t.last_seen_ms).max().unwrap_or(0);
        let mut h = TrackHealth { worst_match_iou: self.worst_match_iou, ..TrackHealth::default() };
        for t in &self.tracks {
            match (t.id != 0, t.last_seen_ms == last) {
                (false, _) => h.tentative += 1,
                (true, true) => h.matched += 1,
                (true, false) => h.coasting += 1,
            }
            if t.id != 0 {
                let (vx, vy) = t.filter.velocity();
                let sides = vx.hypot(vy) / t.last_box.h.max(1.0);
                h.fastest_sides_per_s = h.fastest_sides_per_s.max(sides);
            }
        }
        h
    }

    /// Number of confirmed tracks created so far.
    pub fn confirmed_count(&self) -> u32 {
        self.next_id - 1
    }

    /// Ends every track (a scene cut: the next frame is unrelated to this one). Ids keep counting up.
    pub fn reset(&mut self) {
        self.tracks.clear();
    }

    /// Matches the detections of the frame at `timestamp_ms` (ms since session start; not earlier than the last
    /// update) to tracks and returns the faces of that frame, ordered by key: the matched tracks (tentative ones
    /// included, `track_id` `None`) with their detected boxes, and confirmed tracks missed for at most
    /// [`TrackerConfig::coast_s`] with their predicted boxes.
    pub fn update(&mut self, detections: &[Detection], timestamp_ms: u64) -> Vec<TrackedFace> {
        let (high, low): (Vec<usize>, Vec<usize>) =
            (0..detections.len()).partition(|&i| detections[i].score >= self.high_score);
        let predicted: Vec<BBox> = self.tracks.iter().map(|t| t.filter.predict_box(timestamp_ms)).collect();
        let all_tracks: Vec<usize> = (0..self.tracks.len()).collect();
        let first = assign(&predicted, &all_tracks, detections, &high, self.cfg.iou_threshold);
        let unmatched: Vec<usize> = all_tracks.iter().copied().filter(|t| !first.iter().any(|m| m.0 == *t)).collect();
        // Stage 2 only for tracks that already were a face (tentative ones must be confirmed by high scores).
        let unmatched_confirmed: Vec<usize> = unmatched.iter().copied().filter(|&t| self.tracks[t].id != 0).collect();
        let second = assign(&predicted, &unmatched_confirmed, detections, &low, self.cfg.low_iou_threshold);
        self.worst_match_iou = first
            .iter()
            .filter(|&&(ti, _)| self.tracks[ti].id != 0)
            .map(|&(ti, di)| predicted[ti].iou(&detections[di].bbox))
            .fold(1.0, f32::min);

        let mut out = Vec::new();
        let mut det_used = vec![false; detections.len()];
        for &(ti, di) in first.iter().chain(&second) {
            det_used[di] = true;
            let d = &detections[di];
            let t = &mut self.tracks[ti];
            t.filter.update(&d.bbox, timestamp_ms);
            t.last_box = d.bbox;
            t.last_seen_ms = timestamp_ms;
            t.score = d.score;
            t.landmarks = d.landmarks;
            t.hits += 1;
            if t.id == 0 && t.hits >= self.cfg.min_hits {
                t.id = self.next_id;
                self.next_id += 1;
            }
            out.push(t.report(timestamp_ms, false));
        }
        // Missed tracks: tentative ones end at once, confirmed ones after max_age_s.
        let max_age_ms = secs_to_ms(self.cfg.max_age_s);
        let coast_ms = secs_to_ms(self.cfg.coast_s);
        self.tracks.retain(|t| {
            let missed = timestamp_ms.saturating_sub(t.last_seen_ms);
            t.last_seen_ms == timestamp_ms || (t.id != 0 && missed <= max_age_ms)
        });
        for t in &mut self.tracks {
            let missed = timestamp_ms.saturating_sub(t.last_seen_ms);
            if t.id != 0 && t.last_seen_ms != timestamp_ms && missed <= coast_ms {
                out.push(t.report(timestamp_ms, true));
            }
        }
        // New tracks from unmatched high-score detections.
        for &di in &high {
            if det_used[di] {
                continue;
            }
            let d = &detections[di];
            let mut t = Track {
                key: self.next_key,
                id: 0,
                filter: BoxFilter::new(&d.bbox, timestamp_ms),
                last_box: d.bbox,
                last_seen_ms: timestamp_ms,
                score: d.score,
                landmarks: d.landmarks,
                hits: 1,
                announced: false,
            };
            self.next_key += 1;
            if self.cfg.min_hits <= 1 {
                t.id = self.next_id;
                self.next_id += 1;
            }
            out.push(t.report(timestamp_ms, false));
            self.tracks.push(t);
        }
        out.sort_by_key(|f| f.key);
        out
    }

    /// The faces at `timestamp_ms` with boxes predicted by their motion models (a frame on which no detection
    /// ran), ordered by key: the tracks matched at the last detection (tentative ones included, `track_id`
    /// `None`), and confirmed ones missed for at most [`TrackerConfig::coast_s`] before it. The motion state is
    /// not changed; a confirmed track reported for the first time is marked [`TrackedFace::newly_confirmed`].
    pub fn predict(&mut self, timestamp_ms: u64) -> Vec<TrackedFace> {
        let coast_ms = secs_to_ms(self.cfg.coast_s);
        let last_update = self.tracks.iter().map(|t| t.last_seen_ms).max().unwrap_or(0);
        let mut out: Vec<TrackedFace> = self
            .tracks
            .iter_mut()
            .filter(|t| last_update.saturating_sub(t.last_seen_ms) <= coast_ms)
            .map(|t| t.report(timestamp_ms, true))
            .collect();
        out.sort_by_key(|f| f.key);
        out
    }
}

/// Optimal one-to-one matching of the tracks `tracks` (indices into `predicted`) to the detections `dets`
/// (indices into `detections`), as `(track index, detection index)` pairs whose IoU reaches `threshold`.
fn assign(
    predicted: &[BBox],
    tracks: &[usize],
    detections: &[Detection],
    dets: &[usize],
    threshold: f32,
) -> Vec<(usize, usize)> {
    let (nt, nd) = (tracks.len(), dets.len());
    if nt == 0 || nd == 0 {
        return Vec::new();
    }
    // Square matrix (the solver wants rows <= columns); padding cells weigh 0.
    let n = nt.max(nd);
    let iou = |t: usize, d: usize| -> f32 {
        if t < nt && d < nd {
            predicted[tracks[t]].iou(&detections[dets[d]].bbox)
        } else {
            0.0
        }
    };
    let weights = Matrix::from_fn(n, n, |(t, d)| (iou(t, d) * IOU_SCALE) as i64);
    let (_, assignment) = kuhn_munkres(&weights);
    assignment
        .into_iter()
        .enumerate()
        .filter(|&(t, d)| t < nt && d < nd && iou(t, d) >= threshold)
        .map(|(t, d)| (tracks[t], dets[d]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x: f32, y: f32) -> Detection {
        Detection { bbox: BBox::new(x, y, 100.0, 100.0), score: 0.9, landmarks: None }
    }

    fn ids(faces: &[TrackedFace]) -> Vec<Option<u32>> {
        faces.iter().map(|f| f.track_id).collect()
    }

    #[test]
    fn a_face_is_confirmed_after_min_hits_and_keeps_its_id_through_a_missed_frame() {
        let mut t = Tracker::new(TrackerConfig::default(), 0.6);
        let f = t.update(&[det(10.0, 10.0)], 0);
        assert_eq!(ids(&f), vec![None]);
        let f = t.update(&[det(12.0, 10.0)], 40);
        assert_eq!(ids(&f), vec![Some(1)]);
        assert!(f[0].newly_confirmed && !f[0].predicted);
        // A missed frame: reported as predicted (within coast_s).
        let f = t.update(&[], 80);
        assert_eq!(ids(&f), vec![Some(1)]);
        assert!(f[0].predicted);
        let f = t.update(&[det(16.0, 11.0)], 120);
        assert_eq!(ids(&f), vec![Some(1)]);
        assert!(!f[0].predicted && !f[0].newly_confirmed);
        assert_eq!(t.confirmed_count(), 1);
    }

    #[test]
    fn two_faces_that_swap_list_order_keep_their_ids() {
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, ..Default::default() }, 0.6);
        let a = t.update(&[det(0.0, 0.0), det(300.0, 0.0)], 0);
        assert_eq!(ids(&a), vec![Some(1), Some(2)]);
        let b = t.update(&[det(305.0, 0.0), det(5.0, 0.0)], 40);
        let id_of = |x: f32| b.iter().find(|f| (f.bbox.x - x).abs() < 1.0).unwrap().track_id;
        assert_eq!(id_of(5.0), Some(1));
        assert_eq!(id_of(305.0), Some(2));
    }

    #[test]
    fn a_face_gone_longer_than_max_age_comes_back_with_a_new_id() {
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, max_age_s: 0.5, ..Default::default() }, 0.6);
        t.update(&[det(0.0, 0.0)], 0);
        assert!(t.update(&[], 1000).is_empty());
        let f = t.update(&[det(0.0, 0.0)], 1040);
        assert_eq!(ids(&f), vec![Some(2)]);
    }

    #[test]
    fn a_low_score_detection_extends_a_track_but_never_starts_one() {
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, ..Default::default() }, 0.6);
        t.update(&[det(0.0, 0.0)], 0);
        let low = |x: f32| Detection { score: 0.4, ..det(x, 0.0) };
        // The face turns away: its score drops below the high threshold; it stays track 1.
        let f = t.update(&[low(3.0), low(500.0)], 40);
        assert_eq!(ids(&f), vec![Some(1)]);
        assert!(!f[0].predicted && (f[0].bbox.x - 3.0).abs() < 1e-3);
    }

    #[test]
    fn a_moving_face_is_followed_between_sparse_detections() {
        // 100 px boxes moving 150 px/s, detected every 200 ms (30 px apart: IoU 0.54 without prediction).
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, ..Default::default() }, 0.6);
        for i in 0..10u64 {
            let x = 0.15 * (i * 200) as f32;
            let f = t.update(&[det(x, 0.0)], i * 200);
            assert_eq!(ids(&f), vec![Some(1)], "detection {i}");
        }
        // Predicted 100 ms after the last detection: about 15 px further on.
        let p = t.predict(1900);
        assert_eq!(ids(&p), vec![Some(1)]);
        assert!(p[0].predicted);
        assert!((p[0].bbox.x - 285.0).abs() < 5.0, "x {}", p[0].bbox.x);
    }

    #[test]
    fn health_says_what_the_last_detection_left_uncertain() {
        let mut t = Tracker::new(TrackerConfig::default(), 0.6);
        t.update(&[det(0.0, 0.0), det(300.0, 0.0)], 0);
        let h = t.health();
        assert_eq!((h.tentative, h.matched, h.coasting), (2, 0, 0));
        t.update(&[det(0.0, 0.0), det(300.0, 0.0)], 100);
        let h = t.health();
        assert_eq!((h.tentative, h.matched, h.coasting), (0, 2, 0));
        assert!(h.worst_match_iou > 0.99, "{h:?}");
        // One face missed, the other found 40 px off its prediction (IoU about 0.43).
        t.update(&[det(40.0, 0.0)], 200);
        let h = t.health();
        assert_eq!((h.matched, h.coasting), (1, 1), "{h:?}");
        assert!(h.worst_match_iou < 0.5, "{h:?}");
        assert!(h.fastest_sides_per_s > 0.0, "{h:?}");
    }
}
