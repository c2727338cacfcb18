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

/// Per-face observations. Schema 3 ([`super::GROUPED_SCHEMA_VERSION`]): key [`obs_key`] (`frame_index` u64 BE ++
/// the lowest `track_id` of the group, u32 BE) -> the observations of that frame written together, in track order
/// (postcard `Vec<`[`crate::pipeline::Observation`]`>`): one record per processed frame, and one more for each
/// later confirmation that brings tentative observations of that frame (the groups of a frame hold different
/// tracks, so their keys differ). sled splits a leaf page every 16 keys and keeps bookkeeping per page in memory
/// for as long as the database is open (about 40 bytes per key), so a key per face made a reader of a one-hour
/// 30-face session hold over 100 MB; a key per frame makes it 30 times less. Schemas 1 and 2: key
/// `frame_index` ++ `track_id` -> one observation (schema 1 without landmarks and flags, read as
/// [`crate::pipeline::observation::ObservationV1`]).
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

/// The key of an observation (schemas 1 and 2) or of a group of observations (schema 3: its lowest track id) in
/// [`OBSERVATIONS`]: `frame_index` (u64 BE) then `track_id` (u32 BE).
pub(crate) fn obs_key(frame_index: u64, track_id: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&frame_index.to_be_bytes());
    k[8..].copy_from_slice(&track_id.to_be_bytes());
    k
}

/// The frame index of an [`OBSERVATIONS`] key ([`obs_key`]).
///
/// Errors: a key shorter than 8 bytes (a damaged database).
pub(crate) fn obs_key_frame(key: &[u8]) -> anyhow::Result<u64> {
    let head = key.get(..8).ok_or_else(|| anyhow::anyhow!("an observation key of {} bytes", key.len()))?;
    Ok(u64::from_be_bytes(head.try_into()?))
}
