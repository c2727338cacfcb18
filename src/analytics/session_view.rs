//! One stored session as every front end shows it: [`SessionView`] (record, tracks, faces and their labels,
//! markers and notes, the per-second timeline, the summary between markers, the session's length and the bucket
//! rule), [`SessionOverview`] (the whole session on one time axis with its room figures: what the HTML report,
//! the compare page and review's compare screen draw) and [`CompareView`] (several overviews side by side).
//!
//! The review screen keeps a [`SessionView`] and asks it for the buckets of the window it shows; the report
//! renders a [`SessionOverview`]. Both read the same definitions, so the same session gives the same numbers in
//! the terminal and on the page.
//!
//! Units throughout: times in ms since session start, shares and probabilities in `[0, 1]`.

use std::collections::BTreeMap;

use anyhow::Context;

use super::attention::{self, FacingCount};
use super::room::Room;
use super::segments::{summarize, Segment, SessionSummary};
use crate::pipeline::Observation;
use crate::store::timeline::{bucketize, Bucket, Timeline, TrackAgg, SECOND_MS};
use crate::store::{Annotation, AnnotationKind, SessionRecord, Store, StoredSession, TrackRecord};

/// How many of the largest changes a summary lists.
pub const TOP_CHANGES: usize = 8;

/// The most buckets a whole-session time axis is drawn with (a few hundred points, whatever the session's
/// length).
pub const MAX_POINTS: usize = 300;

/// Sessions up to this long (ms) are drawn whole with buckets shorter than a second, built from the
/// observations.
pub const FINE_SPAN_MS: u64 = 120_000;

/// Bucket widths a whole-session axis chooses from, ms: [`crate::fmt::ROUND_STEPS_MS`] from 100 ms to 1 day,
/// without 4 h (above 2 h the widths are 6 h and 1 day, as the report has always drawn them).
const AXIS_STEPS_MS: [u64; 20] = crate::fmt::round_steps(100, 86_400_000, &[14_400_000]);

/// The bucket width for a whole session of `span_ms` with `frames` processed frames, ms: the smallest width
/// from a fixed list (100 ms ... 1 day) that gives at most [`MAX_POINTS`] buckets and, on average, at least two
/// frames per bucket. Widths under a second only for sessions up to [`FINE_SPAN_MS`]; otherwise whole seconds.
pub fn axis_bucket_ms(span_ms: u64, frames: u64) -> u64 {
    let span = span_ms.max(1);
    let min = if frames > 0 { (2 * span).div_ceil(frames) } else { 0 };
    AXIS_STEPS_MS
        .iter()
        .copied()
        .find(|&w| w >= min && span.div_ceil(w) <= MAX_POINTS as u64 && (w >= SECOND_MS || span <= FINE_SPAN_MS))
        .unwrap_or_else(|| span.div_ceil(MAX_POINTS as u64).div_ceil(SECOND_MS) * SECOND_MS)
}

/// A face with a line or plot of its own: a track not merged into another, with the tracks merged into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    /// Track id (what the timeline counts its observations as).
    pub id: u32,
    /// Its name, or "Face {id}".
    pub label: String,
    /// Ids of the tracks merged into it (the same person, who left and came back).
    pub merged: Vec<u32>,
    /// First observation of it or of a track merged into it, ms since session start.
    pub first_ms: u64,
    /// Last observation, ms since session start.
    pub last_ms: u64,
    /// Observations (face-frames), merged tracks included.
    pub observations: u64,
}

/// Buckets over a window, with the observations they were made from when they are finer than a second.
pub struct WindowBuckets {
    /// Bucket `i` covers `[start + i * width, start + (i + 1) * width)`, merged tracks folded in.
    pub buckets: Vec<Bucket>,
    /// The window's observations (only for widths that are not whole seconds; `None` otherwise).
    pub observations: Option<Vec<Observation>>,
}

/// One stored session as displayed: what the review screen keeps and every other view builds on.
#[derive(Clone, Debug)]
pub struct SessionView {
    /// The session record: metadata, counts and pipeline figures.
    pub record: SessionRecord,
    /// All tracks, by id (merged ones included, with `merged_into` set).
    pub tracks: Vec<TrackRecord>,
    /// Faces with a line of their own, by track id (see [`Face`]).
    pub faces: Vec<Face>,
    /// Markers and notes, by start time (then id).
    pub annotations: Vec<Annotation>,
    /// Per-second totals, merged tracks folded in.
    pub timeline: Timeline,
    /// Time shares, segments between markers (whole seconds) and the largest changes ([`TOP_CHANGES`]).
    pub summary: SessionSummary,
}

impl SessionView {
    /// Reads a session for display: record, tracks, annotations and the per-second timeline (not its
    /// observations, so a long session loads as fast as a short one).
    ///
    /// Errors: a damaged record in the session database.
    pub fn load(reader: &StoredSession) -> anyhow::Result<SessionView> {
        let mut view = SessionView {
            record: reader.record().clone(),
            tracks: Vec::new(),
            faces: Vec::new(),
            annotations: Vec::new(),
            timeline: reader.timeline()?,
            summary: summarize(&Timeline::default(), &[], 0),
        };
        view.reload(reader, false)?;
        Ok(view)
    }

    /// Re-reads what edits change (record, tracks, annotations) and recomputes the summary and faces; the
    /// per-second timeline only when `merges_changed`, as nothing else changes it.
    ///
    /// Errors: a damaged record in the session database.
    pub fn reload(&mut self, reader: &StoredSession, merges_changed: bool) -> anyhow::Result<()> {
        self.record = reader.record().clone();
        self.tracks = reader.tracks()?;
        self.annotations = reader.annotations()?;
        self.annotations.sort_by_key(|a| (a.start_ms, a.id));
        if merges_changed {
            self.timeline = reader.timeline()?;
        }
        let markers: Vec<(u64, String)> = self.markers().map(|a| (a.start_ms, a.label.clone())).collect();
        self.summary = summarize(&self.timeline, &markers, TOP_CHANGES);
        self.faces = faces(&self.tracks, &self.timeline, &self.summary);
        Ok(())
    }

    /// Time of the last frame, ms since session start: the record's duration, or, where the record lags the
    /// stored frames (an interrupted recording), the start of the last stored second.
    pub fn last_ms(&self) -> u64 {
        self.record.duration_ms.max(self.timeline.span_ms().saturating_sub(SECOND_MS))
    }

    /// The session's length, ms: [`Self::last_ms`] + 1 (a one-frame session lasts 1 ms).
    pub fn length_ms(&self) -> u64 {
        self.last_ms() + 1
    }

    /// The time the per-second timeline covers, ms: [`Self::length_ms`] or, when longer, the stored seconds end
    /// to end (whole seconds); at least 1. The review screen's axis.
    pub fn covered_ms(&self) -> u64 {
        self.length_ms().max(self.timeline.span_ms()).max(1)
    }

    /// The bucket rule: `n` buckets of `bucket_ms` from `start_ms`, merged tracks folded in. Whole-second widths
    /// are sums of the stored seconds (cheap at any length); finer widths are made from the window's
    /// observations, which come back with them.
    ///
    /// Errors: a damaged record in the session database.
    pub fn buckets(
        &self,
        reader: &StoredSession,
        start_ms: u64,
        bucket_ms: u64,
        n: usize,
    ) -> anyhow::Result<WindowBuckets> {
        if bucket_ms.is_multiple_of(SECOND_MS) {
            return Ok(WindowBuckets { buckets: self.timeline.buckets(start_ms, bucket_ms, n), observations: None });
        }
        let (frames, observations) = reader.window(start_ms, start_ms + n as u64 * bucket_ms)?;
        let timeline = &self.timeline;
        let buckets = bucketize(&frames, &observations, start_ms, bucket_ms, n, |id| timeline.resolve(id));
        Ok(WindowBuckets { buckets, observations: Some(observations) })
    }

    /// Facing the front per second and the seat map, read from the session's observations (about a second per
    /// million).
    ///
    /// Errors: a damaged record in the session database.
    pub fn room(&self, reader: &StoredSession) -> anyhow::Result<Room> {
        Room::load(reader, &self.timeline)
    }

    /// The label of a track (merged or not): its name, or "Face {id}".
    pub fn track_label(&self, id: u32) -> String {
        self.tracks.iter().find(|t| t.id == id).map(TrackRecord::label).unwrap_or_else(|| crate::fmt::face_label(id))
    }

    /// The tracks to list for naming and merging: unmerged ones by id, then merged ones (shown as merged, for
    /// undoing).
    pub fn face_list(&self) -> Vec<&TrackRecord> {
        let mut v: Vec<&TrackRecord> = self.tracks.iter().filter(|t| t.merged_into.is_none()).collect();
        v.extend(self.tracks.iter().filter(|t| t.merged_into.is_some()));
        v
    }

    /// The tracks `from` can be merged into: the other unmerged ones.
    pub fn merge_targets(&self, from: u32) -> Vec<u32> {
        self.tracks.iter().filter(|t| t.merged_into.is_none() && t.id != from).map(|t| t.id).collect()
    }

    /// The markers, by start time.
    pub fn markers(&self) -> impl Iterator<Item = &Annotation> {
        self.annotations.iter().filter(|a| a.kind == AnnotationKind::Marker)
    }

    /// The notes, by start time.
    pub fn notes(&self) -> impl Iterator<Item = &Annotation> {
        self.annotations.iter().filter(|a| a.kind == AnnotationKind::Note)
    }

    /// Per second of session time: processed frames and face-frames (for presence).
    pub fn frames_and_faces_per_second(&self) -> Vec<(u32, u32)> {
        self.timeline.seconds().iter().map(|b| (b.frames, b.tracks.iter().map(|(_, a)| a.frames).sum())).collect()
    }

    /// The session's usual number of faces in view ([`attention::usual_faces`] over the seconds with frames).
    pub fn usual_faces(&self) -> f32 {
        attention::usual_faces(self.timeline.seconds().iter().filter(|b| b.frames > 0).map(|b| b.mean_faces()))
    }
}

/// The faces with a line of their own, by track id: every track not merged into another, with the tracks merged
/// into it folded in, and any face the summary counts observations of without a stored track record.
fn faces(tracks: &[TrackRecord], timeline: &Timeline, summary: &SessionSummary) -> Vec<Face> {
    let mut faces: BTreeMap<u32, Face> = BTreeMap::new();
    for t in tracks.iter().filter(|t| t.merged_into.is_none()) {
        faces.insert(
            t.id,
            Face {
                id: t.id,
                label: t.label(),
                merged: Vec::new(),
                first_ms: t.first_ms,
                last_ms: t.last_ms,
                observations: t.observations,
            },
        );
    }
    for t in tracks.iter().filter(|t| t.merged_into.is_some()) {
        if let Some(f) = faces.get_mut(&timeline.resolve(t.id)) {
            f.merged.push(t.id);
            f.first_ms = f.first_ms.min(t.first_ms);
            f.last_ms = f.last_ms.max(t.last_ms);
            f.observations += t.observations;
        }
    }
    for (id, agg) in &summary.faces {
        faces.entry(*id).or_insert_with(|| Face {
            id: *id,
            label: crate::fmt::face_label(*id),
            merged: Vec::new(),
            first_ms: 0,
            last_ms: 0,
            observations: agg.frames as u64,
        });
    }
    faces.into_values().collect()
}

/// A whole session on one time axis: what the HTML report, the compare page and review's compare screen draw.
#[derive(Clone, Debug)]
pub struct SessionOverview {
    /// The session; its summary's segments end at the axis' end and, for sessions drawn with buckets finer than
    /// a second, are exact (from the observations) rather than whole seconds.
    pub session: SessionView,
    /// Bucket width of [`Self::buckets`], ms ([`axis_bucket_ms`]).
    pub bucket_ms: u64,
    /// The emotions over time: bucket `i` covers `[i * bucket_ms, (i + 1) * bucket_ms)`, merged tracks folded in.
    /// The axis runs to the last frame: whole seconds for coarse buckets, to the bucket after the last frame for
    /// fine ones.
    pub buckets: Vec<Bucket>,
    /// Facing the front per second and the seat map.
    pub room: Room,
    /// Per second of session time: processed frames and face-frames (for presence).
    pub seconds: Vec<(u32, u32)>,
    /// The session's usual number of faces in view ([`attention::usual_faces`]).
    pub usual_faces: f32,
}

impl SessionOverview {
    /// Reads a whole session for drawing on one axis (its observations too, for the room figures and, for
    /// sessions up to [`FINE_SPAN_MS`], the fine buckets).
    ///
    /// Errors: a damaged record in the session database.
    pub fn load(reader: &StoredSession) -> anyhow::Result<SessionOverview> {
        let mut session = SessionView::load(reader)?;
        let last_ms = session.last_ms();
        let bucket_ms = axis_bucket_ms(last_ms + 1, session.record.frames);
        let n = if bucket_ms < SECOND_MS {
            (last_ms / bucket_ms + 1) as usize
        } else {
            session.timeline.span_ms().max(last_ms + 1).div_ceil(bucket_ms).max(1) as usize
        };
        let WindowBuckets { buckets, observations } = session.buckets(reader, 0, bucket_ms, n)?;
        let span_ms = buckets.len() as u64 * bucket_ms;
        clip_segments(&mut session.summary, span_ms, observations.as_deref());
        let room = session.room(reader)?;
        let seconds = session.frames_and_faces_per_second();
        let usual_faces = session.usual_faces();
        Ok(SessionOverview { session, bucket_ms, buckets, room, seconds, usual_faces })
    }

    /// Length of the time axis, ms: the buckets end to end.
    pub fn span_ms(&self) -> u64 {
        self.buckets.len() as u64 * self.bucket_ms
    }

    /// Bucket width of the facing-the-front and presence lines, ms: [`Self::bucket_ms`] in whole seconds (the
    /// room's figures are kept per second).
    pub fn room_bucket_ms(&self) -> u64 {
        self.bucket_ms.div_ceil(SECOND_MS).max(1) * SECOND_MS
    }

    /// Facing the front (share of judged face-frames) and presence (faces in view / usual count) per bucket of
    /// [`Self::room_bucket_ms`] over the time axis; `None` where unknown (nothing judged, no frame processed).
    pub fn room_series(&self) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        let b = self.room_bucket_ms();
        let n = self.span_ms().div_ceil(b) as usize;
        let k = (b / SECOND_MS) as usize;
        let facing = self.room.facing_buckets(b, n).iter().map(|c| c.share().map(|v| v as f64)).collect();
        let presence = (0..n)
            .map(|i| {
                let s = &self.seconds[(i * k).min(self.seconds.len())..((i + 1) * k).min(self.seconds.len())];
                let (frames, faces) = s.iter().fold((0u32, 0u32), |(f, o), (a, b)| (f + a, o + b));
                (frames > 0)
                    .then_some(())
                    .and_then(|_| attention::presence(faces as f32 / frames as f32, self.usual_faces))
                    .map(|v| v as f64)
            })
            .collect();
        (facing, presence)
    }

    /// Class valence and facing the front over a segment (whole seconds for facing).
    pub fn segment_figures(&self, seg: &Segment) -> (Option<f32>, Option<f32>) {
        (super::valence::of_agg(&seg.class), self.room.facing_between(seg.start_ms, seg.end_ms).share())
    }
}

/// Segments clipped to an axis of `span_ms`; with the session's observations `fine` (short sessions), each
/// segment's figures are recounted exactly from them instead of in whole seconds.
fn clip_segments(summary: &mut SessionSummary, span_ms: u64, fine: Option<&[Observation]>) {
    for seg in &mut summary.segments {
        seg.end_ms = seg.end_ms.min(span_ms);
        if let Some(observations) = fine {
            let mut class = TrackAgg::default();
            for o in observations.iter().filter(|o| (seg.start_ms..seg.end_ms).contains(&o.timestamp_ms)) {
                class.add(&o.smoothed);
            }
            seg.class = class;
            seg.dominant = seg.class.dominant_emotion();
        }
    }
}

/// One marker label's segments in one session, summed.
#[derive(Clone, Debug, Default)]
pub struct LabelFigures {
    /// All faces over the segments opened by markers with this label.
    pub class: TrackAgg,
    /// Facing the front over them.
    pub facing: FacingCount,
    /// Their total length, ms.
    pub length_ms: u64,
}

/// Several sessions side by side (e.g. one lecture over several weeks), in the order given.
pub struct CompareView {
    /// Each session on its own axis.
    pub sessions: Vec<SessionOverview>,
}

impl CompareView {
    /// Reads the sessions `ids` (ids or unique prefixes) of `store` for comparing, in the order given.
    ///
    /// Errors: no session or several match a query; a session is being recorded by another process or is damaged.
    pub fn load(store: &Store, ids: &[String]) -> anyhow::Result<CompareView> {
        let mut sessions = Vec::with_capacity(ids.len());
        for q in ids {
            let id = store.resolve_session(q)?;
            let reader = store.open_session(&id)?;
            sessions.push(SessionOverview::load(&reader).with_context(|| format!("session '{id}'"))?);
        }
        Ok(CompareView { sessions })
    }

    /// Marker labels opening segments in at least two sessions, sorted, each with its figures per session
    /// (`None` where a session has no such marker). Labels compare trimmed and case-blind ("Quiz" = "quiz ").
    pub fn shared_labels(&self) -> Vec<(String, Vec<Option<LabelFigures>>)> {
        let mut by_label: BTreeMap<String, Vec<Option<LabelFigures>>> = BTreeMap::new();
        for (i, d) in self.sessions.iter().enumerate() {
            for seg in d.session.summary.segments.iter().skip(1) {
                let key = seg.label.trim().to_lowercase();
                if key.is_empty() {
                    continue;
                }
                let row = by_label.entry(key).or_insert_with(|| vec![None; self.sessions.len()]);
                let f = row[i].get_or_insert_with(LabelFigures::default);
                f.class.merge(&seg.class);
                f.facing.merge(&d.room.facing_between(seg.start_ms, seg.end_ms));
                f.length_ms += seg.end_ms.saturating_sub(seg.start_ms);
            }
        }
        by_label.into_iter().filter(|(_, v)| v.iter().filter(|f| f.is_some()).count() >= 2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_widths_are_a_range_of_the_round_steps() {
        let widths = [
            100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
            900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000,
        ];
        assert_eq!(AXIS_STEPS_MS, widths);
    }

    #[test]
    fn bucket_widths_keep_a_few_hundred_points_and_whole_seconds_for_long_sessions() {
        assert_eq!(axis_bucket_ms(4_000, 100), 100);
        assert_eq!(axis_bucket_ms(4_000, 20), 500, "at least two frames per bucket");
        assert_eq!(axis_bucket_ms(20_000, 200), 200);
        assert_eq!(axis_bucket_ms(100_000, 3_000), 500);
        assert_eq!(axis_bucket_ms(121_000, 3_600), 1_000);
        assert_eq!(axis_bucket_ms(3_600_000, 108_000), 15_000);
        assert_eq!(axis_bucket_ms(0, 0), 100);
        for span in [1, 999, 59_999, 120_001, 3_600_000, 86_400_000, 400 * 86_400_000] {
            let w = axis_bucket_ms(span, span / 33);
            assert!(span.div_ceil(w) <= MAX_POINTS as u64, "{span}: {w}");
            assert!(span <= FINE_SPAN_MS || w.is_multiple_of(SECOND_MS), "{span}: {w}");
        }
    }
}
