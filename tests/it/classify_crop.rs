//! `crop_face` against the cropping code of PyPI `fer` 25.10.3 run with OpenCV (`tests/data/reference_crops.json`,
//! written by `scripts/reference_crops.py`) on a synthetic frame both sides build from the same formula. OpenCV
//! resizes `u8` images in fixed point and rounds; ours stays in `f32`, so values may differ by about one gray
//! level.

use std::path::Path;

use emotrace::classify::crop_face;
use emotrace::detect::BBox;
use image::GrayImage;

#[test]
fn crops_match_fer_with_opencv() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/data/reference_crops.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (w, h) = (json["width"].as_u64().unwrap() as u32, json["height"].as_u64().unwrap() as u32);
    let frame = GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13 + (x * y) % 31) % 256) as u8]));
    let crops = json["crops"].as_array().unwrap();
    assert!(crops.len() >= 5);
    for c in crops {
        let b: Vec<f32> = c["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let hex = c["crop_hex"].as_str().unwrap();
        let expected: Vec<f32> =
            (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap() as f32).collect();
        assert_eq!(expected.len(), 64 * 64);
        let ours = crop_face(&frame, &BBox::new(b[0], b[1], b[2], b[3]));
        // Back to gray levels.
        let levels: Vec<f32> = ours.pixels().iter().map(|v| (v + 1.0) * 127.5).collect();
        let max = levels.iter().zip(&expected).map(|(a, e)| (a - e).abs()).fold(0.0, f32::max);
        let mean = levels.iter().zip(&expected).map(|(a, e)| (a - e).abs()).sum::<f32>() / 4096.0;
        println!("box {b:?}: max |ours - fer| = {max:.3} gray levels, mean {mean:.3}");
        assert!(max <= 1.5 && mean <= 0.6, "box {b:?}: max {max}, mean {mean}");
    }
}
