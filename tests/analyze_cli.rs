//! `emotrace analyze` end to end on the bundled recordings: the real decoder, detector, tracker, both emotion
//! networks and the sled store.

mod common;

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
    let mut child = std::process::Command::new(bin())
        .arg("--store")
        .arg(store.path())
        .args(["analyze", "--realtime", "--json"])
        .arg(recording("WolfgangLanger_Pexels.mp4"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (at most 60 s) until the running session has written a few seconds of frames to its record.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let listed = sessions(store.path());
        if listed.first().is_some_and(|s| s["frames"].as_u64().unwrap_or(0) >= 20) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the realtime run stored nothing");
    }
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
    assert!(frames >= 20 && frames < 472, "{s}");
}

#[test]
fn a_killed_run_is_listed_as_interrupted_with_its_frames_kept() {
    let (status, s) = signal_during_realtime_run(libc::SIGKILL);
    assert_eq!(status.code(), None);
    assert_eq!(s["status"], "interrupted", "{s}");
    assert!(s["frames"].as_u64().unwrap() >= 20, "{s}");
}
