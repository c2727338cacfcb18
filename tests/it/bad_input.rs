//! Bad input gets a one-line error naming the input and the reason, a non-zero exit code, no panic, and no
//! session left looking complete.

use crate::common;

use std::path::Path;

use common::*;

/// Runs analyze on `input` and checks the failure contract; returns stderr.
fn fails_cleanly(store: &Path, input: &Path, reason_words: &[&str]) -> String {
    fails_cleanly_with(store, input, reason_words, &[])
}

/// [`fails_cleanly`] with environment variables set for the run. The store is `dir/store`, so that inputs made
/// in `dir` are not inside it (a store folder holding other files is refused).
fn fails_cleanly_with(dir: &Path, input: &Path, reason_words: &[&str], env: &[(&str, &str)]) -> String {
    let store = &dir.join("store");
    let out = std::process::Command::new(common::bin())
        .arg("--store")
        .arg(store)
        .args(["analyze", input.to_str().unwrap(), "--json"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "analyze {} succeeded", input.display());
    assert_ne!(out.status.code(), Some(101), "exit code 101 means a panic: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "not one line: {stderr}");
    let name = input.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(name), "error does not name the input: {stderr}");
    let lower = stderr.to_lowercase();
    assert!(reason_words.iter().any(|w| lower.contains(w)), "no reason among {reason_words:?}: {stderr}");
    assert!(out.stdout.is_empty(), "stdout should be empty on error");
    for s in sessions(store) {
        assert_ne!(s["status"], "completed", "a failed run left a completed session: {s}");
        assert_ne!(s["status"], "running", "a failed run left a running session: {s}");
    }
    stderr
}

#[test]
fn a_missing_file() {
    let store = tempfile::tempdir().unwrap();
    fails_cleanly(store.path(), &store.path().join("nope.mp4"), &["no such file", "not found"]);
}

#[test]
fn random_bytes_named_mp4() {
    let store = tempfile::tempdir().unwrap();
    let p = store.path().join("random.mp4");
    // Deterministic pseudo-random bytes (xorshift), 64 KiB.
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let bytes: Vec<u8> = (0..65536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&p, bytes).unwrap();
    fails_cleanly(store.path(), &p, &["mp4", "container", "invalid", "not"]);
}

#[test]
fn an_mp4_cut_inside_its_index() {
    // Cut in its frame data, the readable part is analysed (tests/it/damaged_input.rs); cut in its index, nothing
    // can be.
    let store = tempfile::tempdir().unwrap();
    let p = store.path().join("truncated.mp4");
    let full = std::fs::read(recording("WolfgangLanger_Pexels.mp4")).unwrap();
    std::fs::write(&p, &full[..5_000]).unwrap();
    fails_cleanly(store.path(), &p, &["truncated", "corrupt", "incomplete", "damaged", "missing", "end"]);
}

#[test]
fn an_hevc_mov_without_ffmpeg() {
    // With ffmpeg it is read (tests/it/sources.rs); without, the error names the codec and says to install ffmpeg.
    let store = tempfile::tempdir().unwrap();
    let Some(mov) = shared_media("face_noface.mov") else { return };
    let no_ffmpeg = [("EMOTRACE_FFMPEG", "/nonexistent/ffmpeg")];
    let stderr = fails_cleanly_with(store.path(), &mov, &["hevc"], &no_ffmpeg);
    assert!(stderr.contains("install ffmpeg"), "should say to install ffmpeg: {stderr}");
}

#[test]
fn a_webm_without_ffmpeg() {
    let store = tempfile::tempdir().unwrap();
    let webm = store.path().join("class.webm");
    std::fs::write(&webm, b"\x1a\x45\xdf\xa3 not really").unwrap();
    let no_ffmpeg = [("EMOTRACE_FFMPEG", "/nonexistent/ffmpeg")];
    let stderr = fails_cleanly_with(store.path(), &webm, &[".webm"], &no_ffmpeg);
    assert!(stderr.contains("install ffmpeg"), "should say to install ffmpeg: {stderr}");
}

#[test]
fn a_corrupt_webm_with_ffmpeg() {
    let store = tempfile::tempdir().unwrap();
    let webm = store.path().join("class.webm");
    std::fs::write(&webm, b"\x1a\x45\xdf\xa3 not really").unwrap();
    fails_cleanly(store.path(), &webm, &["ffmpeg", "invalid"]);
}

#[test]
fn an_absent_camera_is_one_sentence() {
    let store = tempfile::tempdir().unwrap();
    let out = run(store.path(), &["devices"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.success() {
        return; // this machine has a camera
    }
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("camera"), "{stderr}");
}

#[test]
fn a_broken_config_names_the_file_and_key() {
    let store = tempfile::tempdir().unwrap();
    let cfg = store.path().join("emotrace.toml");
    std::fs::write(&cfg, "[detect]\nscale = \"big\"\n").unwrap();
    let out = run(store.path(), &["--config", cfg.to_str().unwrap(), "sessions"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("emotrace.toml") && stderr.contains("scale"), "{stderr}");
}

/// The CRC-32 of PNG chunks (ISO 3309), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn an_empty_image_and_one_too_large_to_decode_say_so() {
    // Issue 25, item 13: a zero-byte PNG said "The image format could not be determined", and a 16000x16000
    // PNG "Memory limit exceeded" without naming the limit.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let err = fails_cleanly_with(dir.path(), &empty, &["empty (0 bytes)"], &[]);
    assert!(!err.contains("could not be determined"), "{err}");

    // A well-formed PNG header of 16000x16000 RGB (its pixels are never reached: the size is refused first).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let body = [kind, data].concat();
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(16_000u32.to_be_bytes());
    ihdr.extend(16_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    let big = dir.path().join("big.png");
    std::fs::write(&big, &png).unwrap();
    let err = fails_cleanly_with(dir.path(), &big, &["16000x16000"], &[]);
    assert!(err.contains("732 MB") && err.contains("512 MB"), "names the need and the limit: {err}");
}
