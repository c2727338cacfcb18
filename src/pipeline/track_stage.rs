//! Stage 2: face detection on a schedule, and tracking on every frame.
//!
//! Two schedules ([`DetectSchedule`]):
//! - **every `n`-th frame** (files; `n = 1` by default: accuracy first). Detection runs in this stage, in frame
//!   order; the frames in between get the tracks' boxes predicted by their motion models.
//! - **as often as the detector keeps up** (live sources). A detector thread of its own takes the newest frame
//!   this stage has seen, while this stage goes on tracking every frame with predicted boxes; each finished
//!   detection updates the tracks (at the time of the frame it ran on) before the next frame is predicted. A new
//!   face thus appears within one detection period plus one detection time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use super::latest::LatestSlot;
use super::InFlight;
use crate::detect::{self, DetectConfig, Detection};
use crate::track::{Tracker, TrackerConfig};

/// When full-frame detection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectSchedule {
    /// On frames whose index is a multiple of `n` (1 = every frame), in this stage (py-feat's `skip_frames`).
    EveryNth(u32),
    /// On the newest frame whenever the detector is free, on a thread of its own (live sources).
    AsOftenAsPossible,
}

/// What the stage needs besides its input and output.
pub struct TrackStage {
    /// Detector settings (the detector is built on the thread that runs it).
    pub detect: DetectConfig,
    /// The models folder.
    pub models_dir: std::path::PathBuf,
    /// Tracker settings (`min_hits` already adjusted for single images).
    pub track: TrackerConfig,
    /// When detection runs.
    pub schedule: DetectSchedule,
}

/// A frame handed to the asynchronous detector.
struct DetectJob {
    timestamp_ms: u64,
    image: Arc<image::RgbImage>,
    gray: Arc<image::GrayImage>,
}

/// Detections of the frame at `timestamp_ms`.
type DetectDone = (u64, anyhow::Result<Vec<Detection>>);

impl TrackStage {
    /// Runs until `next` returns `None`, `stop` is set or `out` returns false.
    ///
    /// Errors: the detector cannot be built (model file), or a detection fails.
    pub fn run(
        self,
        stop: &AtomicBool,
        mut next: impl FnMut() -> Option<InFlight>,
        mut out: impl FnMut(InFlight) -> bool,
    ) -> anyhow::Result<()> {
        let high = self.detect.high_score();
        let mut tracker = Tracker::new(self.track.clone(), high);
        let count_high = |dets: &[Detection]| dets.iter().filter(|d| d.score >= high).count();
        match self.schedule {
            DetectSchedule::EveryNth(n) => {
                let n = n.max(1) as u64;
                let mut detector = detect::build(&self.detect, &self.models_dir)?;
                let mut last_count = 0;
                while let Some(mut item) = next() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if item.scene_start {
                        tracker.reset();
                    }
                    if item.index % n == 0 || item.scene_start {
                        let dets = detector.detect(&item.image, &item.gray)?;
                        last_count = count_high(&dets);
                        item.faces = tracker.update(&dets, item.timestamp_ms);
                    } else {
                        item.faces = tracker.predict(item.timestamp_ms);
                    }
                    item.detections = last_count;
                    if !out(item) {
                        break;
                    }
                }
                Ok(())
            }
            DetectSchedule::AsOftenAsPossible => {
                let jobs: Arc<LatestSlot<DetectJob>> = Arc::new(LatestSlot::new());
                let (done_tx, done_rx) = std_mpsc::channel::<DetectDone>();
                let worker = {
                    let jobs = jobs.clone();
                    let (cfg, dir) = (self.detect.clone(), self.models_dir.clone());
                    std::thread::Builder::new().name("detect".into()).spawn(move || -> anyhow::Result<()> {
                        lower_priority();
                        let mut detector = detect::build(&cfg, &dir)?;
                        while let Some(job) = jobs.take() {
                            let r = detector.detect(&job.image, &job.gray);
                            let failed = r.is_err();
                            if done_tx.send((job.timestamp_ms, r)).is_err() || failed {
                                break;
                            }
                        }
                        Ok(())
                    })?
                };
                let mut last_count = 0;
                let mut result = Ok(());
                // Start of the current scene: detections of frames before it belong to another scene.
                let mut scene_ms = 0;
                while let Some(mut item) = next() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if item.scene_start {
                        tracker.reset();
                        scene_ms = item.timestamp_ms;
                    }
                    jobs.put(DetectJob {
                        timestamp_ms: item.timestamp_ms,
                        image: item.image.clone(),
                        gray: item.gray.clone(),
                    });
                    while let Ok((ts, dets)) = done_rx.try_recv() {
                        match dets {
                            Ok(dets) if ts >= scene_ms => {
                                last_count = count_high(&dets);
                                tracker.update(&dets, ts);
                            }
                            Ok(_) => {}
                            Err(e) => result = Err(e),
                        }
                    }
                    if result.is_err() {
                        break;
                    }
                    item.faces = tracker.predict(item.timestamp_ms);
                    item.detections = last_count;
                    if !out(item) {
                        break;
                    }
                }
                jobs.close();
                let joined = worker.join().map_err(|_| anyhow::anyhow!("the detector thread crashed"))?;
                result.and(joined)
            }
        }
    }
}

/// Nice value of the live detector thread: it gets the CPU the other stages leave, so that decoding and
/// classification keep up with the source (no drops) and detection runs as often as what is left allows.
const DETECTOR_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`DETECTOR_NICE`] (Linux: per-thread nice via its tid);
/// best effort, nothing happens elsewhere or when it is refused.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread's own id only changes its nice value.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, DETECTOR_NICE);
    }
}
