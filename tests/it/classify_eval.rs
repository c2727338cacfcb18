//! FER2013 `public-test` accuracy of the shipped model kinds: fer, human and their ensemble against the figures
//! of the original implementations (fer 65.2%, human-models 65.3%, their mean 68.2%;
//! `../shared/datasets/fer2013/README.md`), less a small allowance for preprocessing differences; our own network
//! against what PyTorch measured when it was trained (its model card, `models/ours.json`), prediction for prediction. Run with `cargo test --release --test it classify_eval::`.

use std::path::{Path, PathBuf};

use emotrace::classify::eval::evaluate;
use emotrace::classify::{Classifier, ModelKind};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

use crate::common;

/// The FER2013 split folder in `../shared`, or `None` (the test skips with one line) when it is missing.
fn data_dir() -> Option<PathBuf> {
    common::shared("datasets/fer2013")
}

fn check(kind: ModelKind, min_accuracy: f64) {
    let Some(data_dir) = data_dir() else { return };
    let clf = Classifier::load(&root().join("models"), kind).expect("load models");
    let report = evaluate(&clf, &data_dir, "public-test").expect("evaluate");
    println!("{report}");
    assert_eq!(report.metrics.n, 3589);
    assert_eq!(report.model, kind.name());
    assert!(
        report.metrics.accuracy >= min_accuracy,
        "{}: public-test accuracy {:.4} < {min_accuracy}",
        kind.name(),
        report.metrics.accuracy
    );
    assert!(report.metrics.macro_f1 > 0.5, "macro-F1 {}", report.metrics.macro_f1);
}

#[test]
fn fer_public_test_accuracy() {
    check(ModelKind::Fer, 0.645);
}

#[test]
fn human_public_test_accuracy() {
    check(ModelKind::Human, 0.645);
}

#[test]
fn ensemble_public_test_accuracy() {
    check(ModelKind::Ensemble, 0.675);
}

/// Our own network (`models/ours.safetensors`, `training/configs/cpu.json`): the Rust port gives PyTorch's
/// public-test confusion matrix from the model card (65.56%, macro-F1 0.610 when shipped): candle and PyTorch
/// agree on the predicted class of the 3,589 faces with the shipped checkpoint (exactly, where it was made).
#[test]
fn ours_public_test_accuracy_is_pytorchs() {
    let Some(data_dir) = data_dir() else { return };
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("models/ours.json")).unwrap()).unwrap();
    let clf = Classifier::load(&root().join("models"), ModelKind::Ours).expect("load models");
    let report = evaluate(&clf, &data_dir, "public-test").expect("evaluate");
    println!("{report}");
    let expected: Vec<Vec<u64>> = serde_json::from_value(card["public_test"]["confusion"].clone()).unwrap();
    let got: Vec<Vec<u64>> = report.metrics.confusion.iter().map(|r| r.to_vec()).collect();
    // Identical on the AVX2 machine it was made on; a face whose two best classes tie within float rounding may
    // move on another CPU (each moved face changes two cells by one), so three faces are allowed.
    let moved: u64 = got.iter().flatten().zip(expected.iter().flatten()).map(|(a, b)| a.abs_diff(*b)).sum();
    assert!(moved <= 6, "the confusion matrix differs from PyTorch's (model card): {got:?} against {expected:?}");
    assert!(report.metrics.accuracy >= 0.65, "{}", report.metrics.accuracy);
}

/// The mean of fer, human and ours: 68.51% when shipped, above the ensemble of the two (67.96%).
#[test]
fn ensemble_ours_public_test_accuracy() {
    check(ModelKind::EnsembleOurs, 0.68);
}

#[test]
fn missing_split_is_a_clear_error() {
    let Some(data_dir) = data_dir() else { return };
    let clf = Classifier::load(&root().join("models"), ModelKind::Fer).unwrap();
    let err = evaluate(&clf, &data_dir, "no-such-split").unwrap_err();
    assert!(format!("{err:#}").contains("no-such-split-images.u8"), "{err:#}");
}
