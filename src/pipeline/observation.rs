//! What the pipeline emits: one [`Observation`] per tracked face per processed frame.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::PipelineStats;
use crate::classify::Probs;
use crate::detect::BBox;

/// One face in one processed frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Index of the frame in its source (0-based).
    pub frame_index: u64,
    /// Milliseconds since session start.
    pub timestamp_ms: u64,
    /// Stable track id (1, 2, ... in order of appearance); shown as "Face {track_id}".
    pub track_id: u32,
    /// Face bounding box, pixels of the source frame.
    pub bbox: BBox,
    /// Detector score of the matched detection.
    pub score: f32,
    /// Classifier output for this frame, FER2013 order, sums to 1.
    pub raw: Probs,
    /// Per-track exponentially smoothed probabilities, FER2013 order, sums to 1.
    pub smoothed: Probs,
}

/// Everything the pipeline knows after one frame: the faces in it and the running statistics.
#[derive(Clone, Debug)]
pub struct FrameResult {
    /// Index of the frame in its source (0-based).
    pub frame_index: u64,
    /// Milliseconds since session start.
    pub timestamp_ms: u64,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Faces the detector found in this frame (confirmed or not yet).
    pub detections: usize,
    /// Capture-to-result latency of this frame, milliseconds.
    pub latency_ms: f64,
    /// Confirmed tracks seen in this frame, ordered by track id.
    pub observations: Vec<Observation>,
    /// Pipeline statistics as of this frame.
    pub stats: PipelineStats,
    /// The frame's pixels (RGB8), only when a preview was asked for; never stored.
    pub image: Option<Arc<image::RgbImage>>,
}
