//! SeetaFace frontal face detector (funnel-structured cascade, Wu et al. 2016) through `rustface` 0.1.7.
//!
//! The model file is `models/seeta_fd_frontal_v1.0.bin`, exactly as the `rustface` crate ships it (BSD-2-Clause).
//! `rustface`'s `set_min_face_size` has no effect in 0.1.7, so the smallest face found (about 40 px in the image
//! the cascade sees) is controlled by the input scale ([`super::DetectConfig::input_scale`]): the frame is resized
//! by that factor before detection and the boxes are mapped back to source pixels.

use std::path::Path;

use anyhow::Context;
use image::imageops::FilterType;

use super::{BBox, Detection, FaceDetector};

/// File name of the SeetaFace cascade in the models folder.
pub const SEETA_MODEL_FILE: &str = "seeta_fd_frontal_v1.0.bin";

/// Side in pixels, in the image the cascade sees, of the smallest face it finds (rustface 0.1.7 ignores
/// `set_min_face_size`; measured on the shared photos).
pub const MIN_FACE_IN_INPUT_PX: f32 = 40.0;

/// Tuning of the SeetaFace cascade (the `[detect.seeta]` table).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeetaConfig {
    /// Minimum cascade score to keep a face (rustface default 2.0).
    pub score_threshold: f64,
    /// Image-pyramid scale step, in (0, 1) (rustface default 0.8; larger is slower and finds more sizes).
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub pyramid_scale_factor: f32,
    /// Sliding-window step in pixels, both axes (rustface default 4).
    pub window_step: u32,
}

impl Default for SeetaConfig {
    fn default() -> Self {
        Self { score_threshold: 2.0, pyramid_scale_factor: 0.8, window_step: 4 }
    }
}

impl SeetaConfig {
    /// Errors: a value out of range (names the key).
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.score_threshold.is_finite(),
            "detect.seeta.score_threshold must be a number, got {}",
            self.score_threshold
        );
        anyhow::ensure!(
            self.pyramid_scale_factor > 0.0 && self.pyramid_scale_factor < 1.0,
            "detect.seeta.pyramid_scale_factor must be in (0, 1), got {}",
            self.pyramid_scale_factor
        );
        anyhow::ensure!(self.window_step >= 1, "detect.seeta.window_step must be at least 1");
        Ok(())
    }
}

/// SeetaFace detector. Holds the cascade (about 1.2 MB) in memory; not `Send`.
pub struct SeetaDetector {
    inner: Box<dyn rustface::Detector>,
    scale: f32,
}

impl SeetaDetector {
    /// Loads the cascade from `model_path` (`seeta_fd_frontal_v1.0.bin`); frames are resized by `scale` (in
    /// `(0, 2]`) before detection.
    ///
    /// Errors: the file is missing or not a SeetaFace model; the configuration is out of range.
    pub fn load(model_path: &Path, cfg: &SeetaConfig, scale: f32) -> anyhow::Result<Self> {
        anyhow::ensure!(scale > 0.0 && scale <= 2.0, "the detector's input scale must be in (0, 2], got {scale}");
        cfg.validate()?;
        let file = std::fs::File::open(model_path)
            .with_context(|| format!("{}: cannot open the face detection model", model_path.display()))?;
        let model = rustface::read_model(std::io::BufReader::new(file))
            .map_err(|e| anyhow::anyhow!("{}: not a SeetaFace model: {e}", model_path.display()))?;
        let mut inner = rustface::create_detector_with_model(model);
        inner.set_score_thresh(cfg.score_threshold);
        inner.set_pyramid_scale_factor(cfg.pyramid_scale_factor);
        inner.set_slide_window_step(cfg.window_step, cfg.window_step);
        Ok(Self { inner, scale })
    }
}

impl FaceDetector for SeetaDetector {
    fn detect(&mut self, _rgb: &image::RgbImage, gray: &image::GrayImage) -> anyhow::Result<Vec<Detection>> {
        let resized;
        let img = if (self.scale - 1.0).abs() > f32::EPSILON {
            let w = ((gray.width() as f32 * self.scale).round() as u32).max(1);
            let h = ((gray.height() as f32 * self.scale).round() as u32).max(1);
            resized = image::imageops::resize(gray, w, h, FilterType::Triangle);
            &resized
        } else {
            gray
        };
        let data = rustface::ImageData::new(img.as_raw(), img.width(), img.height());
        let inv = 1.0 / self.scale;
        Ok(self
            .inner
            .detect(&data)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                let raw = BBox::new(b.x() as f32, b.y() as f32, b.width() as f32, b.height() as f32).scaled(inv);
                Detection {
                    bbox: raw.clipped(gray.width() as f32, gray.height() as f32),
                    score: f.score() as f32,
                    landmarks: None,
                }
            })
            .filter(|d| d.bbox.area() > 0.0)
            .collect())
    }
}
