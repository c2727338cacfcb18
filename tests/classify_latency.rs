//! Per-face latency of the emotion networks (release build). Ignored by default because timings depend on the
//! machine's load; run with
//! `cargo test --release --test classify_latency -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use emotrace::classify::fer2013::Fer2013Split;
use emotrace::classify::{from_gray, Classifier, ModelKind};

mod common;

#[test]
#[ignore]
fn per_face_latency() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(data) = common::shared("datasets/fer2013") else { return };
    let split = Fer2013Split::load(&data, "public-test").unwrap();
    let faces: Vec<_> = (0..200).map(|i| from_gray(&split.image(i))).collect();
    for kind in [ModelKind::Fer, ModelKind::Human, ModelKind::Ensemble] {
        let clf = Classifier::load(&root.join("models"), kind).unwrap();
        for f in faces.iter().take(10) {
            clf.predict(std::slice::from_ref(f)).unwrap();
        }
        let mut times: Vec<f64> = faces
            .iter()
            .map(|f| {
                let t = Instant::now();
                clf.predict(std::slice::from_ref(f)).unwrap();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let t = Instant::now();
        clf.predict(&faces[..64]).unwrap();
        let batch = t.elapsed().as_secs_f64() * 1e3 / 64.0;
        println!(
            "{:>8}: one face: median {:.2} ms, mean {:.2} ms, p90 {:.2} ms; batch of 64: {:.2} ms/face",
            kind.name(),
            times[times.len() / 2],
            mean,
            times[times.len() * 9 / 10],
            batch
        );
    }
}
