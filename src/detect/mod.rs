//! Face detection: gray frame in, [`Detection`]s (pixel bounding boxes with a detector score) out.
//!
//! Backends: [`seeta`] (SeetaFace frontal cascade through the `rustface` crate).

pub mod bbox;
pub mod gray;
pub mod seeta;

pub use bbox::BBox;

/// One face found by a detector.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// Bounding box in pixels of the source frame.
    pub bbox: BBox,
    /// Detector confidence (SeetaFace: the cascade's score, unbounded, typically 2..30; higher is surer).
    pub score: f32,
}

/// A face detector. Not required to be `Send`: build it on the thread that uses it.
pub trait FaceDetector {
    /// Finds faces in an 8-bit gray image (`width x height`, row-major). Boxes are in pixels of that image.
    fn detect(&mut self, gray: &image::GrayImage) -> Vec<Detection>;
}
