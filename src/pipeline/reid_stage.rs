//! Re-identification beside the pipeline (issue 21): the classification stage picks each new track's best face
//! chips ([`ReidFeed`]) and hands them to a worker thread ([`spawn_worker`]) that computes their descriptors
//! ([`crate::face::descriptor`]) and decides ([`crate::face::reid::Reidentifier`]) whether the track is a face
//! seen earlier in the session. Decisions go to a [`SharedJoins`] that the sinks (the recorder, the live screen)
//! take from, as they take a stream's gaps.
//!
//! Which chips: on frames where a confirmed face was detected (not predicted) with landmarks, its quality is
//! `score * size * frontality` (size: inter-ocular distance over 40 px, at most 1; frontality: 1 for a nose
//! midway between the eyes, 0 at a yaw ratio of [`MAX_YAW_RATIO`]); the best chip of each window of
//! [`WINDOW_MS`] of video is sent, up to [`ReidConfig::samples`] per track. Files wait for the worker (back
//! pressure, as between the other stages: the same chips and decisions on any machine); live sources never wait
//! (a chip the worker has no room for is tried again on a later frame) and the worker runs at the detector's low
//! priority. Chips and descriptors stay in memory; nothing of them is stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{InFlight, Observation};
use crate::face::descriptor::{face_chip, DescriptorNet};
use crate::face::reid::{Join, ReidConfig, Reidentifier};

/// Video time over which the best chip of a track is chosen, ms.
pub const WINDOW_MS: u64 = 400;
/// Yaw ratio (nose offset from the eye midpoint along the eye axis, in inter-ocular distances) at which a face is
/// too turned for a chip: about 31 degrees (see `analytics::attention`).
pub const MAX_YAW_RATIO: f32 = 0.3;
/// Smallest inter-ocular distance of a chip's face, pixels of the frame.
pub const MIN_IOD_PX: f32 = 8.0;
/// Chips waiting for the worker at most.
const QUEUE: usize = 32;

/// Joins decided so far and not yet taken by a sink.
pub type SharedJoins = Arc<Mutex<Vec<Join>>>;

/// What the feed tells the worker.
enum Msg {
    /// The confirmed tracks of the frame at `ts` (ms since session start).
    Seen { ts: u64, ids: Vec<u32> },
    /// A chip of track `id` (`[150, 150, 3]` RGB).
    Chip { id: u32, chip: Vec<u8> },
}

/// A chip waiting for the end of its window.
struct Candidate {
    quality: f32,
    chip: Vec<u8>,
}

/// Per-track state of the feed.
#[derive(Default)]
struct FeedTrack {
    sent: usize,
    window_start: u64,
    best: Option<Candidate>,
    last_seen: u64,
}

/// The classification stage's end: picks chips and sends them, with the tracks of each frame, to the worker.
pub struct ReidFeed {
    tx: mpsc::Sender<Msg>,
    live: bool,
    samples: usize,
    tracks: HashMap<u32, FeedTrack>,
}

/// The quality of a detected face for a chip (see the module docs); `None` when it is unusable (no landmarks,
/// too small, too turned).
fn quality(o: &Observation) -> Option<f32> {
    let [re, le, nose, _, _] = o.landmarks?;
    let (ex, ey) = (le[0] - re[0], le[1] - re[1]);
    let iod = (ex * ex + ey * ey).sqrt();
    if !(iod >= MIN_IOD_PX) {
        return None;
    }
    let (mx, my) = ((re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0);
    let ratio = ((nose[0] - mx) * ex + (nose[1] - my) * ey) / (iod * iod);
    let frontal = 1.0 - ratio.abs() / MAX_YAW_RATIO;
    (frontal > 0.0).then(|| o.score.max(0.0) * (iod / 40.0).min(1.0) * frontal)
}

impl ReidFeed {
    /// Hands the frame's confirmed observations on: their track ids, and the chips whose windows closed.
    pub fn frame(&mut self, item: &InFlight, observations: &[Observation]) {
        let ts = item.timestamp_ms;
        let ids: Vec<u32> = observations.iter().map(|o| o.track_id).collect();
        self.send(Msg::Seen { ts, ids });
        for o in observations {
            let st =
                self.tracks.entry(o.track_id).or_insert_with(|| FeedTrack { window_start: ts, ..Default::default() });
            st.last_seen = ts;
            if st.sent >= self.samples || o.predicted {
                continue;
            }
            let Some(q) = quality(o) else { continue };
            if st.best.as_ref().is_none_or(|b| q > b.quality) {
                let lm = o.landmarks.expect("quality needs landmarks");
                st.best = Some(Candidate { quality: q, chip: face_chip(item.image.rgb(), &lm) });
            }
        }
        // Windows that closed on this frame, and tracks gone for a window, send their best chip.
        let due: Vec<u32> = self
            .tracks
            .iter()
            .filter(|(_, st)| st.best.is_some() && ts.saturating_sub(st.window_start) >= WINDOW_MS)
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.send_best(id, ts);
        }
        self.tracks.retain(|_, st| st.best.is_some() || ts.saturating_sub(st.last_seen) < 10_000);
    }

    /// Sends track `id`'s best chip, if the worker takes it; its next window starts at `ts`.
    fn send_best(&mut self, id: u32, ts: u64) {
        let Some(st) = self.tracks.get_mut(&id) else { return };
        let Some(best) = st.best.take() else { return };
        let msg = Msg::Chip { id, chip: best.chip };
        let sent = if self.live {
            match self.tx.try_send(msg) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(Msg::Chip { chip, .. })) => {
                    // No room: kept for a later frame.
                    st.best = Some(Candidate { quality: best.quality, chip });
                    false
                }
                Err(_) => false,
            }
        } else {
            self.tx.blocking_send(msg).is_ok()
        };
        if sent {
            st.sent += 1;
            st.window_start = ts;
        }
    }

    fn send(&self, msg: Msg) {
        if self.live {
            // The frame's track list is small; when the queue is full, the next frame's says as much.
            let _ = self.tx.try_send(msg);
        } else {
            let _ = self.tx.blocking_send(msg);
        }
    }

    /// The end of the run: the chips still waiting are sent (files wait for room; live sources send what fits).
    pub fn finish(mut self) {
        let ids: Vec<u32> = self.tracks.keys().copied().collect();
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
    let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
    let joins: SharedJoins = Arc::default();
    let out = joins.clone();
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
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Seen { ts, ids } => {
                    reid.seen(ts, &ids);
                    publish(reid.decide(false));
                }
                Msg::Chip { id, chip } => {
                    if reid.wants(id) {
                        if let Some(d) = net.describe(&[&chip])?.pop() {
                            reid.add(id, d);
                        }
                    }
                }
            }
            if stop.load(Ordering::SeqCst) && live {
                break;
            }
        }
        publish(reid.decide(true));
        Ok(())
    });
    (ReidFeed { tx, live, samples: cfg.samples, tracks: HashMap::new() }, joins, task)
}
