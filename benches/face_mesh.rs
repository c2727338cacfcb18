//! Cost of Face Mesh per face on this machine (criterion; latency per call): cutting the 192x192 crop out of the
//! frame (`face_mesh/crop_cut`), the network alone on one crop
//! (`face_mesh/net_x1`) and on a batch of 8 (`face_mesh/net_x8`, divide by 8 for the cost per face), and the whole
//! per-face step the pipeline would run on a frame of `WolfgangLanger_Pexels.mp4`: cut the crop around the
//! detector box, the network, head pose and eyes (`face_mesh/frame_face_x1`).
//!
//! `cargo bench --bench face_mesh`. Runs on the calling thread (the network's layers only split over a rayon pool
//! of more than one thread for large layers, none here at batch 1).

use std::hint::black_box;
use std::path::Path;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use emotrace::capture::gray::to_gray;
use emotrace::capture::{self, Input};
use emotrace::detect::{self, DetectConfig};
use emotrace::face::eyes::Eyes;
use emotrace::face::mesh::{CropFrame, FaceMeshModel, INPUT_SIZE};
use emotrace::face::pose::head_pose;

fn bench(c: &mut Criterion) {
    emotrace::nn::keep_candle_on_our_threads();
    emotrace::nn::keep_freed_memory();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("models");
    let model = FaceMeshModel::load(&models).expect("facemesh.safetensors");
    let mut src = capture::open(&Input::Path(root.join("recordings/WolfgangLanger_Pexels.mp4"))).expect("recording");
    let frame = src.next_frame().unwrap().unwrap().image.into_rgb();
    let cfg = DetectConfig::default();
    let det = detect::build(&cfg, &models).unwrap().detect(&frame, &to_gray(&frame)).unwrap()[0];
    let crop = CropFrame::around(&det.bbox, det.landmarks.as_ref());
    let pixels = crop.cut(&frame);
    let mut g = c.benchmark_group("face_mesh");
    g.sample_size(30);
    let mut buf = vec![0f32; 3 * INPUT_SIZE * INPUT_SIZE];
    g.bench_function("crop_cut", |b| b.iter(|| crop.cut_into(black_box(&frame), &mut buf)));
    for n in [1usize, 8] {
        let data: Vec<f32> = (0..n).flat_map(|_| pixels.iter().copied()).collect();
        let x = Tensor::from_vec(data, (n, 3, INPUT_SIZE, INPUT_SIZE), &Device::Cpu).unwrap();
        g.bench_function(format!("net_x{n}"), |b| b.iter(|| black_box(model.net().forward(&x).unwrap())));
    }
    g.bench_function("frame_face_x1", |b| {
        b.iter(|| {
            let m = model.run(&frame, &[(det.bbox, det.landmarks)]).unwrap();
            black_box((head_pose(&m[0].points), Eyes::from_landmarks(&m[0].points)))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
