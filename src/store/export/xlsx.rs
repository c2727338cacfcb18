//! Spreadsheet export (`rust_xlsxwriter`): the session as one Excel workbook (`.xlsx`) that Excel, LibreOffice Calc
//! and Google Sheets open as it is, without a CSV import dialog and without guessing an encoding.
//!
//! One sheet per table, each with a bold, frozen header row:
//! - `observations`: the CSV's columns ([`super::csv::OBSERVATION_COLUMNS`], and `success` with
//!   `--include-empty-frames`), one row per observation in frame order. Cells are typed: ids, times, frame
//!   indices and boxes are numbers, probabilities, scores, valence, landmarks and the frame rate are numbers (the
//!   values the CSV writes), `classified` is a boolean, names and classes are text; a missing value (no
//!   landmarks) is an empty cell. A sheet holds at most 1,048,575 rows below its header (Excel's limit), so a longer
//!   session continues on `observations 2`, `observations 3`, ...
//! - `faces`: one row per track (`id`, `name`, `named`, `first_ms`, `last_ms`, `observations`, `merged_into`), as
//!   in the JSON export.
//! - `markers and notes`: the CSV annotations file's columns ([`super::csv::ANNOTATION_COLUMNS`]).
//! - `session`: two columns, `field` and `value`: the session record flattened (`stats.processed_fps`,
//!   `config.detect.backend`, `emotion_shares.happy`, `frame_rate`, ...), the session and pipeline figures.
//!
//! Text is always written as a text cell, never as a formula: a name such as `=1+1` stays that text, so the CSV's
//! leading `'` ([`super::csv::spreadsheet_safe`]) is not needed here. Sheets are written row by row in
//! `rust_xlsxwriter`'s constant-memory mode (temporary files, inline strings), so a long session does not hold
//! every cell in memory; the finished workbook (compressed) is assembled in memory and then written out: the one
//! export whose memory grows with the session, bounded by the rows a workbook can hold.

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::csv::{observation_cells, observation_header, Cell, ANNOTATION_COLUMNS};
use super::{Result, SessionExport};

/// Data rows a sheet holds below its header row (Excel's 1,048,576 rows less the header).
pub const ROWS_PER_SHEET: usize = 1_048_575;

/// The columns of the `faces` sheet.
pub const FACE_COLUMNS: [&str; 7] = ["id", "name", "named", "first_ms", "last_ms", "observations", "merged_into"];

/// A sheet in constant-memory mode, named `name`, with the bold header row `header` frozen above the rest.
fn sheet<'a>(book: &'a mut Workbook, name: &str, header: &[&str]) -> Result<&'a mut Worksheet, XlsxError> {
    let bold = Format::new().set_bold();
    let ws = book.add_worksheet_with_constant_memory()?;
    ws.set_name(name)?;
    ws.set_freeze_panes(1, 0)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, (h.chars().count() + 2).max(10) as f64)?;
    }
    Ok(ws)
}

/// Writes `cell` at (`row`, `col`) as a typed cell; an empty cell is left unwritten.
fn put(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Int(v) => ws.write_number(row, col, *v as f64).map(|_| ()),
        // The decimal the CSV writes (0.05, not 0.05000000074505806): shortest f32 form, read as f64.
        Cell::F32(v) => ws.write_number(row, col, v.to_string().parse::<f64>().unwrap_or(f64::NAN)).map(|_| ()),
        Cell::F64(v) => ws.write_number(row, col, *v).map(|_| ()),
        Cell::Bool(v) => ws.write_boolean(row, col, *v).map(|_| ()),
        Cell::Text(t) => ws.write_string(row, col, t.as_str()).map(|_| ()),
        Cell::Empty => Ok(()),
    }
}

/// Writes one row of cells.
fn put_row(ws: &mut Worksheet, row: u32, cells: &[Cell]) -> Result<(), XlsxError> {
    cells.iter().enumerate().try_for_each(|(c, cell)| put(ws, row, c as u16, cell))
}

/// The session record as `(field, value)` rows: nested objects and arrays flattened with dotted keys, numbers as
/// numbers, `null` as an empty cell.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, Cell)>) {
    use serde_json::Value;
    let key = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| flatten(&key(k), v, out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| flatten(&key(&i.to_string()), v, out)),
        Value::Number(n) => out
            .push((prefix.to_string(), n.as_i64().map(Cell::Int).unwrap_or(Cell::F64(n.as_f64().unwrap_or(f64::NAN))))),
        Value::Bool(b) => out.push((prefix.to_string(), Cell::Bool(*b))),
        Value::String(s) => out.push((prefix.to_string(), Cell::Text(s.clone()))),
        Value::Null => out.push((prefix.to_string(), Cell::Empty)),
    }
}

/// The workbook of `data` as bytes.
///
/// Errors: [`super::ExportError::Xlsx`] when a sheet cannot be written (its temporary file, say) or the workbook
/// cannot be assembled; [`super::ExportError::Json`] when the session record cannot be serialized.
pub fn workbook(data: &SessionExport) -> Result<Vec<u8>> {
    Ok(counted_workbook(data)?.0)
}

/// The workbook of `data` as bytes, and the number of observations in it.
fn counted_workbook(data: &SessionExport) -> Result<(Vec<u8>, u64)> {
    let mut faces = 0;
    let mut book = Workbook::new();
    book.set_tempdir(std::env::temp_dir())?;
    let header = observation_header(data);
    let labels = data.track_labels();
    let mut cells = Vec::with_capacity(header.len());
    let mut rows = data.rows()?.peekable();
    let mut part = 1;
    loop {
        let name = if part == 1 { "observations".to_string() } else { format!("observations {part}") };
        let ws = sheet(&mut book, &name, &header)?;
        for r in 1..=ROWS_PER_SHEET as u32 {
            let Some(row) = rows.next() else { break };
            let row = row?;
            faces += matches!(row, super::Row::Face(_)) as u64;
            observation_cells(data, &labels, &row, &mut cells);
            put_row(ws, r, &cells)?;
        }
        if rows.peek().is_none() {
            break;
        }
        part += 1;
    }

    let ws = sheet(&mut book, "faces", &FACE_COLUMNS)?;
    for (r, t) in data.tracks.iter().enumerate() {
        let row = [
            Cell::Int(t.id as i64),
            Cell::Text(t.label()),
            Cell::Bool(t.name.is_some()),
            Cell::Int(t.first_ms as i64),
            Cell::Int(t.last_ms as i64),
            Cell::Int(t.observations as i64),
            t.merged_into.map_or(Cell::Empty, |m| Cell::Int(m as i64)),
        ];
        put_row(ws, r as u32 + 1, &row)?;
    }

    let ws = sheet(&mut book, "markers and notes", &ANNOTATION_COLUMNS)?;
    for (r, a) in data.annotations.iter().enumerate() {
        let kind = serde_json::to_value(a.kind)?.as_str().unwrap_or_default().to_string();
        let row = [
            Cell::Int(a.id as i64),
            Cell::Text(kind),
            Cell::Int(a.start_ms as i64),
            a.end_ms.map_or(Cell::Empty, |e| Cell::Int(e as i64)),
            Cell::Text(a.label.clone()),
            a.track_id.map_or(Cell::Empty, |t| Cell::Int(t as i64)),
        ];
        put_row(ws, r as u32 + 1, &row)?;
    }

    let ws = sheet(&mut book, "session", &["field", "value"])?;
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 40)?;
    let mut fields = vec![("detector".to_string(), Cell::Text(data.detector.name().to_string()))];
    flatten("", &serde_json::to_value(&data.session)?, &mut fields);
    for (r, (field, value)) in fields.into_iter().enumerate() {
        put_row(ws, r as u32 + 1, &[Cell::Text(field), value])?;
    }
    Ok((book.save_to_buffer()?, faces))
}

/// Writes the workbook of `data` ([`workbook`]) to `out`; returns the number of observations written.
///
/// Errors: as [`workbook`]; `out` cannot be written ([`super::ExportError::Io`]).
pub fn write(data: &SessionExport, out: &mut dyn Write) -> Result<u64> {
    let (bytes, faces) = counted_workbook(data)?;
    out.write_all(&bytes)?;
    Ok(faces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;

    #[test]
    fn session_records_flatten_to_typed_dotted_fields() {
        let v = serde_json::json!({"a": 1, "b": {"c": 0.5, "d": [640, 360]}, "e": null, "f": "x", "g": true});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        let want = [
            ("a", Cell::Int(1)),
            ("b.c", Cell::F64(0.5)),
            ("b.d.0", Cell::Int(640)),
            ("b.d.1", Cell::Int(360)),
            ("e", Cell::Empty),
            ("f", Cell::Text("x".into())),
            ("g", Cell::Bool(true)),
        ];
        assert_eq!(out, want.map(|(k, c)| (k.to_string(), c)));
    }

    #[test]
    fn a_workbook_is_a_zip_with_one_sheet_per_table_and_names_as_inline_text() {
        let data = sample_export("=1+1", "Zoë Müller");
        let bytes = workbook(&data).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        // The sheets' names are in the workbook part (stored compressed, so look for the part names instead).
        let text = String::from_utf8_lossy(&bytes);
        for part in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet4.xml", "xl/workbook.xml"] {
            assert!(text.contains(part), "{part}");
        }
        assert!(!text.contains("xl/worksheets/sheet5.xml"));
    }
}
