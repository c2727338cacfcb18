//! Wiring of the stages. Each runs on a thread of tokio's blocking pool; they are joined by bounded channels:
//!
//! ```text
//!  capture (decode, gray) ──► detect + track ──► classify + smooth ──► results (mpsc) ──► sinks
//!  capture_stage              track_stage         classify_stage                        screen, store, summary
//!        file: bounded channel, every frame      bounded channel
//!        live: LatestSlot, newest frame wins (drops counted); detection on its own thread, as often as it can
//! ```
//!
//! A file source read at full speed waits for the slowest stage (back-pressure: nothing is dropped), detects on
//! every frame (or every `n`-th, [`DetectSchedule::EveryNth`]) and classifies every face. A live source (camera,
//! or a file paced with `realtime`) never waits: when the stages are busy, the newest frame replaces the one
//! waiting and the replaced one is counted in [`super::PipelineStats::frames_dropped`]; detection runs as often as it
//! keeps up, the tracker predicts boxes in between, and each face is classified at least 10 times per second.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::capture_stage::{self, CaptureOptions};
use super::classify_stage::{ClassifyBudget, ClassifyStage};
use super::latest::LatestSlot;
use super::track_stage::{DetectSchedule, TrackStage, READ_AHEAD};
use super::{FrameResult, InFlight};
use crate::capture::{self, Input, SourceInfo};
use crate::classify::{Classifier, ModelKind};
use crate::detect::{self, DetectConfig};
use crate::track::TrackerConfig;

/// Everything the pipeline needs besides its input.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Folder with the model files.
    pub models_dir: PathBuf,
    /// Face detector choice and tuning.
    pub detect: DetectConfig,
    /// Detect on every `n`-th frame of a file (1 = every frame); `None`: every frame for files, as often as
    /// the detector keeps up for live sources.
    pub detect_every: Option<u32>,
    /// Tracker tuning.
    pub track: TrackerConfig,
    /// Emotion model.
    pub model: ModelKind,
    /// Half-life of per-track smoothing, seconds.
    pub smoothing_half_life_s: f64,
    /// Live sources: each face is classified at least this many times per second.
    pub min_classify_hz: f64,
    /// Capacity in frames of the channels between stages (file sources at full speed).
    pub channel_capacity: usize,
    /// Window in seconds for FPS and latency figures.
    pub stats_window_s: f64,
    /// Pace a file at its own frame rate and let the newest frame win, as a camera would.
    pub realtime: bool,
    /// Start a file again from the beginning when it ends (timestamps keep increasing).
    pub looped: bool,
    /// Attach each frame's pixels to its [`FrameResult`] (for a preview; never stored).
    pub keep_images: bool,
}

/// Share of a frame interval the classification stage may spend beyond the faces that are due (live sources).
const LIVE_CLASSIFY_SHARE: f64 = 0.5;

/// A started pipeline: read [`RunningPipeline::results`] until it returns `None`, then [`RunningPipeline::join`].
pub struct RunningPipeline {
    /// Facts about the source.
    pub info: SourceInfo,
    /// One [`FrameResult`] per processed frame, in frame order.
    pub results: mpsc::Receiver<FrameResult>,
    /// Human-readable description of the models in use (detector and emotion classifier).
    pub model_description: String,
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl RunningPipeline {
    /// Asks the stages to stop after the frame in hand; `results` then ends.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// A handle that stops the pipeline when set to `true` (for signal handlers and the screen).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Waits for every stage to finish; the first stage error, if any (a decode error names the input).
    pub async fn join(self) -> anyhow::Result<()> {
        let mut first_err = None;
        for t in self.tasks {
            let r = match t.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("pipeline stage crashed: {e}")),
            };
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// How frames travel from capture to the tracking stage.
enum Handoff {
    /// Bounded queue: the producer waits (files at full speed).
    Queue(mpsc::Sender<InFlight>, mpsc::Receiver<InFlight>),
    /// Newest-wins slot: the producer never waits (live sources).
    Latest(Arc<LatestSlot<InFlight>>),
}

/// Opens `input`, loads the models, and starts the stages on the current tokio runtime.
///
/// Errors (before anything runs, so no session needs to be created): the input cannot be opened (missing file,
/// unsupported codec, no camera), or a model file is missing or invalid.
pub fn start(input: &Input, opts: PipelineOptions) -> anyhow::Result<RunningPipeline> {
    let source = capture::open(input)?;
    let info = source.info().clone();
    let classifier = Classifier::load(&opts.models_dir, opts.model)?;
    // Validate the detector here; the stage builds its own on its thread (rustface detectors are not Send).
    detect::build(&opts.detect, &opts.models_dir)?;
    opts.track.validate()?;
    let model_description = format!("detector: {}; emotion: {}", opts.detect.describe(), classifier.describe());

    let mut track_cfg = opts.track.clone();
    let photos = matches!(input, Input::Path(_)) && info.kind == capture::SourceKind::ImageFolder;
    if info.frame_count == Some(1) || photos {
        track_cfg.min_hits = 1; // a still image (one photo, each photo of a folder) has no second frame
    }
    let live = info.is_live() || opts.realtime;
    let fps = info.fps.unwrap_or(30.0);
    let schedule = match (opts.detect_every, live) {
        (Some(n), _) => DetectSchedule::EveryNth(n.max(1)),
        (None, false) => DetectSchedule::EveryNth(1),
        (None, true) => DetectSchedule::AsOftenAsPossible,
    };
    let budget = if live {
        ClassifyBudget::Live { min_rate_hz: opts.min_classify_hz, fps, share: LIVE_CLASSIFY_SHARE }
    } else {
        ClassifyBudget::All
    };
    let cap = opts.channel_capacity.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let frames_in = Arc::new(AtomicU64::new(0));
    let start = Instant::now();

    let handoff = if live {
        Handoff::Latest(Arc::new(LatestSlot::new()))
    } else {
        let (tx, rx) = mpsc::channel(cap);
        Handoff::Queue(tx, rx)
    };
    let (cap_tx, mut cap_rx, slot) = match handoff {
        Handoff::Queue(tx, rx) => (Some(tx), Some(rx), None),
        Handoff::Latest(slot) => (None, None, Some(slot)),
    };
    // Live: one frame between tracking and classification, so that a slow classifier makes the capture slot drop
    // frames (counted) rather than queue them (latency).
    let (tracked_tx, mut tracked_rx) = mpsc::channel::<InFlight>(if live { 1 } else { cap });
    let (res_tx, results) = mpsc::channel::<FrameResult>(cap.max(16));
    let mut tasks = Vec::new();

    // Stage 1: capture.
    {
        let (stop, frames_in, slot, input) = (stop.clone(), frames_in.clone(), slot.clone(), input.clone());
        let copts = CaptureOptions { pace: opts.realtime && !info.is_live(), looped: opts.looped, fps };
        tasks.push(tokio::task::spawn_blocking(move || {
            let out = |item: InFlight| -> bool {
                match (&cap_tx, &slot) {
                    (Some(tx), _) => tx.blocking_send(item).is_ok(),
                    (_, Some(slot)) => {
                        slot.put(item);
                        true
                    }
                    _ => false,
                }
            };
            let r = capture_stage::run(source, &input, copts, &stop, &frames_in, out);
            if let Some(slot) = &slot {
                slot.close();
            }
            r
        }));
    }

    // Stage 2: detect + track.
    {
        let (stop, slot) = (stop.clone(), slot.clone());
        let stage = TrackStage {
            detect: opts.detect.clone(),
            models_dir: opts.models_dir.clone(),
            track: track_cfg,
            schedule,
            read_ahead: if live { 1 } else { READ_AHEAD },
        };
        tasks.push(tokio::task::spawn_blocking(move || {
            let next = || match (&mut cap_rx, &slot) {
                (Some(rx), _) => rx.blocking_recv(),
                (_, Some(slot)) => slot.take(),
                _ => None,
            };
            stage.run(&stop, next, |item| tracked_tx.blocking_send(item).is_ok())
        }));
    }

    // Stage 3: classify + smooth, statistics, results.
    {
        let stop = stop.clone();
        let stage = ClassifyStage {
            classifier,
            budget,
            half_life_s: opts.smoothing_half_life_s,
            keep_images: opts.keep_images,
            stats_window_s: opts.stats_window_s,
            start,
            frames_in: frames_in.clone(),
            slot: slot.clone(),
        };
        tasks.push(tokio::task::spawn_blocking(move || {
            stage.run(&stop, || tracked_rx.blocking_recv(), |r| res_tx.blocking_send(r).is_ok())
        }));
    }

    Ok(RunningPipeline { info, results, model_description, stop, tasks })
}
