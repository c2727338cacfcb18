//! Video files the built-in H.264/MP4 decoder does not read, through ffmpeg (issue 19): the shared HEVC clips
//! from a phone (a face then none, none then a face), and a VP9 WebM, an MKV, a variable-frame-rate MP4 and an
//! HEVC MKV made from Wolfgang by `scripts/make_variants.sh`, which give the MP4's tracks and per-second class
//! shares; `probe` describes them without creating a session.

use std::path::{Path, PathBuf};

use emotrace::analytics::agreement::agreement;
use emotrace::store::Store;

use crate::common;

use common::*;

/// The variants of Wolfgang (`scripts/make_variants.sh`, ffmpeg) in `target/media/variants`, or `None` with a
/// line saying why (a failure with `EMOTRACE_REQUIRE_CLIP=1`, as CI sets: CI installs ffmpeg).
fn variants() -> Option<PathBuf> {
    // Made once per test process: two tests running the script at once would race on its temporary files.
    static MADE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MADE.lock().unwrap_or_else(|p| p.into_inner());
    let source = shared_media("WolfgangLanger_Pexels.mp4")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/media/variants");
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/make_variants.sh"))
        .arg(&dir)
        .arg(&source)
        .output()
        .expect("run bash");
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(std::env::var_os("EMOTRACE_REQUIRE_CLIP").is_none(), "make_variants.sh: {why}");
        eprintln!("skipped: variants not made: {}", why.trim());
        return None;
    }
    Some(dir)
}

/// Whether ffmpeg is on PATH; without it the ffmpeg tests skip (a failure with `EMOTRACE_REQUIRE_CLIP=1`).
fn have_ffmpeg() -> bool {
    let ok = std::process::Command::new("ffprobe").arg("-version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("EMOTRACE_REQUIRE_CLIP").is_none(), "ffmpeg is not installed");
        eprintln!("skipped: ffmpeg is not installed");
    }
    ok
}

fn analyze(store: &Path, input: &Path) -> serde_json::Value {
    run_json(store, &["analyze", input.to_str().unwrap(), "--json"])
}

/// Observation times (ms) of a session.
fn times(store: &Path, r: &serde_json::Value) -> Vec<u64> {
    observations(store, r["session"].as_str().unwrap()).iter().map(|o| o.timestamp_ms).collect()
}

#[test]
fn the_phone_hevc_clips_are_read_through_ffmpeg() {
    let (Some(leaves), Some(enters)) = (shared_media("face_noface.mov"), shared_media("noface_face.mov")) else {
        return;
    };
    if !have_ffmpeg() {
        return;
    }
    let store = tempfile::tempdir().unwrap();
    for (clip, face_first) in [(leaves, true), (enters, false)] {
        let r = analyze(store.path(), &clip);
        assert_eq!(r["status"], "completed", "{r}");
        assert!(r["source"]["decoder"].as_str().unwrap().starts_with("ffmpeg"), "{r}");
        assert!(r["source"]["decoder"].as_str().unwrap().contains("hevc"), "{r}");
        assert_eq!(r["frames"], 169, "every frame of the clip: {r}");
        assert_eq!(r["tracks"], 1, "{r}");
        let t = times(store.path(), &r);
        let (first, last) = (*t.iter().min().unwrap(), *t.iter().max().unwrap());
        // 6.4 s clips: the face is there in the first second and gone before the end, or the reverse.
        if face_first {
            assert!(first < 1000 && last < 5500, "a face then none: observed {first}..{last} ms");
        } else {
            assert!(first > 1000 && last > 5500, "none then a face: observed {first}..{last} ms");
        }
        // The session record names the decoder.
        let id = r["session"].as_str().unwrap();
        let rec = Store::open_existing(store.path()).unwrap().open_session(id).unwrap().record().clone();
        assert!(rec.decoder.as_deref().is_some_and(|d| d.contains("ffmpeg")), "{:?}", rec.decoder);
    }
}

#[test]
fn webm_mkv_and_vfr_files_give_the_mp4s_tracks_and_shares() {
    let Some(mp4) = shared_media("WolfgangLanger_Pexels.mp4") else { return };
    if !have_ffmpeg() {
        return;
    }
    let Some(dir) = variants() else { return };
    let store = tempfile::tempdir().unwrap();
    let reference = analyze(store.path(), &mp4);
    assert_eq!(reference["source"]["decoder"], "openh264 (built in)");
    let a = observations(store.path(), reference["session"].as_str().unwrap());
    for name in ["wolfgang-vp9.webm", "wolfgang.mkv", "wolfgang-vfr.mp4", "wolfgang-hevc.mkv"] {
        let r = analyze(store.path(), &dir.join(name));
        assert_eq!(r["tracks"], reference["tracks"], "{name}: {r}");
        let b = observations(store.path(), r["session"].as_str().unwrap());
        let g = agreement(&a, &b);
        println!(
            "{name} ({}): per-second class shares differ from the MP4's by {:.2} pp on average",
            r["source"]["decoder"],
            g.share_mean_abs_diff * 100.0
        );
        assert!(g.share_mean_abs_diff <= 0.02, "{name}: per-second class shares differ by over 2 points: {g:?}");
        // Faces are paired by frame number, which the VFR file (frames left out) does not share with the MP4.
        if name != "wolfgang-vfr.mp4" {
            assert!(g.matched_face_seconds as f64 >= 0.9 * g.face_seconds as f64, "{name}: {g:?}");
        }
        // Real timestamps: the last frame is at the end of the video whatever the frame rate.
        let last = b.iter().map(|o| o.timestamp_ms).max().unwrap();
        assert!((19_000..=19_800).contains(&last), "{name}: last observation at {last} ms");
    }
    // The MKV holds the MP4's own H.264 stream: ffmpeg decodes the same pictures as the built-in decoder.
    let mkv = analyze(store.path(), &dir.join("wolfgang.mkv"));
    assert!(mkv["source"]["decoder"].as_str().unwrap().contains("ffmpeg"), "{mkv}");
    assert_eq!(mkv["emotion_share"], reference["emotion_share"]);
}

#[test]
fn the_vfr_file_keeps_its_own_timestamps() {
    let Some(_) = shared_media("WolfgangLanger_Pexels.mp4") else { return };
    if !have_ffmpeg() {
        return;
    }
    let Some(dir) = variants() else { return };
    let src = dir.join("wolfgang-vfr.mp4");
    let mut source = emotrace::capture::open(&emotrace::capture::Input::Path(src)).unwrap();
    let mut gaps = std::collections::BTreeSet::new();
    let mut last = None;
    let mut n = 0;
    while let Some(f) = source.next_frame().unwrap() {
        if let Some(l) = last {
            gaps.insert(f.timestamp_ms - l);
        }
        last = Some(f.timestamp_ms);
        n += 1;
    }
    assert_eq!(n, 394, "every frame of the VFR file");
    // Frame intervals of ~42 ms and ~83 ms (every third frame dropped in the first half), not one assumed rate.
    assert!(gaps.iter().any(|&g| (40..=43).contains(&g)) && gaps.iter().any(|&g| (82..=85).contains(&g)), "{gaps:?}");
}

#[test]
fn probe_describes_a_file_without_creating_a_session() {
    let (Some(mov), Some(mp4)) = (shared_media("face_noface.mov"), shared_media("WolfgangLanger_Pexels.mp4")) else {
        return;
    };
    if !have_ffmpeg() {
        return;
    }
    let store = tempfile::tempdir().unwrap();
    let hevc = run_json(store.path(), &["probe", mov.to_str().unwrap(), "--json"]);
    assert_eq!(hevc["codec"], "hevc", "{hevc}");
    assert_eq!(hevc["profile"], "Main", "{hevc}");
    assert_eq!((hevc["width"].as_u64(), hevc["height"].as_u64()), (Some(960), Some(540)), "{hevc}");
    assert_eq!(hevc["frame_count"], 169);
    assert!(hevc["decoder"].as_str().unwrap().starts_with("ffmpeg"), "{hevc}");
    let h264 = run_json(store.path(), &["probe", mp4.to_str().unwrap(), "--json"]);
    assert_eq!((h264["codec"].as_str(), h264["profile"].as_str()), (Some("h264"), Some("High")), "{h264}");
    assert_eq!(h264["frame_count"], 472);
    assert_eq!(h264["decoder"], "openh264 (built in)");
    assert!((h264["fps"].as_f64().unwrap() - 23.976).abs() < 0.01, "{h264}");
    assert!((19_600..=19_800).contains(&h264["duration_ms"].as_u64().unwrap()), "{h264}");
    // Text form, and no session.
    let out = run(store.path(), &["probe", mov.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("hevc (Main)") && text.contains("960x540"), "{text}");
    assert!(sessions(store.path()).is_empty());
}
