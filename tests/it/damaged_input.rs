//! One bad image or frame loses that image or that group of pictures, not the rest (issue 25, item 7): a folder
//! with a truncated photo, an MP4 with flipped bytes in its frame data, and an MP4 cut short are analysed to the
//! end of what can be read, and the frames left out are counted in `analyze`'s output, its warning and the
//! session record. Real media from `recordings/`, damaged the way a failing disk or an interrupted copy does.

use crate::common;

use std::path::Path;

use common::*;
use emotrace::store::Store;

/// `analyze INPUT --json` into `store`: (report, stderr), asserting exit 0.
fn analyze(store: &Path, input: &Path) -> (serde_json::Value, String) {
    let out = run(store, &["analyze", input.to_str().unwrap(), "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "analyze failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (report, stderr)
}

/// The stored record's `skipped.frames` for the report's session.
fn stored_skipped(store: &Path, report: &serde_json::Value) -> u64 {
    let store = Store::open_existing(store).unwrap();
    let session = store.open_session(report["session"].as_str().unwrap()).unwrap();
    session.record().skipped.frames
}

#[test]
fn a_folder_with_a_truncated_photo_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    for name in ["0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "single_face.jpg"] {
        std::fs::copy(recording(name), photos.join(name)).unwrap();
    }
    // Sorted between the first and the second good photo, and cut in half.
    let full = std::fs::read(recording("multi_face.jpg")).unwrap();
    std::fs::write(photos.join("1-cut.jpg"), &full[..full.len() / 2]).unwrap();
    let store = dir.path().join("store");
    let (report, stderr) = analyze(&store, &photos);
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["frames"], 3, "the three good photos are analysed: {report}");
    assert_eq!(report["skipped"]["frames"], 1, "{report}");
    let note = report["skipped"]["notes"][0].as_str().unwrap();
    assert!(note.contains("1-cut.jpg") && note.contains("truncated"), "{note}");
    assert!(stderr.contains("warning") && stderr.contains("1 image was unreadable"), "{stderr}");
    assert!(report["tracks"].as_u64().unwrap() >= 3, "faces of the photos after the bad one are found: {report}");
    assert_eq!(stored_skipped(&store, &report), 1);
}

#[test]
fn a_folder_whose_photos_are_all_bad_fails_before_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let full = std::fs::read(recording("single_face.jpg")).unwrap();
    for name in ["a.jpg", "b.jpg"] {
        std::fs::write(photos.join(name), &full[..full.len() / 3]).unwrap();
    }
    let store = dir.path().join("store");
    let out = run(&store, &["analyze", photos.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("none of its 2 images") && stderr.contains("a.jpg"), "{stderr}");
    assert!(sessions(&store).is_empty(), "a session was left: {:?}", sessions(&store));
}

#[test]
fn an_mp4_with_damaged_frames_goes_on_at_the_next_key_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(recording("WolfgangLanger_Pexels.mp4")).unwrap();
    // 2000 flipped bytes in the second tenth of the frame data (the index, at the start, is left whole), the way
    // the failing copy that found this defect damaged it; a fixed pattern, so the test is the same every run.
    let (from, to) = (bytes.len() / 10, bytes.len() / 5);
    for k in 0..2000 {
        let i = from + (k * 7919) % (to - from);
        bytes[i] ^= 0xFF;
    }
    let damaged = dir.path().join("damaged.mp4");
    std::fs::write(&damaged, &bytes).unwrap();
    let store = dir.path().join("store");
    let (report, stderr) = analyze(&store, &damaged);
    assert_eq!(report["status"], "completed", "{report}");
    let (frames, skipped) = (report["frames"].as_u64().unwrap(), report["skipped"]["frames"].as_u64().unwrap());
    assert!(skipped > 0, "the damage is counted: {report}");
    assert_eq!(frames + skipped, 472, "every frame is analysed or counted as skipped: {report}");
    assert!(frames > 472 / 2, "the frames after the damaged part are analysed: {frames}");
    assert!(
        stderr.contains("frames were unreadable and skipped") || stderr.contains("frame was unreadable"),
        "{stderr}"
    );
    assert_eq!(stored_skipped(&store, &report), skipped);
    // Faces go on being observed after the damaged stretch (Wolfgang faces the camera throughout).
    let s = Store::open_existing(&store).unwrap().open_session(report["session"].as_str().unwrap()).unwrap();
    let last_ms = s.observations().unwrap().iter().map(|o| o.timestamp_ms).max().unwrap();
    assert!(last_ms > 15_000, "faces until the end of the 15.7 s clip: last at {last_ms} ms");
}

#[test]
fn an_mp4_cut_short_is_analysed_up_to_its_last_whole_frame() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(recording("WolfgangLanger_Pexels.mp4")).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &full[..full.len() * 6 / 10]).unwrap();
    let store = dir.path().join("store");
    let (report, stderr) = analyze(&store, &cut);
    assert_eq!(report["status"], "completed", "{report}");
    let (frames, skipped) = (report["frames"].as_u64().unwrap(), report["skipped"]["frames"].as_u64().unwrap());
    assert_eq!(frames + skipped, 472, "{report}");
    assert!(frames > 200 && skipped > 100, "about 60% of the frames are readable: {report}");
    assert_eq!(report["source"]["frame_count"].as_u64(), Some(frames), "progress counts the readable frames");
    let note = report["skipped"]["notes"][0].as_str().unwrap();
    assert!(note.contains("truncated"), "{note}");
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(report["observations"].as_u64().unwrap() > 150, "{report}");
    // The report says so beside the source.
    let html = dir.path().join("cut.html");
    let out = run(&store, &["report", report["session"].as_str().unwrap(), "--out", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(&format!("{skipped} frames were unreadable and skipped")),
        "the report names the skipped frames"
    );
}
