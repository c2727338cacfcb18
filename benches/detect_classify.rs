//! Per-frame cost of the engine's two networks on this machine (criterion; latency per call, so throughput is
//! 1000 / ms):
//! - `yunet/640x360`: the default detector (input scale 0.7) on a frame of `WolfgangLanger_Pexels.mp4`, what
//!   `analyze` pays per frame on it;
//! - `yunet/1920x1080`: the same on a frame of the classroom clip (`scripts/make_classroom_clip.sh`, 29 faces;
//!   skipped when the clip is not there), input 1344x756 plus the coarse 640 px pass;
//! - `classify/ensemble_x8` and `classify/fer_x8`: eight aligned faces of that frame through the default ensemble
//!   and through `fer` alone, one batched call.
//!
//! `cargo bench --bench detect_classify`. End-to-end figures (FPS, latency p50/p95, drops, faces per frame,
//! classifications per second per face) come from `emotrace analyze ... --json` (see the README).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use emotrace::capture::gray::to_gray;
use emotrace::capture::{self, Input};
use emotrace::classify::preprocess::face_input;
use emotrace::classify::{Classifier, ModelKind};
use emotrace::detect::{self, DetectConfig};

fn first_frame(path: &Path) -> Option<image::RgbImage> {
    let mut src = capture::open(&Input::Path(path.to_path_buf())).ok()?;
    src.next_frame().ok()?.map(|f| f.image.into_rgb())
}

fn bench(c: &mut Criterion) {
    emotrace::nn::keep_freed_memory();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("models");
    let cfg = DetectConfig::default();
    let mut detector = detect::build(&cfg, &models).expect("detector");
    let mut g = c.benchmark_group("yunet");
    g.sample_size(20);
    let wolfgang = first_frame(&root.join("recordings/WolfgangLanger_Pexels.mp4")).expect("recording");
    let gray = to_gray(&wolfgang);
    g.bench_function("640x360", |b| b.iter(|| black_box(detector.detect(&wolfgang, &gray).unwrap())));
    let classroom = first_frame(&root.join("target/media/classroom_1080p.mp4"));
    if let Some(img) = &classroom {
        let gray = to_gray(img);
        g.bench_function("1920x1080", |b| b.iter(|| black_box(detector.detect(img, &gray).unwrap())));
    } else {
        eprintln!("yunet/1920x1080 skipped: run scripts/make_classroom_clip.sh first");
    }
    g.finish();

    let img = classroom.unwrap_or(wolfgang);
    let gray = to_gray(&img);
    let faces: Vec<_> = detector
        .detect(&img, &gray)
        .unwrap()
        .iter()
        .filter(|d| d.score >= cfg.high_score())
        .map(|d| face_input(&gray, &d.bbox, d.landmarks.as_ref()))
        .cycle()
        .take(8)
        .collect();
    let mut g = c.benchmark_group("classify");
    for kind in [ModelKind::Ensemble, ModelKind::Fer] {
        let clf = Classifier::load(&models, kind).expect("models");
        g.bench_function(format!("{}_x8", kind.name()), |b| b.iter(|| black_box(clf.predict(&faces).unwrap())));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
