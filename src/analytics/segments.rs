//! Summaries of a stored session between its markers: time share per emotion (class and per face), the
//! dominant emotion of each segment between markers, and the largest changes.
//!
//! All figures come from the per-second [`Timeline`], so they cost the same for a one-minute and a one-hour
//! session. Marker times are rounded down to whole seconds for segments.

use serde::Serialize;

use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::store::timeline::{Timeline, TrackAgg, SECOND_MS};

/// The stretch of session between two markers (or the start/end).
#[derive(Clone, Debug, Serialize)]
pub struct Segment {
    /// Start, ms since session start.
    pub start_ms: u64,
    /// End, ms since session start (exclusive).
    pub end_ms: u64,
    /// Label of the marker that opens it ("start" for the first segment).
    pub label: String,
    /// All faces together over the segment.
    pub class: TrackAgg,
    /// The emotion dominant most often over the segment (`None` without faces).
    pub dominant: Option<Emotion>,
}

/// A change in one emotion's mean probability between two consecutive windows.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// Start of the later window, ms since session start.
    pub at_ms: u64,
    /// The face (track id) it happened to; `None` for the class as a whole.
    pub track_id: Option<u32>,
    /// The emotion whose mean probability changed most.
    pub emotion: Emotion,
    /// Its change in mean smoothed probability, in `[-1, 1]`.
    pub delta: f32,
    /// Dominant emotion before.
    pub from: Option<Emotion>,
    /// Dominant emotion after.
    pub to: Option<Emotion>,
}

/// Everything the summary panels and the report show.
#[derive(Clone, Debug, Serialize)]
pub struct SessionSummary {
    /// All faces over the whole session.
    pub class: TrackAgg,
    /// Per face (track id after merges) over the whole session, by track id.
    pub faces: Vec<(u32, TrackAgg)>,
    /// Segments between markers, in time order.
    pub segments: Vec<Segment>,
    /// The largest changes, largest first.
    pub changes: Vec<Change>,
    /// Window used to find changes, ms.
    pub change_window_ms: u64,
}

/// The window for changes: about 60 windows per session, at least one second, in whole seconds.
pub fn change_window_ms(span_ms: u64) -> u64 {
    (span_ms / 60).div_ceil(SECOND_MS).max(1) * SECOND_MS
}

/// Summarizes `timeline`; `markers` are `(ms since start, label)` in any order; `top` limits the changes.
pub fn summarize(timeline: &Timeline, markers: &[(u64, String)], top: usize) -> SessionSummary {
    let span = timeline.span_ms();
    let whole = timeline.total(0, span);
    let class = whole.class();

    let mut cuts: Vec<(u64, String)> = markers.iter().filter(|(t, _)| *t > 0 && *t < span).cloned().collect();
    cuts.sort_by_key(|(t, _)| *t);
    let mut starts = vec![(0, "start".to_string())];
    starts.extend(cuts);
    let segments = starts
        .iter()
        .enumerate()
        .map(|(i, (start, label))| {
            let end = starts.get(i + 1).map_or(span, |(t, _)| *t);
            // Whole seconds, cut at the second each marker falls in, so segments do not overlap.
            let floor = |t: u64| t / SECOND_MS * SECOND_MS;
            let class = timeline.total(floor(*start), if i + 1 < starts.len() { floor(end) } else { span }).class();
            Segment { start_ms: *start, end_ms: end, label: label.clone(), dominant: class.dominant_emotion(), class }
        })
        .collect();

    let window = change_window_ms(span);
    let n = span.div_ceil(window) as usize;
    let buckets = timeline.buckets(0, window, n);
    let mut changes = Vec::new();
    for i in 1..n {
        let (a, b) = (&buckets[i - 1], &buckets[i]);
        // With one and the same face in both windows the class line would repeat that face's.
        let same_one = a.tracks.len() == 1 && b.tracks.len() == 1 && a.tracks[0].0 == b.tracks[0].0;
        let mut pairs: Vec<(Option<u32>, TrackAgg, TrackAgg)> =
            if same_one { Vec::new() } else { vec![(None, a.class(), b.class())] };
        for (id, tb) in &b.tracks {
            if let Some(ta) = a.track(*id) {
                pairs.push((Some(*id), *ta, *tb));
            }
        }
        for (track_id, ta, tb) in pairs {
            if ta.frames == 0 || tb.frames == 0 {
                continue;
            }
            let (ma, mb) = (ta.mean(), tb.mean());
            let e = (0..NUM_EMOTIONS)
                .max_by(|&x, &y| {
                    let (dx, dy) = (mb[x] - ma[x], mb[y] - ma[y]);
                    // On a tie (one class replacing another) name the one that rose.
                    dx.abs().total_cmp(&dy.abs()).then(dx.total_cmp(&dy))
                })
                .unwrap_or(0);
            changes.push(Change {
                at_ms: i as u64 * window,
                track_id,
                emotion: Emotion::ALL[e],
                delta: mb[e] - ma[e],
                from: ta.dominant_emotion(),
                to: tb.dominant_emotion(),
            });
        }
    }
    changes.sort_by(|x, y| y.delta.abs().total_cmp(&x.delta.abs()));
    changes.truncate(top);

    SessionSummary { class, faces: whole.tracks, segments, changes, change_window_ms: window }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::timeline::Bucket;
    use std::collections::BTreeMap;

    fn second(faces: &[(u32, usize)]) -> Bucket {
        let mut b = Bucket::default();
        for f in 0..10 {
            b.add_frame(f);
            for &(id, e) in faces {
                let mut p = [0.0; NUM_EMOTIONS];
                p[e] = 1.0;
                b.add_observation(id, &p);
            }
        }
        b
    }

    #[test]
    fn segments_follow_markers_and_the_largest_change_is_found() {
        // 10 s: both faces neutral, then face 2 turns happy at 6 s.
        let seconds = (0..10u32).map(|s| (s, second(&[(1, 6), (2, if s < 6 { 6 } else { 3 })])));
        let t = Timeline::new(seconds, BTreeMap::new());
        let s = summarize(&t, &[(6000, "joke".into()), (20_000, "after the end".into())], 3);
        assert_eq!(s.segments.len(), 2);
        assert_eq!((s.segments[0].start_ms, s.segments[0].end_ms), (0, 6000));
        assert_eq!(s.segments[0].dominant, Some(Emotion::Neutral));
        assert_eq!(s.segments[1].label, "joke");
        assert!((s.segments[1].class.share()[3] - 0.5).abs() < 1e-6);
        assert_eq!(s.faces.len(), 2);
        assert!((s.class.share()[3] - 0.2).abs() < 1e-6);
        let c = &s.changes[0];
        assert_eq!((c.at_ms, c.track_id, c.emotion), (6000, Some(2), Emotion::Happy));
        assert!((c.delta - 1.0).abs() < 1e-6);
        assert_eq!((c.from, c.to), (Some(Emotion::Neutral), Some(Emotion::Happy)));
        assert_eq!(s.changes[1].track_id, None);

        // Markers inside a second: segments still add up to the whole, with no second counted twice.
        let s = summarize(&t, &[(6500, "a".into()), (7200, "b".into()), (7900, "c".into())], 3);
        let frames: u32 = s.segments.iter().map(|g| g.class.frames).sum();
        assert_eq!(frames, s.class.frames);
    }
}
