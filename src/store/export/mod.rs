//! Exports of a stored session to files other tools read: one module per format.
//!
//! - [`csv`]: one row per observation (ids, time in ms, box in pixels, raw and smoothed probabilities, dominant
//!   emotion), plus the markers and notes as a second CSV ([`csv::write_annotations`]).
//! - [`json`]: the whole session as one JSON object ([`SessionExport`]), readable back with serde.
//! - [`fex`]: a CSV in py-feat's `Fex` layout, to analyse emotrace sessions with py-feat.
//!
//! Every format reads a [`SessionExport`]: the session loaded once from its database
//! ([`SessionExport::load`]). Text that ends up in a CSV cell (track names, labels) is made safe to open in a
//! spreadsheet with [`csv::spreadsheet_safe`]; numbers are written plainly.

pub mod csv;
pub mod fex;
pub mod json;

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{Annotation, SessionReader, SessionRecord, Store, TrackRecord};
use crate::pipeline::Observation;

/// An export format, as `emotrace export --format` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One CSV row per observation (raw and smoothed probabilities, dominant emotion); with `--out FILE.csv` the
    /// markers and notes go to `FILE.annotations.csv`.
    Csv,
    /// The whole session as one JSON object: session, tracks, annotations, observations.
    Json,
    /// CSV in py-feat's Fex layout (per-frame raw probabilities).
    Fex,
}

impl Format {
    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Fex => "fex",
        }
    }
}

/// A whole stored session, as exported: the JSON format is exactly this, serialized.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionExport {
    /// The session record (times, source, models, configuration, counts).
    pub session: SessionRecord,
    /// Its tracks, by id.
    pub tracks: Vec<TrackRecord>,
    /// Its markers and notes, in creation order (times in ms since session start).
    pub annotations: Vec<Annotation>,
    /// Its observations in frame order, then track id (times in ms since session start, boxes in pixels). A
    /// track merged into another during review is exported under the id it was merged into.
    pub observations: Vec<Observation>,
    /// FaceReader's valence of each observation's smoothed probabilities (`[-1, 1]`, see
    /// [`crate::analytics::valence`]), in the order of `observations`.
    #[serde(default)]
    pub valence: Vec<f32>,
}

impl SessionExport {
    /// Reads everything of one session from its database.
    ///
    /// Errors: a damaged record in the session's database.
    pub fn load(reader: &SessionReader) -> anyhow::Result<SessionExport> {
        let merges = reader.merges()?;
        let mut observations = reader.observations()?;
        for o in &mut observations {
            o.track_id = *merges.get(&o.track_id).unwrap_or(&o.track_id);
        }
        let valence = observations.iter().map(|o| crate::analytics::valence::valence(&o.smoothed)).collect();
        Ok(SessionExport {
            session: reader.record().clone(),
            tracks: reader.tracks()?,
            annotations: reader.annotations()?,
            observations,
            valence,
        })
    }

    /// The label of a track, as [`TrackRecord::label`] gives it ("P07", or "Face {id}" when unnamed); a track
    /// missing from the session's track list is "Face {id}" too.
    pub fn track_label(&self, track_id: u32) -> String {
        self.tracks
            .iter()
            .find(|t| t.id == track_id)
            .map(TrackRecord::label)
            .unwrap_or_else(|| format!("Face {track_id}"))
    }
}

/// Writes `data` to `out` in `format`. For [`Format::Csv`] this is the observations only; the annotations are
/// written separately with [`csv::write_annotations`].
///
/// Errors: `out` cannot be written.
pub fn write(format: Format, data: &SessionExport, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Csv => csv::write_observations(data, out),
        Format::Json => json::write(data, out),
        Format::Fex => fex::write(data, out),
    }
}

/// The id of the session that `query` names in `store`: a full session id, or a prefix of exactly one.
///
/// Errors: the store cannot be listed; no session matches ("no session 'X' in STORE"); the prefix matches several
/// sessions (the error lists them).
pub fn resolve_session(store: &Store, query: &str) -> anyhow::Result<String> {
    let ids: Vec<String> = store.list_sessions()?.into_iter().map(|s| s.id).collect();
    if ids.iter().any(|id| id == query) {
        return Ok(query.to_string());
    }
    let matches: Vec<&String> =
        if query.is_empty() { Vec::new() } else { ids.iter().filter(|id| id.starts_with(query)).collect() };
    match matches.as_slice() {
        [] => anyhow::bail!("no session '{query}' in {}", store.root().display()),
        [one] => Ok((*one).clone()),
        many => anyhow::bail!(
            "session prefix '{query}' is ambiguous in {}: it matches {}",
            store.root().display(),
            many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::SourceKind;
    use crate::detect::BBox;
    use crate::pipeline::{FrameResult, PipelineStats};
    use crate::store::{AnnotationKind, NewSession, SessionStatus};

    /// [`sample_session`] in a temporary store, loaded for export (the store is gone afterwards).
    pub(crate) fn sample_export(name2: &str, label: &str) -> SessionExport {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample_session(&store, name2, label);
        let reader = store.open_session(&id).unwrap();
        SessionExport::load(&reader).unwrap()
    }

    /// A finished session with two tracks (track 2 named `name2`), 5 frames, and one marker labelled `label`.
    pub(crate) fn sample_session(store: &Store, name2: &str, label: &str) -> String {
        let mut w = store
            .create_session(NewSession {
                source: "recordings/x.mp4".into(),
                source_kind: SourceKind::Video,
                models: "test".into(),
                config: serde_json::json!({"k": 1}),
            })
            .unwrap();
        for f in 0..5u64 {
            let tracks: &[u32] = if f < 2 { &[1] } else { &[1, 2] };
            let observations = tracks
                .iter()
                .map(|&t| {
                    let raw = [0.05, 0.05, 0.1, 0.5, 0.1, 0.1, 0.1];
                    let smoothed = [0.1, 0.0, 0.1, 0.1, 0.1, 0.1, 0.5];
                    Observation {
                        frame_index: f,
                        timestamp_ms: f * 40,
                        track_id: t,
                        bbox: BBox::new(-3.5 + t as f32, 20.25, 100.0, 110.0),
                        score: 7.5,
                        raw,
                        smoothed,
                        landmarks: None,
                        predicted: false,
                        classified: true,
                    }
                })
                .collect();
            w.write(&FrameResult {
                frame_index: f,
                timestamp_ms: f * 40,
                width: 640,
                height: 360,
                detections: tracks.len(),
                latency_ms: 10.0,
                observations,
                backfill: Vec::new(),
                stats: PipelineStats::default(),
                image: None,
            })
            .unwrap();
        }
        w.name_track(2, name2).unwrap();
        w.annotate(AnnotationKind::Marker, 80, None, label, Some(2)).unwrap();
        w.annotate(AnnotationKind::Note, 40, Some(120), "calm", None).unwrap();
        w.finish(SessionStatus::Completed, None).unwrap().id
    }

    #[test]
    fn a_session_resolves_by_id_or_unique_prefix_and_reports_unknown_and_ambiguous_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let err = resolve_session(&store, "2024").unwrap_err().to_string();
        assert_eq!(err, format!("no session '2024' in {}", dir.path().display()));

        let a = sample_session(&store, "P07", "stimulus");
        assert_eq!(resolve_session(&store, &a).unwrap(), a);
        assert_eq!(resolve_session(&store, &a[..6]).unwrap(), a);
        assert!(resolve_session(&store, "").is_err());

        let b = sample_session(&store, "P08", "stimulus");
        // `a` is a prefix of `b` when both started in the same second ("-2"): the exact id still wins.
        assert_eq!(resolve_session(&store, &a).unwrap(), a);
        let err = resolve_session(&store, &a[..6]).unwrap_err().to_string();
        assert!(err.contains("ambiguous") && err.contains(&a) && err.contains(&b), "{err}");
    }

    #[test]
    fn a_loaded_session_holds_everything_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample_session(&store, "P07", "stimulus");
        let data = SessionExport::load(&store.open_session(&id).unwrap()).unwrap();
        assert_eq!(data.session.id, id);
        assert_eq!(data.observations.len(), 8);
        assert_eq!(data.tracks.len(), 2);
        assert_eq!(data.annotations.len(), 2);
        assert_eq!(data.track_label(1), "Face 1");
        assert_eq!(data.track_label(2), "P07");
        assert_eq!(data.track_label(9), "Face 9");
    }
}
