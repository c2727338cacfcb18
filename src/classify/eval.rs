//! Accuracy of a [`Classifier`] on a FER2013 split: every 48x48 image is resized bilinearly to 64x64
//! ([`from_gray`]), classified, and compared with its label.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::fer2013::Fer2013Split;
use super::metrics::{ConfusionMatrix, MetricsReport};
use super::preprocess::from_gray;
use super::{Classifier, Emotion};

/// Images per `predict` call during evaluation.
pub const EVAL_BATCH: usize = 64;

/// Result of [`evaluate`]. Serialises flat: `model`, `description`, `split`, `elapsed_s`, then the
/// [`MetricsReport`] fields (`n`, `accuracy`, `macro_f1`, `per_class_accuracy`, `per_class_f1`, `support`,
/// `confusion`).
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Model kind name (`fer`, `human`, `ensemble`).
    pub model: String,
    /// [`Classifier::describe`].
    pub description: String,
    /// Split name.
    pub split: String,
    /// Wall-clock seconds for preprocessing and classification.
    pub elapsed_s: f64,
    /// The metrics.
    #[serde(flatten)]
    pub metrics: MetricsReport,
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "model {} on {} ({:.1} s)", self.model, self.split, self.elapsed_s)?;
        write!(f, "{}", self.metrics)
    }
}

/// Classifies every image of split `split` in `data_dir` (FER2013 raw layout, see [`Fer2013Split`]) and reports
/// accuracy, macro-F1, per-class accuracy and the confusion matrix (rows = true class).
///
/// Errors: the split cannot be loaded (missing or malformed files), or prediction fails.
pub fn evaluate(classifier: &Classifier, data_dir: &Path, split: &str) -> anyhow::Result<EvalReport> {
    let data = Fer2013Split::load(data_dir, split)?;
    let start = Instant::now();
    let mut cm = ConfusionMatrix::new();
    let mut i = 0;
    while i < data.len() {
        let end = (i + EVAL_BATCH).min(data.len());
        let faces: Vec<_> = (i..end).map(|j| from_gray(&data.image(j))).collect();
        let probs = classifier.predict(&faces)?;
        for (j, p) in (i..end).zip(&probs) {
            cm.add(data.label(j), Emotion::argmax(p) as usize);
        }
        i = end;
    }
    Ok(EvalReport {
        model: classifier.kind().name().to_string(),
        description: classifier.describe(),
        split: split.to_string(),
        elapsed_s: start.elapsed().as_secs_f64(),
        metrics: cm.report(),
    })
}
