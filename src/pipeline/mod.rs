//! The running pipeline: capture -> detect -> track -> classify -> smooth, on tokio with bounded channels.
//!
//! Stages, in the order a frame travels: [`capture_stage`], [`track_stage`] (detection on a schedule, tracking),
//! [`classify_stage`]; beside them [`reid_stage`] (re-identification of faces that come back); [`runner`] wires
//! them.

pub mod capture_stage;
pub mod classify_stage;
pub mod latest;
pub mod observation;
pub mod reid_stage;
pub mod runner;
pub mod schedule;
pub mod stats;
pub mod track_stage;

use std::sync::Arc;
use std::time::Instant;

pub use observation::{FrameResult, Observation};
pub use runner::{start, PipelineOptions, RunningPipeline};
pub use schedule::{ClassifySchedule, DetectSchedule, Schedule, ScheduleName};
pub use stats::PipelineStats;

use crate::track::TrackedFace;

/// A frame on its way through the stages: its pixels (shared, not copied, between stages and the detector
/// thread; RGB made only for the frames detected or previewed), its gray version, and (after tracking) its faces.
pub struct InFlight {
    /// Index of the frame in its source.
    pub index: u64,
    /// ms since session start.
    pub timestamp_ms: u64,
    /// When the frame left the source (for latency).
    pub captured_at: Instant,
    /// Pixels (RGB8, or YUV with RGB on demand).
    pub image: Arc<crate::capture::Picture>,
    /// 8-bit gray (BT.601), same size.
    pub gray: Arc<image::GrayImage>,
    /// Tracked faces in this frame (tentative ones included).
    pub faces: Vec<TrackedFace>,
    /// High-score faces found by the latest detection (this frame's, or the last one before it).
    pub detections: usize,
    /// A full-frame detection ran on this frame (files), or a detection finished and was applied here (live).
    pub detected: bool,
    /// A new, unrelated scene starts here (each photo of a folder; [`crate::capture::Frame::scene_start`]):
    /// tracks and smoothing restart.
    pub scene_start: bool,
    /// Frames a live source skipped just before this one (its reader fell behind; indices are missing): counted
    /// as dropped, as the frames the newest-wins hand-off replaces are.
    pub skipped_before: u64,
}
