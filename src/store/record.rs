//! The records kept per session.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::capture::SourceKind;
use crate::pipeline::PipelineStats;

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Being recorded now (by the process `pid`).
    Running,
    /// The source ended or the user quit; every frame processed was stored.
    Completed,
    /// Ended by a signal (SIGINT, SIGTERM, SIGHUP) or a killed process; what was stored before is kept.
    Interrupted,
    /// Ended by an error (corrupt input part-way, ...); `error` says which. Stored frames are kept.
    Failed,
    /// The session's files could not be read.
    Damaged,
}

impl SessionStatus {
    /// Lower-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
            Self::Damaged => "damaged",
        }
    }
}

/// A session: one run of the pipeline over one source.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Session id, `YYYYMMDD-HHMMSS[-N]` (local start time).
    pub id: String,
    /// Store schema version the session was written with.
    pub schema_version: u32,
    /// Wall-clock start (RFC 3339 with offset); observation timestamps are ms after this. Unknown (see
    /// [`SessionRecord::started`]) for a session whose record could not be read: then written as `null`.
    #[serde(serialize_with = "start_or_null", deserialize_with = "start_or_unknown")]
    pub started_at: DateTime<FixedOffset>,
    /// Wall-clock end, once the session has ended.
    pub ended_at: Option<DateTime<FixedOffset>>,
    /// The source: file path or camera name.
    pub source: String,
    /// Kind of source.
    pub source_kind: Option<SourceKind>,
    /// The decoder that read the source (`openh264 (built in)`, `ffmpeg 5.1.9 (hevc)`, ...); `None` in sessions
    /// recorded before it was kept.
    #[serde(default)]
    pub decoder: Option<String>,
    /// Times a network source was lost and came back (ms since session start), oldest first; empty for files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_gaps: Vec<crate::capture::rtsp::SourceGap>,
    /// Frames (or images of a folder) that could not be read or decoded and were left out, with the first reasons;
    /// absent when none were.
    #[serde(default, skip_serializing_if = "crate::capture::skipped::Skipped::is_empty")]
    pub skipped: crate::capture::skipped::Skipped,
    /// Models used (detector and emotion classifier).
    pub models: String,
    /// The face detector that ran (`None` in sessions recorded before it was kept: then only [`Self::models`]
    /// tells, see [`crate::store::export::session_detector`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<crate::detect::Backend>,
    /// The full configuration in force, as JSON.
    pub config: serde_json::Value,
    /// Where the session stands.
    pub status: SessionStatus,
    /// Why it failed, for [`SessionStatus::Failed`] (one line).
    pub error: Option<String>,
    /// Process id of the recording process (to tell a killed recorder from a live one).
    pub pid: u32,
    /// Frames processed and stored.
    pub frames: u64,
    /// Frames with at least one face observed, detected or tracked (a face not yet confirmed included; before
    /// schedules were recorded: frames whose latest detection found a face).
    pub frames_with_faces: u64,
    /// Frames the face detector ran on (0 in sessions recorded before it was kept).
    #[serde(default)]
    pub detected_frames: u64,
    /// Of those, frames in which the detector found at least one face.
    #[serde(default)]
    pub frames_with_detections: u64,
    /// The detection and classification plan the run followed (`None` in sessions recorded before it was kept:
    /// files were then detected and classified on every frame).
    #[serde(default)]
    pub schedule: Option<crate::pipeline::Schedule>,
    /// Observations (face x frame) stored.
    pub observations: u64,
    /// Confirmed tracks.
    pub tracks: u32,
    /// Tracks merged into another one during review (so `tracks - merged_tracks` people were seen).
    #[serde(default)]
    pub merged_tracks: u32,
    /// Markers and notes on the session.
    #[serde(default)]
    pub annotations: u32,
    /// Timestamp of the last stored frame, ms since start.
    pub duration_ms: u64,
    /// Width and height of the source frames, pixels (`None` in sessions recorded before it was kept; the seat
    /// map then uses the extent of the face boxes).
    #[serde(default)]
    pub frame_size: Option<[u32; 2]>,
    /// The source's nominal frame rate, frames per second (a file's, a camera's negotiated rate, `--frame-rate`
    /// of a folder of frames; a folder of photos has 1, one photo per second of session time); `None` when the
    /// source has none (a single photo, a stream that does not say) and in sessions recorded before it was kept.
    #[serde(default)]
    pub frame_rate: Option<f64>,
    /// Share of face-frames (observations) per smoothed dominant emotion over the whole session, each in `[0, 1]`
    /// (what the report's class shares show; all 0 when no face was observed), stored when the session ends; `None` while it runs, and in a
    /// session recorded before it was kept until that session is next opened.
    #[serde(default)]
    pub emotion_shares: Option<crate::classify::NamedProbs>,
    /// Pipeline figures at the end (or at the last update while running).
    pub stats: PipelineStats,
}

/// Writes an unknown start ([`DateTime::UNIX_EPOCH`], see [`SessionRecord::started`]) as `null`, never as 1970.
fn start_or_null<S: serde::Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    match known(*t) {
        Some(t) => t.serialize(s),
        None => s.serialize_none(),
    }
}

/// Reads a start written by [`start_or_null`]: `null` is unknown.
fn start_or_unknown<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    Ok(Option::<DateTime<FixedOffset>>::deserialize(d)?.unwrap_or(DateTime::UNIX_EPOCH.into()))
}

/// `t`, or `None` when it is the stand-in for an unknown time (the Unix epoch: no session started then).
fn known(t: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    (t.timestamp() != 0).then_some(t)
}

impl SessionRecord {
    /// When the session started, `None` when unknown (its record could not be read: [`Self::started_at`] then
    /// holds the Unix epoch, written as `null`, and shown as unknown, never as 1970-01-01).
    pub fn started(&self) -> Option<DateTime<FixedOffset>> {
        known(self.started_at)
    }

    /// Whether the record was read (from `session.json` or the database): `false` for a session that could not
    /// be read at all, whose counts are then unknown rather than 0 (see [`Self::started`]).
    pub fn is_known(&self) -> bool {
        self.schema_version != 0
    }

    /// People seen: confirmed tracks less those merged into another.
    pub fn faces(&self) -> u32 {
        self.tracks.saturating_sub(self.merged_tracks)
    }

    /// A record of session `id` started at `started_at` with `status`, before anything is stored: schema
    /// [`super::SCHEMA_VERSION`], nothing known of its source, models or configuration, every count 0, no end,
    /// no error, process id 0. Callers fill in what they know with struct update syntax.
    pub fn new(id: impl Into<String>, started_at: DateTime<FixedOffset>, status: SessionStatus) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            schema_version: super::SCHEMA_VERSION,
            started_at,
            ended_at: None,
            source: String::new(),
            source_kind: None,
            decoder: None,
            source_gaps: Vec::new(),
            skipped: Default::default(),
            models: String::new(),
            detector: None,
            config: serde_json::Value::Null,
            status,
            error: None,
            pid: 0,
            frames: 0,
            frames_with_faces: 0,
            detected_frames: 0,
            frames_with_detections: 0,
            schedule: None,
            observations: 0,
            tracks: 0,
            merged_tracks: 0,
            annotations: 0,
            duration_ms: 0,
            frame_size: None,
            frame_rate: None,
            emotion_shares: None,
            stats: PipelineStats::default(),
        }
    }

    /// A record standing for a session that cannot be read (schema version 0, start unknown, counts unknown: see
    /// [`Self::is_known`]), with `error` as the reason.
    pub(super) fn damaged(id: &str, error: String) -> SessionRecord {
        SessionRecord {
            schema_version: 0,
            error: Some(error),
            ..SessionRecord::new(id, DateTime::UNIX_EPOCH.into(), SessionStatus::Damaged)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_from_before_frame_rates_and_shares_were_kept_reads_with_none() {
        let mut v = serde_json::to_value(SessionRecord::new(
            "20260101-101500",
            chrono::Local::now().into(),
            SessionStatus::Completed,
        ))
        .unwrap();
        let old = v.as_object_mut().unwrap();
        assert!(old.remove("frame_rate").is_some() && old.remove("emotion_shares").is_some());
        let r: SessionRecord = serde_json::from_value(v).unwrap();
        assert_eq!((r.frame_rate, r.emotion_shares), (None, None));
    }
}

/// A confirmed track of a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// Track id (1, 2, ...), shown as "Face {id}".
    pub id: u32,
    /// A name given by the user ("P07"), if any.
    pub name: Option<String>,
    /// First observation, ms since session start.
    pub first_ms: u64,
    /// Last observation, ms since session start.
    pub last_ms: u64,
    /// Number of observations.
    pub observations: u64,
    /// Set when the user merged this track into another one (the same person, who left and came back): its
    /// observations count as that track's in review, summaries and exports. Observations keep their stored id.
    #[serde(default)]
    pub merged_into: Option<u32>,
    /// Set when the merge was made by re-identification while recording (issue 21), not by a person: the mean
    /// descriptor distance (dlib's Euclidean metric) that decided it. Cleared when the merge is undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_merge_distance: Option<f32>,
}

impl TrackRecord {
    /// Track `id` as first seen at `at_ms` (ms since session start): no name, no observations counted yet, not
    /// merged.
    pub fn new(id: u32, at_ms: u64) -> TrackRecord {
        TrackRecord {
            id,
            name: None,
            first_ms: at_ms,
            last_ms: at_ms,
            observations: 0,
            merged_into: None,
            auto_merge_distance: None,
        }
    }

    /// The name if given, else "Face {id}".
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| crate::fmt::face_label(self.id))
    }
}

/// One processed frame (with or without faces).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Index of the frame in its source.
    pub frame_index: u64,
    /// ms since session start.
    pub timestamp_ms: u64,
    /// Faces detected in the frame (including not yet confirmed ones).
    pub detections: u32,
    /// Confirmed tracks observed in the frame.
    pub faces: u32,
    /// Capture-to-result latency of this frame, ms.
    pub latency_ms: f32,
}

/// What an annotation marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    /// An event marker at one instant ("stimulus 3 starts").
    Marker,
    /// A note at an instant or over a range.
    Note,
}

/// A marker or note on a session's time axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// Unique within the session, increasing in creation order.
    pub id: u64,
    /// Marker or note.
    pub kind: AnnotationKind,
    /// Start, ms since session start.
    pub start_ms: u64,
    /// End of a range, ms since session start (`None` for an instant).
    pub end_ms: Option<u64>,
    /// The text ("stimulus", "break", a note).
    pub label: String,
    /// The track it is about, if any.
    pub track_id: Option<u32>,
    /// Wall-clock time it was made.
    pub created_at: DateTime<FixedOffset>,
}
