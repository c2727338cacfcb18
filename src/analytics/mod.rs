//! Summaries computed from stored or live observations: what a session says (coverage, attention, room,
//! valence, segments and changes) and the one view of a stored session that every front end renders
//! ([`session_view`]). Reads the store; the store knows nothing of it.

pub mod agreement;
pub mod attention;
pub mod coverage;
pub mod palette;
pub mod room;
pub mod segments;
pub mod session_view;
pub mod summary;
pub mod valence;
