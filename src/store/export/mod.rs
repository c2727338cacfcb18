//! Exports of a stored session to files other tools read: one module per format.
//!
//! - [`csv`]: one row per observation (ids, time in ms, box in pixels, raw and smoothed probabilities, dominant
//!   emotion), plus the markers and notes as a second CSV ([`csv::write_annotations`]).
//! - [`json`]: the whole session as one JSON object ([`json::JsonExport`]) with class names and named
//!   probabilities, described by the JSON Schema `docs/export.schema.json`.
//! - [`fex`]: a CSV in py-feat's `Fex` layout, to analyse emotrace sessions with py-feat.
//! - [`parquet`]: one Parquet file of typed columns (and the markers and notes as a second file,
//!   [`parquet::write_annotations`]), or ([`parquet::dataset_path`]) a dataset of many sessions, one
//!   Hive-partitioned folder per table.
//! - [`xlsx`]: an Excel workbook, one sheet per table, typed cells.
//!
//! Every format reads a [`SessionExport`] and fails with an [`ExportError`]: the session loaded once from its database
//! ([`SessionExport::load`]). The values shared by the formats are computed here once: whole-pixel boxes
//! ([`pixel_box`]) and the 0-1 face score ([`face_score`]). Text that ends up in a CSV cell (track names,
//! labels) is made safe to open in a spreadsheet with [`csv::spreadsheet_safe`]; numbers are written plainly.

pub mod csv;
mod error;
pub mod fex;
pub mod json;
pub mod parquet;
pub mod xlsx;

use std::io::Write;

pub use error::{ExportError, Result};

use super::{Annotation, FrameRecord, SessionRecord, StoredSession, TrackRecord};
use crate::detect::{BBox, Backend};
use crate::pipeline::Observation;

/// An export format, as `emotrace export --format` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One CSV row per observation (raw and smoothed probabilities, dominant emotion); with `--out FILE.csv` the
    /// markers and notes go to `FILE.annotations.csv`.
    Csv,
    /// The whole session as one JSON object: session, tracks, annotations, observations.
    Json,
    /// CSV in py-feat's Fex layout (per-frame raw probabilities; `--smoothed` for the smoothed ones).
    Fex,
    /// Apache Parquet, typed columns; with `--out FILE.parquet` the markers and notes go to
    /// `FILE.annotations.parquet` (with `--all --out DIR`: a dataset of every session, `DIR/observations/` and
    /// `DIR/annotations/`, each Hive-partitioned).
    Parquet,
    /// An Excel workbook (`.xlsx`): one sheet per table (observations, faces, markers and notes, session), typed
    /// cells, frozen header rows, text never a formula.
    Xlsx,
}

impl Format {
    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Fex => "fex",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Options that change what an export holds (not where it goes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Fex: write the per-track smoothed probabilities instead of the raw per-frame ones.
    pub smoothed: bool,
    /// CSV: start the file with a UTF-8 byte-order mark (for spreadsheets that guess the encoding).
    pub bom: bool,
    /// CSV, fex, xlsx: a row for each processed frame in which no face was observed too ([`SessionExport::rows`]).
    pub empty_frames: bool,
}

/// One row of a per-frame table: a face in a processed frame, or a processed frame in which no face was observed
/// (written only when asked: `--include-empty-frames`, OpenFace's `success = 0` rows).
#[derive(Clone, Debug)]
pub enum Row {
    /// One face in one frame.
    Face(Observation),
    /// A processed frame without a face.
    Empty(FrameRecord),
}

impl Row {
    /// The frame's index in the source.
    pub fn frame_index(&self) -> u64 {
        match self {
            Row::Face(o) => o.frame_index,
            Row::Empty(f) => f.frame_index,
        }
    }

    /// The frame's time, ms since session start.
    pub fn timestamp_ms(&self) -> u64 {
        match self {
            Row::Face(o) => o.timestamp_ms,
            Row::Empty(f) => f.timestamp_ms,
        }
    }
}

/// The source's frame rate as a cell: frames per second in Rust's shortest form (`30`, `23.976023976023978`), or
/// empty when the session does not know it.
pub fn frame_rate_cell(session: &SessionRecord) -> String {
    session.frame_rate.map(|f| f.to_string()).unwrap_or_default()
}

/// The detector of a stored session, which decides how [`face_score`] reads its scores: the record's
/// `detector` (what ran, `--detector` included). Sessions recorded before it was kept fall back to the one their
/// `models` description names ("detector: yunet (..)", "detector: seeta (..)", or before YuNet "detector:
/// SeetaFace .."; it said what ran), else the configuration's `detect.backend`, else SeetaFace, the only detector
/// of sessions recorded before YuNet.
pub fn session_detector(record: &SessionRecord) -> Backend {
    if let Some(d) = record.detector {
        return d;
    }
    let models = record.models.to_ascii_lowercase();
    if models.contains("yunet") {
        return Backend::Yunet;
    }
    if models.contains("seeta") {
        return Backend::Seeta;
    }
    let backend = record.config.get("detect").and_then(|d| d.get("backend")).and_then(|b| b.as_str());
    match backend.map(str::to_ascii_lowercase).as_deref() {
        Some("yunet") => Backend::Yunet,
        _ => Backend::Seeta,
    }
}

/// The five landmarks' names, in [`crate::detect::Landmarks`] order (the person's right eye, left eye, nose tip,
/// right and left mouth corner); each is exported as `{name}_x`, `{name}_y` in pixels of the source frame.
pub const LANDMARK_NAMES: [&str; 5] = ["right_eye", "left_eye", "nose", "mouth_right", "mouth_left"];

/// The columns every observation table ends with (CSV and Fex alike): `box_source` (`detected` or
/// `predicted`), `classified` (whether the emotion was computed on this frame), `valence`, then
/// `{name}_x`, `{name}_y` for each of [`LANDMARK_NAMES`] (checked against it by a test).
pub const SHARED_COLUMNS: [&str; 13] = [
    "box_source",
    "classified",
    "valence",
    "right_eye_x",
    "right_eye_y",
    "left_eye_x",
    "left_eye_y",
    "nose_x",
    "nose_y",
    "mouth_right_x",
    "mouth_right_y",
    "mouth_left_x",
    "mouth_left_y",
];

/// `head` followed by [`SHARED_COLUMNS`], at compile time (`N` must be `H + 13`).
pub(crate) const fn with_shared_columns<const H: usize, const N: usize>(head: [&'static str; H]) -> [&'static str; N] {
    assert!(N == H + SHARED_COLUMNS.len(), "N must be the head's length plus the shared columns");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < H { head[i] } else { SHARED_COLUMNS[i - H] };
        i += 1;
    }
    out
}

/// The landmark cells of a CSV row (`right_eye_x`, `right_eye_y`, .. `mouth_left_y`): pixels in Rust's shortest
/// decimal form, or ten empty cells when the observation has no landmarks.
pub fn landmark_cells(o: &Observation) -> Vec<String> {
    match &o.landmarks {
        Some(points) => points.iter().flatten().map(f32::to_string).collect(),
        None => vec![String::new(); 2 * LANDMARK_NAMES.len()],
    }
}

/// Centre of the logistic that maps a SeetaFace score to `[0, 1]` ([`face_score`]).
pub const SEETA_SCORE_MID: f32 = 5.0;
/// Width (score units per e-fold) of the logistic that maps a SeetaFace score to `[0, 1]`.
pub const SEETA_SCORE_SCALE: f32 = 1.5;

/// A detector score as a confidence in `[0, 1]`, py-feat's `FaceScore` (exports: `face_score`, `FaceScore`).
///
/// YuNet's score is one already (clamped to `[0, 1]`). A SeetaFace cascade score `s` (unbounded; rustface
/// reports faces from 2.0 up, true faces in the bundled media score about 8 to 35) goes through the logistic
/// `1 / (1 + exp(-(s - 5) / 1.5))`: 2 -> 0.12, 5 -> 0.5, 8.3 -> 0.9, 10 -> 0.97, 15 and above -> 1.00, so
/// py-feat's usual `FaceScore > 0.9` keeps faces scored above 8.3. Not a calibrated probability: a monotone
/// rescaling, the same order as the raw score (kept in the `score` columns).
pub fn face_score(detector: Backend, score: f32) -> f32 {
    match detector {
        Backend::Yunet => score.clamp(0.0, 1.0),
        Backend::Seeta => 1.0 / (1.0 + (-(score - SEETA_SCORE_MID) / SEETA_SCORE_SCALE).exp()),
    }
}

/// A face box as whole pixels `[x, y, width, height]` (each rounded to the nearest integer), as every export
/// writes it.
pub fn pixel_box(b: &BBox) -> [i32; 4] {
    [b.x, b.y, b.w, b.h].map(|v| v.round() as i32)
}

/// Where an export's rows come from.
pub enum Observations {
    /// Read from the session's database one at a time while the export is written, so an export's memory stays
    /// flat however long the session (a one-hour classroom session holds 3.2 million observations).
    Stored {
        /// The open session.
        reader: Box<StoredSession>,
        /// Track id -> the id it was merged into during review ([`StoredSession::merges`]).
        merges: std::collections::BTreeMap<u32, u32>,
    },
    /// Held in memory, in frame order then track id (a session built in memory, tests).
    Memory {
        /// The observations, with the track ids they are exported under.
        observations: Vec<Observation>,
        /// The processed frames, in order (those with an observation give no row of their own).
        frames: Vec<FrameRecord>,
    },
}

impl std::fmt::Debug for Observations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Observations::Stored { merges, .. } => {
                f.debug_struct("Stored").field("merges", merges).finish_non_exhaustive()
            }
            Observations::Memory { observations, frames } => f
                .debug_struct("Memory")
                .field("observations", &observations.len())
                .field("frames", &frames.len())
                .finish(),
        }
    }
}

/// The rows of an export, in frame order: each item a [`Row`] or the error that stopped reading.
pub type Rows<'a> = Box<dyn Iterator<Item = Result<Row>> + 'a>;

/// A stored session, as exported: its record, tracks and annotations in memory, its observations streamed from
/// the database ([`Observations::Stored`]) as the export is written.
#[derive(Debug)]
pub struct SessionExport {
    /// The session record (times, source, models, configuration, counts).
    pub session: SessionRecord,
    /// Its tracks, by id.
    pub tracks: Vec<TrackRecord>,
    /// Its markers and notes, in creation order (times in ms since session start).
    pub annotations: Vec<Annotation>,
    /// Its observations ([`SessionExport::rows`] reads them): in frame order, then track id (times in ms since
    /// session start, boxes in pixels). A track merged into another during review is exported under the id it was
    /// merged into.
    pub observations: Observations,
    /// The detector of the session ([`session_detector`]).
    pub detector: Backend,
    /// Whether the processed frames without a face get rows too ([`SessionExport::include_empty_frames`]).
    empty_frames: bool,
}

impl SessionExport {
    /// Opens one session for export: its record, tracks and annotations are read now, its observations as the
    /// export is written ([`SessionExport::rows`]). Takes the session (it stays open, and locked, until the export
    /// is dropped).
    ///
    /// Errors: [`ExportError::Store`], a damaged record in the session's database.
    pub fn load(reader: StoredSession) -> Result<SessionExport> {
        Ok(SessionExport {
            detector: session_detector(reader.record()),
            session: reader.record().clone(),
            tracks: reader.tracks()?,
            annotations: reader.annotations()?,
            observations: Observations::Stored { merges: reader.merges()?, reader: Box::new(reader) },
            empty_frames: false,
        })
    }

    /// A session held in memory: its observations (in frame order, then track id) and processed frames (in order).
    pub fn in_memory(
        session: SessionRecord,
        tracks: Vec<TrackRecord>,
        annotations: Vec<Annotation>,
        observations: Vec<Observation>,
        frames: Vec<FrameRecord>,
    ) -> SessionExport {
        SessionExport {
            detector: session_detector(&session),
            session,
            tracks,
            annotations,
            observations: Observations::Memory { observations, frames },
            empty_frames: false,
        }
    }

    /// Gives the processed frames in which no face was observed (the session's frame records without an
    /// observation) rows too. Frames a live source dropped before processing were never stored, so they have no
    /// row either.
    pub fn include_empty_frames(&mut self) {
        self.empty_frames = true;
    }

    /// Whether the processed frames without a face get rows ([`SessionExport::include_empty_frames`]).
    pub fn has_empty_frames(&self) -> bool {
        self.empty_frames
    }

    /// Every row in frame order: the observations (merged tracks under the id they were merged into), and (when
    /// included) the empty frames between them. A stored session is read from its database one row at a time.
    ///
    /// Errors: [`ExportError::Store`], the session's records cannot be opened; an item is such an error for a
    /// damaged record.
    pub fn rows(&self) -> Result<Rows<'_>> {
        match &self.observations {
            Observations::Memory { observations, frames } => {
                let faces = observations.iter().cloned().map(Ok);
                let frames = self.empty_frames.then(|| frames.iter().cloned().map(Ok));
                Ok(Box::new(MergedRows::new(faces, frames)))
            }
            Observations::Stored { reader, merges } => {
                let faces = reader.observations_iter()?.map(move |o| {
                    let mut o = o?;
                    o.track_id = *merges.get(&o.track_id).unwrap_or(&o.track_id);
                    Ok(o)
                });
                let frames = match self.empty_frames {
                    true => Some(reader.frames_iter()?.map(|f| f.map_err(ExportError::from))),
                    false => None,
                };
                Ok(Box::new(MergedRows::new(faces, frames)))
            }
        }
    }

    /// The label of a track, as [`TrackRecord::label`] gives it ("P07", or "Face {id}" when unnamed); a track
    /// missing from the session's track list is "Face {id}" too.
    pub fn track_label(&self, track_id: u32) -> String {
        self.tracks
            .iter()
            .find(|t| t.id == track_id)
            .map(TrackRecord::label)
            .unwrap_or_else(|| crate::fmt::face_label(track_id))
    }

    /// Track id -> label ([`SessionExport::track_label`]) for every track of the session.
    pub fn track_labels(&self) -> std::collections::HashMap<u32, String> {
        self.tracks.iter().map(|t| (t.id, t.label())).collect()
    }

    /// The 0-1 face score of `o` ([`face_score`] for this session's detector).
    pub fn face_score(&self, o: &Observation) -> f32 {
        face_score(self.detector, o.score)
    }
}

/// The observations (in frame order) merged with the processed frames (in frame order, when given): a frame
/// without an observation becomes a [`Row::Empty`] before the next face's row; a frame with one gives no row of
/// its own. Reads one item ahead of each.
struct MergedRows<O, F> {
    faces: O,
    frames: Option<F>,
    next_face: Option<Observation>,
    next_frame: Option<FrameRecord>,
}

impl<O, F> MergedRows<O, F>
where
    O: Iterator<Item = Result<Observation>>,
    F: Iterator<Item = Result<FrameRecord>>,
{
    fn new(faces: O, frames: Option<F>) -> Self {
        MergedRows { faces, frames, next_face: None, next_frame: None }
    }

    fn advance(&mut self) -> Result<Option<Row>> {
        if self.next_face.is_none() {
            self.next_face = self.faces.next().transpose()?;
        }
        if let Some(frames) = &mut self.frames {
            loop {
                if self.next_frame.is_none() {
                    self.next_frame = frames.next().transpose()?;
                }
                match (&self.next_face, &self.next_frame) {
                    (Some(o), Some(f)) if f.frame_index == o.frame_index => self.next_frame = None,
                    (Some(o), Some(f)) if f.frame_index > o.frame_index => break,
                    (_, Some(_)) => return Ok(self.next_frame.take().map(Row::Empty)),
                    (_, None) => break,
                }
            }
        }
        Ok(self.next_face.take().map(Row::Face))
    }
}

impl<O, F> Iterator for MergedRows<O, F>
where
    O: Iterator<Item = Result<Observation>>,
    F: Iterator<Item = Result<FrameRecord>>,
{
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        self.advance().transpose()
    }
}

/// Writes `data` to `out` in `format` with `options`, streaming the observations (every format but xlsx holds
/// only a bounded part of the session in memory); returns the number of observations written. For [`Format::Csv`]
/// and [`Format::Parquet`] this is the observations only; the annotations are written separately with
/// [`csv::write_annotations`] and [`parquet::write_annotations`].
///
/// Errors: `out` cannot be written (see [`ExportError::io_kind`]), the format's encoder fails, or the session
/// cannot be read ([`ExportError::Store`]).
pub fn write(format: Format, data: &SessionExport, options: Options, out: &mut dyn Write) -> Result<u64> {
    match format {
        Format::Csv => csv::write_observations(data, options.bom, out),
        Format::Json => json::write(data, out),
        Format::Fex => fex::write(data, options.smoothed, out),
        Format::Parquet => parquet::write(data, out),
        Format::Xlsx => xlsx::write(data, out),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::SourceKind;
    use crate::detect::{BBox, Backend};
    use crate::pipeline::{FrameResult, PipelineStats};
    use crate::store::{AnnotationKind, NewSession, SessionStatus, Store};

    /// [`sample_session`] in a temporary store, loaded for export and read into memory (the store is gone
    /// afterwards).
    pub(crate) fn sample_export(name2: &str, label: &str) -> SessionExport {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample_session(&store, name2, label);
        let reader = store.open_session(&id).unwrap();
        let frames = reader.frames().unwrap();
        let data = SessionExport::load(reader).unwrap();
        let observations = faces(&data);
        SessionExport::in_memory(data.session, data.tracks, data.annotations, observations, frames)
    }

    /// The observations [`SessionExport::rows`] gives, in order.
    pub(crate) fn faces(data: &SessionExport) -> Vec<Observation> {
        data.rows()
            .unwrap()
            .filter_map(|r| match r.unwrap() {
                Row::Face(o) => Some(o),
                Row::Empty(_) => None,
            })
            .collect()
    }

    /// A finished session with two tracks (track 2 named `name2`), 5 frames, and one marker labelled `label`.
    pub(crate) fn sample_session(store: &Store, name2: &str, label: &str) -> String {
        let mut w = store
            .create_session(NewSession {
                source: "recordings/x.mp4".into(),
                source_kind: SourceKind::Video,
                decoder: None,
                models: "test".into(),
                detector: None,
                config: serde_json::json!({"k": 1}),
                schedule: None,
                frame_rate: Some(25.0),
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
                        // Track 2 has landmarks (as from YuNet); track 1's box in frame 3 is predicted, not classified.
                        landmarks: (t == 2).then_some([
                            [30.0, 50.5],
                            [70.0, 50.0],
                            [50.0, 70.0],
                            [35.0, 90.0],
                            [65.0, 90.25],
                        ]),
                        predicted: t == 1 && f == 3,
                        classified: !(t == 1 && f == 3),
                    }
                })
                .collect();
            w.write(&FrameResult {
                frame_index: f,
                timestamp_ms: f * 40,
                width: 640,
                height: 360,
                detections: tracks.len(),
                detected: true,
                faces: tracks.len(),
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
        let err = store.resolve_session("2024").unwrap_err().to_string();
        assert_eq!(err, format!("no session '2024' in {}", dir.path().display()));

        let a = sample_session(&store, "P07", "stimulus");
        assert_eq!(store.resolve_session(&a).unwrap(), a);
        assert_eq!(store.resolve_session(&a[..6]).unwrap(), a);
        assert!(store.resolve_session("").is_err());

        let b = sample_session(&store, "P08", "stimulus");
        // `a` is a prefix of `b` when both started in the same second ("-2"): the exact id still wins.
        assert_eq!(store.resolve_session(&a).unwrap(), a);
        let err = store.resolve_session(&a[..6]).unwrap_err().to_string();
        assert!(err.contains("ambiguous") && err.contains(&a) && err.contains(&b), "{err}");
    }

    #[test]
    fn face_scores_are_in_unit_range_and_keep_the_order_of_detector_scores() {
        assert_eq!(face_score(Backend::Yunet, 0.93), 0.93);
        assert_eq!(face_score(Backend::Yunet, 1.2), 1.0);
        let seeta: Vec<f32> = [2.0, 5.0, 8.3, 10.0, 35.3].iter().map(|&s| face_score(Backend::Seeta, s)).collect();
        assert!(seeta.windows(2).all(|w| w[0] < w[1] || w[1] == 1.0), "{seeta:?}");
        assert!((seeta[0] - 0.119).abs() < 1e-3 && seeta[1] == 0.5 && (seeta[2] - 0.9).abs() < 2e-3, "{seeta:?}");
        assert!(seeta[4] > 0.999 && seeta[4] <= 1.0);
    }

    #[test]
    fn the_detector_comes_from_the_models_then_the_configuration_and_is_seeta_for_old_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample_session(&store, "P07", "stimulus");
        let mut r = store.open_session(&id).unwrap().record().clone();
        // "test" names no detector and the configuration has none: a session from before YuNet.
        assert_eq!(session_detector(&r), Backend::Seeta);
        r.config = serde_json::json!({"detect": {"backend": "yunet"}});
        assert_eq!(session_detector(&r), Backend::Yunet);
        // What ran wins over the configuration file (`--detector seeta` over a YuNet default).
        r.models = "detector: seeta (SeetaFace frontal cascade, rustface 0.1.7), input scale 0.50; emotion: x".into();
        assert_eq!(session_detector(&r), Backend::Seeta);
        r.models = "detector: SeetaFace frontal (rustface); emotion: ensemble".into();
        assert_eq!(session_detector(&r), Backend::Seeta);
        r.models = "detector: yunet (YuNet-n, libfacedetection.train, Apache-2.0), input scale 1.00; emotion: x".into();
        r.config = serde_json::json!({"detect": {"backend": "seeta"}});
        assert_eq!(session_detector(&r), Backend::Yunet);
    }

    #[test]
    fn rows_read_from_the_store_put_each_empty_frame_between_the_faces_around_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.create_session(crate::store::tests::new_session()).unwrap();
        // Faces on frames 1, 2 and 4 (two on 2); frames 0, 3, 5 and 6 are empty.
        for f in 0..7u64 {
            let tracks: &[u32] = match f {
                1 | 4 => &[1],
                2 => &[1, 2],
                _ => &[],
            };
            w.write(&crate::store::tests::result(f, tracks)).unwrap();
        }
        let id = w.finish(SessionStatus::Completed, None).unwrap().id;
        let mut data = SessionExport::load(store.open_session(&id).unwrap()).unwrap();
        let frames = |data: &SessionExport| -> Vec<(u64, bool)> {
            data.rows().unwrap().map(|r| r.unwrap()).map(|r| (r.frame_index(), matches!(r, Row::Face(_)))).collect()
        };
        assert_eq!(frames(&data), [(1, true), (2, true), (2, true), (4, true)]);
        data.include_empty_frames();
        assert!(data.has_empty_frames());
        let want = [(0, false), (1, true), (2, true), (2, true), (3, false), (4, true), (5, false), (6, false)];
        assert_eq!(frames(&data), want);
        // The same rows from memory.
        let all: Vec<crate::store::FrameRecord> = (0..7)
            .map(|i| crate::store::FrameRecord {
                frame_index: i,
                timestamp_ms: i * 40,
                detections: 0,
                faces: 0,
                latency_ms: 1.0,
            })
            .collect();
        let mut memory = SessionExport::in_memory(data.session.clone(), Vec::new(), Vec::new(), faces(&data), all);
        memory.include_empty_frames();
        assert_eq!(frames(&memory), want);
    }

    #[test]
    fn a_loaded_session_holds_everything_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample_session(&store, "P07", "stimulus");
        let data = SessionExport::load(store.open_session(&id).unwrap()).unwrap();
        assert_eq!(data.session.id, id);
        assert_eq!(faces(&data).len(), 8);
        assert!(!data.has_empty_frames());
        assert_eq!(data.tracks.len(), 2);
        assert_eq!(data.annotations.len(), 2);
        assert_eq!(data.track_label(1), "Face 1");
        assert_eq!(data.track_label(2), "P07");
        assert_eq!(data.track_label(9), "Face 9");
    }
}
