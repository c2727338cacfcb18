//! Which frames are detected and which faces classified: the plan a run follows, in video time.
//!
//! - **Lecture** (files by default, and live sources): tracking on every frame; full-frame detection every
//!   [`DetectSchedule::Interval::every_ms`] of video while the tracks are steady and every
//!   [`DetectSchedule::Interval::fast_every_ms`] while they are not ([`detection_due`]); each face classified
//!   `classify_hz` times per second of video (files: exactly, on a rate fixed in video time, so a run gives the same
//!   session on any machine; live: at least, and more while the classifier keeps up).
//! - **Every frame** (`--every-frame`, files): every frame detected, every face classified on every frame
//!   (accuracy first, several times the cost).
//! - **Every n-th** (`--detect-every N`): detection on every n-th frame (py-feat's `skip_frames`), classification as
//!   the lecture or every-frame plan says.
//!
//! The schedule is stored with the session ([`Schedule`]) and printed by `analyze --json`.

use serde::{Deserialize, Serialize};

use crate::track::TrackHealth;

/// When full-frame face detection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DetectSchedule {
    /// On frames whose index is a multiple of `n` (1 = every frame), py-feat's `skip_frames`.
    EveryNth {
        /// Detect every `n`-th frame.
        n: u32,
    },
    /// Every `every_ms` of video (ms) while the tracks are steady, every `fast_every_ms` while they are uncertain
    /// ([`detection_due`]).
    Interval {
        /// Interval between detections while the tracks are steady, ms of video.
        every_ms: u64,
        /// Interval while they are uncertain, ms of video.
        fast_every_ms: u64,
    },
    /// On the newest frame whenever the detector is free (live sources with `--every-frame`: as often as it keeps
    /// up, on a thread of its own).
    AsOftenAsPossible,
}

/// Which faces are classified on a frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClassifySchedule {
    /// Every face on every frame.
    EveryFrame,
    /// Each face `hz` times per second of video: a face is classified when its latest classification would be
    /// older than `1 / hz` by the next frame, and the faces are spread evenly over the frames (stalest first).
    Rate {
        /// Classifications per second of video per face.
        hz: f64,
    },
    /// Live: each face at least `min_hz` times per second, more while the classifier's measured cost fits half of
    /// the frame interval of one core.
    AtLeast {
        /// Minimum classifications per second per face.
        min_hz: f64,
    },
}

/// The plan a run follows, as stored with its session and printed by `analyze --json`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// `lecture` (the default), `every_frame` (`--every-frame`) or `every_nth` (`--detect-every N`).
    pub name: ScheduleName,
    /// When detection runs.
    pub detect: DetectSchedule,
    /// Which faces are classified.
    pub classify: ClassifySchedule,
}

/// The name of a [`Schedule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleName {
    /// Detection on an adaptive interval, each face at a fixed rate (the default).
    Lecture,
    /// Every face of every frame (`--every-frame`).
    EveryFrame,
    /// Detection on every n-th frame (`--detect-every N`).
    EveryNth,
}

impl Schedule {
    /// The plan for a run: `every_frame` (`--every-frame`), `detect_every` (`--detect-every N`), the detection
    /// intervals in seconds and the classification rate from the configuration, and whether the source is live.
    pub fn plan(every_frame: bool, detect_every: Option<u32>, intervals_s: (f64, f64), hz: f64, live: bool) -> Self {
        let ms = |s: f64| crate::fmt::secs_to_ms(s).max(1);
        let interval = DetectSchedule::Interval { every_ms: ms(intervals_s.0), fast_every_ms: ms(intervals_s.1) };
        let (name, detect) = match (detect_every, every_frame, live) {
            (Some(n), _, _) => (ScheduleName::EveryNth, DetectSchedule::EveryNth { n: n.max(1) }),
            (None, true, false) => (ScheduleName::EveryFrame, DetectSchedule::EveryNth { n: 1 }),
            (None, true, true) => (ScheduleName::EveryFrame, DetectSchedule::AsOftenAsPossible),
            (None, false, _) => (ScheduleName::Lecture, interval),
        };
        let classify = match (every_frame, live) {
            (_, true) => ClassifySchedule::AtLeast { min_hz: hz },
            (true, false) => ClassifySchedule::EveryFrame,
            (false, false) => ClassifySchedule::Rate { hz },
        };
        Schedule { name, detect, classify }
    }

    /// One line for people: `lecture (detect every 200 ms of video, 100 ms while tracks are uncertain; each face
    /// 10/s of video)`.
    pub fn describe(&self) -> String {
        let name = match self.name {
            ScheduleName::Lecture => "lecture",
            ScheduleName::EveryFrame => "every frame",
            ScheduleName::EveryNth => "every n-th frame",
        };
        let detect = match self.detect {
            DetectSchedule::EveryNth { n: 1 } => "detect every frame".to_string(),
            DetectSchedule::EveryNth { n } => format!("detect every {n} frames"),
            DetectSchedule::Interval { every_ms, fast_every_ms } => {
                format!("detect every {every_ms} ms of video, {fast_every_ms} ms while tracks are uncertain")
            }
            DetectSchedule::AsOftenAsPossible => "detect as often as the detector keeps up".to_string(),
        };
        let classify = match self.classify {
            ClassifySchedule::EveryFrame => "every face on every frame".to_string(),
            ClassifySchedule::Rate { hz } => format!("each face {hz}/s of video"),
            ClassifySchedule::AtLeast { min_hz } => format!("each face at least {min_hz}/s"),
        };
        format!("{name} ({detect}; {classify})")
    }

    /// The coast a tracker needs under this plan, seconds: at least `coast_s`, and with an interval schedule one and
    /// a half steady intervals, so that a face the detector misses once keeps its box until the next detection.
    pub fn coast_s(&self, coast_s: f64) -> f64 {
        match self.detect {
            DetectSchedule::Interval { every_ms, .. } => coast_s.max(1.5 * crate::fmt::ms_to_s(every_ms)),
            _ => coast_s,
        }
    }
}

/// The tracks are uncertain (detect at the fast interval) when a face is tentative (seen once: the next detection
/// confirms it), more than this share of the confirmed faces were missed at the last detection, ...
pub const COASTING_SHARE: f64 = 0.1;
/// ... a matched box had drifted from its prediction to an IoU under this, ...
pub const DRIFT_IOU: f32 = 0.5;
/// ... or a face moves more than this many box heights per second (the motion model's velocity; on small faces
/// detection jitter alone reads as up to about 1 height per second, so the drift test above is the finer one).
pub const FAST_SIDES_PER_S: f32 = 1.5;

/// Whether the tracks under `health` are uncertain (see [`COASTING_SHARE`], [`DRIFT_IOU`], [`FAST_SIDES_PER_S`]).
pub fn uncertain(health: &TrackHealth) -> bool {
    let confirmed = health.matched + health.coasting;
    health.tentative > 0
        || (health.coasting as f64) > COASTING_SHARE * confirmed as f64
        || health.worst_match_iou < DRIFT_IOU
        || health.fastest_sides_per_s > FAST_SIDES_PER_S
}

/// Whether the frame at `ts_ms` is due for detection under `DetectSchedule::Interval { every_ms, fast_every_ms }`,
/// given the time of the last detected frame (`None`: none yet, so due), the frame interval `frame_ms` and the
/// tracks' `health`. Half a frame of margin: frame times are whole ms, and a detection due at 250 ms on a 30 FPS
/// video runs 7 or 8 frames after the last one (233 or 267 ms: 250 on average), one due at 100 ms 3 frames after.
pub fn detection_due(
    ts_ms: u64,
    last_ms: Option<u64>,
    every_ms: u64,
    fast_every_ms: u64,
    frame_ms: f64,
    health: &TrackHealth,
) -> bool {
    let Some(last) = last_ms else { return true };
    let interval = if uncertain(health) { fast_every_ms.min(every_ms) } else { every_ms };
    ts_ms.saturating_sub(last) as f64 + frame_ms / 2.0 >= interval as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady() -> TrackHealth {
        TrackHealth { matched: 29, worst_match_iou: 0.9, fastest_sides_per_s: 0.1, ..TrackHealth::default() }
    }

    /// The frames detected over 2 s of 30 FPS video under constant health.
    fn detected_frames(health: TrackHealth, every_ms: u64) -> Vec<u64> {
        let mut last = None;
        let mut out = Vec::new();
        for i in 0..60u64 {
            let ts = (i as f64 * 1000.0 / 30.0).round() as u64;
            if detection_due(ts, last, every_ms, 100, 1000.0 / 30.0, &health) {
                last = Some(ts);
                out.push(i);
            }
        }
        out
    }

    #[test]
    fn steady_tracks_are_detected_every_fifth_of_a_second_of_video() {
        // Every 6th frame at 30 FPS (200 ms); 250 ms: every 7th or 8th (frame times are whole ms: 233 or 267 ms).
        assert_eq!(detected_frames(steady(), 200), vec![0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
        assert_eq!(detected_frames(steady(), 250), vec![0, 8, 16, 23, 31, 38, 46, 53]);
    }

    #[test]
    fn a_new_face_many_missed_faces_drift_or_speed_make_detection_faster() {
        let fast = vec![0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48, 51, 54, 57];
        assert_eq!(detected_frames(TrackHealth { tentative: 1, ..steady() }, 200), fast);
        assert_eq!(detected_frames(TrackHealth { matched: 25, coasting: 4, ..steady() }, 200), fast);
        assert_eq!(detected_frames(TrackHealth { worst_match_iou: 0.4, ..steady() }, 200), fast);
        assert_eq!(detected_frames(TrackHealth { fastest_sides_per_s: 2.0, ..steady() }, 200), fast);
        // One face of 29 missed once is not a reason.
        assert_eq!(detected_frames(TrackHealth { matched: 28, coasting: 1, ..steady() }, 200).len(), 10);
    }

    #[test]
    fn plans_name_what_runs() {
        let lecture = Schedule::plan(false, None, (0.2, 0.1), 10.0, false);
        assert_eq!(lecture.name, ScheduleName::Lecture);
        assert_eq!(lecture.detect, DetectSchedule::Interval { every_ms: 200, fast_every_ms: 100 });
        assert_eq!(lecture.classify, ClassifySchedule::Rate { hz: 10.0 });
        assert!((lecture.coast_s(0.3) - 0.3).abs() < 1e-9);
        let slow = Schedule::plan(false, None, (0.4, 0.1), 10.0, false);
        assert!((slow.coast_s(0.3) - 0.6).abs() < 1e-9);
        let every = Schedule::plan(true, None, (0.25, 0.1), 10.0, false);
        assert_eq!((every.detect, every.classify), (DetectSchedule::EveryNth { n: 1 }, ClassifySchedule::EveryFrame));
        assert_eq!(every.coast_s(0.3), 0.3);
        let nth = Schedule::plan(false, Some(3), (0.25, 0.1), 10.0, false);
        assert_eq!((nth.name, nth.detect), (ScheduleName::EveryNth, DetectSchedule::EveryNth { n: 3 }));
        let live = Schedule::plan(false, None, (0.25, 0.1), 10.0, true);
        assert_eq!(live.classify, ClassifySchedule::AtLeast { min_hz: 10.0 });
        let json = serde_json::to_value(lecture).unwrap();
        assert_eq!(json["detect"]["kind"], "interval");
        assert_eq!(json["classify"]["hz"], 10.0);
        assert!(lecture.describe().starts_with("lecture (detect every 200 ms"), "{}", lecture.describe());
    }
}
