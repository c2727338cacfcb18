//! Valence: one number for "how positive does this face (or the class) look", in `[-1, 1]`.
//!
//! The definition is the one Noldus FaceReader documents (FaceReader 9 Reference Manual, "Valence"): the
//! intensity of *happy* minus the intensity of the strongest negative expression among *sad*, *angry*, *fear*
//! and *disgust*. *Surprise* and *neutral* do not count. emotrace has no intensity scale; it uses the
//! classifier's **smoothed probabilities** in their place (what the live screen and the timelines show), so a
//! face scored 0.7 happy and 0.2 sad has valence 0.5.
//!
//! Over a stretch of time (a second, a bucket, a segment, a session) the valence is that of the **mean** smoothed
//! probabilities of the stretch ([`TrackAgg::mean`]): one number from the same per-second totals the class shares
//! come from. It equals the mean of per-frame valences unless the strongest negative class changes within the
//! stretch, in which case it is at most that mean. For the class, all faces' face-frames count alike.
//!
//! Limits: probabilities are not intensities (a calm face can still get 0.4 sad from a FER2013 model); the model
//! reads expressions, not feelings, and is least accurate on exactly the negative classes (see the report's
//! "How far to trust it").

pub use crate::classify::valence::{valence, NEGATIVE};
use crate::store::timeline::TrackAgg;

/// Valence of a stretch's totals: of its mean smoothed probabilities; `None` without observations.
pub fn of_agg(agg: &TrackAgg) -> Option<f32> {
    (agg.frames > 0).then(|| valence(&agg.mean()))
}

/// Valence as text with its sign, two decimals (`+0.42`, `-0.10`), or `–` when unknown.
pub fn fmt(v: Option<f32>) -> String {
    v.map_or("–".to_string(), |v| format!("{v:+.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Emotion, NUM_EMOTIONS};

    #[test]
    fn happy_minus_the_strongest_negative_and_surprise_does_not_count() {
        let mut p = [0.0; NUM_EMOTIONS];
        p[Emotion::Happy as usize] = 0.7;
        p[Emotion::Sad as usize] = 0.2;
        p[Emotion::Angry as usize] = 0.1;
        assert!((valence(&p) - 0.5).abs() < 1e-6);
        let mut q = [0.0; NUM_EMOTIONS];
        q[Emotion::Surprise as usize] = 0.6;
        q[Emotion::Fear as usize] = 0.3;
        q[Emotion::Disgust as usize] = 0.1;
        assert!((valence(&q) + 0.3).abs() < 1e-6);
        let mut all_happy = [0.0; NUM_EMOTIONS];
        all_happy[Emotion::Happy as usize] = 1.0;
        assert_eq!(valence(&all_happy), 1.0);
        let mut agg = TrackAgg::default();
        assert_eq!(of_agg(&agg), None);
        agg.add(&all_happy);
        agg.add(&q);
        // Mean: happy 0.5, fear 0.15 -> 0.35.
        assert!((of_agg(&agg).unwrap() - 0.35).abs() < 1e-6);
        assert_eq!(fmt(Some(0.35)), "+0.35");
        assert_eq!(fmt(None), "–");
    }
}
