//! Exports loaded by the tools their users run: py-feat's own `read_feat` and `Fex` methods on the fex export,
//! the JSON export validated against `docs/export.schema.json` (Python `jsonschema`), and a two-session Parquet
//! dataset read by DuckDB as one table. The sessions come from the real binary analysing bundled recordings.
//!
//! The Python side runs in the venv that `scripts/test-venv.sh` makes (`tests/.venv`, or `EMOTRACE_TEST_PYTHON`
//! names the interpreter). Without it these tests are skipped with a note, unless `EMOTRACE_REQUIRE_PY` is set, as
//! CI sets it: then a missing venv fails them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// Runs `tests/py/SCRIPT ARGS...` with `py`; asserts success and returns stdout.
pub(crate) fn run_py(py: &Path, script: &str, args: &[&Path]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py").join(script);
    let out = Command::new(py).arg(&path).args(args).output().expect("run python");
    assert!(out.status.success(), "{script} {args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Two analysed sessions in one store: (store, [`analyze --json` of single_face.mp4 with SeetaFace, of
/// WolfgangLanger_Pexels.mp4 with YuNet (the default)]).
fn analysed() -> &'static (PathBuf, [serde_json::Value; 2]) {
    static ONCE: OnceLock<(PathBuf, [serde_json::Value; 2])> = OnceLock::new();
    ONCE.get_or_init(|| {
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export_tools-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let reports = [("single_face.mp4", "seeta"), ("WolfgangLanger_Pexels.mp4", "yunet")].map(|(name, detector)| {
            run_json(&store, &["analyze", recording(name).to_str().unwrap(), "--detector", detector, "--json"])
        });
        (store, reports)
    })
}

/// Held while an export reads the shared store: a session's database opens in one process at a time, and the
/// tests run in parallel.
static STORE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `export SESSION ARGS... --out DIR/NAME`; returns the file.
fn export_to(dir: &Path, name: &str, session: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut all = vec!["export", session];
    all.extend_from_slice(args);
    all.extend(["--out", path.to_str().unwrap()]);
    let store = &analysed().0;
    let _one = STORE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = run(store, &all);
    assert!(out.status.success(), "export {all:?}: {}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The observations stored for session `id` of the shared store, as `sessions --json` counts them.
fn stored_observations(id: &str) -> u64 {
    let all = sessions(&analysed().0);
    all.iter().find(|s| s["id"] == id).and_then(|s| s["observations"].as_u64()).unwrap()
}

fn session(i: usize) -> String {
    analysed().1[i]["session"].as_str().unwrap().to_string()
}

#[test]
fn py_feat_reads_the_fex_export_and_runs_isc_emotions_facebox_and_downsample() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = export_to(dir.path(), "a.csv", &session(0), &["--format", "fex"]);
    let b = export_to(dir.path(), "b.csv", &session(1), &["--format", "fex", "--smoothed"]);
    let v: serde_json::Value = serde_json::from_str(&run_py(&py, "check_fex.py", &[&a, &b])).unwrap();
    let stored: Vec<serde_json::Value> = (0..2).map(|i| stored_observations(&session(i)).into()).collect();
    assert_eq!(v["rows"], serde_json::json!(stored), "{v}");
    // The recordings' frame rates (30 and 23.976 fps), from the file's sampling_freq column, agreeing with the rate
    // of the rows' frame times.
    let rates: Vec<f64> = v["sampling_freq"].as_array().unwrap().iter().map(|r| r.as_f64().unwrap()).collect();
    assert!((rates[0] - 30.0).abs() < 0.01 && (rates[1] - 23.976).abs() < 0.01, "{v}");
    for (rate, from_times) in rates.iter().zip(v["frame_rate_from_times"].as_array().unwrap()) {
        assert!((rate - from_times.as_f64().unwrap()).abs() < 0.1, "{v}");
    }
    assert!(v["track_names"].as_array().unwrap().contains(&"Face 1".into()), "{v}");
    // FaceScore is YuNet's score as it is, and SeetaFace's through the documented logistic; both are clear faces
    // here, so py-feat's usual `FaceScore > 0.9` keeps every row.
    assert_eq!(v["face_score_is"], serde_json::json!(["logistic", "score"]), "{v}");
    assert_eq!(v["kept_by_face_score_0_9"], v["rows"], "{v}");
    // 72 frames at 30 fps: 2.4 s -> 3 one-second bins.
    assert_eq!(v["downsampled_rows"], 3, "{v}");
    let inputs: Vec<String> =
        ["single_face.mp4", "WolfgangLanger_Pexels.mp4"].iter().map(|n| recording(n).display().to_string()).collect();
    let mut sorted = inputs.clone();
    sorted.sort();
    assert_eq!(v["inputs"], serde_json::json!(sorted), "{v}");
    let isc = v["isc"].as_array().unwrap();
    assert_eq!(isc.len(), 2);
    assert_eq!(isc[0][0].as_f64(), Some(1.0), "{v}");
    assert!(isc[0][1].as_f64().unwrap().abs() <= 1.0, "{v}");
}

#[test]
fn the_json_export_is_valid_against_the_schema_in_the_repository() {
    let Some(py) = python() else { return };
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/export.schema.json");
    let dir = tempfile::tempdir().unwrap();
    // A session of its own with a named face, a marker and a note, so that every part of the schema is exercised.
    let store = dir.path().join("store");
    let report = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
    let id = report["session"].as_str().unwrap();
    {
        let store = emotrace::store::Store::open(&store).unwrap();
        let mut reader = store.open_session(id).unwrap();
        reader.name_track(1, "Zoë").unwrap();
        reader.annotate(emotrace::store::AnnotationKind::Marker, 500, None, "stimulus", Some(1)).unwrap();
        reader.annotate(emotrace::store::AnnotationKind::Note, 100, Some(900), "calm", None).unwrap();
    }
    let json = dir.path().join("s.json");
    let out = run(&store, &["export", id, "--format", "json", "--out", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_py(&py, "check_schema.py", &[&schema, &json]);
    let n = sessions(&store).iter().find(|s| s["id"] == id).and_then(|s| s["observations"].as_u64()).unwrap();
    assert_eq!(out.trim(), format!("valid {n} observations"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!((&v["tracks"][0]["name"], &v["observations"][0]["track_name"]), (&"Zoë".into(), &"Zoë".into()));
    assert_eq!(v["annotations"].as_array().unwrap().len(), 2);

    // And the schema is not vacuous: a probability renamed, a box made fractional, fail it.
    let text = std::fs::read_to_string(&json).unwrap();
    let at = text.find("\"observations\":").unwrap();
    for (from, to) in [
        ("\"happy\":", "\"happiness\":"),
        ("\"width\":", "\"width\":0.5,\"w\":"),
        ("\"dominant_emotion\":\"", "\"dominant_emotion\":\"joy"),
    ] {
        let bad = dir.path().join("bad.json");
        let (head, tail) = text.split_at(at);
        std::fs::write(&bad, format!("{head}{}", tail.replacen(from, to, 1))).unwrap();
        let out = Command::new(&py)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_schema.py"))
            .args([&schema, &bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{from} -> {to} still valid");
    }
}

#[test]
fn duckdb_reads_the_parquet_dataset_as_one_table_with_the_sessions_class_shares() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dataset");
    let store = &analysed().0;
    let out = {
        let _one = STORE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        run(store, &["export", "--all", "--format", "parquet", "--out", root.to_str().unwrap()])
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exported 2 sessions"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&run_py(&py, "check_duckdb.py", &[&root])).unwrap();
    let cols = &v["columns"];
    assert_eq!(cols["timestamp_ms"], "BIGINT", "{cols}");
    assert_eq!(cols["track_id"], "INTEGER", "{cols}");
    assert_eq!(cols["x"], "INTEGER", "{cols}");
    assert_eq!(cols["happy"], "FLOAT", "{cols}");
    assert_eq!(cols["raw_happy"], "FLOAT", "{cols}");
    assert_eq!(cols["track_name"], "VARCHAR", "{cols}");
    assert_eq!(cols["date"], "DATE", "{cols}");
    assert_eq!(cols["session"], "VARCHAR", "{cols}");
    // The class shares that `emotrace report` shows (time share per dominant emotion, all faces), from the store.
    let _one = STORE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let st = emotrace::store::Store::open(store).unwrap();
    for report in &analysed().1 {
        let id = report["session"].as_str().unwrap();
        let timeline = st.open_session(id).unwrap().timeline().unwrap();
        let class = emotrace::analytics::segments::summarize(&timeline, &[], 0).class;
        let shares = v["shares"][id].as_object().unwrap_or_else(|| panic!("{id} missing: {v}"));
        for (e, want) in emotrace::classify::Emotion::ALL.iter().zip(class.share()) {
            let got = shares.get(e.name()).and_then(|s| s.as_f64()).unwrap_or(0.0);
            assert!((got - want as f64).abs() < 1e-6, "{id} {e}: duckdb {got}, report {want}");
        }
        assert!(class.frames > 0);
    }
}
