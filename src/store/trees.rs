//! The sled trees of a session database, and their keys: named once here, for the writer, the reader, the edits
//! and the repairs on open.
//!
//! Encodings are those of session schema version [`super::SCHEMA_VERSION`]. Keys are big-endian, so that sled's
//! ordered iteration follows time (frames, seconds) or creation order (annotations).

/// Session metadata. Keys: [`SCHEMA_VERSION_KEY`] -> u32 big-endian; [`SESSION_KEY`] -> the
/// [`super::SessionRecord`] as JSON (the copy that survives a damaged `session.json`); [`TIMELINE_LAST_FRAME`] ->
/// u64 big-endian.
pub(crate) const META: &str = "meta";

/// Key in [`META`]: the session's schema version (u32 big-endian), which decides how observations are decoded.
pub(crate) const SCHEMA_VERSION_KEY: &str = "schema_version";

/// Key in [`META`]: the session record as JSON.
pub(crate) const SESSION_KEY: &str = "session";

/// Key in [`META`]: the last frame index (u64 big-endian) that the [`TIMELINE`] tree covers; frames after it are
/// rebuilt into the timeline when the session is next opened.
pub(crate) const TIMELINE_LAST_FRAME: &str = "timeline_last_frame";

/// Per-face observations. Key: [`obs_key`] (`frame_index` u64 BE ++ `track_id` u32 BE) -> the
/// [`crate::pipeline::Observation`] (postcard; schema 1 sessions hold the older layout without landmarks and flags,
/// read as [`crate::pipeline::observation::ObservationV1`]).
pub(crate) const OBSERVATIONS: &str = "observations";

/// Processed frames, with or without faces. Key: `frame_index` (u64 BE) -> [`super::FrameRecord`] (postcard).
pub(crate) const FRAMES: &str = "frames";

/// Confirmed tracks. Key: `track_id` (u32 BE) -> [`super::TrackRecord`] (JSON).
pub(crate) const TRACKS: &str = "tracks";

/// Markers and notes. Key: annotation `id` (u64 BE, from sled's `generate_id`, increasing) ->
/// [`super::Annotation`] (JSON).
pub(crate) const ANNOTATIONS: &str = "annotations";

/// Per-second totals for review. Key: `second` since session start (u32 BE) -> [`super::timeline::Bucket`]
/// (postcard). A second is stored once it is over (and when the session is finished); seconds a killed recorder
/// did not store are rebuilt from the observations when the session is next opened (see [`TIMELINE_LAST_FRAME`]).
pub(crate) const TIMELINE: &str = "timeline";

/// The key of an observation in [`OBSERVATIONS`]: `frame_index` (u64 BE) then `track_id` (u32 BE).
pub(crate) fn obs_key(frame_index: u64, track_id: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&frame_index.to_be_bytes());
    k[8..].copy_from_slice(&track_id.to_be_bytes());
    k
}
