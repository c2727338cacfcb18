//! Stage 2: face detection on a schedule, and tracking on every frame.
//!
//! Two ways of running the detector ([`DetectSchedule`], chosen by [`super::schedule::Schedule::plan`]):
//! - **in this stage, on the frames the schedule picks** (files): every `n`-th frame, or on an interval of video
//!   time that shortens while the tracks are uncertain ([`super::schedule::detection_due`]). Several frames are
//!   detected at once, one per detector worker (a thread with a single-threaded detector of its own;
//!   [`DetectConfig::threads`] workers), and their detections update the tracker in frame order; the frames in
//!   between get the tracks' boxes predicted by their motion models. Frame-level parallelism beat splitting one
//!   detection's layers over the 2 cores: 115 vs 94 FPS on `WolfgangLanger_Pexels.mp4` with one worker against one
//!   two-thread detector, and more with two workers (README, Measured).
//! - **on a detector thread of its own** (live sources): it takes the newest frame handed to it, while this stage
//!   goes on tracking every frame with predicted boxes; each finished detection updates the tracks (at the time of
//!   the frame it ran on) before the next frame is predicted. Frames are handed to it on the interval schedule, or
//!   every frame with `--every-frame` (as often as it keeps up). A new face thus appears within one detection
//!   period plus one detection time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use super::latest::LatestSlot;
use super::schedule::{detection_due, DetectSchedule};
use super::InFlight;
use crate::detect::{self, DetectConfig, Detection};
use crate::track::{TrackHealth, Tracker, TrackerConfig};

/// What the stage needs besides its input and output.
pub struct TrackStage {
    /// Detector settings (the detector is built on the thread that runs it).
    pub detect: DetectConfig,
    /// The models folder.
    pub models_dir: std::path::PathBuf,
    /// Tracker settings (`min_hits` already adjusted for single images, `coast_s` for the schedule).
    pub track: TrackerConfig,
    /// Id of the first track confirmed (1; a resumed session continues after its last track).
    pub first_track_id: u32,
    /// When detection runs.
    pub schedule: DetectSchedule,
    /// Whether detection runs on a thread of its own on the newest frame (live sources) rather than in this stage.
    pub live: bool,
    /// Nominal frame interval of the source, ms (half of it is the interval schedule's margin).
    pub frame_ms: f64,
    /// Files: most frames held while their detections are under way (at least one
    /// per detector worker): [`READ_AHEAD`] for files read at full speed; 1 for live sources, where every frame
    /// held adds a frame interval of latency (8 held frames kept a live `--detect-every` run 250 ms behind).
    pub read_ahead: usize,
}

/// A frame handed to the asynchronous detector.
struct DetectJob {
    timestamp_ms: u64,
    image: Arc<crate::capture::Picture>,
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
        let tracker = Tracker::starting_at(self.track.clone(), self.detect.high_score(), self.first_track_id);
        if self.live {
            self.run_live(tracker, stop, next, out)
        } else {
            self.run_scheduled(tracker, stop, next, out)
        }
    }

    /// Whether `item` is detected, under the schedule: every frame that starts a scene, and the frames the
    /// schedule picks (`last_ms`: the time of the last frame picked in this scene; `health`: the tracker's, as the
    /// schedule reads it). Always true for
    /// [`DetectSchedule::AsOftenAsPossible`].
    fn due(&self, item: &InFlight, last_ms: Option<u64>, health: &TrackHealth) -> bool {
        item.scene_start
            || match self.schedule {
                DetectSchedule::EveryNth { n } => item.index.is_multiple_of(u64::from(n.max(1))),
                DetectSchedule::Interval { every_ms, fast_every_ms } => {
                    detection_due(item.timestamp_ms, last_ms, every_ms, fast_every_ms, self.frame_ms, health)
                }
                DetectSchedule::AsOftenAsPossible => true,
            }
    }

    /// Number of detections at or above the detector's high score (what a frame's `detections` counts).
    fn count_high(&self, dets: &[Detection]) -> usize {
        let high = self.detect.high_score();
        dets.iter().filter(|d| d.score >= high).count()
    }

    /// Files: the frames the schedule picks detected side by side by the [`DetectorPool`], every frame tracked in
    /// frame order. Whether frame `i` is detected is decided on the tracker as it stood after frame
    /// `i - `[`SCHEDULE_LAG`] (the frames before it are tracked first), which depends on the frames only, not on
    /// timing or the number of detector workers: a file gives the same session on every run and machine.
    fn run_scheduled(
        &self,
        mut tracker: Tracker,
        stop: &AtomicBool,
        mut next: impl FnMut() -> Option<InFlight>,
        mut out: impl FnMut(InFlight) -> bool,
    ) -> anyhow::Result<()> {
        let pool = DetectorPool::start(&self.detect, &self.models_dir)?;
        let reads_tracker = matches!(self.schedule, DetectSchedule::Interval { .. });
        let mut last_detect_ms = None;
        // Frames in frame order, each with the worker detecting it (None: predicted).
        let mut queue: VecDeque<(InFlight, Option<usize>)> = VecDeque::new();
        let mut last_count = 0;
        let mut next_worker = 0;
        let mut input_done = false;
        // The tracker's health after each tracked frame, from frame i - SCHEDULE_LAG on (what frame i is decided on).
        let mut history: VecDeque<(u64, TrackHealth)> = VecDeque::new();
        // Tracks the oldest queued frame and hands it on; false when the next stage has gone.
        let mut track_front = |queue: &mut VecDeque<(InFlight, Option<usize>)>,
                               tracker: &mut Tracker,
                               history: &mut VecDeque<(u64, TrackHealth)>| {
            let Some((mut item, worker)) = queue.pop_front() else { return Ok(None) };
            if item.scene_start {
                tracker.reset();
            }
            match worker {
                Some(w) => {
                    let dets = pool.receive(w)?;
                    last_count = self.count_high(&dets);
                    item.faces = tracker.update(&dets, item.timestamp_ms);
                    item.detected = true;
                }
                None => item.faces = tracker.predict(item.timestamp_ms),
            }
            item.detections = last_count;
            history.push_back((item.index, tracker.health()));
            anyhow::Ok(Some(out(item)))
        };
        let result = 'run: loop {
            // Keep every worker busy: read ahead until each has a frame in hand, but never hold more than
            // `read_ahead` frames (with a sparse schedule, a second detection may be many frames away).
            let in_flight = |q: &VecDeque<(InFlight, Option<usize>)>| q.iter().filter(|(_, w)| w.is_some()).count();
            while !input_done && in_flight(&queue) < pool.workers() && queue.len() < self.read_ahead.max(pool.workers())
            {
                match next() {
                    Some(item) if !stop.load(Ordering::SeqCst) => {
                        // The schedule reads the tracker after frame i - SCHEDULE_LAG: track up to there first.
                        while reads_tracker && queue.front().is_some_and(|(f, _)| f.index + SCHEDULE_LAG <= item.index)
                        {
                            match track_front(&mut queue, &mut tracker, &mut history) {
                                Ok(Some(true)) => {}
                                Ok(_) => break 'run Ok(()),
                                Err(e) => break 'run Err(e),
                            }
                        }
                        // The health after frame i - SCHEDULE_LAG exactly (however far tracking has got).
                        let decided_on = item.index.checked_sub(SCHEDULE_LAG);
                        while history.len() > 1 && decided_on.is_some_and(|d| history[1].0 <= d) {
                            history.pop_front();
                        }
                        let health = match (decided_on, history.front()) {
                            (Some(d), Some((i, h))) if *i <= d => *h,
                            _ => TrackHealth::default(),
                        };
                        let due = self.due(&item, last_detect_ms, &health);
                        let worker = due.then(|| {
                            last_detect_ms = Some(item.timestamp_ms);
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
            match track_front(&mut queue, &mut tracker, &mut history) {
                Ok(Some(true)) => {}
                Ok(_) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        result.and(pool.join())
    }

    /// Live sources: a detector thread of its own on the newest frame handed to it (the frames the schedule picks);
    /// every frame tracked with predicted boxes, updated by each detection as it finishes.
    fn run_live(
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
        let mut last_detect_ms = None;
        while let Some(mut item) = next() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if item.scene_start {
                tracker.reset();
                scene_ms = item.timestamp_ms;
                last_detect_ms = None;
            }
            if self.due(&item, last_detect_ms, &tracker.health()) {
                last_detect_ms = Some(item.timestamp_ms);
                jobs.put(DetectJob {
                    timestamp_ms: item.timestamp_ms,
                    image: item.image.clone(),
                    gray: item.gray.clone(),
                });
            }
            while let Ok((ts, dets)) = done_rx.try_recv() {
                match dets {
                    Ok(dets) if ts >= scene_ms => {
                        last_count = self.count_high(&dets);
                        tracker.update(&dets, ts);
                        item.detected = true;
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
                let r = detector.detect(job.image.rgb(), &job.gray);
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

/// Frames between the tracker state the interval schedule reads and the frame it decides on (files): the frames
/// before `i - SCHEDULE_LAG` are tracked before frame `i` is scheduled. 3 frames (100 ms at 30 FPS) keep a new
/// face's confirming detection within the fast interval of its first, and one detection in flight while the next
/// frames are read.
pub const SCHEDULE_LAG: u64 = 3;

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
                    if done_tx.send(detector.detect(job.image.rgb(), &job.gray)).is_err() {
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
pub(super) fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread's own id only changes its nice value.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, DETECTOR_NICE);
    }
}
