//! "Facing the front": whether a face is turned toward the camera, from head yaw estimated on the detector's
//! five landmarks, and presence (faces in view against the session's usual count).
//!
//! **Yaw from landmarks.** With the eye midpoint `m`, the eye axis `e` (right eye to left eye; the person's right
//! eye is on the image's left for a frontal face) and the inter-ocular distance `d = |e|`, the *yaw ratio* is the
//! nose tip's offset from `m` along the eye axis, relative to `d`: `r = ((nose - m) · e) / d²`. A frontal face
//! has `r ≈ 0`; as the head turns, the nose tip (in front of the eye line) moves toward one eye while the
//! eyes' projected distance shrinks, so `|r|` grows without bound toward a profile. With the nose tip at depth
//! `k·D` in front of the eye line (`D` the true inter-ocular distance) a weak-perspective camera sees
//! `r = k·tan(yaw)`; [`NOSE_DEPTH_IOD`] takes `k = 0.5` (adult anthropometry: nose tip about 30-35 mm in front of
//! the eyes, eyes about 63 mm apart), so `yaw ≈ atan(r / 0.5)`. This is the usual five-point approximation
//! (e.g. the nose-to-eye-midpoint heuristic of landmark-based pose checks), not a 3-D head pose fit: it ignores
//! pitch and roll's effect on depth and it is noisy on small faces (landmarks of a 20 px face are a pixel or two
//! apart).
//!
//! **Thresholds** ([`FACING_MAX_YAW_DEG`]): a face counts as facing the front when `|yaw| <= 30°`
//! (`|r| <= 0.289`). Measured with the default detector on the shared photos (the tests below keep them): the
//! five frontal faces of `multi_face.jpg` give `|r|` 0.02 to 0.07 (2° to 8°); the two turned-but-frontal faces
//! of `sample2.jpg` 0.06 and 0.14 (7°, 15°; 17° and 21° with the detector before its coarse second pass); its
//! profile 2.26 (78°); the three-quarter face of
//! `BWPictureHuman.jpg` 0.40 to 2.19 (39° to 77°) depending on the detector's input scale (0.1 to 0.4). So
//! 30° sits between the most turned face a teacher would call "looking this way" (21° at most) and the least turned
//! three-quarter view (39°).
//!
//! **What it cannot know.** Facing the camera is not paying attention: a pupil can face the front and think of
//! lunch, or look down at notes while listening. Where the camera is not at the front (beside the board), faces
//! turned to the board count as not facing. Faces the detector misses (turned far away, hidden) are not judged
//! at all; presence counts them as absent.

use crate::detect::Landmarks;
use crate::pipeline::Observation;

/// Depth of the nose tip in front of the eye line, in inter-ocular distances (`k` in `r = k·tan(yaw)`).
pub const NOSE_DEPTH_IOD: f32 = 0.5;

/// Largest head yaw, degrees either way, at which a face counts as facing the front.
pub const FACING_MAX_YAW_DEG: f32 = 30.0;

/// Smallest inter-ocular distance, pixels, at which the yaw is estimated (below it the landmarks are too coarse).
pub const MIN_IOD_PX: f32 = 4.0;

/// A head yaw estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Yaw {
    /// Nose tip offset from the eye midpoint along the eye axis, in inter-ocular distances (unbounded; 0 frontal;
    /// positive when the nose is toward the person's left eye, i.e. the image's right for a frontal face).
    pub ratio: f32,
    /// The yaw angle it implies, degrees in `(-90, 90)`: `atan(ratio / NOSE_DEPTH_IOD)`.
    pub degrees: f32,
}

impl Yaw {
    /// `true` when `|degrees| <= FACING_MAX_YAW_DEG`.
    pub fn facing(&self) -> bool {
        self.degrees.abs() <= FACING_MAX_YAW_DEG
    }
}

/// Head yaw from five landmarks (order of [`Landmarks`]); `None` when the eyes are less than [`MIN_IOD_PX`]
/// apart or a coordinate is not finite.
pub fn yaw(lm: &Landmarks) -> Option<Yaw> {
    let (d2, ratio) = crate::detect::eye_axis(lm)?;
    (d2 >= MIN_IOD_PX * MIN_IOD_PX).then(|| Yaw { ratio, degrees: (ratio / NOSE_DEPTH_IOD).atan().to_degrees() })
}

/// Whether an observation is judged facing the front: `None` when it cannot be judged (no landmarks, as in
/// schema-1 sessions and SeetaFace runs; a box predicted by the motion model, whose landmarks are stale; eyes
/// too close together).
pub fn facing(o: &Observation) -> Option<bool> {
    if o.predicted {
        return None;
    }
    o.landmarks.as_ref().and_then(yaw).map(|y| y.facing())
}

/// Face-frames judged and judged facing, over some stretch of time.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct FacingCount {
    /// Face-frames whose yaw could be estimated.
    pub judged: u32,
    /// Of those, the ones facing the front.
    pub facing: u32,
}

impl FacingCount {
    /// Counts one observation (nothing when it cannot be judged).
    pub fn add(&mut self, o: &Observation) {
        if let Some(f) = facing(o) {
            self.judged += 1;
            self.facing += f as u32;
        }
    }

    /// Adds another count.
    pub fn merge(&mut self, other: &FacingCount) {
        self.judged += other.judged;
        self.facing += other.facing;
    }

    /// Share of judged face-frames facing the front, in `[0, 1]`; `None` ("unknown") when none was judged.
    pub fn share(&self) -> Option<f32> {
        (self.judged > 0).then(|| self.facing as f32 / self.judged as f32)
    }
}

/// Sum of per-second counts over seconds `[from, to)` (clamped to what there is).
pub fn total(seconds: &[FacingCount], from: usize, to: usize) -> FacingCount {
    let to = to.min(seconds.len());
    let mut c = FacingCount::default();
    for s in &seconds[from.min(to)..to] {
        c.merge(s);
    }
    c
}

/// The session's usual number of faces in view: the median over seconds with processed frames of the mean
/// number of tracked faces per frame (see [`crate::store::timeline::Bucket::mean_faces`]); 0 without frames.
pub fn usual_faces(mean_faces_per_second: impl IntoIterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = mean_faces_per_second.into_iter().collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Presence: faces in view against the usual count, `faces / usual` (1 = everyone usually there; can exceed 1);
/// `None` when the usual count is 0.
pub fn presence(faces: f32, usual: f32) -> Option<f32> {
    (usual > 0.0).then(|| faces / usual)
}

/// A share as a whole percentage (`72%`), or `unknown`.
pub fn fmt_share(v: Option<f32>) -> String {
    v.map_or("unknown".to_string(), |v| format!("{:.0}%", v * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{self, DetectConfig, Detection};
    use std::path::Path;

    /// The default detector's confident faces on one of the shared photos, left to right; `scale` as
    /// `--detect-scale` (0: derived from `min_face_px`, as by default).
    fn faces(name: &str, scale: f32) -> Vec<Detection> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let img = image::open(root.join("../shared/media").join(name)).unwrap().to_rgb8();
        let cfg = DetectConfig { scale, ..DetectConfig::default() };
        let mut d = detect::build(&cfg, &root.join("models")).unwrap();
        let gray = crate::capture::gray::to_gray(&img);
        let mut v: Vec<Detection> =
            d.detect(&img, &gray).unwrap().into_iter().filter(|d| d.score >= cfg.high_score()).collect();
        v.sort_by(|a, b| a.bbox.x.total_cmp(&b.bbox.x));
        v
    }

    fn yaws(name: &str, scale: f32) -> Vec<Yaw> {
        let v: Vec<Yaw> =
            faces(name, scale).iter().map(|d| yaw(&d.landmarks.expect("YuNet landmarks")).unwrap()).collect();
        eprintln!("{name}: {:?}", v.iter().map(|y| (y.ratio, y.degrees)).collect::<Vec<_>>());
        v
    }

    #[test]
    fn frontal_faces_face_the_front_and_three_quarter_and_profile_faces_do_not() {
        let multi = yaws("multi_face.jpg", 0.0);
        assert_eq!(multi.len(), 5);
        for y in &multi {
            assert!(y.facing() && y.degrees.abs() < 20.0, "multi_face.jpg: {y:?}");
        }
        // The portrait is 2560 px wide with a 190 px face; at the default scale (0.7) YuNet scores it under its
        // threshold, so it is looked at as a camera of 256 to 1024 px width would see it.
        for scale in [0.1, 0.15, 0.2, 0.25, 0.3, 0.4] {
            let bw = yaws("BWPictureHuman.jpg", scale);
            assert_eq!(bw.len(), 1, "BWPictureHuman.jpg at {scale}");
            assert!(!bw[0].facing() && bw[0].degrees.abs() > 35.0, "BWPictureHuman.jpg at {scale}: {:?}", bw[0]);
        }
        // sample2: the profile (leftmost) is not facing; the two others are.
        let s2 = yaws("sample2.jpg", 0.0);
        assert_eq!(s2.len(), 3);
        assert!(!s2[0].facing() && s2[0].degrees.abs() > 60.0, "sample2.jpg profile: {:?}", s2[0]);
        assert!(s2[1].facing() && s2[2].facing(), "sample2.jpg: {s2:?}");
    }

    #[test]
    fn the_ratio_follows_the_nose_along_a_tilted_eye_axis_and_degenerate_eyes_give_none() {
        // Eyes 40 px apart on a 90° rotated face (eye axis pointing down), nose 10 px along it: r = 0.25.
        let lm = [[100.0, 80.0], [100.0, 120.0], [120.0, 110.0], [140.0, 85.0], [140.0, 115.0]];
        let y = yaw(&lm).unwrap();
        assert!((y.ratio - 0.25).abs() < 1e-6);
        assert!((y.degrees - 26.565).abs() < 1e-2 && y.facing());
        assert_eq!(yaw(&[[10.0, 10.0], [11.0, 10.0], [10.0, 12.0], [9.0, 14.0], [11.0, 14.0]]), None);
        let mut c = FacingCount::default();
        assert_eq!(c.share(), None, "nothing judged is unknown, not 0");
        c.judged = 4;
        c.facing = 3;
        assert_eq!(c.share(), Some(0.75));
        assert_eq!(usual_faces([3.0, 1.0, 4.0, 4.0]), 3.5);
        assert_eq!(presence(2.0, 4.0), Some(0.5));
        assert_eq!(presence(2.0, 0.0), None);
        assert_eq!(fmt_share(None), "unknown");
    }
}
