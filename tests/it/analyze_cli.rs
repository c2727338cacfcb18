//! `emotrace analyze` end to end on the bundled recordings: the real decoder, detector, tracker, both emotion
//! networks and the sled store.

use crate::common;

use common::*;

fn analyze(store: &std::path::Path, input: &std::path::Path) -> serde_json::Value {
    run_json(store, &["analyze", input.to_str().unwrap(), "--json"])
}

#[test]
fn one_talking_face_is_one_track_in_almost_every_frame() {
    let store = tempfile::tempdir().unwrap();
    let r = analyze(store.path(), &recording("WolfgangLanger_Pexels.mp4"));
    assert_eq!(r["frames"], 472, "{r}");
    assert!(r["frames_with_faces"].as_u64().unwrap() >= 460, "{r}");
    assert_eq!(r["tracks"], 1, "{r}");
    assert!(r["fps"].as_f64().unwrap() > 0.0);
    let shares: f64 = r["emotion_share"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-6, "{r}");

    let listed = sessions(store.path());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], r["session"]);
    assert_eq!(listed[0]["status"], "completed");
    assert_eq!(listed[0]["frames"], 472);
    assert_eq!(listed[0]["tracks"], 1);
}

#[test]
fn a_video_without_faces_gives_no_face_and_no_track() {
    let store = tempfile::tempdir().unwrap();
    let r = analyze(store.path(), &recording("no_face.mp4"));
    assert!(r["frames"].as_u64().unwrap() >= 90, "{r}");
    assert_eq!(r["frames_with_faces"], 0, "{r}");
    assert_eq!(r["tracks"], 0, "{r}");
}

#[test]
fn a_group_photo_gives_five_faces_and_five_tracks() {
    let store = tempfile::tempdir().unwrap();
    let r = analyze(store.path(), &recording("multi_face.jpg"));
    assert_eq!(r["frames"], 1);
    assert_eq!(r["observations"], 5, "{r}");
    assert_eq!(r["tracks"], 5, "{r}");
}

#[test]
fn the_store_is_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let store = tempfile::tempdir().unwrap();
    let root = store.path().join("store");
    analyze(&root, &recording("single_face.jpg"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    let mut stack = vec![root.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files += 1;
                assert_eq!(mode(&p) & 0o077, 0, "{} is readable by others", p.display());
            }
        }
    }
    assert!(files >= 3);
}

/// Starts a paced (realtime) analysis, waits until its session has stored some frames, and sends `signal`.
fn signal_during_realtime_run(signal: i32) -> (std::process::ExitStatus, serde_json::Value) {
    let store = tempfile::tempdir().unwrap();
    let video = recording("WolfgangLanger_Pexels.mp4");
    let mut child = spawn(store.path(), &["analyze", "--realtime", "--json", video.to_str().unwrap()]);
    // Wait (at most 60 s) until the running session has written a few seconds of frames to its record.
    wait_for_session(store.path(), "the realtime run stored nothing", |s| s["frames"].as_u64().unwrap_or(0) >= 20);
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();
    let listed = sessions(store.path());
    assert_eq!(listed.len(), 1);
    (status, listed[0].clone())
}

#[test]
fn sigterm_finalizes_the_session_as_interrupted() {
    let (status, s) = signal_during_realtime_run(libc::SIGTERM);
    assert_eq!(status.code(), Some(130));
    assert_eq!(s["status"], "interrupted", "{s}");
    assert!(s["ended_at"].is_string(), "{s}");
    let frames = s["frames"].as_u64().unwrap();
    assert!((20..472).contains(&frames), "{s}");
}

#[test]
fn a_killed_run_is_listed_as_interrupted_with_its_frames_kept() {
    let (status, s) = signal_during_realtime_run(libc::SIGKILL);
    assert_eq!(status.code(), None);
    assert_eq!(s["status"], "interrupted", "{s}");
    assert!(s["frames"].as_u64().unwrap() >= 20, "{s}");
}

#[test]
fn a_new_face_keeps_its_first_frame_and_every_observation_says_how_its_box_was_found() {
    let store = tempfile::tempdir().unwrap();
    let r = analyze(store.path(), &common::recording("WolfgangLanger_Pexels.mp4"));
    // min_hits = 2 confirms the face on its second frame; its first frame is stored too (backfill).
    assert_eq!(r["observations"], r["frames_with_faces"], "{r}");
    // The lecture schedule detects about 4 frames a second of this 24 FPS clip; the others are predicted.
    let predicted = r["coverage"]["predicted_share"].as_f64().unwrap();
    assert!((0.6..0.95).contains(&predicted), "{r}");
    let id = r["session"].as_str().unwrap();
    let out = common::run(store.path(), &["export", id, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.find("\"frame_index\":0").or_else(|| text.find("\"frame_index\": 0"));
    assert!(first.is_some(), "frame 0 is stored");
}

#[test]
fn a_detection_schedule_predicts_the_boxes_in_between() {
    let store = tempfile::tempdir().unwrap();
    let out = common::run(
        store.path(),
        &["analyze", common::recording("WolfgangLanger_Pexels.mp4").to_str().unwrap(), "--json", "--detect-every", "5"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["tracks"], 1, "{r}");
    assert!(r["observations"].as_u64().unwrap() >= 460, "{r}");
    // 4 of every 5 frames are predicted.
    let p = r["coverage"]["predicted_share"].as_f64().unwrap();
    assert!((0.75..=0.85).contains(&p), "{r}");
}

/// Files detect several frames at once (one detector per thread, `[detect] threads`); the detections must still
/// reach the tracker in frame order: one worker and three give the same session, figure for figure.
#[test]
fn detecting_frames_in_parallel_changes_no_result() {
    let store = tempfile::tempdir().unwrap();
    let input = common::recording("WolfgangLanger_Pexels.mp4");
    let run_with = |threads: u32| {
        let cfg = store.path().join(format!("threads{threads}.toml"));
        std::fs::write(&cfg, format!("[detect]\nthreads = {threads}\n")).unwrap();
        let args = ["analyze", input.to_str().unwrap(), "--json", "--no-record", "--model", "fer"];
        let out = common::run(store.path(), &[&args[..], &["--config", cfg.to_str().unwrap()]].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (one, three) = (run_with(1), run_with(3));
    for key in ["frames", "frames_with_faces", "tracks", "observations", "emotion_share", "mean_probability"] {
        assert_eq!(one[key], three[key], "{key}: {one} vs {three}");
    }
    assert_eq!(one["tracks"], 1, "{one}");
}

#[test]
fn every_face_of_a_29_person_classroom_at_720p_keeps_one_track() {
    let Some(clip) = common::classroom_clip("classroom_720p.mp4") else { return };
    let store = tempfile::tempdir().unwrap();
    let out = common::run(
        store.path(),
        &["analyze", clip.to_str().unwrap(), "--json", "--no-record", "--model", "fer", "--detect-every", "2"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["frames"], 300, "{r}");
    assert!(r["coverage"]["faces_per_frame_p05"].as_f64().unwrap() >= 27.0, "{r}");
    assert!(r["coverage"]["faces_per_frame_max"].as_f64().unwrap() <= 29.0, "{r}");
    let tracks = r["tracks"].as_u64().unwrap();
    assert!((27..=32).contains(&tracks), "{r}");
}

#[test]
fn a_still_group_played_as_a_camera_keeps_five_tracks() {
    // `--realtime --loop` on one photo: a still scene as a camera delivers it. The five faces are found by the
    // live detector thread and keep their ids across loops (one scene, not a new one per loop).
    let store = tempfile::tempdir().unwrap();
    let photo = recording("multi_face.jpg");
    let child = spawn(store.path(), &["analyze", "--realtime", "--loop", "--json", photo.to_str().unwrap()]);
    wait_for_session(store.path(), "the looped photo stored too little", |s| {
        s["observations"].as_u64().unwrap_or(0) >= 100
    });
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(r["tracks"], 5, "{r}");
    assert_eq!(r["coverage"]["predicted_share"], 1.0, "live boxes come from the motion model: {r}");
}
