//! Classification metrics over the 7 FER2013 classes: confusion matrix, accuracy, per-class accuracy (recall),
//! per-class F1 and macro-F1.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Emotion, NUM_EMOTIONS};

/// Counts of (true class, predicted class) pairs; `counts[t][p]`, rows = true class, columns = prediction,
/// both in FER2013 order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// `counts[true][predicted]`.
    pub counts: [[u64; NUM_EMOTIONS]; NUM_EMOTIONS],
}

impl ConfusionMatrix {
    /// An empty matrix.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one example. Panics if a class id is not 0..=6.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    /// Number of examples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Examples of true class `c` (row sum).
    pub fn support(&self, c: usize) -> u64 {
        self.counts[c].iter().sum()
    }

    /// Examples predicted as class `c` (column sum).
    pub fn predicted(&self, c: usize) -> u64 {
        self.counts.iter().map(|r| r[c]).sum()
    }

    /// Fraction of examples on the diagonal, in `[0, 1]`; 0 when empty.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..NUM_EMOTIONS).map(|c| self.counts[c][c]).sum();
        ratio(correct, self.total())
    }

    /// Recall of class `c` ("per-class accuracy"): correct / support, 0 when the class has no examples.
    pub fn class_accuracy(&self, c: usize) -> f64 {
        ratio(self.counts[c][c], self.support(c))
    }

    /// Precision of class `c`: correct / predicted as `c`, 0 when never predicted.
    pub fn precision(&self, c: usize) -> f64 {
        ratio(self.counts[c][c], self.predicted(c))
    }

    /// F1 of class `c` (harmonic mean of precision and recall), 0 when both are 0.
    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.class_accuracy(c));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Unweighted mean of the 7 per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        (0..NUM_EMOTIONS).map(|c| self.f1(c)).sum::<f64>() / NUM_EMOTIONS as f64
    }

    /// The serialisable summary.
    pub fn report(&self) -> MetricsReport {
        let by_class = |f: &dyn Fn(usize) -> f64| -> BTreeMap<String, f64> {
            Emotion::ALL.iter().map(|e| (e.name().to_string(), f(*e as usize))).collect()
        };
        MetricsReport {
            n: self.total(),
            accuracy: self.accuracy(),
            macro_f1: self.macro_f1(),
            per_class_accuracy: by_class(&|c| self.class_accuracy(c)),
            per_class_f1: by_class(&|c| self.f1(c)),
            support: by_class(&|c| self.support(c) as f64).into_iter().map(|(k, v)| (k, v as u64)).collect(),
            confusion: self.counts,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Metrics of one set of predictions. Fractions are in `[0, 1]`; maps are keyed by class name (`"angry"` ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    /// Number of examples.
    pub n: u64,
    /// Fraction predicted correctly.
    pub accuracy: f64,
    /// Unweighted mean of per-class F1.
    pub macro_f1: f64,
    /// Recall of each class.
    pub per_class_accuracy: BTreeMap<String, f64>,
    /// F1 of each class.
    pub per_class_f1: BTreeMap<String, f64>,
    /// Examples of each true class.
    pub support: BTreeMap<String, u64>,
    /// `confusion[true][predicted]`, FER2013 order.
    pub confusion: [[u64; NUM_EMOTIONS]; NUM_EMOTIONS],
}

impl std::fmt::Display for MetricsReport {
    /// A small text table: accuracy, macro-F1, per-class recall/F1 and the confusion matrix.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "n = {}, accuracy = {:.2}%, macro-F1 = {:.4}", self.n, self.accuracy * 100.0, self.macro_f1)?;
        write!(f, "{:>10} {:>7} {:>7} {:>7} |", "class", "n", "recall", "F1")?;
        for e in Emotion::ALL {
            write!(f, " {:>8}", e.name())?;
        }
        writeln!(f)?;
        for e in Emotion::ALL {
            let name = e.name();
            write!(
                f,
                "{:>10} {:>7} {:>6.1}% {:>7.3} |",
                name,
                self.support.get(name).copied().unwrap_or(0),
                self.per_class_accuracy.get(name).copied().unwrap_or(0.0) * 100.0,
                self.per_class_f1.get(name).copied().unwrap_or(0.0)
            )?;
            for p in 0..NUM_EMOTIONS {
                write!(f, " {:>8}", self.confusion[e as usize][p])?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::fer2013::Fer2013Split;
    use crate::classify::preprocess::from_gray;
    use crate::classify::{Classifier, ModelKind};
    use std::path::Path;

    /// Real predictions: the fer model on the first 300 public-test images.
    fn real_predictions() -> Option<(Vec<usize>, Vec<usize>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let data = root.join("../shared/datasets/fer2013");
        if !data.exists() {
            // `cargo test` with the Rust toolchain alone: skip, unless CI requires the shared folder.
            assert!(std::env::var("EMOTRACE_REQUIRE_SHARED").is_err(), "{} is missing", data.display());
            eprintln!("skipped: {} is missing (the shared folder beside the checkout)", data.display());
            return None;
        }
        let split = Fer2013Split::load(&data, "public-test").unwrap();
        let clf = Classifier::load(&root.join("models"), ModelKind::Fer).unwrap();
        let n = 300;
        let faces: Vec<_> = (0..n).map(|i| from_gray(&split.image(i))).collect();
        let probs = clf.predict(&faces).unwrap();
        let truth = (0..n).map(|i| split.label(i)).collect();
        let pred = probs.iter().map(|p| Emotion::argmax(p) as usize).collect();
        Some((truth, pred))
    }

    #[test]
    fn metrics_agree_with_direct_counts_on_real_predictions() {
        let Some((truth, pred)) = real_predictions() else { return };
        let mut cm = ConfusionMatrix::new();
        for (&t, &p) in truth.iter().zip(&pred) {
            cm.add(t, p);
        }
        let n = truth.len();
        assert_eq!(cm.total(), n as u64);
        let correct = truth.iter().zip(&pred).filter(|(t, p)| t == p).count();
        assert!((cm.accuracy() - correct as f64 / n as f64).abs() < 1e-12);
        let mut f1_sum = 0.0;
        for c in 0..NUM_EMOTIONS {
            let tp = truth.iter().zip(&pred).filter(|(&t, &p)| t == c && p == c).count() as f64;
            let fp = truth.iter().zip(&pred).filter(|(&t, &p)| t != c && p == c).count() as f64;
            let fneg = truth.iter().zip(&pred).filter(|(&t, &p)| t == c && p != c).count() as f64;
            let recall = if tp + fneg > 0.0 { tp / (tp + fneg) } else { 0.0 };
            assert!((cm.class_accuracy(c) - recall).abs() < 1e-12);
            // F1 = 2 TP / (2 TP + FP + FN), 0 when undefined.
            let f1 = if tp > 0.0 { 2.0 * tp / (2.0 * tp + fp + fneg) } else { 0.0 };
            assert!((cm.f1(c) - f1).abs() < 1e-12, "class {c}: {} vs {f1}", cm.f1(c));
            f1_sum += f1;
        }
        assert!((cm.macro_f1() - f1_sum / 7.0).abs() < 1e-12);
        let report = cm.report();
        assert_eq!(report.n, n as u64);
        assert_eq!(report.per_class_accuracy.len(), NUM_EMOTIONS);
        assert_eq!(report.support.values().sum::<u64>(), n as u64);
        // A real model on real faces is far better than chance but not perfect.
        assert!(report.accuracy > 0.4 && report.accuracy < 0.95, "{}", report.accuracy);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["confusion"].as_array().unwrap().len(), NUM_EMOTIONS);
        assert!(json["per_class_accuracy"]["happy"].is_number());
        let text = report.to_string();
        assert!(text.contains("macro-F1") && text.contains("surprise"));
    }

    #[test]
    fn empty_matrix_has_zero_metrics() {
        let cm = ConfusionMatrix::new();
        assert_eq!(cm.accuracy(), 0.0);
        assert_eq!(cm.macro_f1(), 0.0);
    }
}
