//! How completely a run saw and classified its faces: faces per frame, how often each face was classified, and
//! how many boxes were detected rather than predicted. `analyze --json` reports it (`coverage`); the classroom
//! benchmarks read it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pipeline::stats::percentile;
use crate::pipeline::FrameResult;

/// Running totals; feed every [`FrameResult`] in order.
#[derive(Clone, Debug, Default)]
pub struct CoverageBuilder {
    faces_per_frame: Vec<f64>,
    /// Per confirmed track, by track id.
    tracks: BTreeMap<u32, TrackCoverage>,
    observations: u64,
    predicted: u64,
}

/// An observation gap longer than this many times a face's shortest one means the face was out of view (lost by
/// the tracker, or outside the frame) rather than a frame or two dropped.
const OUT_OF_VIEW_GAPS: u64 = 3;

/// What coverage keeps of one track. Its observations arrive in time order (a track's backfill, from before it was
/// confirmed, comes before its first confirmed observation).
#[derive(Clone, Debug)]
struct TrackCoverage {
    /// First and latest observation time, ms.
    first: u64,
    last: u64,
    /// Shortest gap between consecutive observations so far, ms (`u64::MAX` before the second one).
    min_gap: u64,
    /// Latest classification time, ms, and the longest observation gap since it.
    last_classified: Option<u64>,
    gap_since_classified: u64,
    /// Intervals between consecutive classifications during which the face stayed in view: count and sum (ms).
    intervals: u64,
    interval_ms: u64,
}

impl TrackCoverage {
    fn new(t: u64) -> Self {
        Self {
            first: t,
            last: t,
            min_gap: u64::MAX,
            last_classified: None,
            gap_since_classified: 0,
            intervals: 0,
            interval_ms: 0,
        }
    }

    fn add(&mut self, t: u64, classified: bool) {
        if t > self.last {
            let gap = t - self.last;
            self.min_gap = self.min_gap.min(gap);
            self.gap_since_classified = self.gap_since_classified.max(gap);
            self.last = t;
        }
        self.first = self.first.min(t);
        if !classified {
            return;
        }
        if let Some(prev) = self.last_classified {
            let in_view = self.gap_since_classified <= OUT_OF_VIEW_GAPS.saturating_mul(self.min_gap);
            if t > prev && in_view {
                self.intervals += 1;
                self.interval_ms += t - prev;
            }
        }
        self.last_classified = Some(t);
        self.gap_since_classified = 0;
    }

    /// Classifications per second while in view: 1000 / the mean interval between consecutive classifications.
    fn classify_hz(&self) -> Option<f64> {
        (self.last - self.first >= 1000 && self.interval_ms > 0)
            .then(|| self.intervals as f64 * 1000.0 / self.interval_ms as f64)
    }
}

/// Coverage of a run.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Coverage {
    /// Confirmed faces per processed frame: 5th percentile (95% of frames had at least this many), median, most.
    pub faces_per_frame_p05: f64,
    /// See [`Coverage::faces_per_frame_p05`].
    pub faces_per_frame_median: f64,
    /// See [`Coverage::faces_per_frame_p05`].
    pub faces_per_frame_max: f64,
    /// Classifications per second of the least-classified face among those in view for at least one second: 1000
    /// divided by its mean interval (ms) between consecutive classifications, over the intervals in which it stayed
    /// in view (no gap between its observations longer than 3 times its shortest: the tracker lost it, or it left
    /// the frame); 0 without such a face. A face classified every 100 ms scores 10.0 however its first and last
    /// observations fall between classifications.
    pub classify_hz_min: f64,
    /// Median of the same over those faces.
    pub classify_hz_median: f64,
    /// Share of observations whose box was predicted by the motion model rather than detected, in `[0, 1]`.
    pub predicted_share: f64,
}

impl CoverageBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one processed frame (its observations and backfilled ones).
    pub fn add_frame(&mut self, r: &FrameResult) {
        self.faces_per_frame.push(r.observations.len() as f64);
        for o in r.backfill.iter().chain(&r.observations) {
            self.tracks
                .entry(o.track_id)
                .or_insert_with(|| TrackCoverage::new(o.timestamp_ms))
                .add(o.timestamp_ms, o.classified);
            self.observations += 1;
            self.predicted += o.predicted as u64;
        }
    }

    /// The figures so far.
    pub fn build(&self) -> Coverage {
        let mut faces = self.faces_per_frame.clone();
        faces.sort_by(f64::total_cmp);
        let mut rates: Vec<f64> = self.tracks.values().filter_map(TrackCoverage::classify_hz).collect();
        rates.sort_by(f64::total_cmp);
        Coverage {
            faces_per_frame_p05: percentile(&faces, 0.05),
            faces_per_frame_median: percentile(&faces, 0.5),
            faces_per_frame_max: faces.last().copied().unwrap_or(0.0),
            classify_hz_min: rates.first().copied().unwrap_or(0.0),
            classify_hz_median: percentile(&rates, 0.5),
            predicted_share: if self.observations == 0 {
                0.0
            } else {
                self.predicted as f64 / self.observations as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Presentation time of frame `i` at 30 FPS, whole ms (as the video source rounds it).
    fn ts(i: u64) -> u64 {
        (i * 1000 + 15) / 30
    }

    fn track(frames: impl Iterator<Item = u64>, classified: impl Fn(u64) -> bool) -> TrackCoverage {
        let mut frames = frames.peekable();
        let mut t = TrackCoverage::new(ts(*frames.peek().expect("frames")));
        for i in frames {
            t.add(ts(i), classified(i));
        }
        t
    }

    #[test]
    fn every_third_frame_at_30_fps_is_10_hz_whatever_the_phase_at_the_ends() {
        // 2 s in view, first classified on the frame after the first observation, last two frames unclassified:
        // classified observations over the whole span would give 9.7 Hz.
        let t = track(4..66, |i| i % 3 == 2);
        assert_eq!(t.classify_hz(), Some(10.0));
        // Every fourth frame is 7.5 Hz: a schedule that falls behind shows.
        let hz = track(0..60, |i| i % 4 == 0).classify_hz().unwrap();
        assert!((hz - 7.5).abs() < 0.01, "{hz}");
    }

    #[test]
    fn time_out_of_view_does_not_count_against_the_rate() {
        // Frames 30..39 missing (the tracker lost the face for 333 ms): the interval across the hole is left out.
        let t = track((0..30).chain(40..70), |i| i % 3 == 0);
        assert_eq!(t.classify_hz(), Some(10.0));
        // 9 intervals on each side of the hole.
        assert_eq!(t.intervals, 18);
        // A dropped frame is not a hole: frame 33 dropped, its face classified on frame 34 instead; the 133 ms
        // interval across the drop counts (23 intervals from frame 0 to 69).
        let t = track((0..33).chain(34..70), |i| (i % 3 == 0 && i != 33) || i == 34);
        assert_eq!(t.intervals, 23);
        assert_eq!(t.classify_hz(), Some(10.0));
    }

    #[test]
    fn a_face_seen_for_less_than_a_second_has_no_rate() {
        assert_eq!(track(0..29, |_| true).classify_hz(), None);
    }
}
