//! Cost of the re-identification descriptor (issue 21; `emotrace::face::descriptor`) on this machine (criterion;
//! latency per call): the face of the first frame of `WolfgangLanger_Pexels.mp4`, found by the default detector,
//! cut into its 150x150 chip (`chip`) and described alone (`describe_x1`) and four at a time (`describe_x4`, the
//! most the re-identification worker asks for at once). The budget is 40 ms per descriptor on a 2-core laptop.
//!
//! `cargo bench --bench face_descriptor`.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use emotrace::capture::gray::to_gray;
use emotrace::capture::{self, Input};
use emotrace::detect::{self, DetectConfig};
use emotrace::face::descriptor::{face_chip, DescriptorNet};

fn bench(c: &mut Criterion) {
    emotrace::nn::keep_freed_memory();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("models");
    let mut src = capture::open(&Input::Path(root.join("recordings/WolfgangLanger_Pexels.mp4"))).expect("recording");
    let img = src.next_frame().expect("frame").expect("a first frame").image.into_rgb();
    let mut detector = detect::build(&DetectConfig::default(), &models).expect("detector");
    let faces = detector.detect(&img, &to_gray(&img)).expect("detection");
    let landmarks = faces.iter().find_map(|d| d.landmarks).expect("a face with landmarks");
    let net = DescriptorNet::load(&models).expect("descriptor weights");
    let chip = face_chip(&img, &landmarks);
    let mut g = c.benchmark_group("descriptor");
    g.sample_size(20);
    g.bench_function("chip", |b| b.iter(|| black_box(face_chip(&img, &landmarks))));
    g.bench_function("describe_x1", |b| b.iter(|| black_box(net.describe(&[&chip]).unwrap())));
    let four = [chip.as_slice(); 4];
    g.bench_function("describe_x4", |b| b.iter(|| black_box(net.describe(&four).unwrap())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
