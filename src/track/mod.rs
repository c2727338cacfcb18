//! Multi-face tracking: detections in, stable track ids out.
//!
//! Each frame, live tracks and new detections are matched by maximising the total IoU with the Hungarian
//! algorithm (Kuhn-Munkres, `pathfinding` crate); a pair is accepted when its IoU reaches
//! [`TrackerConfig::iou_threshold`]. Hysteresis on both ends keeps ids stable:
//! - birth: a new face becomes a confirmed track (and gets the next id, 1, 2, ...) after
//!   [`TrackerConfig::min_hits`] matched frames; before that it is tentative and not reported;
//! - death: a track survives missed detections until it has not been matched for
//!   [`TrackerConfig::max_age_s`] seconds, so one missed detection does not make a new id.

use pathfinding::prelude::{kuhn_munkres, Matrix};
use serde::{Deserialize, Serialize};

use crate::detect::{BBox, Detection};

/// Tracker settings (the `[track]` table of the configuration).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Minimum IoU, in `[0, 1]`, between a track's last box and a detection for them to match.
    pub iou_threshold: f32,
    /// Matched frames needed before a new face is confirmed and given an id (>= 1).
    pub min_hits: u32,
    /// Seconds a track may go unmatched before it ends.
    pub max_age_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self { iou_threshold: 0.3, min_hits: 2, max_age_s: 1.0 }
    }
}

/// A detection assigned to a confirmed track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedFace {
    /// Stable id of the track (1, 2, ... in order of confirmation).
    pub track_id: u32,
    /// The detection matched in this frame.
    pub detection: Detection,
}

#[derive(Clone, Debug)]
struct Track {
    /// 0 while tentative.
    id: u32,
    bbox: BBox,
    hits: u32,
    last_seen_ms: u64,
}

/// Assigns stable ids to faces across frames. Feed frames in timestamp order.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackerConfig,
    tracks: Vec<Track>,
    next_id: u32,
}

/// IoU is scaled to integers for the assignment solver (which needs an exact `Ord` weight).
const IOU_SCALE: f32 = 1_000_000.0;

impl Tracker {
    /// A tracker with no tracks. `min_hits` below 1 is treated as 1.
    pub fn new(mut cfg: TrackerConfig) -> Self {
        cfg.min_hits = cfg.min_hits.max(1);
        Self { cfg, tracks: Vec::new(), next_id: 1 }
    }

    /// Number of confirmed tracks created so far.
    pub fn confirmed_count(&self) -> u32 {
        self.next_id - 1
    }

    /// Matches the detections of the frame at `timestamp_ms` (ms since session start) to tracks and returns
    /// the confirmed ones, ordered by track id. Tentative faces are not returned.
    pub fn update(&mut self, detections: &[Detection], timestamp_ms: u64) -> Vec<TrackedFace> {
        let matches = self.assign(detections);
        let mut matched_det = vec![false; detections.len()];
        let mut out = Vec::new();
        for (ti, di) in matches {
            matched_det[di] = true;
            let track = &mut self.tracks[ti];
            track.bbox = detections[di].bbox;
            track.hits += 1;
            track.last_seen_ms = timestamp_ms;
            if track.id == 0 && track.hits >= self.cfg.min_hits {
                track.id = self.next_id;
                self.next_id += 1;
            }
            if track.id != 0 {
                out.push(TrackedFace { track_id: track.id, detection: detections[di] });
            }
        }
        // Tracks not seen for too long end; tentative tracks end at their first miss.
        let max_age_ms = (self.cfg.max_age_s * 1000.0) as u64;
        self.tracks.retain(|t| {
            let missed = t.last_seen_ms != timestamp_ms;
            !(missed && (t.id == 0 || timestamp_ms.saturating_sub(t.last_seen_ms) > max_age_ms))
        });
        for (di, det) in detections.iter().enumerate() {
            if matched_det[di] {
                continue;
            }
            let mut track = Track { id: 0, bbox: det.bbox, hits: 1, last_seen_ms: timestamp_ms };
            if self.cfg.min_hits <= 1 {
                track.id = self.next_id;
                self.next_id += 1;
                out.push(TrackedFace { track_id: track.id, detection: *det });
            }
            self.tracks.push(track);
        }
        out.sort_by_key(|f| f.track_id);
        out
    }

    /// Optimal one-to-one matching of existing tracks to detections, as `(track index, detection index)` pairs
    /// whose IoU reaches the threshold.
    fn assign(&self, detections: &[Detection]) -> Vec<(usize, usize)> {
        let (nt, nd) = (self.tracks.len(), detections.len());
        if nt == 0 || nd == 0 {
            return Vec::new();
        }
        // Square matrix (the solver wants rows <= columns); padding cells weigh 0.
        let n = nt.max(nd);
        let iou = |t: usize, d: usize| -> f32 {
            if t < nt && d < nd {
                self.tracks[t].bbox.iou(&detections[d].bbox)
            } else {
                0.0
            }
        };
        let weights = Matrix::from_fn(n, n, |(t, d)| (iou(t, d) * IOU_SCALE) as i64);
        let (_, assignment) = kuhn_munkres(&weights);
        assignment
            .into_iter()
            .enumerate()
            .filter(|&(t, d)| t < nt && d < nd && iou(t, d) >= self.cfg.iou_threshold)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x: f32, y: f32) -> Detection {
        Detection { bbox: BBox::new(x, y, 100.0, 100.0), score: 5.0 }
    }

    #[test]
    fn a_face_is_confirmed_after_min_hits_and_keeps_its_id_through_a_missed_frame() {
        let mut t = Tracker::new(TrackerConfig::default());
        assert!(t.update(&[det(10.0, 10.0)], 0).is_empty());
        let f = t.update(&[det(12.0, 10.0)], 40);
        assert_eq!(f[0].track_id, 1);
        assert!(t.update(&[], 80).is_empty());
        let f = t.update(&[det(16.0, 11.0)], 120);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].track_id, 1);
        assert_eq!(t.confirmed_count(), 1);
    }

    #[test]
    fn two_faces_that_swap_list_order_keep_their_ids() {
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, ..Default::default() });
        let a = t.update(&[det(0.0, 0.0), det(300.0, 0.0)], 0);
        assert_eq!(a.iter().map(|f| f.track_id).collect::<Vec<_>>(), vec![1, 2]);
        let b = t.update(&[det(305.0, 0.0), det(5.0, 0.0)], 40);
        let id_of = |x: f32| b.iter().find(|f| (f.detection.bbox.x - x).abs() < 1.0).unwrap().track_id;
        assert_eq!(id_of(5.0), 1);
        assert_eq!(id_of(305.0), 2);
    }

    #[test]
    fn a_face_gone_longer_than_max_age_comes_back_with_a_new_id() {
        let mut t = Tracker::new(TrackerConfig { min_hits: 1, max_age_s: 0.5, ..Default::default() });
        t.update(&[det(0.0, 0.0)], 0);
        t.update(&[], 1000);
        let f = t.update(&[det(0.0, 0.0)], 1040);
        assert_eq!(f[0].track_id, 2);
    }
}
