//! YuNet in candle: agreement with onnxruntime on the shared photos (reference values from
//! `scripts/yunet_reference.py`, stored in `tests/data/yunet_reference.json`), and what the default detector
//! finds on the photos and clips named in the product's acceptance list.

use crate::common;

use std::path::Path;

use emotrace::capture::{self, Input};
use emotrace::detect::yunet::{YuNet, YuNetConfig};
use emotrace::detect::{self, BBox, DetectConfig, Detection};

fn models() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A photo of `../shared/media`, or `None` (the test skips with one line) when the shared folder is missing.
fn rgb(name: &str) -> Option<image::RgbImage> {
    let path = common::shared_media(name)?;
    Some(image::open(path).unwrap_or_else(|e| panic!("{name}: {e}")).to_rgb8())
}

/// The default detector (as `emotrace analyze` builds it) on one photo.
fn detect_default(img: &image::RgbImage) -> Vec<Detection> {
    let cfg = DetectConfig::default();
    let mut d = detect::build(&cfg, &models()).unwrap();
    let gray = emotrace::capture::gray::to_gray(img);
    d.detect(img, &gray).unwrap().into_iter().filter(|d| d.score >= cfg.high_score()).collect()
}

#[test]
fn boxes_scores_and_landmarks_agree_with_onnxruntime() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../data/yunet_reference.json")).expect("reference JSON");
    let cfg = YuNetConfig { score_threshold: 0.6, low_score: 0.6, ..Default::default() };
    let mut yunet = YuNet::load(&models().join("yunet_n.safetensors"), &cfg, 1.0, 1).unwrap();
    for (name, want) in reference["images"].as_object().unwrap() {
        let Some(img) = rgb(name) else { return };
        let mean = img.as_raw().iter().map(|&v| v as f64).sum::<f64>() / img.as_raw().len() as f64;
        // Same decoded pixels (PNG always; JPEG when both decoders agree): tight tolerances. Otherwise the
        // decoders' rounding differs by a gray level here and there and the tolerance widens accordingly.
        let same_pixels = (mean - want["mean"].as_f64().unwrap()).abs() < 1e-6;
        let (px_tol, rel_tol, score_tol) = if same_pixels { (0.05, 0.0, 1e-3) } else { (1.5, 0.1, 0.03) };
        let got = yunet.detect_rgb(&img).unwrap();
        let want = want["faces"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: {} faces, onnxruntime {}", got.len(), want.len());
        for w in want {
            let b: Vec<f32> = w["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            let wb = BBox::new(b[0], b[1], b[2], b[3]).clipped(img.width() as f32, img.height() as f32);
            let g = got
                .iter()
                .max_by(|a, b| a.bbox.iou(&wb).total_cmp(&b.bbox.iou(&wb)))
                .unwrap_or_else(|| panic!("{name}: no face"));
            let tol = px_tol + rel_tol * wb.w.max(wb.h);
            for (a, e) in [(g.bbox.x, wb.x), (g.bbox.y, wb.y), (g.bbox.w, wb.w), (g.bbox.h, wb.h)] {
                assert!((a - e).abs() <= tol, "{name}: box {:?} vs onnxruntime {wb:?}", g.bbox);
            }
            let ws = w["score"].as_f64().unwrap() as f32;
            assert!((g.score - ws).abs() <= score_tol, "{name}: score {} vs {ws}", g.score);
            let lm = g.landmarks.expect("YuNet gives landmarks");
            for (k, p) in w["landmarks"].as_array().unwrap().iter().enumerate() {
                let (x, y) = (p[0].as_f64().unwrap() as f32, p[1].as_f64().unwrap() as f32);
                assert!(
                    (lm[k][0] - x).abs() <= tol && (lm[k][1] - y).abs() <= tol,
                    "{name}: landmark {k} {:?} vs ({x}, {y})",
                    lm[k]
                );
            }
        }
    }
}

#[test]
fn the_default_detector_finds_every_face_of_the_acceptance_photos_and_nothing_else() {
    for (name, n) in [
        ("solvay-1927-boxed.png", 29),
        ("BWPictureHuman.jpg", 1),
        ("sample1.jpg", 3),
        ("sample2.jpg", 3),
        ("multi_face.jpg", 5),
        ("single_face.jpg", 1),
    ] {
        let Some(img) = rgb(name) else { return };
        let got = detect_default(&img);
        assert_eq!(got.len(), n, "{name}: {got:?}");
    }
}

#[test]
fn a_group_rotated_by_25_degrees_is_still_found() {
    let Some(img) = rgb("multi_face.jpg") else { return };
    // Rotate about the centre into a canvas large enough to hold it (bilinear, black outside).
    let (w, h) = (img.width() as f32, img.height() as f32);
    let a = 25f32.to_radians();
    let (cw, ch) = ((w * a.cos() + h * a.sin()).ceil() as u32, (w * a.sin() + h * a.cos()).ceil() as u32);
    let rotated = image::RgbImage::from_fn(cw, ch, |x, y| {
        let (dx, dy) = (x as f32 - cw as f32 / 2.0, y as f32 - ch as f32 / 2.0);
        let (sx, sy) = (dx * a.cos() + dy * a.sin() + w / 2.0, -dx * a.sin() + dy * a.cos() + h / 2.0);
        if sx >= 0.0 && sy >= 0.0 && sx < w - 1.0 && sy < h - 1.0 {
            *img.get_pixel(sx as u32, sy as u32)
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    assert_eq!(detect_default(&rotated).len(), 5);
}

#[test]
fn no_face_clip_gives_no_detection_in_any_frame() {
    let Some(clip) = common::shared_media("no_face.mp4") else { return };
    let input = Input::Path(clip);
    let mut src = capture::open(&input).unwrap();
    let cfg = DetectConfig::default();
    let mut d = detect::build(&cfg, &models()).unwrap();
    let mut frames = 0;
    while let Some(f) = src.next_frame().unwrap() {
        let gray = f.image.gray();
        let found: Vec<_> =
            d.detect(f.image.rgb(), &gray).unwrap().into_iter().filter(|d| d.score >= cfg.high_score()).collect();
        assert!(found.is_empty(), "frame {}: {found:?}", f.index);
        frames += 1;
    }
    assert_eq!(frames, 95);
}

#[test]
fn a_missing_or_damaged_model_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DetectConfig::default();
    let err = detect::build(&cfg, dir.path()).err().expect("no model there");
    assert!(format!("{err:#}").contains("yunet_n.safetensors"), "{err:#}");
    std::fs::write(dir.path().join("yunet_n.safetensors"), b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage").unwrap();
    let err = detect::build(&cfg, dir.path()).err().expect("damaged model");
    assert!(format!("{err:#}").contains("yunet_n.safetensors"), "{err:#}");
}
