//! A synthetic session written through the store API (no video, no networks): many faces at a fixed frame rate
//! for as long as asked, with a known, deterministic pattern, so review, timeline and summaries can be checked
//! on sessions far longer than the bundled recordings, and timed (`benches/review_open.rs`).
//!
//! The pattern, for a session of `D` = `minutes` x 60 s ([`Plan`] gives every time below in ms):
//! - frame `i` is at `i * 1000 / fps` ms, so every second holds exactly `fps` frames;
//! - face `k` (track id `k`, 1-based) enters at second `k - 1` and stays to the end, except that every even `k`
//!   is away during the pause `[D/3, D/3 + D/60)` (minute 20 for one hour);
//! - every face is neutral, except happy during `[D/6, D/5)` (minutes 10 to 12 of an hour) and, for odd `k`,
//!   surprised during `[D/2, D/2 + 30 s)`; the smoothed probabilities wobble a little with time and face, never
//!   enough to change the dominant emotion;
//! - markers at the start of the happy window ("joke"), at its end ("back to work") and at the start of the
//!   surprise window ("demo").

#![allow(dead_code)]

use emotrace::capture::SourceKind;
use emotrace::classify::{Probs, NUM_EMOTIONS};
use emotrace::detect::BBox;
use emotrace::pipeline::{FrameResult, Observation, PipelineStats};
use emotrace::store::{AnnotationKind, NewSession, SessionStatus, Store};

/// Length of the surprise window, ms.
pub const SURPRISE_MS: u64 = 30_000;
/// Index of happy in FER2013 order.
pub const HAPPY: usize = 3;
/// Index of surprise in FER2013 order.
pub const SURPRISE: usize = 5;
/// Index of neutral in FER2013 order.
pub const NEUTRAL: usize = 6;

/// The times and presence rules of one synthetic session (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Session length, minutes.
    pub minutes: u32,
    /// Number of faces (track ids `1..=faces`).
    pub faces: u32,
    /// Frames per second.
    pub fps: u32,
}

impl Plan {
    /// The plan for `minutes` x `faces` at `fps`.
    pub fn new(minutes: u32, faces: u32, fps: u32) -> Plan {
        assert!(minutes > 0 && fps > 0, "a synthetic session needs a length and a frame rate");
        Plan { minutes, faces, fps }
    }

    /// Session length, ms.
    pub fn duration_ms(&self) -> u64 {
        self.minutes as u64 * 60_000
    }

    /// Number of frames.
    pub fn frames(&self) -> u64 {
        self.minutes as u64 * 60 * self.fps as u64
    }

    /// Timestamp of frame `i`, ms since session start.
    pub fn timestamp_ms(&self, i: u64) -> u64 {
        i * 1000 / self.fps as u64
    }

    /// The happy window `[start, end)`, ms.
    pub fn happy(&self) -> (u64, u64) {
        (self.duration_ms() / 6, self.duration_ms() / 5)
    }

    /// The surprise window `[start, end)`, ms (odd faces only).
    pub fn surprise(&self) -> (u64, u64) {
        let s = self.duration_ms() / 2;
        (s, s + SURPRISE_MS)
    }

    /// The pause `[start, end)`, ms, during which even faces are away.
    pub fn pause(&self) -> (u64, u64) {
        let s = self.duration_ms() / 3;
        (s, s + self.duration_ms() / 60)
    }

    /// The markers written: `(ms, label)`.
    pub fn markers(&self) -> Vec<(u64, &'static str)> {
        vec![(self.happy().0, "joke"), (self.happy().1, "back to work"), (self.surprise().0, "demo")]
    }

    /// Whether face `k` is in view at `t_ms`.
    pub fn present(&self, k: u32, t_ms: u64) -> bool {
        let (p0, p1) = self.pause();
        t_ms >= (k as u64 - 1) * 1000 && !(k.is_multiple_of(2) && t_ms >= p0 && t_ms < p1)
    }

    /// The dominant emotion of face `k` at `t_ms` (FER2013 index).
    pub fn emotion(&self, k: u32, t_ms: u64) -> usize {
        let (h0, h1) = self.happy();
        let (s0, s1) = self.surprise();
        if t_ms >= h0 && t_ms < h1 {
            HAPPY
        } else if k % 2 == 1 && t_ms >= s0 && t_ms < s1 {
            SURPRISE
        } else {
            NEUTRAL
        }
    }

    /// Smoothed probabilities of face `k` in frame `i`: the dominant emotion gets 0.6 (neutral), 0.75 (happy, so
    /// its onset is the largest change) or 0.55 (surprise), the rest is shared evenly, and a wobble of up to 0.04
    /// moves between sad and angry; sums to 1.
    pub fn smoothed(&self, k: u32, i: u64) -> Probs {
        let e = self.emotion(k, self.timestamp_ms(i));
        let top = match e {
            HAPPY => 0.75,
            SURPRISE => 0.55,
            _ => 0.6,
        };
        let rest = (1.0 - top) / (NUM_EMOTIONS - 1) as f32;
        let mut p = [rest; NUM_EMOTIONS];
        p[e] = top;
        let wobble = ((i + 7 * k as u64) % 41) as f32 / 40.0 * 0.08 - 0.04;
        p[4] += wobble;
        p[0] -= wobble;
        p
    }

    /// Raw (per-frame) probabilities: the smoothed ones with a little more noise.
    pub fn raw(&self, k: u32, i: u64) -> Probs {
        let mut p = self.smoothed(k, i);
        let jitter = ((i * 13 + k as u64 * 5) % 9) as f32 / 8.0 * 0.04 - 0.02;
        p[1] += jitter.abs();
        p[2] -= jitter.abs();
        p
    }

    /// The faces in frame `i`, as the pipeline would give them (ordered by track id).
    pub fn frame(&self, i: u64) -> FrameResult {
        let t = self.timestamp_ms(i);
        let observations: Vec<Observation> = (1..=self.faces)
            .filter(|&k| self.present(k, t))
            .map(|k| {
                let (col, row) = ((k - 1) % 6, (k - 1) / 6);
                Observation {
                    frame_index: i,
                    timestamp_ms: t,
                    track_id: k,
                    bbox: BBox::new(20.0 + 210.0 * col as f32, 30.0 + 200.0 * row as f32, 90.0, 100.0),
                    score: 5.0 + (k % 4) as f32,
                    raw: self.raw(k, i),
                    smoothed: self.smoothed(k, i),
                    landmarks: None,
                    predicted: false,
                    classified: true,
                }
            })
            .collect();
        FrameResult {
            frame_index: i,
            timestamp_ms: t,
            width: 1280,
            height: 1080,
            detections: observations.len(),
            detected: true,
            faces: observations.len(),
            latency_ms: 20.0 + (i % 10) as f64,
            backfill: Vec::new(),
            stats: PipelineStats {
                elapsed_s: t as f64 / 1000.0,
                input_fps: self.fps as f64,
                processed_fps: self.fps as f64,
                latency_p50_ms: 24.0,
                latency_p95_ms: 29.0,
                frames_in: i + 1,
                frames_processed: i + 1,
                frames_dropped: 0,
                frames_with_faces: i + 1,
            },
            observations,
            image: None,
        }
    }

    /// Observations of face `k` over the whole session (counted from the rules, not the store).
    pub fn observations_of(&self, k: u32) -> u64 {
        (0..self.frames()).filter(|&i| self.present(k, self.timestamp_ms(i))).count() as u64
    }
}

/// Writes a synthetic session of `minutes` x `faces` at `fps` into `store` (see the module documentation for
/// the pattern), finishes it as completed, and returns its id.
///
/// Panics: the store cannot be written (a test or benchmark helper).
pub fn build_session(store: &Store, minutes: u32, faces: u32, fps: u32) -> String {
    let plan = Plan::new(minutes, faces, fps);
    let mut w = store
        .create_session(NewSession {
            source: format!("synthetic: {minutes} min, {faces} faces, {fps} FPS"),
            source_kind: SourceKind::Video,
            decoder: None,
            models: "synthetic".into(),
            detector: None,
            config: serde_json::json!({ "synthetic": { "minutes": minutes, "faces": faces, "fps": fps } }),
            schedule: None,
            frame_rate: None,
        })
        .expect("create the synthetic session");
    let mut markers = plan.markers().into_iter().peekable();
    for i in 0..plan.frames() {
        let t = plan.timestamp_ms(i);
        while let Some((at, label)) = markers.next_if(|(at, _)| *at <= t) {
            w.annotate(AnnotationKind::Marker, at, None, label, None).expect("store a marker");
        }
        w.write(&plan.frame(i)).expect("store a frame");
    }
    for (at, label) in markers {
        w.annotate(AnnotationKind::Marker, at, None, label, None).expect("store a marker");
    }
    let id = w.id().to_string();
    w.finish(SessionStatus::Completed, None).expect("finish the synthetic session");
    id
}
