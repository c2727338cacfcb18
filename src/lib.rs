//! # emotrace
//!
//! A terminal facial-emotion analyzer. A [`capture::FrameSource`] (video file, still images, camera) yields
//! [`capture::Frame`]s; [`detect`] finds faces (YuNet-n in candle, or SeetaFace via rustface) as pixel bounding
//! boxes with five landmarks; [`track`] gives each face a stable track id (Kalman prediction, two-stage ByteTrack
//! association, birth/death hysteresis); [`classify`] aligns each face by its eyes to
//! `[1, 64, 64]` gray in `[-1, 1]` and runs the FER2013 mini-Xception networks (candle) to 7-class probabilities,
//! then smooths them per track (exponential, half-life in seconds); [`pipeline`] wires the stages on tokio with
//! bounded channels and measures FPS and latency; [`store`] persists sessions, tracks and per-frame observations
//! in sled (derived numbers only, never pixels); [`analytics`] summarises them. The [`tui`] is one client of the
//! pipeline, the headless commands (`analyze`, `eval`, `sessions`) are another.
//!
//! Module map, in the order a frame travels:
//!
//! | module | stage |
//! | --- | --- |
//! | [`capture`] | frames from MP4/MOV (H.264), JPEG/PNG images and folders, cameras (feature `camera`) |
//! | [`detect`] | [`detect::Detection`] boxes from a gray frame |
//! | [`track`] | stable ids per face |
//! | [`classify`] | emotion probabilities per face, smoothing, FER2013 evaluation |
//! | [`pipeline`] | the running stages, statistics |
//! | [`store`] | the sled session store |
//! | [`analytics`] | summaries and metrics |
//! | [`tui`] | the live terminal screen |
//! | [`nn`] | CPU network layers shared by the detector and the classifiers |

pub mod analytics;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod config;
pub mod detect;
pub mod nn;
pub mod pipeline;
pub mod report;
pub mod store;
pub mod text;
pub mod track;
pub mod tui;
