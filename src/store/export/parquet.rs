//! Parquet export (Apache Arrow's `parquet` crate): the observations as one Parquet file with typed columns, and
//! many sessions as one Hive-partitioned dataset that DuckDB, Polars or Spark read as a single table.
//!
//! Columns ([`schema`]), one row per observation in frame order:
//! - `session_id` (dictionary string), `epoch_ms` (int64: Unix time of the observation in ms, the session start
//!   plus `timestamp_ms`), `timestamp_ms` (int64, ms since session start), `frame_index` (int64), `track_id`
//!   (int32), `track_name` (dictionary string: "P07", or "Face {id}" when unnamed);
//! - `x`, `y`, `width`, `height` (int32, face box in whole pixels of the source frame);
//! - `score` (float32, the detector's own score), `face_score` (float32, the same in `[0, 1]`,
//!   [`super::face_score`]);
//! - `raw_angry` .. `raw_neutral` (float32, this frame's classifier probabilities), `angry` .. `neutral`
//!   (float32, per-track smoothed probabilities), `dominant_emotion` (dictionary string, argmax of the smoothed);
//! - `box_source` (dictionary string, "detected" or "predicted"), `classified` (boolean: `raw_*` from this frame),
//!   `valence` (float32, FaceReader's valence of the smoothed probabilities, `[-1, 1]`,
//!   [`crate::classify::valence`]);
//! - `right_eye_x`, `right_eye_y` .. `mouth_left_y` (float32, pixels of the source frame; null without landmarks).
//!
//! Signed integers throughout (no unsigned types), so that Spark reads every column. Snappy compression. The file's
//! key-value metadata holds `emotrace.session` (the session record as JSON), `emotrace.emotions` (the class names,
//! FER2013 order), `emotrace.detector` and `emotrace.frame_rate` (the source's nominal frame rate in frames per
//! second, empty when unknown; also in the session record).
//!
//! The markers and notes are a second table ([`annotation_schema`], [`write_annotations`]), one row per
//! annotation in creation order: `session_id` (dictionary string), `id` (int64, as `emotrace annotate --list`
//! shows it), `kind` (dictionary string, "marker" or "note"), `start_ms`, `end_ms` (int64, ms since session start;
//! `end_ms` null for an instant), `epoch_ms` (int64, Unix time of the start in ms), `label` (string), `track_id`
//! (int32, null when about no face), `created_at` (timestamp in ms, UTC: when it was made). One file holds one
//! table, so `export --format parquet --out FILE.parquet` writes it to `FILE.annotations.parquet` beside the
//! observations; it carries the same key-value metadata.
//!
//! A dataset ([`dataset_path`]) has one Hive-partitioned folder per table ([`Table`]):
//! `DIR/observations/date=YYYY-MM-DD/session=ID/part-0.parquet` and
//! `DIR/annotations/date=YYYY-MM-DD/session=ID/part-0.parquet`, one file per session and table, the date being
//! the session's local start date; the partition columns `date` and `session` come from the paths, so the two tables
//! join on them (or on `session_id`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float32Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{pixel_box, Result, SessionExport, LANDMARK_NAMES};
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::pipeline::Observation;
use crate::store::SessionRecord;

/// Rows per record batch handed to the writer: the Arrow columns of one batch are what the export holds besides
/// the row group being encoded.
pub const BATCH_ROWS: usize = 16 * 1024;

/// Rows per row group: each is encoded, written out and dropped before the next ([`write()`]).
pub const GROUP_ROWS: usize = 64 * 1024;

/// A dictionary-encoded string column.
fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The Arrow schema of the Parquet export: every column, its type and order (see the module documentation).
pub fn schema() -> Schema {
    let mut fields = vec![
        Field::new("session_id", dict(), false),
        Field::new("epoch_ms", DataType::Int64, false),
        Field::new("timestamp_ms", DataType::Int64, false),
        Field::new("frame_index", DataType::Int64, false),
        Field::new("track_id", DataType::Int32, false),
        Field::new("track_name", dict(), false),
        Field::new("x", DataType::Int32, false),
        Field::new("y", DataType::Int32, false),
        Field::new("width", DataType::Int32, false),
        Field::new("height", DataType::Int32, false),
        Field::new("score", DataType::Float32, false),
        Field::new("face_score", DataType::Float32, false),
    ];
    for prefix in ["raw_", ""] {
        fields
            .extend(Emotion::ALL.iter().map(|e| Field::new(format!("{prefix}{}", e.name()), DataType::Float32, false)));
    }
    fields.push(Field::new("dominant_emotion", dict(), false));
    fields.push(Field::new("box_source", dict(), false));
    fields.push(Field::new("classified", DataType::Boolean, false));
    fields.push(Field::new("valence", DataType::Float32, false));
    for name in LANDMARK_NAMES {
        for axis in ["x", "y"] {
            fields.push(Field::new(format!("{name}_{axis}"), DataType::Float32, true));
        }
    }
    Schema::new(fields)
}

/// The columns of `rows`, in [`schema`] order.
fn columns(
    data: &SessionExport,
    labels: &std::collections::HashMap<u32, String>,
    rows: &[Observation],
) -> Vec<ArrayRef> {
    let start_ms = data.session.started_at.timestamp_millis();
    let i64s = |f: &dyn Fn(&Observation) -> i64| Arc::new(rows.iter().map(f).collect::<Int64Array>()) as ArrayRef;
    let i32s = |f: &dyn Fn(&Observation) -> i32| Arc::new(rows.iter().map(f).collect::<Int32Array>()) as ArrayRef;
    let f32s = |f: &dyn Fn(&Observation) -> f32| Arc::new(rows.iter().map(f).collect::<Float32Array>()) as ArrayRef;
    let strs = |v: Vec<&str>| Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()) as ArrayRef;
    let mut cols = vec![
        strs(rows.iter().map(|_| data.session.id.as_str()).collect()),
        i64s(&|o| start_ms + o.timestamp_ms as i64),
        i64s(&|o| o.timestamp_ms as i64),
        i64s(&|o| o.frame_index as i64),
        i32s(&|o| o.track_id as i32),
        strs(rows.iter().map(|o| labels.get(&o.track_id).map(String::as_str).unwrap_or("")).collect()),
    ];
    for k in 0..4 {
        cols.push(i32s(&|o| pixel_box(&o.bbox)[k]));
    }
    cols.push(f32s(&|o| o.score));
    cols.push(f32s(&|o| data.face_score(o)));
    for k in 0..NUM_EMOTIONS {
        cols.push(f32s(&|o| o.raw[k]));
    }
    for k in 0..NUM_EMOTIONS {
        cols.push(f32s(&|o| o.smoothed[k]));
    }
    cols.push(strs(rows.iter().map(|o| Emotion::argmax(&o.smoothed).name()).collect()));
    cols.push(strs(rows.iter().map(Observation::box_source).collect()));
    cols.push(Arc::new(rows.iter().map(|o| Some(o.classified)).collect::<BooleanArray>()));
    cols.push(f32s(&|o| crate::classify::valence::valence(&o.smoothed)));
    for k in 0..2 * LANDMARK_NAMES.len() {
        let values = rows.iter().map(|o| o.landmarks.map(|l| l[k / 2][k % 2]));
        cols.push(Arc::new(values.collect::<Float32Array>()));
    }
    cols
}

/// The writer properties of every file: Snappy, and the key-value metadata (session record, class names,
/// detector).
///
/// Errors: the session record cannot be serialized (it always can).
fn properties(data: &SessionExport) -> Result<WriterProperties> {
    let metadata = vec![
        KeyValue::new("emotrace.session".to_string(), serde_json::to_string(&data.session)?),
        KeyValue::new("emotrace.emotions".to_string(), serde_json::to_string(&Emotion::ALL.map(Emotion::name))?),
        KeyValue::new("emotrace.detector".to_string(), data.detector.name().to_string()),
        KeyValue::new("emotrace.frame_rate".to_string(), super::frame_rate_cell(&data.session)),
    ];
    Ok(WriterProperties::builder().set_compression(Compression::SNAPPY).set_key_value_metadata(Some(metadata)).build())
}

/// The Arrow schema of the annotations table (see the module documentation).
pub fn annotation_schema() -> Schema {
    Schema::new(vec![
        Field::new("session_id", dict(), false),
        Field::new("id", DataType::Int64, false),
        Field::new("kind", dict(), false),
        Field::new("start_ms", DataType::Int64, false),
        Field::new("end_ms", DataType::Int64, true),
        Field::new("epoch_ms", DataType::Int64, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("track_id", DataType::Int32, true),
        Field::new("created_at", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
    ])
}

/// Writes the markers and notes of `data` as one Parquet file to `out` (any writer that can move between
/// threads); a session without any gives a file with the schema and no rows.
///
/// Errors: the Parquet writer fails ([`super::ExportError::Parquet`]) or the batch cannot be assembled
/// ([`super::ExportError::Arrow`]).
pub fn write_annotations_to<W: Write + Send>(data: &SessionExport, out: W) -> Result<W> {
    let schema = Arc::new(annotation_schema());
    let start_ms = data.session.started_at.timestamp_millis();
    let rows = &data.annotations;
    let strs = |v: Vec<&str>| Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()) as ArrayRef;
    let kinds = rows.iter().map(|a| match a.kind {
        crate::store::AnnotationKind::Marker => "marker",
        crate::store::AnnotationKind::Note => "note",
    });
    let cols: Vec<ArrayRef> = vec![
        strs(rows.iter().map(|_| data.session.id.as_str()).collect()),
        Arc::new(rows.iter().map(|a| a.id as i64).collect::<Int64Array>()),
        strs(kinds.collect()),
        Arc::new(rows.iter().map(|a| a.start_ms as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|a| a.end_ms.map(|e| e as i64)).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|a| start_ms + a.start_ms as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|a| Some(a.label.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|a| a.track_id.map(|t| t as i32)).collect::<Int32Array>()),
        Arc::new(
            TimestampMillisecondArray::from(rows.iter().map(|a| a.created_at.timestamp_millis()).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
    ];
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(properties(data)?))?;
    writer.write(&RecordBatch::try_new(schema, cols)?)?;
    Ok(writer.into_inner()?)
}

/// Writes the markers and notes of `data` as one Parquet file to `out` ([`write_annotations_to`], encoded in
/// memory first).
///
/// Errors: as [`write_annotations_to`]; `out` cannot be written ([`super::ExportError::Io`]).
pub fn write_annotations(data: &SessionExport, out: &mut dyn Write) -> Result<()> {
    let buf = write_annotations_to(data, Vec::with_capacity(1 << 12))?;
    out.write_all(&buf)?;
    Ok(())
}

/// A table of a Parquet dataset: each is its own Hive-partitioned folder under the dataset root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per observation ([`schema`]): `DIR/observations/`.
    Observations,
    /// One row per marker or note ([`annotation_schema`]): `DIR/annotations/`.
    Annotations,
}

impl Table {
    /// Every table, in the order they are written.
    pub const ALL: [Table; 2] = [Table::Observations, Table::Annotations];

    /// The table's folder name under the dataset root.
    pub fn name(self) -> &'static str {
        match self {
            Table::Observations => "observations",
            Table::Annotations => "annotations",
        }
    }

    /// Writes this table of `data` as one Parquet file to `out`.
    ///
    /// Errors: as [`write()`] and [`write_annotations`].
    pub fn write(self, data: &SessionExport, out: &mut dyn Write) -> Result<()> {
        match self {
            Table::Observations => write(data, out).map(drop),
            Table::Annotations => write_annotations(data, out),
        }
    }
}

/// Writes the observations of `data` as one Parquet file to `out`, one row group of [`GROUP_ROWS`] rows at a time
/// (handed to the writer in batches of [`BATCH_ROWS`]): each group is encoded into a buffer, written out and the
/// buffer cleared, so at most one group is held in memory, however long the session. Returns the number of
/// observations written.
///
/// Errors: the Parquet writer fails ([`super::ExportError::Parquet`]), a batch cannot be assembled
/// ([`super::ExportError::Arrow`]), `out` cannot be written ([`super::ExportError::Io`]) or the session cannot be
/// read ([`super::ExportError::Store`]).
pub fn write(data: &SessionExport, out: &mut dyn Write) -> Result<u64> {
    let schema = Arc::new(schema());
    let mut labels = data.track_labels();
    let mut writer = ArrowWriter::try_new(Vec::with_capacity(1 << 20), schema.clone(), Some(properties(data)?))?;
    let mut faces = 0u64;
    let mut batch: Vec<Observation> = Vec::with_capacity(BATCH_ROWS);
    let mut group = |batch: &mut Vec<Observation>, writer: &mut ArrowWriter<Vec<u8>>| -> Result<()> {
        for o in batch.iter() {
            labels.entry(o.track_id).or_insert_with(|| data.track_label(o.track_id));
        }
        writer.write(&RecordBatch::try_new(schema.clone(), columns(data, &labels, batch))?)?;
        batch.clear();
        if writer.in_progress_rows() >= GROUP_ROWS {
            writer.flush()?;
            // The writer counts the bytes it has written, not the buffer's length: emptying the buffer is safe.
            let buf = writer.inner_mut();
            out.write_all(buf)?;
            buf.clear();
        }
        Ok(())
    };
    for row in data.rows()? {
        if let super::Row::Face(o) = row? {
            batch.push(o);
            faces += 1;
            if batch.len() == BATCH_ROWS {
                group(&mut batch, &mut writer)?;
            }
        }
    }
    if !batch.is_empty() {
        group(&mut batch, &mut writer)?;
    }
    if faces == 0 {
        // A file with the schema and no rows, so that readers still see every column.
        writer.write(&RecordBatch::new_empty(schema.clone()))?;
    }
    out.write_all(&writer.into_inner()?)?;
    Ok(faces)
}

/// Where a session's file of `table` goes in a dataset under `root`:
/// `root/TABLE/date=YYYY-MM-DD/session=ID/part-0.parquet`, with the session's local start date.
pub fn dataset_path(root: &Path, table: Table, session: &SessionRecord) -> PathBuf {
    root.join(table.name())
        .join(format!("date={}", session.started_at.format("%Y-%m-%d")))
        .join(format!("session={}", session.id))
        .join("part-0.parquet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::export::tests::sample_export;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, Int32Type as I32, Int64Type};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn a_session_reads_back_with_typed_columns_and_the_same_values() {
        let data = sample_export("P07", "stimulus");
        let mut buf = Vec::new();
        write(&data, &mut buf).unwrap();
        assert_eq!(&buf[..4], b"PAR1");
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf)).unwrap();
        let kv = builder.metadata().file_metadata().key_value_metadata().unwrap().clone();
        assert!(kv.iter().any(|k| k.key == "emotrace.detector" && k.value.as_deref() == Some("seeta")));
        assert!(kv.iter().any(|k| k.key == "emotrace.frame_rate" && k.value.as_deref() == Some("25")));
        let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1, "8 rows fit one batch");
        let batch = &batches[0];
        assert_eq!(batch.schema().as_ref(), &schema());
        assert_eq!(batch.num_rows(), 8);
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let names: Vec<String> = {
            let d = col("track_name");
            let d = d.as_dictionary::<I32>();
            let values = d.values().as_string::<i32>();
            d.keys().iter().map(|k| values.value(k.unwrap() as usize).to_string()).collect()
        };
        assert_eq!(names[0], "Face 1");
        assert_eq!(names[7], "P07");
        assert_eq!(col("x").as_primitive::<I32>().value(7), -2);
        assert_eq!(col("timestamp_ms").as_primitive::<Int64Type>().value(7), 160);
        assert_eq!(
            col("epoch_ms").as_primitive::<Int64Type>().value(7),
            data.session.started_at.timestamp_millis() + 160
        );
        assert_eq!(col("raw_happy").as_primitive::<Float32Type>().value(7), 0.5);
        assert_eq!(col("neutral").as_primitive::<Float32Type>().value(7), 0.5);
        assert_eq!(col("mouth_left_y").as_primitive::<Float32Type>().value(7), 90.25);
        assert_eq!(col("valence").as_primitive::<Float32Type>().value(7), 0.0, "happy 0.1 - negative 0.1");
        assert!(col("right_eye_x").is_null(0), "no landmarks for track 1");
        assert!(!col("classified").as_boolean().value(4) && col("classified").as_boolean().value(7));
        let sources = col("box_source");
        let sources = sources.as_dictionary::<I32>();
        let values = sources.values().as_string::<i32>();
        assert_eq!(values.value(sources.keys().value(4) as usize), "predicted");
    }

    #[test]
    fn dataset_paths_are_hive_partitions_by_local_date_and_session() {
        let data = sample_export("P07", "stimulus");
        let date = data.session.started_at.format("%Y-%m-%d").to_string();
        for table in Table::ALL {
            let p = dataset_path(Path::new("/d"), table, &data.session);
            let want = format!("/d/{}/date={date}/session={}/part-0.parquet", table.name(), data.session.id);
            assert_eq!(p, Path::new(&want));
        }
    }

    #[test]
    fn annotations_read_back_as_their_own_typed_table() {
        let data = sample_export("P07", "Zoë Müller");
        let mut buf = Vec::new();
        write_annotations(&data, &mut buf).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf)).unwrap();
        let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
        let batch = &batches[0];
        assert_eq!(batch.schema().as_ref(), &annotation_schema());
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        assert_eq!(col("label").as_string::<i32>().value(0), "Zoë Müller");
        assert_eq!(col("label").as_string::<i32>().value(1), "calm");
        assert_eq!(col("start_ms").as_primitive::<Int64Type>().values(), &[80, 40]);
        assert!(col("end_ms").is_null(0));
        assert_eq!(col("end_ms").as_primitive::<Int64Type>().value(1), 120);
        assert_eq!(col("track_id").as_primitive::<I32>().value(0), 2);
        assert!(col("track_id").is_null(1));
        assert_eq!(col("id").as_primitive::<Int64Type>().value(0) as u64, data.annotations[0].id);
        assert_eq!(
            col("epoch_ms").as_primitive::<Int64Type>().value(1),
            data.session.started_at.timestamp_millis() + 40
        );
        let kinds = col("kind");
        let kinds = kinds.as_dictionary::<I32>();
        let values = kinds.values().as_string::<i32>();
        assert_eq!(values.value(kinds.keys().value(1) as usize), "note");
    }
}
