//! `emotrace annotate` (issue 26, item 4): markers, notes and face names made on the command line are stored as
//! the review screen stores them (the same store calls), listed and deleted, refused with one clear line, and
//! reach every export: the CSV's annotations file, JSON, the Parquet annotations file, and the Parquet dataset's
//! `annotations` table, which DuckDB reads and joins to the observations (when the test venv is there; see
//! `export_tools`).

use crate::common::*;
use crate::export_tools::run_py;

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::Array;
use emotrace::store::{AnnotationKind, Store};

/// `emotrace --store STORE annotate ARGS...`: asserts success and returns stdout.
fn annotate(store: &Path, args: &[&str]) -> String {
    let mut all = vec!["annotate"];
    all.extend_from_slice(args);
    let out = run(store, &all);
    assert!(out.status.success(), "{all:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn annotations_made_on_the_command_line_are_stored_as_in_review_and_reach_every_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let report = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
    let id = report["session"].as_str().unwrap().to_string();

    // A marker (JSON out), a note over a range given by a prefix of the id (one line out), a face name.
    let marker = run_json(&store, &["annotate", &id, "--marker", "stimulus", "--at", "0:01.5", "--json"]);
    assert_eq!(marker["session"], id.as_str(), "{marker}");
    let a = &marker["annotation"];
    assert_eq!((&a["kind"], &a["start_ms"], &a["label"]), (&"marker".into(), &1500.into(), &"stimulus".into()));
    assert!(a["end_ms"].is_null() && a["track_id"].is_null(), "{a}");
    let line = annotate(&store, &[&id[..id.len() - 1], "--note", " calm\tand  quiet ", "--from", "0.5", "--to", "1s"]);
    let listed = run_json(&store, &["annotate", &id, "--list", "--json"]);
    let note_id = listed["annotations"][1]["id"].as_u64().unwrap();
    assert_eq!(line, format!("note {note_id} 'calm and quiet' at 0:00.5-0:01.0 in session {id}\n"));
    let line = annotate(&store, &[&id, "--name", "1", "Zoë Müller"]);
    assert_eq!(line, format!("Face 1 named 'Zoë Müller' in session {id}\n"));
    // A third one, deleted again.
    let gone = run_json(&store, &["annotate", &id, "--marker", "oops", "--at", "2", "--json"]);
    let gone_id = gone["annotation"]["id"].as_u64().unwrap().to_string();
    assert_eq!(
        annotate(&store, &[&id, "--delete", &gone_id]),
        format!("annotation {gone_id} deleted in session {id}\n")
    );

    // What --list shows is what the store holds, as the review screen reads it back.
    let listed = run_json(&store, &["annotate", &id, "--list", "--json"]);
    let session = Store::open_existing(&store).unwrap().open_session(&id).unwrap();
    let stored = session.annotations().unwrap();
    assert_eq!(listed["annotations"], serde_json::to_value(&stored).unwrap());
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!((stored[1].kind, stored[1].start_ms, stored[1].end_ms), (AnnotationKind::Note, 500, Some(1000)));
    assert_eq!(stored[1].label, "calm and quiet", "cleaned as review cleans what is typed");
    assert_eq!(session.tracks().unwrap()[0].name.as_deref(), Some("Zoë Müller"));
    assert_eq!(session.record().annotations, 2, "the record counts them, as `sessions` shows");
    drop(session);
    let text = annotate(&store, &[&id, "--list"]);
    assert!(
        text.contains("stimulus") && text.contains("0:00.5-0:01.0") && text.contains("Face 1 named 'Zoë Müller'"),
        "{text}"
    );

    // Refused with one line: exit 1 for what the store says, 2 (usage) for what is not a time.
    for (args, code, msg) in [
        (vec!["19990101", "--list"], 1, "no session '19990101'".to_string()),
        (vec![&id, "--marker", "late", "--at", "9:00"], 1, format!("9:00.0 is after the end of session {id}")),
        (vec![&id, "--name", "99", "x"], 1, "track 99".to_string()),
        (vec![&id, "--name", "one", "x"], 1, "'one' is not a face id".to_string()),
        (vec![&id, "--delete", "424242"], 1, "annotation 424242".to_string()),
        (vec![&id, "--note", "  ", "--at", "1"], 1, "empty note".to_string()),
        (vec![&id, "--note", "x", "--from", "2", "--to", "1"], 1, "cannot end before it starts".to_string()),
        (vec![&id, "--marker", "x", "--at", "1:75"], 2, "'1:75' is not a time".to_string()),
        (vec![&id, "--marker", "x"], 2, "--at".to_string()),
    ] {
        let mut all = vec!["annotate"];
        all.extend(args.iter().copied());
        let out = run(&store, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{all:?}: {err}");
        assert!(out.stdout.is_empty() && err.contains(&msg), "{all:?}: {err}");
        if code == 1 {
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    let session = Store::open_existing(&store).unwrap().open_session(&id).unwrap();
    assert_eq!(session.annotations().unwrap(), stored, "refused edits stored nothing");
    drop(session);

    // Every export carries them.
    let out = dir.path();
    let export = |format: &str, file: &str, extra: &[&str]| {
        let path = out.join(file);
        let mut args = vec!["export", &id, "--format", format, "--out", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let r = run(&store, &args);
        assert!(r.status.success(), "{args:?}: {}", String::from_utf8_lossy(&r.stderr));
    };
    export("csv", "s.csv", &["--bom"]);
    let side = std::fs::read(out.join("s.annotations.csv")).unwrap();
    assert!(side.starts_with(b"\xEF\xBB\xBFid,kind,"), "--bom starts the annotations file too");
    let mut r = csv::Reader::from_reader(&side[3..]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].iter().skip(1).collect::<Vec<_>>(), ["marker", "1500", "", "stimulus", ""]);
    assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["note", "500", "1000", "calm and quiet", ""]);

    export("json", "s.json", &[]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("s.json")).unwrap()).unwrap();
    assert_eq!(v["annotations"], serde_json::to_value(&stored).unwrap());
    assert_eq!(v["tracks"][0]["name"], "Zoë Müller");

    // The face's name is on each of its rows: the CSV, py-feat's fex and the Parquet observations.
    for (format, file) in [("csv", "names.csv"), ("fex", "names.fex.csv")] {
        export(format, file, &[]);
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        let col = r.headers().unwrap().iter().position(|h| h == "track_name").expect("a track_name column");
        let names: Vec<String> = r.records().map(|row| row.unwrap()[col].to_string()).collect();
        assert!(!names.is_empty() && names.iter().all(|n| n == "Zoë Müller"), "{format}: {names:?}");
    }

    export("parquet", "s.parquet", &[]);
    let file = std::fs::File::open(out.join("s.parquet")).unwrap();
    let observations = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    for batch in observations.build().unwrap().map(Result::unwrap) {
        let names = batch.column_by_name("track_name").unwrap().as_any_dictionary();
        let values = names.values().as_string::<i32>();
        for key in names.normalized_keys() {
            assert_eq!(values.value(key), "Zoë Müller", "the Parquet observations' track_name");
        }
    }
    let file = std::fs::File::open(out.join("s.annotations.parquet")).unwrap();
    let batches: Vec<arrow_array::RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let b = &batches[0];
    assert_eq!(b.num_rows(), 2);
    assert_eq!(b.column_by_name("start_ms").unwrap().as_primitive::<Int64Type>().values(), &[1500, 500]);
    assert_eq!(b.column_by_name("label").unwrap().as_string::<i32>().value(1), "calm and quiet");
    assert!(b.column_by_name("track_id").unwrap().as_primitive::<Int32Type>().is_null(0));

    // The dataset: observations and annotations, each its own Hive-partitioned folder.
    let root = out.join("dataset");
    let r = run(&store, &["export", "--all", "--format", "parquet", "--out", root.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success() && err.contains("2 markers and notes"), "{err}");
    let date = format!("date={}-{}-{}", &id[0..4], &id[4..6], &id[6..8]);
    for table in ["observations", "annotations"] {
        let part = root.join(table).join(&date).join(format!("session={id}")).join("part-0.parquet");
        assert!(part.is_file(), "{}", part.display());
    }
    let Some(py) = python() else { return };
    let v: serde_json::Value = serde_json::from_str(&run_py(&py, "check_duckdb.py", &[&root])).unwrap();
    let cols = &v["annotation_columns"];
    assert_eq!(
        (&cols["start_ms"], &cols["end_ms"], &cols["label"]),
        (&"BIGINT".into(), &"BIGINT".into(), &"VARCHAR".into())
    );
    assert_eq!((&cols["date"], &cols["session"]), (&"DATE".into(), &"VARCHAR".into()), "{cols}");
    let rows = v["annotations"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    // [session, kind, label, start_ms, end_ms, track_id, observations in the range]: the note's half second and
    // the marker's second hold observations of the one face (30 fps, every frame).
    assert_eq!(
        rows[0].as_array().unwrap()[..6],
        serde_json::json!([id, "note", "calm and quiet", 500, 1000, null]).as_array().unwrap()[..]
    );
    assert_eq!(
        rows[1].as_array().unwrap()[..6],
        serde_json::json!([id, "marker", "stimulus", 1500, null, null]).as_array().unwrap()[..]
    );
    let in_note = rows[0][6].as_u64().unwrap();
    let in_marker = rows[1][6].as_u64().unwrap();
    assert!((12..=16).contains(&in_note) && (20..=31).contains(&in_marker), "{v}");
}
