//! `analyze` over several inputs: folders expanded to their media files, `--jobs N`, JSON Lines (one object per
//! input, in input order), and a failing input that is reported in its place while the others are analysed.

use crate::common;

use std::path::PathBuf;

use common::*;

/// stdout as JSON Lines.
fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

#[test]
fn a_folder_of_videos_and_images_is_each_of_its_media_files_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let folder = recording("");
    let out = run(&store, &["analyze", folder.to_str().unwrap(), "--json", "--jobs", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out.stdout);
    let mut media: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp4" || e == "jpg"))
        .collect();
    media.sort();
    assert_eq!(media.len(), 9, "recordings/ holds 3 videos and 6 images");
    let inputs: Vec<&str> = lines.iter().map(|l| l["input"].as_str().unwrap()).collect();
    let want: Vec<String> = media.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(inputs, want);
    // Each input is its own session, with its own source and the faces it shows.
    for (l, p) in lines.iter().zip(&media) {
        assert_eq!(l["status"], "completed", "{l}");
        assert_eq!(l["source"]["name"], p.display().to_string().as_str(), "{l}");
        let name = p.file_name().unwrap().to_str().unwrap();
        let tracks = l["tracks"].as_u64().unwrap();
        match name {
            "no_face.mp4" => assert_eq!(tracks, 0, "{l}"),
            "multi_face.jpg" => assert_eq!(tracks, 5, "{l}"),
            _ => assert!(tracks >= 1, "{name}: {l}"),
        }
    }
    let stored = sessions(&store);
    assert_eq!(stored.len(), 9);
    let mut ids: Vec<&str> = lines.iter().map(|l| l["session"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9, "sessions started in the same second share no id");
}

#[test]
fn a_failing_input_is_reported_in_its_place_and_the_others_are_still_analysed() {
    let Some(hevc) = shared_media("face_noface.mov") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let missing = dir.path().join("absent.mp4");
    let inputs = [recording("single_face.jpg"), hevc.clone(), missing.clone(), recording("single_face.mp4")];
    let mut args = vec!["analyze", "--json", "--jobs", "3"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    // Without ffmpeg the HEVC file cannot be read (with it, it can: tests/it/sources.rs).
    let out = std::process::Command::new(common::bin())
        .arg("--store")
        .arg(&store)
        .args(&args)
        .env("EMOTRACE_FFMPEG", "/nonexistent/ffmpeg")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains("2 of 4 inputs failed") && err.contains("face_noface.mov") && err.contains("absent.mp4"));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 4);
    for (l, p) in lines.iter().zip(&inputs) {
        assert_eq!(l["input"], p.display().to_string().as_str(), "{l}");
    }
    assert!(lines[1]["error"].as_str().unwrap().contains("HEVC"), "{}", lines[1]);
    assert!(lines[2]["error"].as_str().unwrap().contains("absent.mp4"), "{}", lines[2]);
    assert!(lines[1]["session"].is_null() && lines[2]["session"].is_null());
    // Nothing lost: the good inputs are stored as completed sessions, with every frame.
    let stored = sessions(&store);
    assert_eq!(stored.len(), 2, "{stored:?}");
    for good in [&lines[0], &lines[3]] {
        assert!(good.get("error").is_none(), "{good}");
        let s = stored.iter().find(|s| s["id"] == good["session"]).unwrap();
        assert_eq!(s["status"], "completed");
        assert_eq!(s["frames"], good["source"]["frame_count"], "{s}");
    }
}

#[test]
fn parallel_jobs_give_the_same_figures_as_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [recording("single_face.mp4"), recording("no_face.mp4"), recording("multi_face.jpg")];
    let figures = |jobs: &str| {
        let mut args = vec!["analyze", "--json", "--no-record", "--jobs", jobs];
        args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
        let out = run(&dir.path().join("store"), &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out.stdout)
            .iter()
            .map(|l| (l["input"].clone(), l["frames"].clone(), l["tracks"].clone(), l["observations"].clone()))
            .collect::<Vec<_>>()
    };
    let one = figures("1");
    assert_eq!(one.len(), 3);
    assert_eq!(one, figures("3"));
}

#[test]
fn jobs_must_be_at_least_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["analyze", "--jobs", "0", recording("single_face.jpg").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
