//! The running pipeline: capture -> detect -> track -> classify -> smooth, on tokio with bounded channels.

pub mod latest;
pub mod observation;
pub mod runner;
pub mod stats;

pub use observation::{FrameResult, Observation};
pub use runner::{start, PipelineOptions, RunningPipeline};
pub use stats::PipelineStats;
