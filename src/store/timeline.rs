//! A session's emotions over time, in buckets: what the review screen and the HTML report draw.
//!
//! The store keeps one [`Bucket`] per second of session time (written while recording), so a long session
//! opens without reading its observations: a one-hour session with 30 faces has 3.24 million observations but
//! only 3,600 seconds. Coarser buckets are sums of seconds ([`Timeline::buckets`]); finer ones are built from
//! the observations of the window on screen ([`bucketize`]).
//!
//! Definitions (per bucket):
//! - **class share** of an emotion: the share of face-frames (observations) whose smoothed dominant emotion is
//!   that emotion, in `[0, 1]`;
//! - **faces**: mean number of tracked faces per processed frame (drops when people leave or look away);
//! - a face's **mean**: its mean smoothed probabilities over the bucket (FER2013 order, sums to 1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FrameRecord;
use crate::classify::{Emotion, Probs, NUM_EMOTIONS};
use crate::pipeline::Observation;

/// Length of the stored buckets, ms.
pub const SECOND_MS: u64 = 1000;

/// One face's totals over a bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackAgg {
    /// Observations in the bucket.
    pub frames: u32,
    /// Sum of the smoothed probabilities, FER2013 order.
    pub prob_sum: [f32; NUM_EMOTIONS],
    /// Observations whose smoothed dominant emotion is each class, FER2013 order.
    pub dominant: [u32; NUM_EMOTIONS],
}

impl TrackAgg {
    /// Adds one observation (its smoothed probabilities).
    pub fn add(&mut self, smoothed: &Probs) {
        self.frames += 1;
        for (s, p) in self.prob_sum.iter_mut().zip(smoothed) {
            *s += p;
        }
        self.dominant[Emotion::argmax(smoothed) as usize] += 1;
    }

    /// Adds another aggregate.
    pub fn merge(&mut self, other: &TrackAgg) {
        self.frames += other.frames;
        for e in 0..NUM_EMOTIONS {
            self.prob_sum[e] += other.prob_sum[e];
            self.dominant[e] += other.dominant[e];
        }
    }

    /// Mean smoothed probabilities (all 0 when empty).
    pub fn mean(&self) -> Probs {
        let mut m = [0.0; NUM_EMOTIONS];
        if self.frames > 0 {
            for (m, s) in m.iter_mut().zip(&self.prob_sum) {
                *m = s / self.frames as f32;
            }
        }
        m
    }

    /// Share of observations whose dominant emotion is each class, in `[0, 1]` (all 0 when empty).
    pub fn share(&self) -> [f32; NUM_EMOTIONS] {
        let mut s = [0.0; NUM_EMOTIONS];
        if self.frames > 0 {
            for (s, d) in s.iter_mut().zip(&self.dominant) {
                *s = *d as f32 / self.frames as f32;
            }
        }
        s
    }

    /// The emotion dominant most often (ties to the lower FER2013 index); `None` when empty.
    pub fn dominant_emotion(&self) -> Option<Emotion> {
        if self.frames == 0 {
            return None;
        }
        let best = (0..NUM_EMOTIONS).max_by_key(|&e| (self.dominant[e], std::cmp::Reverse(e))).unwrap_or(0);
        Emotion::from_index(best)
    }
}

/// The totals of one stretch of session time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Processed frames (with or without faces).
    pub frames: u32,
    /// Index of the first processed frame in the bucket (`None` when no frame fell in it).
    pub first_frame: Option<u64>,
    /// Per-track totals, by track id (ascending).
    pub tracks: Vec<(u32, TrackAgg)>,
}

impl Bucket {
    /// Counts one processed frame.
    pub fn add_frame(&mut self, frame_index: u64) {
        self.frames += 1;
        self.first_frame = Some(self.first_frame.map_or(frame_index, |f| f.min(frame_index)));
    }

    /// Adds one observation to its track's totals.
    pub fn add_observation(&mut self, track_id: u32, smoothed: &Probs) {
        match self.tracks.binary_search_by_key(&track_id, |(id, _)| *id) {
            Ok(i) => self.tracks[i].1.add(smoothed),
            Err(i) => {
                let mut a = TrackAgg::default();
                a.add(smoothed);
                self.tracks.insert(i, (track_id, a));
            }
        }
    }

    /// Adds another bucket, with its track ids mapped through `map` (for merged tracks).
    pub fn merge(&mut self, other: &Bucket, map: impl Fn(u32) -> u32) {
        self.frames += other.frames;
        self.first_frame = match (self.first_frame, other.first_frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (id, agg) in &other.tracks {
            let id = map(*id);
            match self.tracks.binary_search_by_key(&id, |(i, _)| *i) {
                Ok(i) => self.tracks[i].1.merge(agg),
                Err(i) => self.tracks.insert(i, (id, *agg)),
            }
        }
    }

    /// All faces together: the class.
    pub fn class(&self) -> TrackAgg {
        let mut c = TrackAgg::default();
        for (_, a) in &self.tracks {
            c.merge(a);
        }
        c
    }

    /// One track's totals, if it was seen in the bucket.
    pub fn track(&self, track_id: u32) -> Option<&TrackAgg> {
        self.tracks.binary_search_by_key(&track_id, |(id, _)| *id).ok().map(|i| &self.tracks[i].1)
    }

    /// Mean number of tracked faces per processed frame (0 without frames).
    pub fn mean_faces(&self) -> f32 {
        if self.frames == 0 {
            0.0
        } else {
            self.tracks.iter().map(|(_, a)| a.frames).sum::<u32>() as f32 / self.frames as f32
        }
    }
}

/// Builds `n` buckets of `bucket_ms` from `start_ms` out of raw frames and observations (for zoom levels finer
/// than a second); items outside the window are ignored, track ids are mapped through `map`.
pub fn bucketize(
    frames: &[FrameRecord],
    observations: &[Observation],
    start_ms: u64,
    bucket_ms: u64,
    n: usize,
    map: impl Fn(u32) -> u32,
) -> Vec<Bucket> {
    let mut out = vec![Bucket::default(); n];
    let slot = |t: u64| -> Option<usize> {
        let i = (t.checked_sub(start_ms)? / bucket_ms.max(1)) as usize;
        (i < n).then_some(i)
    };
    for f in frames {
        if let Some(i) = slot(f.timestamp_ms) {
            out[i].add_frame(f.frame_index);
        }
    }
    for o in observations {
        if let Some(i) = slot(o.timestamp_ms) {
            out[i].add_observation(map(o.track_id), &o.smoothed);
        }
    }
    out
}

/// A session's per-second buckets, with merged tracks folded into the track they were merged into.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    seconds: Vec<Bucket>,
    merges: BTreeMap<u32, u32>,
}

impl Timeline {
    /// A timeline from stored `(second, bucket)` pairs (any order; missing seconds are empty) and the merge map
    /// (`track id -> track it was merged into`, already resolved to the final track).
    pub fn new(seconds: impl IntoIterator<Item = (u32, Bucket)>, merges: BTreeMap<u32, u32>) -> Timeline {
        let mut dense: Vec<Bucket> = Vec::new();
        for (s, b) in seconds {
            let s = s as usize;
            if dense.len() <= s {
                dense.resize(s + 1, Bucket::default());
            }
            let merges = &merges;
            dense[s].merge(&b, |id| *merges.get(&id).unwrap_or(&id));
        }
        Timeline { seconds: dense, merges }
    }

    /// The track an observation of `track_id` counts for (itself unless merged).
    pub fn resolve(&self, track_id: u32) -> u32 {
        *self.merges.get(&track_id).unwrap_or(&track_id)
    }

    /// Session length covered, ms (whole seconds).
    pub fn span_ms(&self) -> u64 {
        self.seconds.len() as u64 * SECOND_MS
    }

    /// The stored seconds, index = second since session start.
    pub fn seconds(&self) -> &[Bucket] {
        &self.seconds
    }

    /// `n` buckets of `bucket_ms` (a multiple of [`SECOND_MS`]; rounded up to one otherwise) from `start_ms`
    /// (rounded down to a second), each the sum of its seconds.
    pub fn buckets(&self, start_ms: u64, bucket_ms: u64, n: usize) -> Vec<Bucket> {
        let k = bucket_ms.div_ceil(SECOND_MS).max(1) as usize;
        let s0 = (start_ms / SECOND_MS) as usize;
        (0..n)
            .map(|i| {
                let mut b = Bucket::default();
                let from = (s0 + i * k).min(self.seconds.len());
                let to = (s0 + (i + 1) * k).min(self.seconds.len());
                for s in &self.seconds[from..to] {
                    b.merge(s, |id| id);
                }
                b
            })
            .collect()
    }

    /// Totals over `[start_ms, end_ms)` in whole seconds: from the second holding `start_ms` through the one
    /// holding `end_ms - 1`.
    pub fn total(&self, start_ms: u64, end_ms: u64) -> Bucket {
        let from = ((start_ms / SECOND_MS) as usize).min(self.seconds.len());
        let to = (end_ms.div_ceil(SECOND_MS) as usize).clamp(from, self.seconds.len());
        let mut b = Bucket::default();
        for s in &self.seconds[from..to] {
            b.merge(s, |id| id);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(e: usize) -> Probs {
        let mut p = [0.05; NUM_EMOTIONS];
        p[e] = 0.7;
        p
    }

    #[test]
    fn buckets_sum_their_seconds_and_merged_tracks_count_as_one() {
        let mut s0 = Bucket::default();
        for f in 0..10 {
            s0.add_frame(f);
            s0.add_observation(1, &p(3));
            if f < 5 {
                s0.add_observation(2, &p(6));
            }
        }
        let mut s2 = Bucket::default();
        for f in 20..30 {
            s2.add_frame(f);
            s2.add_observation(3, &p(5));
        }
        let merges = BTreeMap::from([(3, 2)]);
        let t = Timeline::new([(2, s2), (0, s0)], merges);
        assert_eq!(t.span_ms(), 3000);
        assert_eq!(t.resolve(3), 2);
        let b = t.buckets(0, 3000, 2);
        assert_eq!(b[0].frames, 20);
        assert_eq!(b[0].first_frame, Some(0));
        assert_eq!(b[0].tracks.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1, 2]);
        let two = b[0].track(2).unwrap();
        assert_eq!(two.frames, 15);
        assert_eq!(two.dominant[6], 5);
        assert_eq!(two.dominant[5], 10);
        assert_eq!(two.dominant_emotion(), Some(Emotion::Surprise));
        assert!(b[1].tracks.is_empty());
        let class = b[0].class();
        assert_eq!(class.frames, 25);
        assert!((class.share()[3] - 0.4).abs() < 1e-6);
        assert!((b[0].mean_faces() - 1.25).abs() < 1e-6);
        assert!((class.mean().iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!(t.total(1000, 2500).frames, 10);
    }
}
