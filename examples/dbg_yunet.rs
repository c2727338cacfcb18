fn main() {
    emotrace::nn::keep_freed_memory();
    let name = std::env::args().nth(1).unwrap();
    let img = image::open(&name).unwrap().to_rgb8();
    let mean = img.as_raw().iter().map(|&v| v as f64).sum::<f64>() / img.as_raw().len() as f64;
    println!("mean {mean}");
    let cfg = emotrace::detect::yunet::YuNetConfig { low_score: 0.3, ..Default::default() };
    let scale: f32 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(1.0);
    let mut y =
        emotrace::detect::yunet::YuNet::load(std::path::Path::new("models/yunet_n.safetensors"), &cfg, scale).unwrap();
    let t = std::time::Instant::now();
    let d = y.detect_rgb(&img).unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = std::time::Instant::now();
    for _ in 0..5 {
        y.detect_rgb(&img).unwrap();
    }
    println!("first {ms:.1} ms, then {:.1} ms", t.elapsed().as_secs_f64() * 200.0);
    for f in d {
        println!("{:.3} {:?}", f.score, f.bbox);
    }
}
