//! `emotrace export` end to end: `analyze` a bundled recording into a private store with the real binary, then
//! export it as CSV, JSON, py-feat's Fex CSV and Parquet and read the exports back.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

const EMOTIONS: [&str; 7] = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

/// One analysed session shared by the tests: (store folder, `analyze --json` report).
fn analysed() -> &'static (PathBuf, serde_json::Value) {
    static ONCE: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export_cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let report = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
        assert!(report["observations"].as_u64().unwrap() > 10, "{report}");
        (store, report)
    })
}

/// Observations stored for the session (the session record's count; it includes a face's first frames, made
/// before it was confirmed, which `analyze`'s own summary leaves out).
fn stored_observations() -> u64 {
    let all = sessions(&analysed().0);
    all.iter().find(|s| s["id"] == session_id().as_str()).and_then(|s| s["observations"].as_u64()).unwrap()
}

/// Held while a process reads the shared session: its database opens in one process at a time, and the tests
/// run in parallel.
static SESSION_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `emotrace --store STORE ARGS...` on the shared store, one process at a time.
fn run_locked(args: &[&str]) -> std::process::Output {
    let store = &analysed().0;
    let _one = SESSION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    run(store, args)
}

fn session_id() -> String {
    analysed().1["session"].as_str().unwrap().to_string()
}

/// `emotrace --store STORE export ARGS...`: asserts success, returns stdout.
fn export(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let out = run_locked(&all);
    assert!(out.status.success(), "export {args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn argmax(p: &[f64]) -> usize {
    (1..p.len()).fold(0, |best, i| if p[i] > p[best] { i } else { best })
}

#[test]
fn csv_has_one_row_per_observation_with_probabilities_and_the_dominant_emotion() {
    let id = session_id();
    // A unique prefix names the session too.
    let stdout = export(&[&id[..8], "--format", "csv"]);
    let mut r = csv::Reader::from_reader(stdout.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut expected = vec!["session_id", "timestamp_ms", "frame_index", "track_id", "track_name"];
    expected.extend(["x", "y", "width", "height", "score", "face_score"]);
    let raw_names: Vec<String> = EMOTIONS.iter().map(|e| format!("raw_{e}")).collect();
    expected.extend(raw_names.iter().map(String::as_str));
    expected.extend(EMOTIONS);
    expected.extend(["dominant_emotion", "frame_rate"]);
    expected.extend(["box_source", "classified", "valence"]);
    let landmarks: Vec<String> = ["right_eye", "left_eye", "nose", "mouth_right", "mouth_left"]
        .iter()
        .flat_map(|n| [format!("{n}_x"), format!("{n}_y")])
        .collect();
    expected.extend(landmarks.iter().map(String::as_str));
    assert_eq!(header, expected);

    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, stored_observations());
    let mut last_ms = 0;
    for row in &rows {
        assert_eq!(&row[0], id);
        let ms: u64 = row[1].parse().unwrap();
        assert!(ms >= last_ms, "rows in time order");
        last_ms = ms;
        row[2].parse::<u64>().unwrap();
        let track: u32 = row[3].parse().unwrap();
        assert_eq!(&row[4], format!("Face {track}"));
        let boxed: Vec<i64> = (5..9).map(|i| row[i].parse().unwrap_or_else(|e| panic!("{:?}: {e}", &row[i]))).collect();
        assert!(boxed[2] > 0 && boxed[3] > 0, "face box in whole pixels: {row:?}");
        let nums: Vec<f64> = (9..25).map(|i| row[i].parse().unwrap_or_else(|e| panic!("{:?}: {e}", &row[i]))).collect();
        // YuNet (the default detector): its score is the 0-1 face score already.
        assert!((0.5..=1.0).contains(&nums[1]) && nums[0] == nums[1], "detector score and face score: {row:?}");
        let (raw, smoothed) = (&nums[2..9], &nums[9..16]);
        for p in [raw, smoothed] {
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{row:?}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-3, "{row:?}");
        }
        assert_eq!(&row[25], EMOTIONS[argmax(smoothed)], "{row:?}");
        assert!(["detected", "predicted"].contains(&&row[27]) && ["true", "false"].contains(&&row[28]), "{row:?}");
        // FaceReader's valence: happy minus the strongest of angry, disgust, fear, sad (smoothed).
        let valence: f64 = row[29].parse().unwrap();
        let negative = [0, 1, 2, 4].iter().map(|&i| smoothed[i]).fold(0.0, f64::max);
        assert!((valence - (smoothed[3] - negative)).abs() < 1e-5, "{row:?}");
        // YuNet's five landmarks lie in the face box (eyes above the mouth corners).
        let lm: Vec<f64> = (30..40).map(|i| row[i].parse().unwrap_or_else(|e| panic!("{:?}: {e}", &row[i]))).collect();
        let (x0, y0) = (boxed[0] as f64, boxed[1] as f64);
        let (x1, y1) = (x0 + boxed[2] as f64, y0 + boxed[3] as f64);
        for p in lm.chunks(2) {
            assert!((x0 - 2.0..=x1 + 2.0).contains(&p[0]) && (y0 - 2.0..=y1 + 2.0).contains(&p[1]), "{row:?}");
        }
        assert!(lm[1] < lm[7] && lm[3] < lm[9], "eyes above the mouth: {row:?}");
    }
}

#[test]
fn csv_to_a_file_puts_markers_and_notes_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.csv");
    let result = run_locked(&["export", &session_id(), "--format", "csv", "--out", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(result.stdout.is_empty());
    let side = dir.path().join("s.annotations.csv");
    assert!(String::from_utf8_lossy(&result.stderr).contains(side.to_str().unwrap()));
    let mut r = csv::Reader::from_path(&out).unwrap();
    assert_eq!(r.records().count() as u64, stored_observations());
    let mut r = csv::Reader::from_path(&side).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "kind", "start_ms", "end_ms", "label", "track_id"]
    );
    assert_eq!(r.records().count(), 0, "analyze makes no markers");
}

#[test]
fn json_names_classes_and_probabilities_and_matches_the_csv() {
    let stdout = export(&[&session_id(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["annotations", "detector", "emotions", "format", "observations", "session", "tracks", "version"]
    );
    assert_eq!(v["emotions"], serde_json::json!(EMOTIONS));
    assert_eq!(v["session"]["id"], session_id());
    assert_eq!(v["tracks"].as_array().unwrap().len() as u64, analysed().1["tracks"].as_u64().unwrap());
    assert_eq!(v["tracks"][0]["name"], "Face 1");
    let obs = v["observations"].as_array().unwrap();
    let csv_rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(export(&[&session_id(), "--format", "csv"]).as_slice())
            .records()
            .map(Result::unwrap)
            .collect();
    assert_eq!(obs.len(), csv_rows.len());
    for (o, c) in obs.iter().zip(&csv_rows) {
        // Same names, same integers, same probabilities (to the digit) as the CSV row.
        let fields = ["timestamp_ms", "frame_index", "track_id", "track_name", "x", "y", "width", "height"];
        for (k, name) in fields.iter().enumerate() {
            let j = &o[*name];
            assert_eq!(j.as_str().map(String::from).unwrap_or_else(|| j.to_string()), c[k + 1], "{name}");
        }
        for (k, e) in EMOTIONS.iter().enumerate() {
            assert_eq!(o["raw"][e].as_f64().unwrap(), c[11 + k].parse::<f64>().unwrap(), "raw {e}");
            assert_eq!(o["smoothed"][e].as_f64().unwrap(), c[18 + k].parse::<f64>().unwrap(), "smoothed {e}");
        }
        assert_eq!(o["dominant_emotion"], c[25]);
        assert_eq!(o["valence"].as_f64().unwrap(), c[29].parse::<f64>().unwrap(), "valence");
    }
    // Through the library's own type and back, to the byte.
    let typed = emotrace::store::export::json::read(&stdout).unwrap();
    let mut again = serde_json::to_vec(&typed).unwrap();
    again.push(b'\n');
    assert_eq!(again, stdout);
}

#[test]
fn fex_starts_with_py_feat_columns_and_holds_raw_or_smoothed_probabilities() {
    let stdout = export(&[&session_id(), "--format", "fex"]);
    let first = stdout.split(|&b| b == b'\n').next().unwrap();
    let py_feat = "frame,FaceRectX,FaceRectY,FaceRectWidth,FaceRectHeight,FaceScore,\
                   anger,disgust,fear,happiness,sadness,surprise,neutral,input";
    let ours = "track_id,timestamp_ms,detector_score,track_name,sampling_freq,box_source,classified,valence,right_eye_x,right_eye_y,left_eye_x,\
                left_eye_y,nose_x,nose_y,mouth_right_x,mouth_right_y,mouth_left_x,mouth_left_y";
    assert_eq!(String::from_utf8_lossy(first), format!("{py_feat},{ours}"));

    let csv_rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(export(&[&session_id(), "--format", "csv"]).as_slice())
            .records()
            .map(Result::unwrap)
            .collect();
    let fex_rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(stdout.as_slice()).records().map(Result::unwrap).collect();
    let smoothed_rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(export(&[&session_id(), "--format", "fex", "--smoothed"]).as_slice())
            .records()
            .map(Result::unwrap)
            .collect();
    assert_eq!(fex_rows.len(), csv_rows.len());
    let input = recording("single_face.mp4").display().to_string();
    for ((f, c), s) in fex_rows.iter().zip(&csv_rows).zip(&smoothed_rows) {
        assert_eq!(&f[0], &c[2], "frame");
        assert_eq!(f.iter().skip(1).take(4).collect::<Vec<_>>(), c.iter().skip(5).take(4).collect::<Vec<_>>());
        assert_eq!(&f[5], &c[10], "FaceScore is the CSV's face_score");
        assert_eq!(f.iter().skip(6).take(7).collect::<Vec<_>>(), c.iter().skip(11).take(7).collect::<Vec<_>>(), "raw");
        assert_eq!(s.iter().skip(6).take(7).collect::<Vec<_>>(), c.iter().skip(18).take(7).collect::<Vec<_>>());
        assert_eq!((&f[13], &f[14], &f[15], &f[16]), (input.as_str(), &c[3], &c[1], &c[9]));
        assert_eq!((&f[17], &f[18]), (&c[4], &c[26]), "track_name, and the frame rate as sampling_freq");
        assert_eq!(f.iter().skip(19).collect::<Vec<_>>(), c.iter().skip(27).collect::<Vec<_>>(), "flags, landmarks");
    }
}

#[test]
fn bom_starts_the_csv_and_options_for_other_formats_are_refused_in_one_line() {
    let plain = export(&[&session_id(), "--format", "csv"]);
    let bom = export(&[&session_id(), "--format", "csv", "--bom"]);
    assert_eq!(&bom[..3], b"\xEF\xBB\xBF");
    assert_eq!(&bom[3..], plain.as_slice());
    for (args, msg) in [
        (&["--format", "json", "--bom"][..], "--bom applies to --format csv only"),
        (&["--format", "csv", "--smoothed"][..], "--smoothed applies to --format fex only"),
    ] {
        let mut all = vec!["export", &session_id()].into_iter().map(String::from).collect::<Vec<_>>();
        all.extend(args.iter().map(|s| s.to_string()));
        let out = run_locked(&all.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(msg), "{err}");
    }
}

#[test]
fn parquet_to_a_file_holds_every_observation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.parquet");
    let r = run_locked(&["export", &session_id(), "--format", "parquet", "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let rows = reader.metadata().file_metadata().num_rows();
    assert_eq!(rows as u64, stored_observations());
    // Through a pipe too (bytes identical to the file).
    let piped = export(&[&session_id(), "--format", "parquet"]);
    assert_eq!(piped, std::fs::read(&out).unwrap());
}

#[test]
fn an_unknown_session_is_one_line_and_an_ambiguous_prefix_lists_the_matches() {
    let out = run_locked(&["export", "19990101", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("no session '19990101' in {}", analysed().0.display())), "{err}");

    let store = tempfile::tempdir().unwrap();
    let image = recording("single_face.jpg");
    let a = run_json(store.path(), &["analyze", image.to_str().unwrap(), "--json"]);
    let b = run_json(store.path(), &["analyze", image.to_str().unwrap(), "--json"]);
    let out = run(store.path(), &["export", "2", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ambiguous"), "{err}");
    for s in [&a, &b] {
        assert!(err.contains(s["session"].as_str().unwrap()), "{err}");
    }
}

/// Issue 26, item 5: the source's frame rate and the class shares are in `sessions --json`, the frame rate in every
/// export (CSV column, JSON session record, Parquet metadata, fex `sampling_freq`), and the shares are the report's.
#[test]
fn frame_rate_and_class_shares_reach_sessions_json_and_every_export() {
    let listed = sessions(&analysed().0);
    let s = listed.iter().find(|s| s["id"] == session_id().as_str()).unwrap();
    assert_eq!(s["frame_rate"].as_f64(), Some(30.0), "{s}");
    let shares: Vec<f64> = EMOTIONS.iter().map(|e| s["emotion_shares"][e].as_f64().unwrap()).collect();
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{s}");
    {
        let _one = SESSION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let st = emotrace::store::Store::open_existing(&analysed().0).unwrap();
        let timeline = st.open_session(&session_id()).unwrap().timeline().unwrap();
        let class = emotrace::analytics::segments::summarize(&timeline, &[], 0).class;
        for (got, want) in shares.iter().zip(class.share()) {
            assert!((got - want as f64).abs() < 1e-6, "{shares:?} vs the report's {:?}", class.share());
        }
    }
    let csv = export(&[&session_id(), "--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let at = r.headers().unwrap().iter().position(|h| h == "frame_rate").unwrap();
    assert!(r.records().map(Result::unwrap).all(|row| &row[at] == "30"));
    let json: serde_json::Value = serde_json::from_slice(&export(&[&session_id(), "--format", "json"])).unwrap();
    assert_eq!(json["session"]["frame_rate"].as_f64(), Some(30.0));
    assert_eq!(json["session"]["emotion_shares"], s["emotion_shares"]);
    let parquet = export(&[&session_id(), "--format", "parquet"]);
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet)).unwrap();
    let kv = reader.metadata().file_metadata().key_value_metadata().unwrap();
    assert!(kv.iter().any(|k| k.key == "emotrace.frame_rate" && k.value.as_deref() == Some("30")), "{kv:?}");
    let fex = export(&[&session_id(), "--format", "fex"]);
    let mut r = csv::Reader::from_reader(fex.as_slice());
    let at = r.headers().unwrap().iter().position(|h| h == "sampling_freq").unwrap();
    assert!(r.records().map(Result::unwrap).all(|row| &row[at] == "30"));
}

/// Issue 26, item 5: `--include-empty-frames` writes a row for each processed frame without a face (OpenFace's
/// `success = 0`; py-feat's empty face columns): on a recording without faces, one per stored frame.
#[test]
fn empty_frames_get_rows_of_their_own_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let report = run_json(&store, &["analyze", recording("no_face.mp4").to_str().unwrap(), "--json"]);
    let id = report["session"].as_str().unwrap();
    let frames = sessions(&store)[0]["frames"].as_u64().unwrap();
    assert!(frames > 10, "{report}");
    let export = |args: &[&str]| {
        let mut all = vec!["export", id];
        all.extend_from_slice(args);
        let out = run(&store, &all);
        assert!(out.status.success(), "{all:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert_eq!(csv::Reader::from_reader(export(&["--format", "csv"]).as_slice()).records().count(), 0);
    let with = export(&["--format", "csv", "--include-empty-frames"]);
    let mut r = csv::Reader::from_reader(with.as_slice());
    assert_eq!(r.headers().unwrap().iter().next_back(), Some("success"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, frames);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!((&row[0], &row[2], &row[row.len() - 1]), (id, i.to_string().as_str(), "0"), "{row:?}");
        assert!(row[3].is_empty() && row[4].is_empty() && row[11].is_empty(), "no face columns: {row:?}");
    }
    let fex = export(&["--format", "fex", "--include-empty-frames"]);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(fex.as_slice()).records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, frames);
    assert!(rows.iter().all(|r| !r[0].is_empty() && r[1].is_empty() && r[6].is_empty() && !r[15].is_empty()));
    let out = run(&store, &["export", id, "--format", "json", "--include-empty-frames"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--include-empty-frames applies to"));
}

/// Issue 25, item 5: an export stopped by SIGINT or SIGTERM while it writes leaves no `.NAME.*.tmp` beside the
/// output and no half-written output, and ends with the status a shell expects (128 + the signal). The session is
/// the synthetic 3 minutes of 30 faces (162,000 observations), so the write lasts long enough to be caught; the
/// signal is sent once the temporary file is there, whatever the machine's speed.
#[test]
fn an_export_stopped_by_a_signal_leaves_no_temporary_file() {
    use common::synthetic::build_session;
    use emotrace::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let id = build_session(&Store::open(&store).unwrap(), 3, 30, 30);
    for (signal, status) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let out_dir = dir.path().join(format!("out-{signal}"));
        std::fs::create_dir(&out_dir).unwrap();
        let out = out_dir.join("hour.csv");
        let mut child = std::process::Command::new(bin())
            .arg("--store")
            .arg(&store)
            .args(["export", &id, "--format", "csv", "--out", out.to_str().unwrap()])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let tmp_seen = loop {
            let tmp = std::fs::read_dir(&out_dir)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
            if tmp {
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(tmp_seen, "the export finished before its temporary file was seen");
        unsafe { libc::kill(child.id() as i32, signal) };
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "signal {signal}");
        let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "signal {signal} left {left:?}");
    }
}
