//! How closely two sessions of the same video agree: what a teacher reads (per-second class shares, each face's
//! emotion second by second) from a cheaper run against an accuracy-first one (the lecture schedule against
//! `--every-frame`, one model against another).
//!
//! Definitions:
//! - **class share** of an emotion in a second: the share of that second's observations whose smoothed dominant
//!   emotion it is (as the stored timeline, review screen and report compute it, [`crate::store::timeline`]);
//! - **share difference**: the mean absolute difference of the class shares over every second either session
//!   has and all 7 classes, in `[0, 1]` (0.02 = 2 percentage points);
//! - **face-second**: one track's observations in one second; a face-second of `a` is paired with the one of `b`
//!   in the same second whose boxes overlap it most (mean IoU over the frames both observed, at least
//!   [`MATCH_IOU`]), since the two runs number their tracks independently; its emotion is the dominant class of
//!   its mean smoothed probabilities.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::detect::BBox;
use crate::pipeline::Observation;
use crate::store::timeline::SECOND_MS;

/// Least mean IoU for two face-seconds to be the same face.
pub const MATCH_IOU: f32 = 0.5;

/// How two sessions of one video agree (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Agreement {
    /// Seconds compared (those with an observation in either session).
    pub seconds: usize,
    /// Mean absolute difference of the per-second class shares over seconds and classes, `[0, 1]`.
    pub share_mean_abs_diff: f64,
    /// Largest absolute difference of one class share in one second, `[0, 1]`.
    pub share_max_abs_diff: f64,
    /// Face-seconds of the first session.
    pub face_seconds: usize,
    /// Of those, paired with a face-second of the second session.
    pub matched_face_seconds: usize,
    /// Share of the paired face-seconds whose emotion is the same in both, `[0, 1]`.
    pub dominant_agreement: f64,
}

/// One track's observations in one second: its summed smoothed probabilities and its box per frame.
#[derive(Default)]
struct FaceSecond {
    prob_sum: [f64; NUM_EMOTIONS],
    boxes: BTreeMap<u64, BBox>,
}

impl FaceSecond {
    fn emotion(&self) -> Emotion {
        let mut mean = [0f32; NUM_EMOTIONS];
        for (m, s) in mean.iter_mut().zip(&self.prob_sum) {
            *m = *s as f32;
        }
        Emotion::argmax(&mean)
    }

    /// Mean IoU over the frames both observed; 0 when they share none.
    fn overlap(&self, other: &FaceSecond) -> f32 {
        let ious: Vec<f32> = self.boxes.iter().filter_map(|(f, b)| other.boxes.get(f).map(|o| b.iou(o))).collect();
        if ious.is_empty() {
            0.0
        } else {
            ious.iter().sum::<f32>() / ious.len() as f32
        }
    }
}

/// Per second: the dominant-emotion counts of all observations, and the face-seconds by track id.
type Seconds = BTreeMap<u64, ([u64; NUM_EMOTIONS], BTreeMap<u32, FaceSecond>)>;

fn by_second(obs: &[Observation]) -> Seconds {
    let mut out: Seconds = BTreeMap::new();
    for o in obs {
        let (counts, faces) = out.entry(o.timestamp_ms / SECOND_MS).or_default();
        counts[Emotion::argmax(&o.smoothed) as usize] += 1;
        let f = faces.entry(o.track_id).or_default();
        for (s, p) in f.prob_sum.iter_mut().zip(o.smoothed) {
            *s += f64::from(p);
        }
        f.boxes.insert(o.frame_index, o.bbox);
    }
    out
}

fn shares(counts: &[u64; NUM_EMOTIONS]) -> [f64; NUM_EMOTIONS] {
    let n = counts.iter().sum::<u64>().max(1) as f64;
    counts.map(|c| c as f64 / n)
}

/// How the observations of session `a` agree with those of session `b` (the same video; see the module docs).
pub fn agreement(a: &[Observation], b: &[Observation]) -> Agreement {
    let (sa, sb) = (by_second(a), by_second(b));
    let empty = ([0u64; NUM_EMOTIONS], BTreeMap::new());
    let mut r = Agreement::default();
    let mut diff_sum = 0.0;
    let mut agree = 0usize;
    let seconds: std::collections::BTreeSet<u64> = sa.keys().chain(sb.keys()).copied().collect();
    for s in &seconds {
        let (ca, fa) = sa.get(s).unwrap_or(&empty);
        let (cb, fb) = sb.get(s).unwrap_or(&empty);
        for (x, y) in shares(ca).iter().zip(shares(cb)) {
            let d = (x - y).abs();
            diff_sum += d;
            r.share_max_abs_diff = r.share_max_abs_diff.max(d);
        }
        for face in fa.values() {
            r.face_seconds += 1;
            let best = fb
                .values()
                .map(|other| (face.overlap(other), other))
                .filter(|(iou, _)| *iou >= MATCH_IOU)
                .max_by(|x, y| x.0.total_cmp(&y.0));
            if let Some((_, other)) = best {
                r.matched_face_seconds += 1;
                agree += usize::from(face.emotion() == other.emotion());
            }
        }
    }
    r.seconds = seconds.len();
    r.share_mean_abs_diff = diff_sum / (seconds.len().max(1) * NUM_EMOTIONS) as f64;
    r.dominant_agreement = agree as f64 / r.matched_face_seconds.max(1) as f64;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(frame: u64, track: u32, x: f32, e: usize) -> Observation {
        let mut p = [0.05f32; NUM_EMOTIONS];
        p[e] = 0.7;
        Observation {
            frame_index: frame,
            timestamp_ms: frame * 100,
            track_id: track,
            bbox: BBox::new(x, 0.0, 50.0, 50.0),
            score: 0.9,
            raw: p,
            smoothed: p,
            landmarks: None,
            predicted: false,
            classified: true,
        }
    }

    #[test]
    fn identical_sessions_agree_fully_whatever_their_track_ids() {
        let a: Vec<_> = (0..20).flat_map(|f| [obs(f, 1, 0.0, 3), obs(f, 2, 200.0, 6)]).collect();
        let b: Vec<_> = (0..20).flat_map(|f| [obs(f, 7, 0.0, 3), obs(f, 9, 200.0, 6)]).collect();
        let r = agreement(&a, &b);
        assert_eq!((r.seconds, r.face_seconds, r.matched_face_seconds), (2, 4, 4));
        assert_eq!((r.share_mean_abs_diff, r.dominant_agreement), (0.0, 1.0));
    }

    #[test]
    fn a_face_read_differently_for_one_second_shows_in_both_figures() {
        let a: Vec<_> = (0..20).flat_map(|f| [obs(f, 1, 0.0, 3), obs(f, 2, 200.0, 6)]).collect();
        // In the second second, face 2 reads sad (4) instead of neutral (6).
        let b: Vec<_> =
            (0..20).flat_map(|f| [obs(f, 1, 0.0, 3), obs(f, 2, 200.0, if f >= 10 { 4 } else { 6 })]).collect();
        let r = agreement(&a, &b);
        // Second 1: neutral 0.5 vs 0, sad 0 vs 0.5: 1.0 of difference over 2 seconds x 7 classes.
        assert!((r.share_mean_abs_diff - 1.0 / 14.0).abs() < 1e-9, "{r:?}");
        assert_eq!(r.share_max_abs_diff, 0.5);
        assert_eq!(r.dominant_agreement, 0.75);
        // A face only one session saw is not paired.
        let c: Vec<_> = (0..20).map(|f| obs(f, 1, 0.0, 3)).collect();
        let r = agreement(&a, &c);
        assert_eq!((r.face_seconds, r.matched_face_seconds), (4, 2));
    }
}
