//! The events `GET /events` streams, as JSON objects with a `type` field: what other programs see of a running
//! session. Described by the JSON Schema `docs/events.schema.json` (checked by `tests/it/listen.rs`).
//!
//! Units: times in ms since the session start (`session_start.started_at`, the clock markers are stored with);
//! boxes in whole pixels of the source frame; shares and probabilities in `[0, 1]`; valence in `[-1, 1]`.
//! Nothing here holds pixels or face descriptors: a face is its track id, box and probabilities.

use serde::Serialize;

use crate::analytics::attention::{self, FacingCount};
use crate::classify::{valence, Emotion, NUM_EMOTIONS};
use crate::pipeline::{FrameResult, Observation, PipelineStats};
use crate::store::export::json::NamedProbs;
use crate::store::export::pixel_box;
use crate::store::Annotation;

/// One event of the stream.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The session as it started; also the first event on every connection, for clients that join late.
    SessionStart(SessionStart),
    /// One processed frame: the class summary, and with `?faces=1` each face.
    Frame(FrameEvent),
    /// A marker, as stored (from the screen's marker keys or `POST /markers`).
    Marker(MarkerEvent),
    /// A face named on the screen.
    Name(NameEvent),
    /// The session was finalized; the stream ends after it.
    SessionStop(SessionStop),
}

/// `session_start`: which session this is.
#[derive(Clone, Debug, Serialize)]
pub struct SessionStart {
    /// The stored session's id, or `null` when not recording (`--no-record`).
    pub session: Option<String>,
    /// Wall-clock start (RFC 3339 with offset): every `t_ms` counts from here.
    pub started_at: String,
    /// The source as the session record names it (a camera, a file, an RTSP URL with its password masked).
    pub source: String,
    /// The models that run (detector and emotion classifier).
    pub model: String,
    /// Whether results are stored.
    pub recording: bool,
    /// Class names in the order of [`NamedProbs`]' fields (FER2013 order).
    pub emotions: [&'static str; NUM_EMOTIONS],
}

/// `frame`: one processed frame. Shares, valence and attention are `null` while no face is in view.
#[derive(Clone, Debug, Serialize)]
pub struct FrameEvent {
    /// The frame's time, ms since the session start.
    pub t_ms: u64,
    /// The frame's index in its source (0-based; a live source's dropped frames leave gaps).
    pub frame: u64,
    /// Faces in view: confirmed tracks observed in this frame (detected or predicted).
    pub faces: usize,
    /// Share of those faces per dominant (smoothed) emotion; sums to 1.
    pub shares: Option<NamedProbs>,
    /// FaceReader's valence of the faces' mean smoothed probabilities, as the report computes it for a stretch.
    pub valence: Option<f32>,
    /// Share of the faces whose head yaw could be judged that face the front (|yaw| ≤ 30°; see
    /// [`crate::analytics::attention`]); `null` when none could be judged (no landmarks, predicted boxes).
    pub attention: Option<f32>,
    /// Processed frames per second over the pipeline's statistics window.
    pub processed_fps: f64,
    /// Each face, by track id: only on `?faces=1` streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<Vec<FaceEvent>>,
}

/// One face in a `frame` event (`?faces=1`).
#[derive(Clone, Debug, Serialize)]
pub struct FaceEvent {
    /// Track id, stable while the face stays in view ("Face {track}" on the screen).
    pub track: u32,
    /// Box left edge, whole pixels of the source frame.
    pub x: i32,
    /// Box top edge, whole pixels.
    pub y: i32,
    /// Box width, whole pixels.
    pub width: i32,
    /// Box height, whole pixels.
    pub height: i32,
    /// The track's smoothed probabilities.
    pub probabilities: NamedProbs,
    /// Class name of the largest smoothed probability.
    pub emotion: &'static str,
    /// Valence of the smoothed probabilities.
    pub valence: f32,
    /// Whether the face faces the front; `null` when it cannot be judged.
    pub facing: Option<bool>,
    /// `true` when the box was predicted by the tracker's motion model rather than detected in this frame.
    pub predicted: bool,
    /// `true` when the emotion was computed on this frame (else the face's latest classification stands).
    pub classified: bool,
}

/// `marker`: a marker as stored.
#[derive(Clone, Debug, Serialize)]
pub struct MarkerEvent {
    /// The annotation id in the session (as `export` and `review` show it); `null` when not recording.
    pub id: Option<u64>,
    /// Its time, ms since the session start.
    pub t_ms: u64,
    /// Its label, cleaned as the store keeps labels.
    pub label: String,
    /// Who made it: `screen` (the marker keys) or `api` (`POST /markers`).
    pub by: &'static str,
}

/// `name`: a face named on the screen.
#[derive(Clone, Debug, Serialize)]
pub struct NameEvent {
    /// The track named.
    pub track: u32,
    /// Its name (empty: the name was cleared).
    pub name: String,
}

/// `session_stop`: the session was finalized.
#[derive(Clone, Debug, Serialize)]
pub struct SessionStop {
    /// The session's id, `null` when not recording.
    pub session: Option<String>,
    /// How it ended: completed, interrupted, failed (or `not recorded`).
    pub status: String,
    /// The newest frame's time, ms since the session start.
    pub t_ms: u64,
    /// Frames processed.
    pub frames: u64,
}

impl MarkerEvent {
    /// The event for a stored marker; `by` says where it came from (`screen` or `api`).
    pub fn stored(a: &Annotation, by: &'static str) -> MarkerEvent {
        MarkerEvent { id: Some(a.id), t_ms: a.start_ms, label: a.label.clone(), by }
    }
}

/// The `frame` event of `r`; with `faces`, each face too.
pub fn frame_event(r: &FrameResult, faces: bool) -> FrameEvent {
    let obs = &r.observations;
    let n = obs.len();
    let (shares, valence) = if n == 0 {
        (None, None)
    } else {
        let mut counts = [0f32; NUM_EMOTIONS];
        let mut mean = [0f32; NUM_EMOTIONS];
        for o in obs {
            counts[Emotion::argmax(&o.smoothed) as usize] += 1.0;
            for (m, p) in mean.iter_mut().zip(&o.smoothed) {
                *m += p / n as f32;
            }
        }
        (Some(NamedProbs::from(&counts.map(|c| c / n as f32))), Some(valence::valence(&mean)))
    };
    let mut facing = FacingCount::default();
    obs.iter().for_each(|o| facing.add(o));
    FrameEvent {
        t_ms: r.timestamp_ms,
        frame: r.frame_index,
        faces: n,
        shares,
        valence,
        attention: facing.share(),
        processed_fps: r.stats.processed_fps,
        observations: faces.then(|| obs.iter().map(face_event).collect()),
    }
}

/// One face of a frame.
fn face_event(o: &Observation) -> FaceEvent {
    let [x, y, width, height] = pixel_box(&o.bbox);
    FaceEvent {
        track: o.track_id,
        x,
        y,
        width,
        height,
        probabilities: NamedProbs::from(&o.smoothed),
        emotion: Emotion::argmax(&o.smoothed).name(),
        valence: valence::valence(&o.smoothed),
        facing: attention::facing(o),
        predicted: o.predicted,
        classified: o.classified,
    }
}

/// What `GET /session` answers: the session and its figures as of the newest frame.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SessionSnapshot {
    /// The stored session's id, `null` when not recording.
    pub session: Option<String>,
    /// `running` until the session is finalized, then how it ended (completed, interrupted, failed).
    pub status: String,
    /// Wall-clock start (RFC 3339).
    pub started_at: String,
    /// The source (as in `session_start`).
    pub source: String,
    /// Whether results are stored (the screen's `r` key pauses storing).
    pub recording: bool,
    /// The newest frame's time, ms since the session start.
    pub t_ms: u64,
    /// Faces in view in the newest frame.
    pub faces: usize,
    /// Confirmed tracks so far (the highest track id given).
    pub tracks: u32,
    /// Markers made in this run (screen and API).
    pub markers: u64,
    /// Clients connected to `GET /events` now (both kinds of stream); a dropped client no longer counts.
    pub clients: usize,
    /// Pipeline figures as of the newest frame: FPS, latency p50/p95 in ms, frames processed and dropped.
    pub pipeline: PipelineStats,
}

impl SessionSnapshot {
    /// Takes in one processed frame.
    pub fn add_frame(&mut self, r: &FrameResult) {
        self.t_ms = r.timestamp_ms;
        self.faces = r.observations.len();
        self.tracks = r.observations.iter().map(|o| o.track_id).fold(self.tracks, u32::max);
        self.pipeline = r.stats.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BBox;

    fn obs(track_id: u32, winner: Emotion, p: f32) -> Observation {
        let mut smoothed = [(1.0 - p) / 6.0; NUM_EMOTIONS];
        smoothed[winner as usize] = p;
        Observation {
            frame_index: 3,
            timestamp_ms: 100,
            track_id,
            bbox: BBox::new(10.4, 20.6, 30.0, 40.0),
            score: 0.9,
            raw: smoothed,
            smoothed,
            landmarks: None,
            predicted: false,
            classified: true,
        }
    }

    #[test]
    fn a_frame_gives_shares_of_dominant_emotions_and_the_valence_of_the_mean() {
        let r = FrameResult {
            frame_index: 3,
            timestamp_ms: 100,
            width: 640,
            height: 360,
            detections: 2,
            detected: true,
            faces: 2,
            latency_ms: 5.0,
            observations: vec![obs(1, Emotion::Happy, 0.7), obs(2, Emotion::Sad, 0.7)],
            backfill: Vec::new(),
            stats: PipelineStats::default(),
            image: None,
        };
        let e = frame_event(&r, false);
        assert_eq!((e.t_ms, e.frame, e.faces), (100, 3, 2));
        let s = e.shares.unwrap();
        assert_eq!((s.happy, s.sad, s.neutral), (0.5, 0.5, 0.0));
        // Mean: happy 0.4, sad 0.4 -> valence 0.
        assert!(e.valence.unwrap().abs() < 1e-6);
        // No landmarks: attention cannot be judged.
        assert_eq!(e.attention, None);
        assert!(e.observations.is_none());
        let detailed = frame_event(&r, true);
        let faces = detailed.observations.unwrap();
        assert_eq!((faces[0].track, faces[0].x, faces[0].y, faces[0].emotion), (1, 10, 21, "happy"));
        let json = serde_json::to_value(Event::Frame(frame_event(&r, false))).unwrap();
        assert_eq!(json["type"], "frame");
        assert!(json.get("observations").is_none());

        let empty = FrameResult { observations: Vec::new(), ..r };
        let e = frame_event(&empty, true);
        assert_eq!((e.faces, e.shares.is_none(), e.valence, e.attention), (0, true, None, None));
    }
}
