//! The lecture schedule for files (detection on an interval of video time, each face classified 10 times per
//! second of video) against `--every-frame` (every frame detected, every face classified on every frame), on real
//! clips: the same per-second class shares and face emotions, a record saying which schedule ran, the report
//! written at the end, and an interrupted analysis continued in the same session.
//!
//! The agreement figures are printed (`cargo test --release --test it analyze_schedule:: -- --nocapture`); the README
//! quotes them.

use std::path::Path;

use crate::common;
use emotrace::analytics::agreement::{agreement, Agreement};

use common::observations;

/// Analyses `input` into `store` with `extra` flags and returns the report (one JSON object).
fn analyze(store: &Path, input: &Path, extra: &[&str]) -> serde_json::Value {
    let args = [&["analyze", input.to_str().unwrap(), "--json"][..], extra].concat();
    common::run_json(store, &args)
}

/// Runs the default schedule and `--every-frame` on `input` and compares their sessions.
fn compare_schedules(input: &Path) -> (serde_json::Value, serde_json::Value, Agreement) {
    let store = tempfile::tempdir().unwrap();
    let lecture = analyze(store.path(), input, &[]);
    let every = analyze(store.path(), input, &["--every-frame"]);
    let a = observations(store.path(), lecture["session"].as_str().unwrap());
    let b = observations(store.path(), every["session"].as_str().unwrap());
    let r = agreement(&a, &b);
    println!(
        "{}: lecture vs --every-frame: per-second class shares differ by {:.2} pp on average (at most {:.1} pp), \
         {} of {} face-seconds paired, dominant emotion the same in {:.1}%; detector ran on {} vs {} frames, {} vs \
         {} classifications",
        input.file_name().unwrap().to_string_lossy(),
        r.share_mean_abs_diff * 100.0,
        r.share_max_abs_diff * 100.0,
        r.matched_face_seconds,
        r.face_seconds,
        r.dominant_agreement * 100.0,
        lecture["detected_frames"],
        every["detected_frames"],
        a.iter().filter(|o| o.classified).count(),
        b.iter().filter(|o| o.classified).count(),
    );
    (lecture, every, r)
}

/// The agreement the lecture schedule must keep with `--every-frame` (issue 18).
fn assert_agrees(r: &Agreement, what: &str) {
    assert!(r.share_mean_abs_diff <= 0.02, "{what}: class shares differ by more than 2 pp: {r:?}");
    assert!(r.dominant_agreement >= 0.90, "{what}: face emotions agree in under 90% of face-seconds: {r:?}");
    assert!(r.matched_face_seconds as f64 >= 0.9 * r.face_seconds as f64, "{what}: faces not paired: {r:?}");
}

#[test]
fn the_lecture_schedule_reads_one_face_as_every_frame_does() {
    let input = common::recording("WolfgangLanger_Pexels.mp4");
    let (lecture, every, r) = compare_schedules(&input);
    assert_agrees(&r, "WolfgangLanger_Pexels.mp4");
    // The record says which schedule ran; every-frame detects every frame, the lecture schedule a fraction.
    assert_eq!(lecture["schedule"]["name"], "lecture", "{lecture}");
    assert_eq!(every["schedule"]["name"], "every_frame", "{every}");
    assert_eq!(every["detected_frames"], 472, "{every}");
    let detected = lecture["detected_frames"].as_u64().unwrap();
    assert!((40..=160).contains(&detected), "4 to 10 detections per second of video: {lecture}");
    // One face all along, observed on every frame, classified 10 times per second of video.
    assert_eq!(lecture["tracks"], 1, "{lecture}");
    assert_eq!(lecture["frames_with_faces"], 472, "{lecture}");
    assert_eq!(lecture["observations"], 472, "{lecture}");
    let hz = lecture["coverage"]["classify_hz_min"].as_f64().unwrap();
    assert!((9.9..=11.0).contains(&hz), "{lecture}");
}

#[test]
fn the_lecture_schedule_reads_a_classroom_as_every_frame_does() {
    let Some(clip) = common::classroom_clip("classroom_720p.mp4") else { return };
    let (lecture, _, r) = compare_schedules(&clip);
    assert_agrees(&r, "classroom_720p.mp4");
    // Quality: 27 of 29 faces in 95% of frames, at most 32 tracks, each face at least 10 times per second.
    let c = &lecture["coverage"];
    assert!(c["faces_per_frame_p05"].as_f64().unwrap() >= 27.0, "{lecture}");
    assert!(lecture["tracks"].as_u64().unwrap() <= 32, "{lecture}");
    assert!(c["classify_hz_min"].as_f64().unwrap() >= 9.9, "{lecture}");
}

/// The same at 1080p (slower: `--ignored`).
#[test]
#[ignore]
fn the_lecture_schedule_reads_a_1080p_classroom_as_every_frame_does() {
    let Some(clip) = common::classroom_clip("classroom_1080p.mp4") else { return };
    let (lecture, _, r) = compare_schedules(&clip);
    assert_agrees(&r, "classroom_1080p.mp4");
    assert!(lecture["coverage"]["faces_per_frame_p05"].as_f64().unwrap() >= 27.0, "{lecture}");
}

#[test]
fn a_file_gives_the_same_session_on_every_run() {
    // The schedule depends on the frames only, not on the machine's speed or the detector workers' timing.
    let store = tempfile::tempdir().unwrap();
    let input = common::recording("WolfgangLanger_Pexels.mp4");
    let cfg = store.path().join("one-thread.toml");
    std::fs::write(&cfg, "[detect]\nthreads = 1\n").unwrap();
    let a = analyze(store.path(), &input, &["--no-record", "--model", "fer"]);
    let b = analyze(store.path(), &input, &["--no-record", "--model", "fer", "--config", cfg.to_str().unwrap()]);
    for key in ["frames", "frames_with_faces", "detected_frames", "observations", "emotion_share", "coverage"] {
        assert_eq!(a[key], b[key], "{key}: {a} vs {b}");
    }
}

#[test]
fn analyze_writes_the_report_when_asked() {
    let store = tempfile::tempdir().unwrap();
    let out = store.path().join("lecture.html");
    let input = common::recording("WolfgangLanger_Pexels.mp4");
    let r = analyze(store.path(), &input, &["--model", "fer", "--report", out.to_str().unwrap()]);
    let page = std::fs::read_to_string(&out).expect("the report is written");
    assert!(page.contains(r["session"].as_str().unwrap()), "the report names its session");
    assert!(page.contains("lecture"), "the report says which schedule ran");
}

#[test]
fn a_killed_analysis_is_resumed_in_the_same_session() {
    let Some(clip) = common::classroom_clip("classroom_720p.mp4") else { return };
    let store = tempfile::tempdir().unwrap();
    let whole = analyze(store.path(), &clip, &["--model", "fer"]);

    let resumed_store = tempfile::tempdir().unwrap();
    let mut child =
        common::spawn(resumed_store.path(), &["analyze", clip.to_str().unwrap(), "--json", "--model", "fer"]);
    common::wait_for_session(resumed_store.path(), "the analysis stored too little", |s| {
        s["frames"].as_u64().unwrap_or(0) >= 30
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = common::sessions(resumed_store.path()).remove(0);
    assert_eq!(killed["status"], "interrupted", "killed before the end of the clip: {killed}");
    let stored = killed["frames"].as_u64().unwrap();
    assert!(stored < 300, "{killed}");

    // The same input again continues the interrupted session from its last stored frame.
    let out = common::run(resumed_store.path(), &["analyze", clip.to_str().unwrap(), "--json", "--model", "fer"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("resuming interrupted session"), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["session"], killed["id"], "one session: {r}");
    assert_eq!(r["status"], "completed", "{r}");
    let sessions = common::sessions(resumed_store.path());
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let s = &sessions[0];
    assert_eq!(s["frames"], 300, "every frame once: {s}");
    let (n, m) = (s["observations"].as_f64().unwrap(), whole["observations"].as_f64().unwrap());
    assert!((n - m).abs() <= 0.01 * m, "observations {n} resumed vs {m} in one run");
    // No frame stored twice: the observations' frame indices are unique per track.
    let obs = observations(resumed_store.path(), s["id"].as_str().unwrap());
    assert_eq!(obs.len() as f64, n);
    // A completed session is not resumed again: the same input starts a new session.
    let again = analyze(resumed_store.path(), &clip, &["--model", "fer", "--no-record"]);
    assert_eq!(again["frames"], 300);
}

#[test]
fn resume_refuses_a_completed_session() {
    let store = tempfile::tempdir().unwrap();
    let input = common::recording("single_face.mp4");
    let r = analyze(store.path(), &input, &["--model", "fer"]);
    let out = common::run(store.path(), &["analyze", "--resume", r["session"].as_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only an interrupted session can be resumed"), "{err}");
}
