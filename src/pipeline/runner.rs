//! Wiring of the stages. Three worker threads under tokio's blocking pool, joined by bounded channels:
//!
//! ```text
//!  capture (decode, gray) ──► detect + track ──► classify + smooth ──► results (mpsc) ──► sinks
//!        file: bounded channel, every frame      bounded channel         screen, store, summary
//!        live: LatestSlot, newest frame wins (drops counted)
//! ```
//!
//! A file source read at full speed waits for the slowest stage (back-pressure: nothing is dropped). A live
//! source (camera, or a file paced with `realtime`) never waits: when detection is busy, the newest frame
//! replaces the one waiting and the replaced one is counted in [`PipelineStats::frames_dropped`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::latest::LatestSlot;
use super::stats::StatsTracker;
use super::{FrameResult, Observation, PipelineStats};
use crate::capture::{self, Frame, Input, SourceInfo};
use crate::classify::preprocess::crop_face;
use crate::classify::smoothing::Smoother;
use crate::classify::{Classifier, ModelKind};
use crate::detect::gray::to_gray;
use crate::detect::seeta::{SeetaConfig, SeetaDetector};
use crate::detect::FaceDetector;
use crate::track::{TrackedFace, Tracker, TrackerConfig};

/// File name of the SeetaFace cascade in the models folder.
pub const SEETA_MODEL_FILE: &str = "seeta_fd_frontal_v1.0.bin";

/// Everything the pipeline needs besides its input.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Folder with the model files.
    pub models_dir: PathBuf,
    /// Face detector tuning.
    pub detect: SeetaConfig,
    /// Tracker tuning.
    pub track: TrackerConfig,
    /// Emotion model.
    pub model: ModelKind,
    /// Half-life of per-track smoothing, seconds.
    pub smoothing_half_life_s: f64,
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

/// A started pipeline: read [`RunningPipeline::results`] until it returns `None`, then [`RunningPipeline::join`].
pub struct RunningPipeline {
    /// Facts about the source.
    pub info: SourceInfo,
    /// One [`FrameResult`] per processed frame, in frame order.
    pub results: mpsc::Receiver<FrameResult>,
    /// Human-readable description of the models in use.
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

/// A frame on its way through the stages, with its gray version and (after detection) its faces.
struct InFlight {
    frame: Frame,
    gray: image::GrayImage,
    faces: Vec<TrackedFace>,
    detections: usize,
}

/// How frames travel from capture to detection.
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
    let model_description = classifier.describe();
    let seeta_path = opts.models_dir.join(SEETA_MODEL_FILE);
    // Validate the detector here; each stage thread builds its own (rustface detectors are not Send).
    SeetaDetector::load(&seeta_path, &opts.detect)?;

    let mut track_cfg = opts.track.clone();
    if info.frame_count == Some(1) {
        track_cfg.min_hits = 1; // a single still image has no second frame to confirm a face in
    }
    let live = info.is_live() || opts.realtime;
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
    let (det_tx, mut det_rx) = mpsc::channel::<InFlight>(cap);
    let (res_tx, results) = mpsc::channel::<FrameResult>(cap.max(16));

    let mut tasks = Vec::new();

    // Stage 1: capture.
    let (cap_tx, mut cap_rx, slot) = match handoff {
        Handoff::Queue(tx, rx) => (Some(tx), Some(rx), None),
        Handoff::Latest(slot) => (None, None, Some(slot)),
    };
    {
        let stop = stop.clone();
        let frames_in = frames_in.clone();
        let slot = slot.clone();
        let input = input.clone();
        let pace = opts.realtime && !info.is_live();
        let looped = opts.looped;
        let fps = info.fps.unwrap_or(30.0);
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
            let r = capture_loop(source, &input, pace, looped, fps, &stop, &frames_in, out);
            if let Some(slot) = &slot {
                slot.close();
            }
            r
        }));
    }

    // Stage 2: detect + track.
    {
        let stop = stop.clone();
        let slot = slot.clone();
        let detect_cfg = opts.detect.clone();
        tasks.push(tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut detector = SeetaDetector::load(&seeta_path, &detect_cfg)?;
            let mut tracker = Tracker::new(track_cfg);
            loop {
                let next = match (&mut cap_rx, &slot) {
                    (Some(rx), _) => rx.blocking_recv(),
                    (_, Some(slot)) => slot.take(),
                    _ => None,
                };
                let Some(mut item) = next else { break };
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let dets = detector.detect(&item.gray);
                item.detections = dets.len();
                item.faces = tracker.update(&dets, item.frame.timestamp_ms);
                if det_tx.blocking_send(item).is_err() {
                    break;
                }
            }
            Ok(())
        }));
    }

    // Stage 3: classify + smooth, statistics, results.
    {
        let stop = stop.clone();
        let frames_in = frames_in.clone();
        let half_life = opts.smoothing_half_life_s;
        let keep_images = opts.keep_images;
        let window = opts.stats_window_s;
        tasks.push(tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut smoothers: HashMap<u32, Smoother> = HashMap::new();
            let mut stats = StatsTracker::new(start, window);
            while let Some(item) = det_rx.blocking_recv() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let inputs: Vec<_> = item.faces.iter().map(|f| crop_face(&item.gray, &f.detection.bbox)).collect();
                let probs = if inputs.is_empty() { Vec::new() } else { classifier.predict(&inputs)? };
                let ts = item.frame.timestamp_ms;
                let observations: Vec<Observation> = item
                    .faces
                    .iter()
                    .zip(probs)
                    .map(|(f, raw)| {
                        let smoothed =
                            smoothers.entry(f.track_id).or_insert_with(|| Smoother::new(half_life)).update(&raw, ts);
                        Observation {
                            frame_index: item.frame.index,
                            timestamp_ms: ts,
                            track_id: f.track_id,
                            bbox: f.detection.bbox,
                            score: f.detection.score,
                            raw,
                            smoothed,
                        }
                    })
                    .collect();
                let dropped = slot.as_ref().map_or(0, |s| s.dropped());
                let now = Instant::now();
                let latency_ms = now.duration_since(item.frame.captured_at).as_secs_f64() * 1000.0;
                let st: PipelineStats =
                    stats.record(now, frames_in.load(Ordering::SeqCst), dropped, latency_ms, item.detections > 0);
                let result = FrameResult {
                    frame_index: item.frame.index,
                    timestamp_ms: ts,
                    width: item.frame.image.width(),
                    height: item.frame.image.height(),
                    detections: item.detections,
                    latency_ms,
                    observations,
                    stats: st,
                    image: keep_images.then(|| Arc::new(item.frame.image)),
                };
                if res_tx.blocking_send(result).is_err() {
                    break;
                }
            }
            Ok(())
        }));
    }

    Ok(RunningPipeline { info, results, model_description, stop, tasks })
}

/// Reads frames until the end (or `stop`), converting each to gray and handing it on with `out` (which returns
/// false when the next stage has gone). With `pace`, frames are released at their timestamps; with `looped`, the
/// input is reopened at its end and timestamps continue.
#[allow(clippy::too_many_arguments)]
fn capture_loop(
    mut source: Box<dyn capture::FrameSource>,
    input: &Input,
    pace: bool,
    looped: bool,
    fps: f64,
    stop: &AtomicBool,
    frames_in: &AtomicU64,
    out: impl Fn(InFlight) -> bool,
) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let frame_ms = 1000.0 / fps.max(1.0);
    let (mut index_offset, mut ts_offset) = (0u64, 0u64);
    let (mut last_index, mut last_ts) = (0u64, 0u64);
    while !stop.load(Ordering::SeqCst) {
        let Some(mut frame) = source.next_frame()? else {
            if !looped || frames_in.load(Ordering::SeqCst) == 0 {
                break;
            }
            index_offset = last_index + 1;
            ts_offset = last_ts + frame_ms.round() as u64;
            source = capture::open(input).context("reopening the input to loop it")?;
            continue;
        };
        frame.index += index_offset;
        frame.timestamp_ms += ts_offset;
        (last_index, last_ts) = (frame.index, frame.timestamp_ms);
        if pace {
            let due = t0 + Duration::from_millis(frame.timestamp_ms);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            frame.captured_at = Instant::now();
        }
        let gray = to_gray(&frame.image);
        frames_in.fetch_add(1, Ordering::SeqCst);
        if !out(InFlight { frame, gray, faces: Vec::new(), detections: 0 }) {
            break;
        }
    }
    Ok(())
}
