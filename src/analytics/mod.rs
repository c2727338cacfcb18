//! Summaries and metrics computed from stored or live observations.

pub mod coverage;
pub mod metrics;
pub mod review;
pub mod summary;
pub mod timeline;
