//! JSON export: the whole session as one object ([`JsonExport`]) on one line, followed by a newline. The JSON
//! Schema `docs/export.schema.json` describes it (draft 2020-12), and a test validates exports against it.
//!
//! Top level: `format` ("emotrace-session"), `version` ([`JSON_VERSION`]), `emotions` (the seven class names in
//! FER2013 order: angry, disgust, fear, happy, sad, surprise, neutral), `detector` ("seeta" or "yunet": how
//! `face_score` was mapped), `session` (the session record: times RFC 3339, counts, models, configuration),
//! `tracks`, `annotations`, `observations`.
//!
//! Names, units and types are the CSV's: a track's `name` is its label ("P07", or "Face {id}" when unnamed, with
//! `named` false), an observation's box is `x`, `y`, `width`, `height` in whole pixels of the source frame, times
//! are integers in ms since the session start, `score` is the detector's own score and `face_score` the same in
//! `[0, 1]`, `raw` and `smoothed` are objects of named probabilities (`{"angry": .., .., "neutral": ..}`), and
//! `dominant_emotion` is the argmax of `smoothed`, `valence` FaceReader's valence of `smoothed` in `[-1, 1]`; `box_source` ("detected" or "predicted"), `classified` and
//! `landmarks` (`{"right_eye": [x, y], "left_eye", "nose", "mouth_right", "mouth_left"}` in pixels, or null) as in
//! the CSV. Text is written as stored: JSON is not opened by spreadsheets,
//! so no formula escaping is applied. Floats round-trip: [`read`] gives back what [`write()`] wrote.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{pixel_box, Result, SessionExport};
use crate::classify::Emotion;
pub use crate::classify::NamedProbs;
use crate::detect::Landmarks;
use crate::store::{Annotation, SessionRecord, TrackRecord};

/// The `format` field of every JSON export.
pub const JSON_FORMAT: &str = "emotrace-session";
/// The `version` field: 2 since class names, named probabilities and whole-pixel boxes (1 was the session
/// serialized as stored, with 7-element probability arrays).
pub const JSON_VERSION: u32 = 2;

/// A session as the JSON export writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonExport {
    /// Always [`JSON_FORMAT`].
    pub format: String,
    /// [`JSON_VERSION`].
    pub version: u32,
    /// The class names, in FER2013 order (the order of the model outputs; the probabilities are named anyway).
    pub emotions: Vec<String>,
    /// The session's detector ("seeta" or "yunet"), which says how `face_score` was derived from `score`.
    pub detector: String,
    /// The session record as stored (RFC 3339 times, counts, models, configuration, pipeline figures).
    pub session: serde_json::Value,
    /// The session's tracks, by id.
    pub tracks: Vec<JsonTrack>,
    /// Markers and notes, in creation order (times in ms since session start).
    pub annotations: Vec<Annotation>,
    /// One per face per processed frame, in frame order then track id.
    pub observations: Vec<JsonObservation>,
}

/// A track in the JSON export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonTrack {
    /// Track id (1, 2, ...).
    pub id: u32,
    /// Its label, as the CSV's `track_name`: the name given in review, or "Face {id}".
    pub name: String,
    /// True when `name` was given by the user.
    pub named: bool,
    /// First observation, ms since session start.
    pub first_ms: u64,
    /// Last observation, ms since session start.
    pub last_ms: u64,
    /// Number of observations stored under this id.
    pub observations: u64,
    /// The track it was merged into (its observations are exported under that id), if any: by a person in review,
    /// or by re-identification while recording.
    pub merged_into: Option<u32>,
    /// Set when re-identification made the merge (not a person): the distance between the two faces' mean
    /// descriptors that decided it (dlib's Euclidean metric). The descriptors themselves are never stored.
    pub auto_merge_distance: Option<f32>,
}

impl From<&TrackRecord> for JsonTrack {
    fn from(t: &TrackRecord) -> JsonTrack {
        JsonTrack {
            id: t.id,
            name: t.label(),
            named: t.name.is_some(),
            first_ms: t.first_ms,
            last_ms: t.last_ms,
            observations: t.observations,
            merged_into: t.merged_into,
            auto_merge_distance: t.auto_merge_distance,
        }
    }
}

/// One face in one processed frame, in the JSON export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonObservation {
    /// Index of the frame in its source (0-based).
    pub frame_index: u64,
    /// ms since session start.
    pub timestamp_ms: u64,
    /// Track id (after review merges).
    pub track_id: u32,
    /// The track's label, as in `tracks`.
    pub track_name: String,
    /// Face box left edge, whole pixels.
    pub x: i32,
    /// Face box top edge, whole pixels.
    pub y: i32,
    /// Face box width, whole pixels.
    pub width: i32,
    /// Face box height, whole pixels.
    pub height: i32,
    /// The detector's own score (SeetaFace: unbounded, about 2-35; YuNet: 0-1).
    pub score: f32,
    /// The detector score as a confidence in `[0, 1]` ([`super::face_score`]).
    pub face_score: f32,
    /// This frame's classifier probabilities.
    pub raw: NamedProbs,
    /// Per-track smoothed probabilities.
    pub smoothed: NamedProbs,
    /// Class name of the largest smoothed probability.
    pub dominant_emotion: String,
    /// FaceReader's valence of `smoothed` (`[-1, 1]`, [`crate::classify::valence`]), as the CSV's `valence`.
    pub valence: f32,
    /// "detected" (the box was found in this frame) or "predicted" (by the tracker's motion model).
    pub box_source: String,
    /// True when `raw` was computed from this frame's crop; false when it repeats the face's latest classification.
    pub classified: bool,
    /// The five landmarks in pixels of the source frame, when the detector gives them (YuNet; SeetaFace: null).
    pub landmarks: Option<JsonLandmarks>,
}

/// The five facial landmarks, `[x, y]` in pixels of the source frame each; "right" is the person's right.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLandmarks {
    /// Centre of the right eye.
    pub right_eye: [f32; 2],
    /// Centre of the left eye.
    pub left_eye: [f32; 2],
    /// Tip of the nose.
    pub nose: [f32; 2],
    /// Right corner of the mouth.
    pub mouth_right: [f32; 2],
    /// Left corner of the mouth.
    pub mouth_left: [f32; 2],
}

impl From<&Landmarks> for JsonLandmarks {
    fn from(l: &Landmarks) -> JsonLandmarks {
        let [right_eye, left_eye, nose, mouth_right, mouth_left] = *l;
        JsonLandmarks { right_eye, left_eye, nose, mouth_right, mouth_left }
    }
}

/// The JSON form of one observation; `labels` maps track ids to their labels ([`SessionExport::track_labels`]).
fn json_observation(
    data: &SessionExport,
    labels: &std::collections::HashMap<u32, String>,
    o: &crate::pipeline::Observation,
) -> JsonObservation {
    let [x, y, width, height] = pixel_box(&o.bbox);
    JsonObservation {
        frame_index: o.frame_index,
        timestamp_ms: o.timestamp_ms,
        track_id: o.track_id,
        track_name: labels.get(&o.track_id).cloned().unwrap_or_else(|| data.track_label(o.track_id)),
        x,
        y,
        width,
        height,
        score: o.score,
        face_score: data.face_score(o),
        raw: (&o.raw).into(),
        smoothed: (&o.smoothed).into(),
        dominant_emotion: Emotion::argmax(&o.smoothed).name().to_string(),
        valence: crate::classify::valence::valence(&o.smoothed),
        box_source: o.box_source().to_string(),
        classified: o.classified,
        landmarks: o.landmarks.as_ref().map(JsonLandmarks::from),
    }
}

/// Everything of a [`JsonExport`] before its observations, borrowed: serialized first, so the observations can
/// follow one at a time. Its fields are [`JsonExport`]'s, in the same order.
#[derive(Serialize)]
struct JsonHead<'a> {
    format: &'a str,
    version: u32,
    emotions: [&'a str; crate::classify::NUM_EMOTIONS],
    detector: &'a str,
    /// As [`JsonExport::session`] (a JSON value: its keys in the order `JsonExport` writes them).
    session: serde_json::Value,
    tracks: Vec<JsonTrack>,
    annotations: &'a [Annotation],
}

impl JsonExport {
    /// The export of `data`, in memory (the file is written without holding it: [`write()`]).
    ///
    /// Errors: [`super::ExportError::Json`] when the session record cannot be serialized (it always can);
    /// [`super::ExportError::Store`] when the session cannot be read.
    pub fn new(data: &SessionExport) -> Result<JsonExport> {
        let labels = data.track_labels();
        let mut observations = Vec::new();
        for row in data.rows()? {
            if let super::Row::Face(o) = row? {
                observations.push(json_observation(data, &labels, &o));
            }
        }
        Ok(JsonExport {
            format: JSON_FORMAT.to_string(),
            version: JSON_VERSION,
            emotions: Emotion::ALL.iter().map(|e| e.name().to_string()).collect(),
            detector: data.detector.name().to_string(),
            session: serde_json::to_value(&data.session)?,
            tracks: data.tracks.iter().map(JsonTrack::from).collect(),
            annotations: data.annotations.clone(),
            observations,
        })
    }

    /// The session record, typed.
    ///
    /// Errors: [`super::ExportError::Json`] when `session` is not a session record.
    pub fn session_record(&self) -> Result<SessionRecord> {
        Ok(serde_json::from_value(self.session.clone())?)
    }
}

/// Writes `data` as one JSON object ([`JsonExport`]) and a newline to `out`: the session, tracks and annotations
/// first, then the observations one at a time as they are read from the session (memory stays flat however long
/// the session). The bytes are those of [`JsonExport`] serialized whole. Returns the number of observations
/// written.
///
/// Errors: `out` cannot be written ([`super::ExportError::Json`] or [`super::ExportError::Io`]); the session cannot
/// be read ([`super::ExportError::Store`]).
pub fn write(data: &SessionExport, out: &mut dyn Write) -> Result<u64> {
    let mut out = std::io::BufWriter::new(out);
    let head = JsonHead {
        format: JSON_FORMAT,
        version: JSON_VERSION,
        emotions: Emotion::NAMES,
        detector: data.detector.name(),
        session: serde_json::to_value(&data.session)?,
        tracks: data.tracks.iter().map(JsonTrack::from).collect(),
        annotations: &data.annotations,
    };
    let mut head = serde_json::to_vec(&head)?;
    // `{...}` without its closing brace, then the last field.
    head.pop();
    out.write_all(&head)?;
    out.write_all(b",\"observations\":[")?;
    let labels = data.track_labels();
    let mut faces = 0u64;
    for row in data.rows()? {
        if let super::Row::Face(o) = row? {
            if faces > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut out, &json_observation(data, &labels, &o))?;
            faces += 1;
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(faces)
}

/// Reads an export written by [`write()`] back.
///
/// Errors: [`super::ExportError::Json`] when `text` is not such an object (one line naming what is wrong).
pub fn read(text: &[u8]) -> Result<JsonExport> {
    Ok(serde_json::from_slice(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    #[test]
    fn an_export_names_classes_and_tracks_like_the_csv_and_reads_back() {
        let data = sample_export("P07", "stimulus");
        let mut buf = Vec::new();
        write(&data, &mut buf).unwrap();
        assert!(buf.ends_with(b"}\n") && buf.iter().filter(|&&b| b == b'\n').count() == 1);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["emotions"], serde_json::json!(Emotion::NAMES));
        assert_eq!(v["tracks"][0]["name"], "Face 1");
        assert_eq!(v["tracks"][0]["named"], false);
        assert_eq!(v["tracks"][1]["name"], "P07");
        let last = &v["observations"][7];
        assert_eq!(last["track_name"], "P07");
        assert_eq!((last["x"].as_i64(), last["y"].as_i64(), last["width"].as_i64()), (Some(-2), Some(20), Some(100)));
        assert_eq!(last["raw"]["happy"], 0.5);
        assert_eq!(last["smoothed"]["neutral"], 0.5);
        assert_eq!(last["dominant_emotion"], "neutral");
        assert_eq!(last["box_source"], "detected");
        assert_eq!(last["landmarks"]["right_eye"], serde_json::json!([30.0, 50.5]));
        assert_eq!(last["landmarks"]["mouth_left"], serde_json::json!([65.0, 90.25]));
        assert_eq!(v["observations"][0]["landmarks"], serde_json::Value::Null);
        let predicted = &v["observations"][4];
        assert_eq!((&predicted["frame_index"], &predicted["track_id"]), (&3.into(), &1.into()));
        assert_eq!((&predicted["box_source"], &predicted["classified"]), (&"predicted".into(), &false.into()));

        let back = read(&buf).unwrap();
        assert_eq!(back, JsonExport::new(&data).unwrap());
        assert_eq!(back.session_record().unwrap().id, data.session.id);
        let mut again = Vec::new();
        serde_json::to_writer(&mut again, &back).unwrap();
        again.push(b'\n');
        assert_eq!(again, buf);
    }

    #[test]
    fn named_probabilities_are_the_class_names_in_order() {
        let p: crate::classify::Probs = std::array::from_fn(|i| i as f32);
        let v = serde_json::to_value(NamedProbs::from(&p)).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), Emotion::NAMES.len());
        for e in Emotion::ALL {
            assert_eq!(v[e.name()], e as usize as f64, "{e}");
        }
    }
}
