//! Summaries computed from stored or live observations: what a session says (coverage, attention, room,
//! valence, segments and changes for review). Reads the store; the store knows nothing of it.

pub mod agreement;
pub mod attention;
pub mod coverage;
pub mod review;
pub mod room;
pub mod summary;
pub mod valence;
