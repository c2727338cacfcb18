//! # emotrace
//!
//! A terminal facial-emotion analyzer. A [`capture::FrameSource`] (video file, still images, camera) yields
//! [`capture::Frame`]s; [`detect`] finds faces (YuNet-n in candle, or SeetaFace via rustface) as pixel bounding
//! boxes with five landmarks; [`track`] gives each face a stable track id (Kalman prediction, two-stage ByteTrack
//! association, birth/death hysteresis); [`classify`] aligns each face by its eyes to
//! `[1, 64, 64]` gray in `[-1, 1]` and runs the FER2013 mini-Xception networks (candle) to 7-class probabilities,
//! then smooths them per track (exponential, half-life in seconds); [`pipeline`] wires the stages on tokio with
//! bounded channels and measures FPS and latency; [`store`] persists sessions, tracks and per-frame observations
//! in sled (derived numbers only, never pixels); [`analytics`] summarises them. The [`tui`] and the HTML [`report`]
//! are clients of the engine; the command line (`cli`, `commands`) belongs to the `emotrace` binary
//! (`src/main.rs`) and is no part of this library.
//!
//! The types a client needs are re-exported here, so that a program embedding the engine writes
//! `emotrace::{Config, Input, PipelineOptions, Store}` rather than the module each lives in:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use emotrace::{Config, Input, Store};
//!
//! let cfg = Config::load(None)?;
//! let options = cfg.pipeline_options();
//! let mut running = emotrace::start(&Input::Path("recordings/single_face.mp4".into()), options)?;
//! let store = Store::open(std::path::Path::new("/tmp/emotrace-store"))?;
//! while let Some(frame) = running.results.recv().await {
//!     println!("frame {}: {} faces", frame.frame_index, frame.observations.len());
//! }
//! running.join().await?;
//! # let _ = store;
//! # Ok(())
//! # }
//! ```
//!
//! Module map, in the order a frame travels. The engine is a one-way chain: each module uses only those above
//! it (and the leaf helpers), none of them uses a front end; `tests/it/layering.rs` checks this from the source.
//!
//! | module | stage |
//! | --- | --- |
//! | [`capture`] | frames from MP4/MOV (H.264), JPEG/PNG images and folders, cameras (feature `camera`) |
//! | [`detect`] | [`detect::Detection`] boxes from a gray frame |
//! | [`track`] | stable ids per face |
//! | [`classify`] | emotion probabilities per face, smoothing, valence of one frame, FER2013 metrics and evaluation |
//! | [`face`] | per-face geometry and identity: Face Mesh, head pose and eyes; the re-identification descriptor (in memory only) and its decision |
//! | [`pipeline`] | the running stages, statistics |
//! | [`store`] | the sled session store: records, per-second timeline buckets, typed [`store::StoreError`], exports (typed [`ExportError`]) |
//! | [`analytics`] | what a stored session says: coverage, attention, room, valence over time, review summaries |
//! | [`config`] | the typed configuration (every section, the screen's `[tui]` included) |
//!
//! Leaf helpers, used anywhere, using nothing of the crate: [`nn`] (CPU network layers shared by the detector
//! and the classifiers), [`fmt`] (the one way times, durations and faces are written), [`text`] (untrusted text
//! made safe).
//!
//! Front ends, clients of the engine: [`tui`] (the live screen, and `tui::review`: the sessions browser and the
//! review screen), [`report`] (the HTML report), [`api`] (the HTTP API of `live --listen` and the xAPI statements),
//! and the CLI (`cli`, `commands`).

pub mod analytics;
pub mod api;
pub mod capture;
pub mod classify;
pub mod config;
pub mod detect;
pub mod face;
pub mod fmt;
pub mod lawful_use;
pub mod nn;
pub mod pipeline;
pub mod report;
pub mod store;
pub mod text;
pub mod track;
pub mod tui;

pub use analytics::session_view::{CompareView, SessionOverview, SessionView};
pub use capture::{CaptureError, Frame, FrameSource, Input, SourceInfo, SourceKind};
pub use classify::{Classifier, Emotion, ModelKind, Probs, NUM_EMOTIONS};
pub use config::Config;
pub use detect::{BBox, DetectConfig, Detection, FaceDetector};
pub use pipeline::{start, FrameResult, Observation, PipelineOptions, PipelineStats, RunningPipeline};
pub use store::export::{ExportError, Format as ExportFormat, SessionExport};
pub use store::{
    Annotation, AnnotationKind, NewSession, SessionRecord, SessionStatus, SessionWriter, Store, StoredSession,
    TrackRecord,
};
pub use track::{TrackedFace, Tracker, TrackerConfig};
