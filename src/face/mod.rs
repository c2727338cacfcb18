//! Per-face geometry and identity on a face crop, used by the pipeline like [`crate::classify`]: the face mesh,
//! head pose and eyes (issue 20), and the descriptor that re-identifies a face that left and came back within one
//! session (issue 21; descriptors live in memory during a run and are never written to the store, an export or a
//! log).

pub mod descriptor;
pub mod eyes;
pub mod mesh;
pub mod pose;
pub mod reid;
