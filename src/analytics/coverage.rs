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
    /// Per confirmed track: first and last timestamp (ms) and classified observations.
    tracks: BTreeMap<u32, (u64, u64, u64)>,
    observations: u64,
    predicted: u64,
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
    /// Classifications per second of the least-classified face among those in view for at least one second
    /// (classified observations over the time between its first and last observation); 0 without such a face.
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
            let t = self.tracks.entry(o.track_id).or_insert((o.timestamp_ms, o.timestamp_ms, 0));
            t.0 = t.0.min(o.timestamp_ms);
            t.1 = t.1.max(o.timestamp_ms);
            t.2 += o.classified as u64;
            self.observations += 1;
            self.predicted += o.predicted as u64;
        }
    }

    /// The figures so far.
    pub fn build(&self) -> Coverage {
        let mut faces = self.faces_per_frame.clone();
        faces.sort_by(f64::total_cmp);
        let mut rates: Vec<f64> = self
            .tracks
            .values()
            .filter(|(first, last, _)| last - first >= 1000)
            .map(|&(first, last, n)| n as f64 * 1000.0 / (last - first) as f64)
            .collect();
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
