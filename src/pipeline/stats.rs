//! Pipeline health figures: FPS, latency percentiles, drops, detection rate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Running statistics of a pipeline, as of one processed frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineStats {
    /// Seconds since the pipeline started (wall clock).
    pub elapsed_s: f64,
    /// Frames per second taken from the source over the recent window, counted as each one is processed or
    /// dropped, so that `input_fps = processed_fps + dropped per second` and it is never below `processed_fps`
    /// (frames still queued between stages are counted once they come out).
    pub input_fps: f64,
    /// Frames per second fully processed (detected, tracked, classified), over the recent window.
    pub processed_fps: f64,
    /// Median capture-to-result latency over the recent window, milliseconds.
    pub latency_p50_ms: f64,
    /// 95th-percentile capture-to-result latency over the recent window, milliseconds.
    pub latency_p95_ms: f64,
    /// Frames read from the source so far.
    pub frames_in: u64,
    /// Frames fully processed so far.
    pub frames_processed: u64,
    /// Frames dropped because processing fell behind a live source (newest frame wins).
    pub frames_dropped: u64,
    /// Processed frames with at least one face observed (detected or tracked).
    pub frames_with_faces: u64,
}

impl PipelineStats {
    /// Share of processed frames with at least one face, in `[0, 1]` (0 before the first frame).
    pub fn detection_rate(&self) -> f64 {
        if self.frames_processed == 0 {
            0.0
        } else {
            self.frames_with_faces as f64 / self.frames_processed as f64
        }
    }
}

/// Accumulates per-frame measurements into [`PipelineStats`] over a sliding window.
#[derive(Debug)]
pub struct StatsTracker {
    start: Instant,
    window: Duration,
    /// (time, frames_dropped, frames_processed) samples within the window.
    counts: VecDeque<(Instant, u64, u64)>,
    /// (time, capture-to-result latency in ms) within the window.
    latencies: VecDeque<(Instant, f64)>,
    stats: PipelineStats,
}

impl StatsTracker {
    /// A tracker whose rates and percentiles cover the last `window_s` seconds.
    pub fn new(start: Instant, window_s: f64) -> Self {
        Self {
            start,
            window: Duration::from_secs_f64(window_s.max(0.1)),
            counts: VecDeque::new(),
            latencies: VecDeque::new(),
            stats: PipelineStats::default(),
        }
    }

    /// Records one processed frame at `now`: the source's running totals (`frames_in`, `frames_dropped`), the
    /// frame's capture-to-result latency in ms, and whether it held a face. Returns the updated figures.
    pub fn record(
        &mut self,
        now: Instant,
        frames_in: u64,
        frames_dropped: u64,
        latency_ms: f64,
        had_face: bool,
    ) -> PipelineStats {
        let s = &mut self.stats;
        s.frames_processed += 1;
        s.frames_in = frames_in;
        s.frames_dropped = frames_dropped;
        s.frames_with_faces += had_face as u64;
        s.elapsed_s = now.duration_since(self.start).as_secs_f64();

        self.counts.push_back((now, frames_dropped, s.frames_processed));
        self.latencies.push_back((now, latency_ms));
        while self.counts.front().is_some_and(|(t, ..)| now.duration_since(*t) > self.window) {
            self.counts.pop_front();
        }
        while self.latencies.front().is_some_and(|(t, _)| now.duration_since(*t) > self.window) {
            self.latencies.pop_front();
        }
        // Rates over the window; before two samples exist, over the time since start.
        let (t0, dropped0, done0) = match self.counts.front() {
            Some(&(t, dr, d)) if self.counts.len() > 1 => (t, dr, d),
            _ => (self.start, 0, 0),
        };
        let dt = now.duration_since(t0).as_secs_f64();
        if dt > 0.0 {
            s.processed_fps = (s.frames_processed - done0) as f64 / dt;
            s.input_fps = s.processed_fps + frames_dropped.saturating_sub(dropped0) as f64 / dt;
        }
        let mut lat: Vec<f64> = self.latencies.iter().map(|&(_, l)| l).collect();
        lat.sort_by(f64::total_cmp);
        s.latency_p50_ms = percentile(&lat, 0.50);
        s.latency_p95_ms = percentile(&lat, 0.95);
        s.clone()
    }

    /// The figures as of the last recorded frame.
    pub fn current(&self) -> &PipelineStats {
        &self.stats
    }
}

/// Nearest-rank percentile of sorted values (`q` in `[0, 1]`); 0 for an empty slice.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn rates_follow_the_counts_over_the_window() {
        let t0 = Instant::now();
        let mut st = StatsTracker::new(t0, 10.0);
        for i in 1..=20u64 {
            // 30 frames in per second, 20 processed, 10 dropped per second.
            let now = t0 + Duration::from_millis(i * 50);
            st.record(now, i * 3 / 2, i / 2, 10.0, i % 2 == 0);
        }
        let s = st.current();
        assert!((s.processed_fps - 20.0).abs() < 1.5, "{}", s.processed_fps);
        assert!((s.input_fps - 30.0).abs() < 2.0, "{}", s.input_fps);
        assert_eq!(s.frames_with_faces, 10);
        assert_eq!(s.detection_rate(), 0.5);
    }

    #[test]
    fn processed_never_exceeds_input_while_the_queue_drains() {
        // A file read at full speed: the source is done (all 100 frames read) while 8 queued frames are still
        // processed; nothing is dropped.
        let t0 = Instant::now();
        let mut st = StatsTracker::new(t0, 3.0);
        for i in 1..=100u64 {
            let read = (i + 8).min(100);
            st.record(t0 + Duration::from_millis(i * 100), read, 0, 10.0, true);
        }
        let s = st.current();
        assert!(s.processed_fps <= s.input_fps + 1e-9, "processed {} > input {}", s.processed_fps, s.input_fps);
        assert!((s.input_fps - 10.0).abs() < 0.5, "{}", s.input_fps);
    }
}
