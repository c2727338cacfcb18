//! `emotrace report`: one stored session as a single self-contained HTML page (inline SVG plots, no scripts,
//! fonts, style sheets or images from elsewhere), for reading offline or sending to someone.
//!
//! [`ReportData::load`] gathers what the page shows from a [`SessionReader`]: the session record and its pipeline
//! figures, the faces (tracks not merged into another; merged tracks are folded into theirs by the timeline), the
//! markers and notes, the emotions over time in buckets, and the [`summarize`]d session. [`plots`] draws the SVG
//! plots with `plotters`, [`html`] lays out the page; [`render`] does both.
//!
//! Units throughout: times in ms since session start, shares and probabilities in `[0, 1]`.

pub mod compare;
pub mod html;
pub mod plots;

use std::collections::BTreeMap;

use crate::analytics::attention;
use crate::analytics::review::{summarize, SessionSummary};
use crate::analytics::room::Room;
use crate::classify::Emotion;
use crate::pipeline::Observation;
use crate::store::timeline::{bucketize, Bucket, Timeline, TrackAgg, SECOND_MS};
use crate::store::{Annotation, AnnotationKind, SessionReader, SessionRecord, TrackRecord};

/// The most buckets the timeline is drawn with (a few hundred points, whatever the session's length).
pub const MAX_POINTS: usize = 300;

/// Sessions up to this long (ms) are drawn with buckets shorter than a second, built from the observations.
pub const FINE_SPAN_MS: u64 = 120_000;

/// How many of the largest changes the summary lists.
pub const TOP_CHANGES: usize = 8;

/// Bucket widths the report chooses from, ms.
const STEPS_MS: [u64; 20] = [
    100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000,
];

/// The colour of an emotion in the report, as `(r, g, b)`: the live screen's palette (red angry, green disgust,
/// magenta fear, yellow happy, blue sad, cyan surprise, grey neutral) in tones that read well on white.
pub fn emotion_rgb(e: Emotion) -> (u8, u8, u8) {
    match e {
        Emotion::Angry => (214, 39, 40),
        Emotion::Disgust => (44, 160, 44),
        Emotion::Fear => (166, 86, 196),
        Emotion::Happy => (240, 190, 30),
        Emotion::Sad => (31, 119, 180),
        Emotion::Surprise => (23, 190, 207),
        Emotion::Neutral => (170, 170, 170),
    }
}

/// An emotion's colour as CSS (`#rrggbb`).
pub fn emotion_css(e: Emotion) -> String {
    let (r, g, b) = emotion_rgb(e);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The bucket width for a session of `span_ms` with `frames` processed frames, ms: the smallest width from a
/// fixed list (100 ms ... 1 day) that gives at most [`MAX_POINTS`] buckets and, on average, at least two frames
/// per bucket. Widths under a second only for sessions up to [`FINE_SPAN_MS`]; otherwise whole seconds.
pub fn bucket_ms(span_ms: u64, frames: u64) -> u64 {
    let span = span_ms.max(1);
    let min = if frames > 0 { (2 * span).div_ceil(frames) } else { 0 };
    STEPS_MS
        .iter()
        .copied()
        .find(|&w| w >= min && span.div_ceil(w) <= MAX_POINTS as u64 && (w >= SECOND_MS || span <= FINE_SPAN_MS))
        .unwrap_or_else(|| span.div_ceil(MAX_POINTS as u64).div_ceil(SECOND_MS) * SECOND_MS)
}

/// A face with a plot of its own: a track not merged into another, with the tracks merged into it.
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

/// Everything the report shows, read from one stored session.
#[derive(Clone, Debug)]
pub struct ReportData {
    /// The session record: metadata, counts and pipeline figures.
    pub record: SessionRecord,
    /// Faces with a plot of their own, by track id.
    pub faces: Vec<Face>,
    /// Every track's label by id, merged tracks included (for annotations about a track).
    pub labels: BTreeMap<u32, String>,
    /// Markers and notes, by start time.
    pub annotations: Vec<Annotation>,
    /// Bucket width of [`Self::buckets`], ms.
    pub bucket_ms: u64,
    /// The emotions over time: bucket `i` covers `[i * bucket_ms, (i + 1) * bucket_ms)`, merged tracks folded in.
    pub buckets: Vec<Bucket>,
    /// Session summary: time shares, segments between markers, largest changes.
    pub summary: SessionSummary,
    /// Facing the front per second and the seat map.
    pub room: Room,
    /// Per second of session time: processed frames and face-frames (for presence).
    pub seconds: Vec<(u32, u32)>,
    /// The session's usual number of faces in view ([`attention::usual_faces`]).
    pub usual_faces: f32,
}

/// The emotions over time: `(bucket width in ms, the buckets from 0, the observations when the buckets are
/// finer than a second)`. The axis runs to the last frame: whole seconds for coarse buckets (the stored seconds),
/// to the bucket after the last frame for fine ones, which are built from the observations.
///
/// Errors: a damaged record in the session database.
fn emotion_buckets(
    reader: &SessionReader,
    record: &SessionRecord,
    timeline: &Timeline,
) -> anyhow::Result<(u64, Vec<Bucket>, Option<Vec<Observation>>)> {
    let last_ms = record.duration_ms.max(timeline.span_ms().saturating_sub(SECOND_MS));
    let bucket_ms = bucket_ms(last_ms + 1, record.frames);
    if bucket_ms < SECOND_MS {
        let n = (last_ms / bucket_ms + 1) as usize;
        let (frames, observations) = reader.window(0, n as u64 * bucket_ms)?;
        let buckets = bucketize(&frames, &observations, 0, bucket_ms, n, |id| timeline.resolve(id));
        Ok((bucket_ms, buckets, Some(observations)))
    } else {
        let n = timeline.span_ms().max(last_ms + 1).div_ceil(bucket_ms).max(1) as usize;
        Ok((bucket_ms, timeline.buckets(0, bucket_ms, n), None))
    }
}

/// The session summarized between its markers, segments clipped to the axis' `span_ms`. A short session's
/// segments are exact, from its observations `fine` (the summary's are in whole seconds).
fn session_summary(
    timeline: &Timeline,
    annotations: &[Annotation],
    span_ms: u64,
    fine: Option<&[Observation]>,
) -> SessionSummary {
    let markers: Vec<(u64, String)> = annotations
        .iter()
        .filter(|a| a.kind == AnnotationKind::Marker)
        .map(|a| (a.start_ms, a.label.clone()))
        .collect();
    let mut summary = summarize(timeline, &markers, TOP_CHANGES);
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
    summary
}

/// The faces with a plot of their own, by track id: every track not merged into another, with the tracks merged
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

impl ReportData {
    /// Reads what the report needs from an open session.
    ///
    /// Errors: a damaged record in the session database.
    pub fn load(reader: &SessionReader) -> anyhow::Result<ReportData> {
        let record = reader.record().clone();
        let timeline = reader.timeline()?;
        let tracks = reader.tracks()?;
        let mut annotations = reader.annotations()?;
        annotations.sort_by_key(|a| (a.start_ms, a.id));

        let (bucket_ms, buckets, fine) = emotion_buckets(reader, &record, &timeline)?;
        let span_ms = buckets.len() as u64 * bucket_ms;
        let summary = session_summary(&timeline, &annotations, span_ms, fine.as_deref());

        let room = Room::load(reader, &timeline)?;
        let seconds: Vec<(u32, u32)> =
            timeline.seconds().iter().map(|b| (b.frames, b.tracks.iter().map(|(_, a)| a.frames).sum())).collect();
        let usual_faces =
            attention::usual_faces(timeline.seconds().iter().filter(|b| b.frames > 0).map(|b| b.mean_faces()));

        let labels: BTreeMap<u32, String> = tracks.iter().map(|t| (t.id, t.label())).collect();
        Ok(ReportData {
            record,
            faces: faces(&tracks, &timeline, &summary),
            labels,
            annotations,
            bucket_ms,
            buckets,
            summary,
            room,
            seconds,
            usual_faces,
        })
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

    /// Class valence and facing the front over `[start_ms, end_ms)` (whole seconds for facing).
    pub fn segment_figures(&self, seg: &crate::analytics::review::Segment) -> (Option<f32>, Option<f32>) {
        (crate::analytics::valence::of_agg(&seg.class), self.room.facing_between(seg.start_ms, seg.end_ms).share())
    }

    /// Length of the time axis, ms: the buckets end to end.
    pub fn span_ms(&self) -> u64 {
        self.buckets.len() as u64 * self.bucket_ms
    }

    /// The label of a track (merged or not): its name, or "Face {id}".
    pub fn track_label(&self, id: u32) -> String {
        self.labels.get(&id).cloned().unwrap_or_else(|| crate::fmt::face_label(id))
    }

    /// The markers, by start time.
    pub fn markers(&self) -> impl Iterator<Item = &Annotation> {
        self.annotations.iter().filter(|a| a.kind == AnnotationKind::Marker)
    }

    /// The notes, by start time.
    pub fn notes(&self) -> impl Iterator<Item = &Annotation> {
        self.annotations.iter().filter(|a| a.kind == AnnotationKind::Note)
    }
}

/// The whole report of `data` as one HTML document.
///
/// Errors: a plot cannot be drawn.
pub fn render(data: &ReportData) -> anyhow::Result<String> {
    html::page(data)
}

/// Time since session start on the report's time axes and tables: [`crate::fmt::axis_clock`], with seconds for
/// sessions up to [`FINE_SPAN_MS`].
pub fn axis_time(ms: u64, span_ms: u64) -> String {
    crate::fmt::axis_clock(ms, span_ms, span_ms <= FINE_SPAN_MS)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::SourceKind;
    use crate::classify::NUM_EMOTIONS;
    use crate::detect::BBox;
    use crate::pipeline::{FrameResult, Observation, PipelineStats};
    use crate::store::{NewSession, SessionStatus, Store};

    fn probs(e: usize) -> [f32; NUM_EMOTIONS] {
        let mut p = [0.02; NUM_EMOTIONS];
        p[e] = 0.88;
        p
    }

    /// A finished 20 s session at 10 FPS: face 1 throughout (neutral, happy from 10 s), face 2 for the first
    /// 6 s (sad), face 3 from 12 s (surprise, later merged into 2); face 1 named `name1`; a marker at 10 s
    /// labelled `label` and a note over 4-8 s.
    pub(crate) fn sample(store: &Store, name1: &str, label: &str) -> String {
        let mut w = store
            .create_session(NewSession {
                source: "recordings/<class>.mp4".into(),
                source_kind: SourceKind::Video,
                decoder: None,
                models: "seeta + fer/human".into(),
                config: serde_json::json!({"detect": {"scale": 0.5}}),
                schedule: None,
            })
            .unwrap();
        for f in 0..200u64 {
            let ms = f * 100;
            let mut faces: Vec<(u32, usize)> = vec![(1, if ms < 10_000 { 6 } else { 3 })];
            if ms < 6_000 {
                faces.push((2, 4));
            }
            if ms >= 12_000 {
                faces.push((3, 5));
            }
            let observations: Vec<Observation> = faces
                .iter()
                .map(|&(t, e)| Observation {
                    frame_index: f,
                    timestamp_ms: ms,
                    track_id: t,
                    bbox: BBox::new(10.0 * t as f32, 20.0, 80.0, 90.0),
                    score: 5.0,
                    raw: probs(e),
                    smoothed: probs(e),
                    // Face 1 looks at the camera for the first 5 s, then turns its head (nose toward an eye).
                    landmarks: (t == 1).then(|| {
                        let nose_x = if ms < 5_000 { 50.0 } else { 62.0 };
                        [[40.0, 50.0], [60.0, 50.0], [nose_x, 60.0], [42.0, 75.0], [58.0, 75.0]]
                    }),
                    predicted: false,
                    classified: true,
                })
                .collect();
            let stats = PipelineStats {
                elapsed_s: (f + 1) as f64 / 10.0,
                input_fps: 10.0,
                processed_fps: 9.5,
                latency_p50_ms: 18.0,
                latency_p95_ms: 35.0,
                frames_in: f + 1,
                frames_processed: f + 1,
                frames_dropped: 0,
                frames_with_faces: f + 1,
            };
            w.write(&FrameResult {
                frame_index: f,
                timestamp_ms: ms,
                width: 640,
                height: 360,
                detections: observations.len(),
                detected: true,
                faces: observations.len(),
                latency_ms: 18.0,
                observations,
                backfill: Vec::new(),
                stats,
                image: None,
            })
            .unwrap();
        }
        w.name_track(1, name1).unwrap();
        w.annotate(AnnotationKind::Marker, 10_000, None, label, None).unwrap();
        w.annotate(AnnotationKind::Note, 4_000, Some(8_000), "noisy corridor", None).unwrap();
        let id = w.finish(SessionStatus::Completed, None).unwrap().id;
        store.open_session(&id).unwrap().merge_tracks(3, 2).unwrap();
        id
    }

    /// [`sample`] in a temporary store, loaded for the report (the store is gone afterwards).
    pub(crate) fn sample_data(name1: &str, label: &str) -> ReportData {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample(&store, name1, label);
        let reader = store.open_session(&id).unwrap();
        ReportData::load(&reader).unwrap()
    }

    #[test]
    fn bucket_widths_keep_a_few_hundred_points_and_whole_seconds_for_long_sessions() {
        assert_eq!(bucket_ms(4_000, 100), 100);
        assert_eq!(bucket_ms(4_000, 20), 500, "at least two frames per bucket");
        assert_eq!(bucket_ms(20_000, 200), 200);
        assert_eq!(bucket_ms(100_000, 3_000), 500);
        assert_eq!(bucket_ms(121_000, 3_600), 1_000);
        assert_eq!(bucket_ms(3_600_000, 108_000), 15_000);
        assert_eq!(bucket_ms(0, 0), 100);
        for span in [1, 999, 59_999, 120_001, 3_600_000, 86_400_000, 400 * 86_400_000] {
            let w = bucket_ms(span, span / 33);
            assert!(span.div_ceil(w) <= MAX_POINTS as u64, "{span}: {w}");
            assert!(span <= FINE_SPAN_MS || w.is_multiple_of(SECOND_MS), "{span}: {w}");
        }
    }

    #[test]
    fn loading_folds_merged_tracks_into_their_face_and_buckets_the_whole_session() {
        let data = sample_data("P07", "joke");
        assert_eq!(data.record.frames, 200);
        // 10 FPS: two frames per bucket.
        assert_eq!(data.bucket_ms, 200);
        assert_eq!(data.buckets.len(), 100);
        assert_eq!(data.span_ms(), 20_000);
        assert!(data.buckets.iter().all(|b| b.frames == 2));
        let faces: Vec<(u32, &str, &[u32])> =
            data.faces.iter().map(|f| (f.id, f.label.as_str(), f.merged.as_slice())).collect();
        assert_eq!(faces, [(1, "P07", &[][..]), (2, "Face 2", &[3][..])]);
        assert_eq!((data.faces[1].first_ms, data.faces[1].last_ms), (0, 19_900));
        assert_eq!(data.faces[1].observations, 60 + 80);
        assert_eq!(data.track_label(3), "Face 3");
        // Track 3's observations count as face 2's.
        assert!(data.buckets[75].track(2).is_some() && data.buckets[75].track(3).is_none());
        assert_eq!(data.markers().count(), 1);
        assert_eq!(data.notes().next().unwrap().end_ms, Some(8_000));
        assert_eq!(data.summary.segments.len(), 2);
        assert_eq!(data.summary.segments[1].label, "joke");
        assert_eq!(data.summary.segments[1].dominant, Some(Emotion::Happy));
        // Segments do not overlap: together they hold every observation once.
        assert_eq!(data.summary.segments.iter().map(|s| s.class.frames).sum::<u32>(), 200 + 60 + 80);
        assert_eq!(data.summary.segments[0].class.frames, 100 + 60);
        assert_eq!(data.summary.segments[1].end_ms, 20_000);
        // Facing: face 1 (the only one with landmarks) faces the camera for 5 s of 20; presence against the
        // usual two faces.
        let facing = data.room.facing_total();
        assert_eq!((facing.judged, facing.facing), (200, 50));
        assert_eq!(data.room.facing_between(0, 5_000).share(), Some(1.0));
        assert_eq!(data.room.facing_between(6_000, 20_000).share(), Some(0.0));
        assert_eq!(data.usual_faces, 2.0);
        let (f, p) = data.room_series();
        assert_eq!((f.len(), f[0], f[19]), (20, Some(1.0), Some(0.0)));
        assert_eq!((p[0], p[7]), (Some(1.0), Some(0.5)));
        // Seats: mean box centres as fractions of the 640x360 frame; track 3 is folded into 2.
        assert_eq!(data.room.frame, [640.0, 360.0]);
        assert_eq!(data.room.seats.iter().map(|s| s.track_id).collect::<Vec<_>>(), [1, 2]);
        let one = data.room.seat(1).unwrap();
        assert!((one.x - 50.0 / 640.0).abs() < 1e-5 && (one.y - 65.0 / 360.0).abs() < 1e-5, "{one:?}");
        let two = data.room.seat(2).unwrap();
        assert_eq!(two.observations, 140);
        assert!((two.x - (60.0 * 60.0 + 80.0 * 70.0) / 140.0 / 640.0).abs() < 1e-5, "{two:?}");
        // Valence: sad face 2 alone in the first 6 s is -0.86 against face 1's neutral 0.
        let seg0 = data.segment_figures(&data.summary.segments[0]);
        assert!(seg0.0.unwrap() < 0.0 && seg0.1 == Some(0.5), "{seg0:?}");
    }

    #[test]
    fn clock_and_duration_formats() {
        assert_eq!(axis_time(2_500, 10_000), "2.5 s");
        assert_eq!(axis_time(3_000, 10_000), "3 s");
        assert_eq!(axis_time(65_000, 600_000), "1:05");
        assert_eq!(axis_time(3_725_000, 7_200_000), "1:02:05");
        assert_eq!(emotion_css(Emotion::Angry), "#d62728");
    }
}
