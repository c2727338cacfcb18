//! Valence of one face-frame: FaceReader's "happy minus the strongest negative expression", computed from the
//! classifier's probabilities. Stretches of time (seconds, segments, sessions) are in
//! `analytics::valence`, which explains the definition and its limits.

use super::{Emotion, Probs};

/// The negative classes of FaceReader's valence.
pub const NEGATIVE: [Emotion; 4] = [Emotion::Sad, Emotion::Angry, Emotion::Fear, Emotion::Disgust];

/// Valence of one set of probabilities (FER2013 order): `p[happy] - max(p[sad], p[angry], p[fear], p[disgust])`,
/// in `[-1, 1]` for probabilities in `[0, 1]`.
pub fn valence(p: &Probs) -> f32 {
    let negative = NEGATIVE.iter().map(|&e| p[e as usize]).fold(0.0f32, f32::max);
    (p[Emotion::Happy as usize] - negative).clamp(-1.0, 1.0)
}
