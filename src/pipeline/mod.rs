//! The running pipeline: capture -> detect -> track -> classify -> smooth, on tokio with bounded channels.
//!
//! Stages, in the order a frame travels: [`capture_stage`], [`track_stage`] (detection on a schedule, tracking),
//! [`classify_stage`]; [`runner`] wires them.

pub mod capture_stage;
pub mod classify_stage;
pub mod latest;
pub mod observation;
pub mod runner;
pub mod stats;
pub mod track_stage;

use std::sync::Arc;
use std::time::Instant;

pub use observation::{FrameResult, Observation};
pub use runner::{start, PipelineOptions, RunningPipeline};
pub use stats::PipelineStats;
pub use track_stage::DetectSchedule;

use crate::track::TrackedFace;

/// A frame on its way through the stages: its pixels (shared, not copied, between stages and the detector
/// thread), its gray version, and (after tracking) its faces.
pub struct InFlight {
    /// Index of the frame in its source.
    pub index: u64,
    /// ms since session start.
    pub timestamp_ms: u64,
    /// When the frame left the source (for latency).
    pub captured_at: Instant,
    /// RGB8 pixels.
    pub image: Arc<image::RgbImage>,
    /// 8-bit gray (BT.601), same size.
    pub gray: Arc<image::GrayImage>,
    /// Tracked faces in this frame (tentative ones included).
    pub faces: Vec<TrackedFace>,
    /// High-score faces found by the latest detection (this frame's, or the last one before it).
    pub detections: usize,
    /// A new, unrelated scene starts here (each photo of a folder; [`crate::capture::Frame::scene_start`]):
    /// tracks and smoothing restart.
    pub scene_start: bool,
}
