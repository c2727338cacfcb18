//! Session summary: counts and the share of each emotion, accumulated from observations as they come (live or
//! from the store).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::pipeline::{FrameResult, Observation};

/// Running totals of a session.
#[derive(Clone, Debug, Default)]
pub struct SummaryBuilder {
    frames: u64,
    frames_with_faces: u64,
    detected_frames: u64,
    frames_with_detections: u64,
    tracks: BTreeSet<u32>,
    dominant_counts: [u64; NUM_EMOTIONS],
    prob_sums: [f64; NUM_EMOTIONS],
    observations: u64,
}

/// Summary of a session's emotions.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Frames processed.
    pub frames: u64,
    /// Frames with at least one face observed, detected or tracked (a face not yet confirmed included).
    pub frames_with_faces: u64,
    /// Frames the face detector ran on (the schedule's; every frame with `--every-frame`).
    pub detected_frames: u64,
    /// Of those, frames in which the detector found at least one face (at or above its threshold).
    pub frames_with_detections: u64,
    /// Distinct confirmed tracks.
    pub tracks: u64,
    /// Observations (face x frame).
    pub observations: u64,
    /// Share of observations whose smoothed dominant emotion is each class, in `[0, 1]`, summing to 1
    /// (all 0 without observations). Keys are class names in FER2013 order.
    pub emotion_share: BTreeMap<&'static str, f64>,
    /// Mean smoothed probability of each class over all observations, in `[0, 1]`.
    pub mean_probability: BTreeMap<&'static str, f64>,
}

impl SummaryBuilder {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one processed frame.
    pub fn add_frame(&mut self, r: &FrameResult) {
        self.frames += 1;
        self.frames_with_faces += (r.faces > 0) as u64;
        self.detected_frames += r.detected as u64;
        self.frames_with_detections += (r.detected && r.detections > 0) as u64;
        for o in r.backfill.iter().chain(&r.observations) {
            self.add_observation(o);
        }
    }

    /// Adds one observation (without counting a frame).
    pub fn add_observation(&mut self, o: &Observation) {
        self.tracks.insert(o.track_id);
        self.observations += 1;
        self.dominant_counts[Emotion::argmax(&o.smoothed) as usize] += 1;
        for (s, p) in self.prob_sums.iter_mut().zip(o.smoothed) {
            *s += p as f64;
        }
    }

    /// Counts frames without the observations (for stored frame records).
    pub fn add_frame_counts(&mut self, frames: u64, frames_with_faces: u64) {
        self.frames += frames;
        self.frames_with_faces += frames_with_faces;
    }

    /// The summary so far.
    pub fn build(&self) -> Summary {
        let n = self.observations.max(1) as f64;
        let has = self.observations > 0;
        let mut emotion_share = BTreeMap::new();
        let mut mean_probability = BTreeMap::new();
        for e in Emotion::ALL {
            let i = e as usize;
            emotion_share.insert(e.name(), if has { self.dominant_counts[i] as f64 / n } else { 0.0 });
            mean_probability.insert(e.name(), if has { self.prob_sums[i] / n } else { 0.0 });
        }
        Summary {
            frames: self.frames,
            frames_with_faces: self.frames_with_faces,
            detected_frames: self.detected_frames,
            frames_with_detections: self.frames_with_detections,
            tracks: self.tracks.len() as u64,
            observations: self.observations,
            emotion_share,
            mean_probability,
        }
    }
}
