//! Summaries and metrics computed from stored or live observations.

pub mod attention;
pub mod coverage;
pub mod metrics;
pub mod review;
pub mod room;
pub mod summary;
pub mod timeline;
pub mod valence;
