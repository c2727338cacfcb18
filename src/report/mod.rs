//! `emotrace report`: one stored session as a single self-contained HTML page (inline SVG plots, no scripts,
//! fonts, style sheets or images from elsewhere), for reading offline or sending to someone.
//!
//! The page renders a [`SessionOverview`] (analytics' one view of a session: record, faces, markers and notes,
//! emotions over time in buckets, the summary and the room figures). [`plots`] draws the SVG plots with
//! `plotters`, [`html`] lays out the page; [`render`] does both.
//!
//! Units throughout: times in ms since session start, shares and probabilities in `[0, 1]`.

pub mod compare;
pub mod html;
pub mod plots;

pub use crate::analytics::session_view::{SessionOverview, FINE_SPAN_MS};
use crate::classify::Emotion;

/// The colour of an emotion in the report, as `(r, g, b)`: the screens' palette in tones that read well on white
/// ([`crate::analytics::palette`]).
pub fn emotion_rgb(e: Emotion) -> (u8, u8, u8) {
    crate::analytics::palette::swatch(e).rgb
}

/// An emotion's colour as CSS (`#rrggbb`).
pub fn emotion_css(e: Emotion) -> String {
    let (r, g, b) = emotion_rgb(e);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The whole report of `data` as one HTML document.
///
/// Errors: a plot cannot be drawn.
pub fn render(data: &SessionOverview) -> anyhow::Result<String> {
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
    use crate::store::{AnnotationKind, NewSession, SessionStatus, Store};

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
                detector: None,
                config: serde_json::json!({"detect": {"scale": 0.5}}),
                schedule: None,
                frame_rate: None,
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
    pub(crate) fn sample_data(name1: &str, label: &str) -> SessionOverview {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample(&store, name1, label);
        let reader = store.open_session(&id).unwrap();
        SessionOverview::load(&reader).unwrap()
    }

    #[test]
    fn loading_folds_merged_tracks_into_their_face_and_buckets_the_whole_session() {
        let data = sample_data("P07", "joke");
        assert_eq!(data.session.record.frames, 200);
        // 10 FPS: two frames per bucket.
        assert_eq!(data.bucket_ms, 200);
        assert_eq!(data.buckets.len(), 100);
        assert_eq!(data.span_ms(), 20_000);
        assert!(data.buckets.iter().all(|b| b.frames == 2));
        let faces: Vec<(u32, &str, &[u32])> =
            data.session.faces.iter().map(|f| (f.id, f.label.as_str(), f.merged.as_slice())).collect();
        assert_eq!(faces, [(1, "P07", &[][..]), (2, "Face 2", &[3][..])]);
        assert_eq!((data.session.faces[1].first_ms, data.session.faces[1].last_ms), (0, 19_900));
        assert_eq!(data.session.faces[1].observations, 60 + 80);
        assert_eq!(data.session.track_label(3), "Face 3");
        // Track 3's observations count as face 2's.
        assert!(data.buckets[75].track(2).is_some() && data.buckets[75].track(3).is_none());
        assert_eq!(data.session.markers().count(), 1);
        assert_eq!(data.session.notes().next().unwrap().end_ms, Some(8_000));
        assert_eq!(data.session.summary.segments.len(), 2);
        assert_eq!(data.session.summary.segments[1].label, "joke");
        assert_eq!(data.session.summary.segments[1].dominant, Some(Emotion::Happy));
        // Segments do not overlap: together they hold every observation once.
        assert_eq!(data.session.summary.segments.iter().map(|s| s.class.frames).sum::<u32>(), 200 + 60 + 80);
        assert_eq!(data.session.summary.segments[0].class.frames, 100 + 60);
        assert_eq!(data.session.summary.segments[1].end_ms, 20_000);
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
        let seg0 = data.segment_figures(&data.session.summary.segments[0]);
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
