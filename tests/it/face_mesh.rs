//! MediaPipe Face Mesh in candle (`emotrace::face::mesh`) against the ORIGINAL graph model executed by
//! TensorFlow.js: `tests/data/facemesh_reference.json` (written by `scripts/reference_facemesh.py`) holds, for 14
//! faces of 5 shared photos, the crop (centre, side, angle), the mean of each of its channels and the 468
//! landmarks TF.js gave. Run with `cargo test --release --test it face_mesh::`.

use std::path::Path;

use base64::Engine;
use emotrace::detect::BBox;
use emotrace::face::mesh::{CropFrame, FaceMeshModel, NUM_LANDMARKS};

use crate::common;

/// Largest allowed difference of one landmark coordinate, in pixels of the 192x192 crop, when both sides ran on
/// the same input (the PNG, and JPEGs that both decoders decode alike).
const SAME_INPUT_TOLERANCE: f32 = 2e-3;

/// The same where the JPEG decoders (PIL's libjpeg-turbo and the `image` crate's) differ by a level here and there.
const DECODER_TOLERANCE: f32 = 0.25;

fn models() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
}

fn f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

#[test]
fn landmarks_agree_with_tensorflow_js() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/facemesh_reference.json"))
            .unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let model = FaceMeshModel::load(models()).unwrap();
    let mut worst_same = 0f32;
    let mut same_faces = 0;
    for face in reference["faces"].as_array().unwrap() {
        let name = face["image"].as_str().unwrap();
        let Some(path) = common::shared_media(name) else { return };
        let rgb = image::open(path).unwrap().to_rgb8();
        let c = &face["crop"];
        let center = f32s(&c["center"]);
        let crop = CropFrame {
            center: [center[0], center[1]],
            side: c["side"].as_f64().unwrap() as f32,
            angle: c["angle"].as_f64().unwrap() as f32,
        };
        // The crop the pipeline would make from the same detection is this one.
        let b = f32s(&face["box"]);
        let lm: Vec<Vec<f32>> = face["landmarks"].as_array().unwrap().iter().map(f32s).collect();
        let mut five = [[0f32; 2]; 5];
        five[0] = [lm[0][0], lm[0][1]];
        five[1] = [lm[1][0], lm[1][1]];
        let around = CropFrame::around(&BBox::new(b[0], b[1], b[2], b[3]), Some(&five));
        assert!(
            (around.center[0] - crop.center[0]).abs() < 1e-3
                && (around.side - crop.side).abs() < 1e-3
                && (around.angle - crop.angle).abs() < 1e-6,
            "{name}: {around:?} vs {crop:?}"
        );
        let pixels = crop.cut(&rgb);
        let plane = pixels.len() / 3;
        let means: Vec<f64> = (0..3)
            .map(|k| pixels[k * plane..(k + 1) * plane].iter().map(|&v| v as f64).sum::<f64>() / plane as f64)
            .collect();
        let want_means: Vec<f64> =
            face["channel_means"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let same_input = means.iter().zip(&want_means).all(|(a, b)| (a - b).abs() < 1e-6);
        let got = &model.run_crops(&[(crop, pixels)]).unwrap()[0];
        let bytes = base64::engine::general_purpose::STANDARD.decode(face["mesh_f32le"].as_str().unwrap()).unwrap();
        let want: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        assert_eq!(want.len(), 3 * NUM_LANDMARKS);
        let mut worst = 0f32;
        for (p, w) in got.crop_points.iter().zip(want.chunks_exact(3)) {
            for k in 0..3 {
                worst = worst.max((p[k] - w[k]).abs());
            }
        }
        let flag = face["faceflag"].as_f64().unwrap() as f32;
        eprintln!("{name}: same input {same_input} (means {means:?} vs {want_means:?}), worst {worst:.2e} px, flag {} vs {flag}", got.face_score);
        let tol = if same_input { SAME_INPUT_TOLERANCE } else { DECODER_TOLERANCE };
        assert!(worst <= tol, "{name}: a landmark {worst} px from TF.js (tolerance {tol})");
        assert!(
            (got.face_score - flag).abs() <= 1e-4 + if same_input { 0.0 } else { 0.01 },
            "{name}: flag {} vs {flag}",
            got.face_score
        );
        if same_input {
            worst_same = worst_same.max(worst);
            same_faces += 1;
        }
    }
    assert!(same_faces >= 4, "only {same_faces} faces had bit-identical inputs (the PNG alone has 4)");
    eprintln!("{same_faces} faces on identical inputs: worst landmark difference {worst_same:.2e} px of the crop");
}
