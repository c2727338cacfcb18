//! The running pipeline: capture -> detect -> track -> classify -> smooth, on tokio with bounded channels.

pub mod latest;
pub mod observation;
// WIP pub mod runner;
pub mod stats;

pub use observation::{FrameResult, Observation};
pub use stats::PipelineStats;
// WIP pub use runner::{start, PipelineOptions, RunningPipeline};
