//! The face descriptor (issue 21) against face-api's own implementation: `tests/data/descriptor_reference.json`
//! holds the 128 numbers that npm `@vladmandic/face-api` 1.7.15's `computeFaceDescriptor` (TensorFlow.js 4.22.0,
//! CPU backend, under node) gives for 8 face chips of the shared photos, saved losslessly in
//! `tests/data/descriptor/`; both are written by `scripts/reference_descriptor.py`. The chips were cut in Python
//! with the geometry of `face_chip`, which is checked here too on the one lossless photo (the JPEG decoders of
//! Pillow and the `image` crate differ by a level here and there).

use std::path::Path;

use emotrace::face::descriptor::{distance, face_chip, Descriptor, DescriptorNet, CHIP_SIZE};

/// Largest allowed absolute difference of one descriptor component (they are about 0.1 in size; 3.9e-7 measured
/// here): the weights are bit-identical, the order of the arithmetic differs (folded scale layers, gemm's sums).
const TOLERANCE: f32 = 1e-5;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/data/descriptor_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn chip(rel: &str) -> Vec<u8> {
    let img = image::open(root().join("tests/data").join(rel)).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (CHIP_SIZE as u32, CHIP_SIZE as u32));
    img.into_raw()
}

fn descriptor(v: &serde_json::Value) -> Descriptor {
    let a = v.as_array().expect("128 numbers");
    assert_eq!(a.len(), 128);
    let mut d = [0f32; 128];
    for (o, x) in d.iter_mut().zip(a) {
        *o = x.as_f64().unwrap() as f32;
    }
    d
}

#[test]
fn descriptors_agree_with_face_api() {
    let net = DescriptorNet::load(&root().join("models")).unwrap();
    let json = reference();
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    let chips: Vec<Vec<u8>> = cases.iter().map(|c| chip(c["chip"].as_str().unwrap())).collect();
    let refs: Vec<&[u8]> = chips.iter().map(|c| c.as_slice()).collect();
    // One batch of all, and one chip alone: a face's descriptor does not depend on the others in its batch.
    let ours = net.describe(&refs).unwrap();
    let alone = net.describe(&refs[3..4]).unwrap();
    let mut worst = 0f32;
    for (case, d) in cases.iter().zip(&ours) {
        let want = descriptor(&case["descriptor"]);
        let diff = d.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(diff <= TOLERANCE, "{}: largest difference {diff} from face-api", case["chip"]);
        worst = worst.max(diff);
        assert!(distance(d, &want) < 1e-3);
    }
    assert_eq!(alone[0], ours[3]);
    eprintln!("largest difference from face-api: {worst:e}");
    // Eight faces, eight people (the three Solvay faces are small black-and-white ones): every pair is apart.
    for i in 0..ours.len() {
        for j in i + 1..ours.len() {
            assert!(distance(&ours[i], &ours[j]) > 0.4, "chips {i} and {j} read as one face");
        }
    }
}

#[test]
fn face_chips_are_cut_as_the_reference_cut_them() {
    let Some(photo) = emotrace_shared("solvay-1927-boxed.png") else { return };
    let rgb = image::open(photo).unwrap().to_rgb8();
    let json = reference();
    let mut compared = 0;
    for case in json["cases"].as_array().unwrap().iter().filter(|c| c["photo"] == "solvay-1927-boxed.png") {
        let lm: Vec<[f32; 2]> = serde_json::from_value(case["landmarks"].clone()).unwrap();
        let landmarks: [[f32; 2]; 5] = lm.try_into().unwrap();
        let ours = face_chip(&rgb, &landmarks);
        let want = chip(case["chip"].as_str().unwrap());
        // Rounding of x.5 may differ between numpy's float32 and Rust's: at most one level, on few pixels.
        let off = ours.iter().zip(&want).filter(|(a, b)| a != b).count();
        let worst = ours.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(worst <= 1 && off * 100 <= ours.len(), "{}: {off} values differ, by up to {worst}", case["chip"]);
        compared += 1;
    }
    assert_eq!(compared, 3);
}

fn emotrace_shared(name: &str) -> Option<std::path::PathBuf> {
    crate::common::shared_media(name)
}
