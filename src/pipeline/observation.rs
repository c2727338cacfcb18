//! What the pipeline emits: one [`Observation`] per tracked face per processed frame.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::PipelineStats;
use crate::classify::Probs;
use crate::detect::{BBox, Landmarks};

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
    /// Detector score of the matched detection (for a predicted box: of the track's last detection). YuNet:
    /// `[0, 1]`; SeetaFace: the cascade's raw score (about 2..35).
    pub score: f32,
    /// Classifier output for this frame, FER2013 order, sums to 1.
    pub raw: Probs,
    /// Per-track exponentially smoothed probabilities, FER2013 order, sums to 1.
    pub smoothed: Probs,
    /// The five facial landmarks in pixels of the source frame ([`Landmarks`] order: right eye, left eye, nose
    /// tip, right and left mouth corner), when the detector gives them; for a predicted box, the last detected
    /// landmarks moved with the box.
    pub landmarks: Option<Landmarks>,
    /// `true` when the box was predicted by the tracker's motion model (no detection ran on this frame, or the
    /// face was briefly missed) rather than detected in this frame.
    pub predicted: bool,
    /// `true` when `raw` was computed from this frame's crop; `false` when the face was not classified on this
    /// frame (a live source under load classifies each face at least 10 times per second, not every frame) and
    /// `raw` repeats the face's latest classification.
    pub classified: bool,
}

impl Observation {
    /// The box's provenance as a word for exports: `"detected"` or `"predicted"`.
    pub fn box_source(&self) -> &'static str {
        if self.predicted {
            "predicted"
        } else {
            "detected"
        }
    }
}

/// An observation as stored by schema version 1 (before landmarks and the predicted flag), for reading older
/// sessions: postcard is positional, so the old layout needs its own type.
#[derive(Clone, Debug, Deserialize)]
pub struct ObservationV1 {
    frame_index: u64,
    timestamp_ms: u64,
    track_id: u32,
    bbox: BBox,
    score: f32,
    raw: Probs,
    smoothed: Probs,
}

impl From<ObservationV1> for Observation {
    fn from(o: ObservationV1) -> Observation {
        Observation {
            frame_index: o.frame_index,
            timestamp_ms: o.timestamp_ms,
            track_id: o.track_id,
            bbox: o.bbox,
            score: o.score,
            raw: o.raw,
            smoothed: o.smoothed,
            landmarks: None,
            predicted: false,
            classified: true,
        }
    }
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
    /// Faces (at or above the detector's threshold) found by the latest detection: this frame's, or the last one
    /// before it when no detection ran on this frame.
    pub detections: usize,
    /// A full-frame detection ran on this frame (files; live sources: a detection finished and was applied here).
    pub detected: bool,
    /// Faces observed in this frame, detected or tracked, tentative ones included.
    pub faces: usize,
    /// Capture-to-result latency of this frame, milliseconds.
    pub latency_ms: f64,
    /// Confirmed tracks seen in this frame, ordered by track id.
    pub observations: Vec<Observation>,
    /// Observations of earlier frames, made while a face confirmed in this frame was still tentative, now under
    /// its id (stored, not shown).
    pub backfill: Vec<Observation>,
    /// Pipeline statistics as of this frame.
    pub stats: PipelineStats,
    /// The frame's pixels (RGB made when the preview draws it), only when a preview was asked for; never stored.
    pub image: Option<Arc<crate::capture::Picture>>,
}
