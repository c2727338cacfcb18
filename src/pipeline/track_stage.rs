//! Stage 2: face detection on a schedule, and tracking on every frame.
//!
//! Two schedules ([`DetectSchedule`]):
//! - **every `n`-th frame** (files; `n = 1` by default: accuracy first). Several frames are detected at once, one
//!   per detector worker (a thread with a single-threaded detector of its own; [`DetectConfig::threads`]
//!   workers), and their detections update the tracker in frame order; the frames in between get the tracks'
//!   boxes predicted by their motion models. Frame-level parallelism beat splitting one detection's layers over
//!   the 2 cores: 115 vs 94 FPS on `WolfgangLanger_Pexels.mp4` with one worker against one two-thread detector,
//!   and more with two workers (README, Measured).
//! - **as often as the detector keeps up** (live sources). A detector thread of its own takes the newest frame
//!   this stage has seen, while this stage goes on tracking every frame with predicted boxes; each finished
//!   detection updates the tracks (at the time of the frame it ran on) before the next frame is predicted. A new
//!   face thus appears within one detection period plus one detection time.

use std::collections::VecDeque;
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
    /// With [`DetectSchedule::EveryNth`], most frames held while their detections are under way (at least one
    /// per detector worker): [`READ_AHEAD`] for files read at full speed; 1 for live sources, where every frame
    /// held adds a frame interval of latency (8 held frames kept a live `--detect-every` run 250 ms behind).
    pub read_ahead: usize,
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
        next: impl FnMut() -> Option<InFlight>,
        out: impl FnMut(InFlight) -> bool,
    ) -> anyhow::Result<()> {
        let tracker = Tracker::new(self.track.clone(), self.detect.high_score());
        match self.schedule {
            DetectSchedule::EveryNth(n) => self.run_every_nth(n, tracker, stop, next, out),
            DetectSchedule::AsOftenAsPossible => self.run_as_often_as_possible(tracker, stop, next, out),
        }
    }

    /// Number of detections at or above the detector's high score (what a frame's `detections` counts).
    fn count_high(&self, dets: &[Detection]) -> usize {
        let high = self.detect.high_score();
        dets.iter().filter(|d| d.score >= high).count()
    }

    /// [`DetectSchedule::EveryNth`]: frames detected side by side by the [`DetectorPool`], tracked in frame order.
    fn run_every_nth(
        &self,
        n: u32,
        mut tracker: Tracker,
        stop: &AtomicBool,
        mut next: impl FnMut() -> Option<InFlight>,
        mut out: impl FnMut(InFlight) -> bool,
    ) -> anyhow::Result<()> {
        let n = n.max(1) as u64;
        let pool = DetectorPool::start(&self.detect, &self.models_dir)?;
        // Frames in frame order, each with the worker detecting it (None: predicted).
        let mut queue: VecDeque<(InFlight, Option<usize>)> = VecDeque::new();
        let mut last_count = 0;
        let mut next_worker = 0;
        let mut input_done = false;
        let result = loop {
            // Keep every worker busy: read ahead until each has a frame in hand, but never hold more than
            // `read_ahead` frames (with a sparse schedule, a second detection may be many frames away).
            let in_flight = |q: &VecDeque<(InFlight, Option<usize>)>| q.iter().filter(|(_, w)| w.is_some()).count();
            while !input_done && in_flight(&queue) < pool.workers() && queue.len() < self.read_ahead.max(pool.workers())
            {
                match next() {
                    Some(item) if !stop.load(Ordering::SeqCst) => {
                        let worker = (item.index % n == 0 || item.scene_start).then(|| {
                            let w = next_worker;
                            next_worker = (next_worker + 1) % pool.workers();
                            pool.submit(w, &item);
                            w
                        });
                        queue.push_back((item, worker));
                    }
                    _ => input_done = true,
                }
            }
            let Some((mut item, worker)) = queue.pop_front() else { break Ok(()) };
            if item.scene_start {
                tracker.reset();
            }
            match worker {
                Some(w) => match pool.receive(w) {
                    Ok(dets) => {
                        last_count = self.count_high(&dets);
                        item.faces = tracker.update(&dets, item.timestamp_ms);
                    }
                    Err(e) => break Err(e),
                },
                None => item.faces = tracker.predict(item.timestamp_ms),
            }
            item.detections = last_count;
            if !out(item) {
                break Ok(());
            }
        };
        result.and(pool.join())
    }

    /// [`DetectSchedule::AsOftenAsPossible`]: a detector thread of its own on the newest frame; every frame tracked
    /// with predicted boxes, updated by each detection as it finishes.
    fn run_as_often_as_possible(
        &self,
        mut tracker: Tracker,
        stop: &AtomicBool,
        mut next: impl FnMut() -> Option<InFlight>,
        mut out: impl FnMut(InFlight) -> bool,
    ) -> anyhow::Result<()> {
        let jobs: Arc<LatestSlot<DetectJob>> = Arc::new(LatestSlot::new());
        let (worker, done_rx) = self.spawn_live_detector(jobs.clone())?;
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
            jobs.put(DetectJob { timestamp_ms: item.timestamp_ms, image: item.image.clone(), gray: item.gray.clone() });
            while let Ok((ts, dets)) = done_rx.try_recv() {
                match dets {
                    Ok(dets) if ts >= scene_ms => {
                        last_count = self.count_high(&dets);
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

    /// Starts the live detector thread (at [`DETECTOR_NICE`]): it detects the newest job in `jobs` until the slot
    /// is closed and sends each result back, stopping after the first failure.
    ///
    /// Errors: the thread cannot be started (a detector that cannot be built ends the thread with that error).
    fn spawn_live_detector(
        &self,
        jobs: Arc<LatestSlot<DetectJob>>,
    ) -> anyhow::Result<(std::thread::JoinHandle<anyhow::Result<()>>, std_mpsc::Receiver<DetectDone>)> {
        let (done_tx, done_rx) = std_mpsc::channel::<DetectDone>();
        let (cfg, dir) = (self.detect.clone(), self.models_dir.clone());
        let worker = std::thread::Builder::new().name("detect".into()).spawn(move || -> anyhow::Result<()> {
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
        })?;
        Ok((worker, done_rx))
    }
}

/// Most frames the file schedule holds while their detections are under way (each frame holds its RGB and gray
/// images: 8 MB at 1080p).
pub const READ_AHEAD: usize = 8;

/// Detector workers for files: each a thread with a single-threaded detector of its own, fed frames in turn;
/// worker `i`'s results come back in the order its frames went in, so reading the workers round-robin yields
/// the detections in frame order.
struct DetectorPool {
    jobs: Vec<std_mpsc::Sender<DetectJob>>,
    done: Vec<std_mpsc::Receiver<anyhow::Result<Vec<Detection>>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl DetectorPool {
    /// Starts [`DetectConfig::threads`] workers (0: one per core), each building its detector on its own thread.
    ///
    /// Errors: a worker thread cannot be started (a detector that cannot be built fails its first job).
    fn start(cfg: &DetectConfig, models_dir: &std::path::Path) -> anyhow::Result<Self> {
        let workers = match cfg.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let one_thread = DetectConfig { threads: 1, ..cfg.clone() };
        let mut pool = DetectorPool { jobs: Vec::new(), done: Vec::new(), threads: Vec::new() };
        for i in 0..workers {
            let (job_tx, job_rx) = std_mpsc::channel::<DetectJob>();
            let (done_tx, done_rx) = std_mpsc::channel();
            let (cfg, dir) = (one_thread.clone(), models_dir.to_path_buf());
            let handle = std::thread::Builder::new().name(format!("detect-{i}")).spawn(move || {
                let mut detector = match detect::build(&cfg, &dir) {
                    Ok(d) => d,
                    Err(e) => {
                        let _ = done_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = job_rx.recv() {
                    if done_tx.send(detector.detect(&job.image, &job.gray)).is_err() {
                        break;
                    }
                }
            })?;
            pool.jobs.push(job_tx);
            pool.done.push(done_rx);
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    fn workers(&self) -> usize {
        self.jobs.len()
    }

    /// Hands `item`'s frame to worker `w` (a worker that has stopped is noticed by [`DetectorPool::receive`]).
    fn submit(&self, w: usize, item: &InFlight) {
        let job = DetectJob { timestamp_ms: item.timestamp_ms, image: item.image.clone(), gray: item.gray.clone() };
        let _ = self.jobs[w].send(job);
    }

    /// The detections of the oldest frame worker `w` has in hand.
    ///
    /// Errors: the detection failed, or the worker could not build its detector or has crashed.
    fn receive(&self, w: usize) -> anyhow::Result<Vec<Detection>> {
        self.done[w].recv().map_err(|_| anyhow::anyhow!("the face detector thread stopped unexpectedly"))?
    }

    /// Stops the workers and waits for them.
    ///
    /// Errors: a worker crashed.
    fn join(self) -> anyhow::Result<()> {
        drop(self.jobs);
        drop(self.done);
        for t in self.threads {
            t.join().map_err(|_| anyhow::anyhow!("a face detector thread crashed"))?;
        }
        Ok(())
    }
}

/// Nice value of the live detector thread: it gets the CPU the other stages leave, so that decoding and
/// classification keep up with the source (no drops) and detection runs as often as what is left allows. 19
/// rather than 10: on the 720p classroom clip, 0-0.7% of frames dropped instead of 0-7% (README, Measured).
const DETECTOR_NICE: i32 = 19;

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
