//! Re-identification beside the pipeline (issue 21): the classification stage picks each new track's best faces
//! ([`ReidFeed`]) and hands them to a worker thread ([`spawn_worker`]) that cuts their chips, computes their
//! descriptors ([`crate::face::descriptor`]) and decides ([`crate::face::reid::Reidentifier`]) whether the track is a
//! face seen earlier in the session. Decisions go to a [`SharedJoins`] log that the sinks (the recorder, the live
//! screen) read, as they read a stream's gaps.
//!
//! Which chips: on frames where a confirmed face was detected (files: its box not predicted; live sources, which mark
//! every box predicted because a detection lands on a later frame: the frames where one landed) with landmarks, its
//! quality is `score * size * frontality` (size: inter-ocular distance over 40 px, at most 1; frontality: 1 for a nose
//! midway between the eyes, 0 at a yaw ratio of [`MAX_YAW_RATIO`]); the best chip of each window of [`WINDOW_MS`] of
//! video is sent, up to [`ReidConfig::samples`] per track. Files wait for the worker (back pressure, as between the
//! other stages: the same chips on any machine); live sources never wait (a chip the worker has no room for is tried
//! again on a later frame) and the worker runs at the detector's low priority. Where and when each track was seen goes
//! beside the chips, in a small shared table ([`Spans`]) that the feed updates on every frame and the worker reads, so
//! that no frame's news is lost to a full queue. Chips and descriptors stay in memory; nothing of them is stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{InFlight, Observation};
use crate::capture::Picture;
use crate::detect::Landmarks;
use crate::face::descriptor::{face_chip, DescriptorNet};
use crate::face::reid::{Join, ReidConfig, Reidentifier};

/// Video time over which the best chip of a track is chosen, ms.
pub const WINDOW_MS: u64 = 400;
/// Yaw ratio (nose offset from the eye midpoint along the eye axis, in inter-ocular distances) at which a face is
/// too turned for a chip: about 31 degrees (see `analytics::attention`).
pub const MAX_YAW_RATIO: f32 = 0.3;
/// Smallest inter-ocular distance of a chip's face, pixels of the frame.
pub const MIN_IOD_PX: f32 = 8.0;
/// Faces waiting for the worker at most (each holds its frame: at 1080p, 3 MB of YUV, and its RGB once the worker
/// has made it).
const QUEUE: usize = 16;
/// How often the worker looks at the spans when no chip comes (tracks that left are decided then).
const IDLE_WAKE: Duration = Duration::from_millis(100);

/// Where the run is and where each confirmed track was seen: `now` and `track id -> (first, last)`, ms since
/// session start. Written by the feed on every frame, read by the worker.
#[derive(Debug, Default)]
pub struct Spans {
    now_ms: u64,
    tracks: HashMap<u32, (u64, u64)>,
}

/// Every join decided so far, in order (append-only: each sink keeps its own count of those it has taken).
pub type SharedJoins = Arc<Mutex<Vec<Join>>>;

/// The joins in `shared` after the first `*taken`, which becomes their count (for a sink reading the log).
pub fn take_new(shared: &SharedJoins, taken: &mut usize) -> Vec<Join> {
    let all = shared.lock().unwrap_or_else(|p| p.into_inner());
    let new = all.get(*taken..).unwrap_or_default().to_vec();
    *taken = all.len();
    new
}

/// A face of track `id` for the worker: the frame it is in and its landmarks (pixels of that frame). The worker
/// cuts the chip, so that neither the frame's RGB nor the chip is made on the per-frame path.
struct Chip {
    id: u32,
    picture: Arc<Picture>,
    landmarks: Landmarks,
}

/// A face waiting for the end of its window: the best of it so far.
struct Candidate {
    quality: f32,
    picture: Arc<Picture>,
    landmarks: Landmarks,
}

/// Per-track state of the feed.
#[derive(Default)]
struct FeedTrack {
    sent: usize,
    window_start: u64,
    best: Option<Candidate>,
    last_seen: u64,
}

/// The classification stage's end: records where each track is seen and hands each new track's best faces to the
/// worker.
pub struct ReidFeed {
    tx: SyncSender<Chip>,
    spans: Arc<Mutex<Spans>>,
    live: bool,
    samples: usize,
    tracks: HashMap<u32, FeedTrack>,
}

/// The quality of a detected face for a chip (see the module docs); `None` when it is unusable (no landmarks,
/// too small, too turned).
fn quality(o: &Observation) -> Option<f32> {
    let (d2, ratio) = crate::detect::eye_axis(o.landmarks.as_ref()?)?;
    let iod = d2.sqrt();
    if iod < MIN_IOD_PX {
        return None;
    }
    let frontal = 1.0 - ratio.abs() / MAX_YAW_RATIO;
    (frontal > 0.0).then(|| o.score.max(0.0) * (iod / 40.0).min(1.0) * frontal)
}

impl ReidFeed {
    /// Hands the frame's confirmed observations on: their track ids, and the chips whose windows closed.
    pub fn frame(&mut self, item: &InFlight, observations: &[Observation]) {
        let ts = item.timestamp_ms;
        {
            let mut spans = self.spans.lock().unwrap_or_else(|p| p.into_inner());
            spans.now_ms = spans.now_ms.max(ts);
            for o in observations {
                let s = spans.tracks.entry(o.track_id).or_insert((o.timestamp_ms, o.timestamp_ms));
                *s = (s.0.min(o.timestamp_ms), s.1.max(o.timestamp_ms));
            }
        }
        for o in observations {
            let st =
                self.tracks.entry(o.track_id).or_insert_with(|| FeedTrack { window_start: ts, ..Default::default() });
            st.last_seen = ts;
            // Files: faces detected on this frame. Live sources report every box as predicted (detection finishes on
            // an older frame, and its boxes and landmarks are moved to the newest one): those of the frame where a
            // detection was applied.
            let fresh = !o.predicted || (self.live && item.detected);
            if st.sent >= self.samples || !fresh {
                continue;
            }
            let Some(q) = quality(o) else { continue };
            if st.best.as_ref().is_none_or(|b| q > b.quality) {
                let landmarks = o.landmarks.expect("quality needs landmarks");
                st.best = Some(Candidate { quality: q, picture: item.image.clone(), landmarks });
            }
        }
        // Windows that closed on this frame send their best face, in track order (the same order on every run).
        let mut due: Vec<u32> = self
            .tracks
            .iter()
            .filter(|(_, st)| st.best.is_some() && ts.saturating_sub(st.window_start) >= WINDOW_MS)
            .map(|(&id, _)| id)
            .collect();
        due.sort_unstable();
        for id in due {
            self.send_best(id, ts);
        }
        self.tracks.retain(|_, st| st.best.is_some() || ts.saturating_sub(st.last_seen) < 10_000);
    }

    /// Sends track `id`'s best chip, if the worker takes it; its next window starts at `ts`.
    fn send_best(&mut self, id: u32, ts: u64) {
        let Some(st) = self.tracks.get_mut(&id) else { return };
        let Some(best) = st.best.take() else { return };
        let msg = Chip { id, picture: best.picture, landmarks: best.landmarks };
        let sent = if self.live {
            match self.tx.try_send(msg) {
                Ok(()) => true,
                Err(TrySendError::Full(Chip { picture, landmarks, .. })) => {
                    // No room: kept for a later frame.
                    st.best = Some(Candidate { quality: best.quality, picture, landmarks });
                    false
                }
                Err(_) => false,
            }
        } else {
            self.tx.send(msg).is_ok()
        };
        if sent {
            st.sent += 1;
            st.window_start = ts;
        }
    }

    /// The end of the run: the chips still waiting are sent (the worker takes them all before its last decision).
    pub fn finish(mut self) {
        self.live = false;
        let mut ids: Vec<u32> = self.tracks.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.send_best(id, u64::MAX);
        }
    }
}

/// Starts the worker on tokio's blocking pool; returns the feed for the classification stage, the decisions'
/// [`SharedJoins`] for the sinks and the worker's task. The worker ends when the feed is dropped (after deciding
/// every track that has a descriptor) or, early, when `stop` is set.
pub fn spawn_worker(
    net: DescriptorNet,
    cfg: ReidConfig,
    live: bool,
    stop: Arc<AtomicBool>,
) -> (ReidFeed, SharedJoins, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let (tx, rx) = mpsc::sync_channel::<Chip>(QUEUE);
    let spans: Arc<Mutex<Spans>> = Arc::default();
    let joins: SharedJoins = Arc::default();
    let (out, seen) = (joins.clone(), spans.clone());
    let task = tokio::task::spawn_blocking(move || {
        if live {
            super::track_stage::lower_priority();
        }
        let mut reid = Reidentifier::new(cfg);
        let publish = |j: Vec<Join>| {
            if !j.is_empty() {
                out.lock().unwrap_or_else(|p| p.into_inner()).extend(j);
            }
        };
        let sync = |reid: &mut Reidentifier| {
            let s = seen.lock().unwrap_or_else(|p| p.into_inner());
            reid.now(s.now_ms);
            for (&id, &(first, last)) in &s.tracks {
                reid.span(id, first, last);
            }
        };
        loop {
            match rx.recv_timeout(IDLE_WAKE) {
                Ok(Chip { id, picture, landmarks }) => {
                    if reid.wants(id) {
                        let chip = face_chip(picture.rgb(), &landmarks);
                        drop(picture);
                        if let Some(d) = net.describe(&[&chip])?.pop() {
                            reid.add(id, d);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if live && stop.load(Ordering::SeqCst) {
                break;
            }
            sync(&mut reid);
            publish(reid.decide(false));
        }
        sync(&mut reid);
        publish(reid.decide(true));
        Ok(())
    });
    (ReidFeed { tx, spans, live, samples: cfg.samples, tracks: HashMap::new() }, joins, task)
}
