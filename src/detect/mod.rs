//! Face detection: a frame in, [`Detection`]s (pixel bounding boxes with a detector score and, where the detector
//! gives them, five landmarks) out.
//!
//! Backends, chosen by `detect.backend` and built by [`build`]:
//! - [`yunet`] (default): YuNet-n in candle, any pose, faces down to about 14 px in the image it sees, landmarks;
//! - [`seeta`]: the SeetaFace frontal cascade through the `rustface` crate (no landmarks).
//!
//! The smallest face to find is a setting in source pixels (`detect.min_face_px`); [`DetectConfig::input_scale`]
//! turns it into the resize factor each backend needs, so large faces never pay for full-resolution detection.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub mod bbox;
pub mod seeta;
pub mod yunet;

pub use bbox::BBox;

/// Five facial landmarks in pixels of the source frame, `[x, y]` each, in YuNet's (and RetinaFace's) order:
/// right eye, left eye, nose tip, right mouth corner, left mouth corner ("right" is the person's right, which
/// is on the left of the image for a frontal face).
pub type Landmarks = [[f32; 2]; 5];

/// The eye axis of five landmarks: the squared inter-ocular distance (pixels²) and the *yaw ratio*, the nose tip's
/// offset from the eye midpoint along the eye axis in inter-ocular distances (0 for a frontal face, positive
/// toward the person's left eye). `None` when either is not finite (eyes on one point, a coordinate not finite).
/// The one computation behind `analytics::attention::yaw` and the re-identification chips' frontality.
pub fn eye_axis(lm: &Landmarks) -> Option<(f32, f32)> {
    let [re, le, nose, _, _] = *lm;
    let (ex, ey) = (le[0] - re[0], le[1] - re[1]);
    let d2 = ex * ex + ey * ey;
    let (mx, my) = ((re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0);
    let ratio = ((nose[0] - mx) * ex + (nose[1] - my) * ey) / d2;
    (d2.is_finite() && ratio.is_finite()).then_some((d2, ratio))
}

/// One face found by a detector.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// Bounding box in pixels of the source frame.
    pub bbox: BBox,
    /// Detector confidence. YuNet: in `[0, 1]` (geometric mean of its class and objectness sigmoids); SeetaFace:
    /// the cascade's score, unbounded, typically 2..30. Higher is surer.
    pub score: f32,
    /// The five landmarks, when the detector gives them (YuNet does, SeetaFace does not).
    pub landmarks: Option<Landmarks>,
}

/// A face detector. Not required to be `Send` (rustface's is not): build it with [`build`] on the thread that
/// uses it.
pub trait FaceDetector {
    /// Finds faces in a frame, given as RGB8 and as its 8-bit gray version (same size; each backend reads the one
    /// it needs). Boxes and landmarks are in pixels of the frame.
    ///
    /// Errors: a tensor operation fails (not expected for valid frames).
    fn detect(&mut self, rgb: &image::RgbImage, gray: &image::GrayImage) -> anyhow::Result<Vec<Detection>>;
}

/// Which face detector runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// YuNet-n (default): any head pose, small faces, five landmarks.
    Yunet,
    /// SeetaFace frontal cascade (rustface): frontal faces of about 40 px and more in the image it sees.
    Seeta,
}

impl Backend {
    /// Lower-case name, as in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Yunet => "yunet",
            Self::Seeta => "seeta",
        }
    }

    /// Side in pixels, in the image the detector sees, of the smallest face it finds reliably.
    pub fn min_face_in_input_px(self) -> f32 {
        match self {
            Self::Yunet => yunet::MIN_FACE_IN_INPUT_PX,
            Self::Seeta => seeta::MIN_FACE_IN_INPUT_PX,
        }
    }

    /// The model file this backend loads from the models folder.
    pub fn model_file(self) -> &'static str {
        match self {
            Self::Yunet => yunet::YUNET_MODEL_FILE,
            Self::Seeta => seeta::SEETA_MODEL_FILE,
        }
    }
}

/// The `[detect]` table of the configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Which detector runs.
    pub backend: Backend,
    /// Side in pixels of the source frame of the smallest face to find. Decides the detector's input size:
    /// frames are resized by `min_face_in_input / min_face_px` (at most 2), so 20 px faces in a 1080p frame are
    /// found by YuNet at 0.7 of the frame's size, and a clip of large faces is detected at a fraction of it.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub min_face_px: f32,
    /// A fixed resize factor in `(0, 2]` instead of the one `min_face_px` gives; 0 (default) derives it.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub scale: f32,
    /// CPU threads for face detection; 0 (default): one per core. Files: this many frames are detected at once,
    /// one single-threaded detector per thread (results applied in frame order). Live sources: one detection at
    /// a time on the newest frame, YuNet's large layers split over this many threads at a lower priority, so it
    /// takes only what decoding and classification leave.
    pub threads: usize,
    /// Seconds of video between full-frame detections while the tracks are steady (the lecture schedule,
    /// [`crate::pipeline::schedule`]); the tracker predicts the boxes in between.
    pub interval_s: f64,
    /// Seconds of video between detections while the tracks are uncertain (a new face, faces missed, boxes
    /// drifting or moving fast).
    pub fast_interval_s: f64,
    /// YuNet's decoding.
    pub yunet: yunet::YuNetConfig,
    /// SeetaFace's cascade.
    pub seeta: seeta::SeetaConfig,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Yunet,
            min_face_px: 20.0,
            scale: 0.0,
            threads: 0,
            interval_s: 0.2,
            fast_interval_s: 0.1,
            yunet: yunet::YuNetConfig::default(),
            seeta: seeta::SeetaConfig::default(),
        }
    }
}

impl DetectConfig {
    /// The factor frames are resized by before detection: `scale` when set, else
    /// `backend.min_face_in_input_px() / min_face_px`, at most 2.
    pub fn input_scale(&self) -> f32 {
        if self.scale > 0.0 {
            self.scale
        } else {
            (self.backend.min_face_in_input_px() / self.min_face_px.max(1.0)).min(2.0)
        }
    }

    /// The score from which a detection is a face that may start a track (the backend's threshold); the
    /// detector may also return weaker candidates for the tracker's second association.
    pub fn high_score(&self) -> f32 {
        match self.backend {
            Backend::Yunet => self.yunet.score_threshold,
            Backend::Seeta => self.seeta.score_threshold as f32,
        }
    }

    /// Errors: a value out of range (one line naming the key, the value and the allowed range).
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.min_face_px.is_finite() && self.min_face_px >= 1.0,
            "detect.min_face_px must be at least 1 (pixels), got {}",
            self.min_face_px
        );
        anyhow::ensure!(
            self.scale.is_finite() && (0.0..=2.0).contains(&self.scale),
            "detect.scale must be 0 (derive it from min_face_px) or in (0, 2], got {}",
            self.scale
        );
        anyhow::ensure!(
            self.interval_s.is_finite() && self.interval_s > 0.0 && self.interval_s <= 10.0,
            "detect.interval_s must be greater than 0, at most 10 (seconds), got {}",
            self.interval_s
        );
        anyhow::ensure!(
            self.fast_interval_s.is_finite() && self.fast_interval_s > 0.0 && self.fast_interval_s <= self.interval_s,
            "detect.fast_interval_s must be greater than 0, at most detect.interval_s ({}), got {}",
            self.interval_s,
            self.fast_interval_s
        );
        anyhow::ensure!(
            self.threads <= MAX_THREADS,
            "detect.threads must be 0 (one per core) to {MAX_THREADS}, got {}",
            self.threads
        );
        self.yunet.validate()?;
        self.seeta.validate()
    }

    /// One line for session records and logs, e.g. `yunet (YuNet-n, libfacedetection.train), input scale 0.70`.
    pub fn describe(&self) -> String {
        let what = match self.backend {
            Backend::Yunet => "YuNet-n, libfacedetection.train, Apache-2.0",
            Backend::Seeta => "SeetaFace frontal cascade, rustface 0.1.7",
        };
        format!("{} ({what}), input scale {:.2}", self.backend.name(), self.input_scale())
    }
}

/// Most detection threads `[detect] threads` may ask for (each is a detector with its own buffers).
pub const MAX_THREADS: usize = 64;

/// Builds the configured detector from the models folder. Call it on the thread that will use the detector.
///
/// Errors: the configuration is out of range, or the model file is missing or damaged (the message names it).
pub fn build(cfg: &DetectConfig, models_dir: &Path) -> anyhow::Result<Box<dyn FaceDetector>> {
    cfg.validate()?;
    let path = models_dir.join(cfg.backend.model_file());
    Ok(match cfg.backend {
        Backend::Yunet => Box::new(yunet::YuNet::load(&path, &cfg.yunet, cfg.input_scale(), cfg.threads)?),
        Backend::Seeta => Box::new(seeta::SeetaDetector::load(&path, &cfg.seeta, cfg.input_scale())?),
    })
}
