use emotrace::detect::{seeta::*, FaceDetector, gray::to_gray};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let scale: f32 = std::env::args().nth(2).unwrap_or("1.0".into()).parse().unwrap();
    let step: u32 = std::env::args().nth(3).unwrap_or("4".into()).parse().unwrap();
    let img = image::open(&path).unwrap().to_rgb8();
    let img = if let Some(w) = std::env::args().nth(4) { let w: u32 = w.parse().unwrap(); image::imageops::resize(&img, w, w * img.height() / img.width(), image::imageops::FilterType::Triangle) } else { img };
    let g = to_gray(&img);
    let cfg = SeetaConfig { scale, window_step: step, ..Default::default() };
    let mut d = SeetaDetector::load(std::path::Path::new("models/seeta_fd_frontal_v1.0.bin"), &cfg).unwrap();
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..10 { n = d.detect(&g).len(); }
    println!("{}x{} scale {scale} step {step}: {n} faces, {:.1} ms", g.width(), g.height(), t.elapsed().as_secs_f64() * 100.0);
}
