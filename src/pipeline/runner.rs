//! Wiring of the stages. Each runs on a thread of tokio's blocking pool; they are joined by bounded channels:
//!
//! ```text
//!  capture (decode, gray) ──► detect + track ──► classify + smooth ──► results (mpsc) ──► sinks
//!  capture_stage              track_stage         classify_stage                        screen, store, summary
//!        file: bounded channel, every frame      bounded channel
//!        live: LatestSlot, newest frame wins (drops counted); detection on its own thread, as often as it can
//! ```
//!
//! A file source read at full speed waits for the slowest stage (back-pressure: nothing is dropped) and follows its
//! [`Schedule`] in video time: by default detection every 0.2 s of video (faster while tracks are
//! uncertain) and each face classified 10 times per second of video, so that the session does not depend on the
//! machine's speed; `--every-frame` detects every frame and classifies every face on it. A live source (camera, or
//! a file paced with `realtime`) never waits: when the stages are busy, the newest frame replaces the one waiting
//! and the replaced one is counted in [`super::PipelineStats::frames_dropped`]; detection runs on its own thread
//! on the same interval schedule (as often as it keeps up with `--every-frame`), the tracker predicts boxes in
//! between, and each face is classified at least 10 times per second.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::capture_stage::{self, CaptureOptions};
use super::classify_stage::{ClassifyBudget, ClassifyStage};
use super::latest::LatestSlot;
use super::reid_stage::{spawn_worker, SharedJoins};
use super::schedule::{ClassifySchedule, Schedule};
use super::track_stage::{TrackStage, READ_AHEAD};
use super::{FrameResult, InFlight};
use crate::capture::{self, Input, SourceInfo};
use crate::classify::{Classifier, ModelKind};
use crate::detect::{self, DetectConfig};
use crate::face::descriptor::DescriptorNet;
use crate::face::reid::ReidConfig;
use crate::track::TrackerConfig;

/// Everything the pipeline needs besides its input.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Folder with the model files.
    pub models_dir: PathBuf,
    /// Face detector choice and tuning.
    pub detect: DetectConfig,
    /// Detect on every `n`-th frame (1 = every frame) instead of the interval schedule (`--detect-every N`).
    pub detect_every: Option<u32>,
    /// Accuracy first (`--every-frame`): files detect every frame and classify every face on every frame; live
    /// sources detect as often as the detector keeps up.
    pub every_frame: bool,
    /// Index of the first frame to process (a resumed session; 0 otherwise): the source is read from the key
    /// frame before it and the frames before it are decoded but not processed.
    pub start_frame: u64,
    /// Id of the first track confirmed (1; a resumed session continues after its last track).
    pub first_track_id: u32,
    /// Tracker tuning.
    pub track: TrackerConfig,
    /// Emotion model.
    pub model: ModelKind,
    /// Half-life of per-track smoothing, seconds.
    pub smoothing_half_life_s: f64,
    /// Each face is classified this many times per second of video (files), at least this many (live sources).
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
    /// Re-identify faces that leave and come back ([`super::reid_stage`]); `None`: off.
    pub reid: Option<ReidConfig>,
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
    /// The detection and classification plan in force.
    pub schedule: Schedule,
    /// A network source's connection state (reconnecting, gaps so far); `None` for files and cameras.
    pub link: Option<Arc<std::sync::Mutex<capture::rtsp::LinkState>>>,
    /// Frames or images the source left out because they could not be read or decoded (see
    /// [`capture::skipped`]); `None` for sources that cannot skip.
    pub skipped: Option<capture::skipped::SharedSkipped>,
    /// Tracks re-identified as an earlier face ([`super::reid_stage`]), for the sinks to take; complete once
    /// [`RunningPipeline::join`] has returned. `None` when re-identification is off.
    pub joins: Option<SharedJoins>,
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

/// The capture end of the handoff between capture and tracking.
enum HandoffTx {
    /// Bounded queue: the producer waits (files at full speed).
    Queue(mpsc::Sender<InFlight>),
    /// Newest-wins slot: the producer never waits (live sources).
    Latest(Arc<LatestSlot<InFlight>>),
}

impl HandoffTx {
    /// Hands a frame on; false when the tracking stage has gone.
    fn send(&self, item: InFlight) -> bool {
        match self {
            HandoffTx::Queue(tx) => tx.blocking_send(item).is_ok(),
            HandoffTx::Latest(slot) => {
                slot.add_dropped(item.skipped_before);
                slot.put(item);
                true
            }
        }
    }

    /// Ends the stream (a queue ends when its sender is dropped).
    fn close(&self) {
        if let HandoffTx::Latest(slot) = self {
            slot.close();
        }
    }
}

/// The tracking end of the handoff.
enum HandoffRx {
    Queue(mpsc::Receiver<InFlight>),
    Latest(Arc<LatestSlot<InFlight>>),
}

impl HandoffRx {
    /// The next frame; `None` once capture has ended.
    fn recv(&mut self) -> Option<InFlight> {
        match self {
            HandoffRx::Queue(rx) => rx.blocking_recv(),
            HandoffRx::Latest(slot) => slot.take(),
        }
    }
}

/// The handoff for a live source (a newest-wins slot, also returned for the drop count) or a file (a queue of
/// `cap` frames).
fn handoff(live: bool, cap: usize) -> (HandoffTx, HandoffRx, Option<Arc<LatestSlot<InFlight>>>) {
    if live {
        let slot = Arc::new(LatestSlot::new());
        (HandoffTx::Latest(slot.clone()), HandoffRx::Latest(slot.clone()), Some(slot))
    } else {
        let (tx, rx) = mpsc::channel(cap);
        (HandoffTx::Queue(tx), HandoffRx::Queue(rx), None)
    }
}

/// Opens `input`, loads the models, and starts the stages on the current tokio runtime.
///
/// Errors (before anything runs, so no session needs to be created): the input cannot be opened (missing file,
/// unsupported codec, no camera), or a model file is missing or invalid.
pub fn start(input: &Input, opts: PipelineOptions) -> anyhow::Result<RunningPipeline> {
    let mut source = capture::open(input)?;
    let info = source.info().clone();
    let link = source.link();
    let skipped = source.skipped();
    let classifier = Classifier::load(&opts.models_dir, opts.model)?;
    // Photos are each their own scene: nobody leaves and comes back.
    let descriptor = match opts.reid {
        Some(cfg) if info.kind != capture::SourceKind::ImageFolder && info.frame_count != Some(1) => {
            Some((DescriptorNet::load(&opts.models_dir)?, cfg))
        }
        _ => None,
    };
    // Validate the detector here; the stage builds its own on its thread (rustface detectors are not Send).
    detect::build(&opts.detect, &opts.models_dir)?;
    opts.track.validate()?;
    let model_description = format!("detector: {}; emotion: {}", opts.detect.describe(), classifier.describe());

    let mut track_cfg = opts.track.clone();
    let photos = matches!(input, Input::Path(_)) && info.kind == capture::SourceKind::ImageFolder;
    let stills = info.frame_count == Some(1) || photos;
    if stills {
        track_cfg.min_hits = 1; // a still image (one photo, each photo of a folder) has no second frame
    }
    let live = info.is_live() || opts.realtime;
    let fps = info.fps.unwrap_or(30.0);
    // Still images are each their own scene: every one is detected and classified, whatever the schedule.
    let intervals = (opts.detect.interval_s, opts.detect.fast_interval_s);
    let schedule = Schedule::plan(opts.every_frame || stills, opts.detect_every, intervals, opts.min_classify_hz, live);
    track_cfg.coast_s = schedule.coast_s(track_cfg.coast_s);
    track_cfg.max_age_s = track_cfg.max_age_s.max(track_cfg.coast_s);
    let budget = match schedule.classify {
        ClassifySchedule::AtLeast { min_hz } => {
            ClassifyBudget::Live { min_rate_hz: min_hz, fps, share: LIVE_CLASSIFY_SHARE }
        }
        ClassifySchedule::Rate { hz } => ClassifyBudget::Rate { hz, fps },
        ClassifySchedule::EveryFrame => ClassifyBudget::All,
    };
    let cap = opts.channel_capacity.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    source.watch_stop(stop.clone());
    let frames_in = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let (frames_tx, frames_rx, slot) = handoff(live, cap);
    // Live: one frame between tracking and classification, so that a slow classifier makes the capture slot drop
    // frames (counted) rather than queue them (latency).
    let (tracked_tx, tracked_rx) = mpsc::channel::<InFlight>(if live { 1 } else { cap });
    let (res_tx, results) = mpsc::channel::<FrameResult>(cap.max(16));

    let copts = CaptureOptions {
        pace: opts.realtime && !info.is_live(),
        looped: opts.looped,
        fps,
        start_frame: opts.start_frame,
    };
    let capture = spawn_capture(source, input.clone(), copts, stop.clone(), frames_in.clone(), frames_tx);
    let track = TrackStage {
        detect: opts.detect.clone(),
        models_dir: opts.models_dir.clone(),
        track: track_cfg,
        first_track_id: opts.first_track_id,
        schedule: schedule.detect,
        live,
        frame_ms: 1000.0 / fps.max(1.0),
        read_ahead: if live { 1 } else { READ_AHEAD },
    };
    let track = spawn_track(track, stop.clone(), frames_rx, tracked_tx);
    let mut tasks = Vec::new();
    let (reid, joins) = match descriptor {
        Some((net, cfg)) => {
            let (feed, joins, task) = spawn_worker(net, cfg, live, stop.clone());
            tasks.push(task);
            (Some(feed), Some(joins))
        }
        None => (None, None),
    };
    let classify = ClassifyStage {
        classifier,
        budget,
        half_life_s: opts.smoothing_half_life_s,
        keep_images: opts.keep_images,
        stats_window_s: opts.stats_window_s,
        start,
        frames_in,
        slot,
        reid,
    };
    let classify = spawn_classify(classify, stop.clone(), tracked_rx, res_tx);
    // The stages first: a stage's error is the one reported.
    tasks.splice(0..0, [capture, track, classify]);
    Ok(RunningPipeline { info, results, model_description, schedule, link, skipped, joins, stop, tasks })
}

/// Stage 1 on the blocking pool: capture (decode, gray) into `out`, which is closed at the end.
fn spawn_capture(
    source: Box<dyn capture::FrameSource>,
    input: Input,
    opts: CaptureOptions,
    stop: Arc<AtomicBool>,
    frames_in: Arc<AtomicU64>,
    out: HandoffTx,
) -> JoinHandle<anyhow::Result<()>> {
    tokio::task::spawn_blocking(move || {
        let r = capture_stage::run(source, &input, opts, &stop, &frames_in, |item| out.send(item));
        out.close();
        r
    })
}

/// Stage 2 on the blocking pool: detect + track the frames of `frames` into `tracked`.
fn spawn_track(
    stage: TrackStage,
    stop: Arc<AtomicBool>,
    mut frames: HandoffRx,
    tracked: mpsc::Sender<InFlight>,
) -> JoinHandle<anyhow::Result<()>> {
    tokio::task::spawn_blocking(move || stage.run(&stop, || frames.recv(), |item| tracked.blocking_send(item).is_ok()))
}

/// Stage 3 on the blocking pool: classify + smooth the tracked frames, statistics, one result per frame.
fn spawn_classify(
    stage: ClassifyStage,
    stop: Arc<AtomicBool>,
    mut tracked: mpsc::Receiver<InFlight>,
    results: mpsc::Sender<FrameResult>,
) -> JoinHandle<anyhow::Result<()>> {
    tokio::task::spawn_blocking(move || {
        stage.run(&stop, || tracked.blocking_recv(), |r| results.blocking_send(r).is_ok())
    })
}
