//! Capture from real media: H.264 MP4 decoding (frame counts, sizes, timestamps, pixels), the errors for bad
//! video files, and image folders.

use std::path::{Path, PathBuf};
use std::time::Instant;

use emotrace::capture::video::VideoSource;
use emotrace::capture::{open, CaptureError, FrameSource, Input, SourceKind};

use crate::common;

/// A bundled recording (`recordings/`, in the repository).
fn media(name: &str) -> PathBuf {
    common::recording(name)
}

/// Reads every frame; returns (width, height, timestamps in ms).
fn read_all(source: &mut dyn FrameSource) -> (Vec<(u32, u32)>, Vec<u64>) {
    let mut sizes = Vec::new();
    let mut stamps = Vec::new();
    let mut expected_index = 0;
    while let Some(frame) = source.next_frame().expect("decode") {
        assert_eq!(frame.index, expected_index);
        expected_index += 1;
        sizes.push(frame.image.dimensions());
        stamps.push(frame.timestamp_ms);
    }
    (sizes, stamps)
}

fn check_video(name: &str, frames: usize, width: u32, height: u32, fps: f64) {
    let mut source = VideoSource::open(&media(name)).expect("open");
    let info = source.info().clone();
    assert_eq!(info.kind, SourceKind::Video);
    assert_eq!((info.width, info.height), (width, height), "{name}: info size");
    assert_eq!(info.frame_count, Some(frames as u64), "{name}: info frame_count");
    let info_fps = info.fps.expect("fps");
    assert!((info_fps - fps).abs() < 0.01, "{name}: fps {info_fps}, want {fps}");
    let (sizes, stamps) = read_all(&mut source);
    assert_eq!(sizes.len(), frames, "{name}: frames decoded");
    assert!(sizes.iter().all(|&s| s == (width, height)), "{name}: frame sizes");
    assert_eq!(stamps[0], 0, "{name}: first timestamp");
    let period = 1000.0 / fps;
    for (i, w) in stamps.windows(2).enumerate() {
        assert!(w[1] > w[0], "{name}: timestamps not increasing at {i}: {w:?}");
        let step = (w[1] - w[0]) as f64;
        assert!((step - period).abs() <= 1.0, "{name}: step {step} ms at frame {i}, want about {period:.1}");
    }
    let last = *stamps.last().unwrap() as f64;
    assert!((last - (frames - 1) as f64 * period).abs() <= 1.0, "{name}: last timestamp {last}");
    // After the end, the source stays ended.
    assert!(source.next_frame().expect("after end").is_none());
}

#[test]
fn wolfgang_has_472_frames_at_23_976_fps() {
    check_video("WolfgangLanger_Pexels.mp4", 472, 640, 360, 24000.0 / 1001.0);
}

#[test]
fn single_face_has_72_frames_at_30_fps() {
    check_video("single_face.mp4", 72, 640, 360, 30.0);
}

#[test]
fn no_face_presents_95_of_98_coded_frames() {
    // 98 coded samples; the edit list presents 95 (as ffprobe -count_frames reports).
    check_video("no_face.mp4", 95, 960, 540, 24.0);
}

#[test]
fn open_by_path_gives_a_video_source() {
    let source = open(&Input::Path(media("single_face.mp4"))).expect("open");
    assert_eq!(source.info().kind, SourceKind::Video);
    assert!(source.info().name.ends_with("single_face.mp4"));
}

#[test]
fn decoded_frames_are_not_blank_and_change() {
    let mut source = VideoSource::open(&media("WolfgangLanger_Pexels.mp4")).expect("open");
    let first = source.next_frame().unwrap().unwrap();
    let mut later = source.next_frame().unwrap().unwrap();
    for _ in 0..99 {
        later = source.next_frame().unwrap().unwrap();
    }
    for frame in [&first, &later] {
        let px = frame.image.rgb().as_raw();
        let n = px.len() as f64;
        let mean = px.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = px.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(var > 100.0, "frame {} looks blank: mean {mean:.1}, variance {var:.1}", frame.index);
        assert!(mean > 20.0 && mean < 235.0, "frame {} mean {mean:.1}", frame.index);
    }
    let diff =
        first.image.rgb().as_raw().iter().zip(later.image.rgb().as_raw()).filter(|(a, b)| a.abs_diff(**b) > 16).count();
    assert!(diff > 1000, "frames 0 and 100 are nearly identical ({diff} differing values)");
}

fn assert_error_names(err: &CaptureError, path: &Path, words: &[&str]) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "message is not one line: {msg:?}");
    assert!(msg.contains(&path.display().to_string()), "message does not name the path: {msg}");
    for w in words {
        assert!(msg.to_lowercase().contains(&w.to_lowercase()), "message lacks {w:?}: {msg}");
    }
}

#[test]
fn missing_file_is_an_error_naming_the_path() {
    let path = media("does_not_exist.mp4");
    let err = VideoSource::open(&path).err().expect("must fail");
    assert!(matches!(err, CaptureError::Unreadable { .. }), "{err:?}");
    assert_error_names(&err, &path, &["no such file"]);
    let err = open(&Input::Path(path.clone())).err().expect("must fail");
    assert_error_names(&err, &path, &[]);
}

#[test]
fn random_bytes_are_not_an_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.mp4");
    // Deterministic pseudo-random bytes.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let err = open(&Input::Path(path.clone())).err().expect("must fail");
    assert!(matches!(err, CaptureError::Unsupported { .. }), "{err:?}");
    assert_error_names(&err, &path, &["not an MP4"]);
    // An empty file too.
    std::fs::write(&path, b"").unwrap();
    let err = VideoSource::open(&path).err().expect("must fail");
    assert_error_names(&err, &path, &["not an MP4"]);
}

#[test]
fn an_mp4_cut_in_its_index_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(media("WolfgangLanger_Pexels.mp4")).unwrap();
    // Cut inside the index (at the start of this file): nothing can be read.
    let path = dir.path().join("cut_5000.mp4");
    std::fs::write(&path, &full[..5_000]).unwrap();
    let err = VideoSource::open(&path).err().expect("cut at 5000 must fail");
    assert!(matches!(err, CaptureError::Corrupt { .. }), "{err:?}");
    assert_error_names(&err, &path, &["truncated"]);
    // single_face.mp4 has its index at the end: a cut loses the index.
    let full = std::fs::read(media("single_face.mp4")).unwrap();
    let path = dir.path().join("cut_index_at_end.mp4");
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let err = VideoSource::open(&path).err().expect("must fail");
    assert_error_names(&err, &path, &["truncated"]);
}

/// Reads `source` to its end: (frames, last timestamp in ms); an error fails the test.
fn read_to_end(source: &mut VideoSource) -> (u64, u64) {
    let (mut frames, mut last) = (0, 0);
    while let Some(f) = source.next_frame().expect("no error: damaged frames are skipped") {
        assert!(f.timestamp_ms >= last, "timestamps go forward");
        frames += 1;
        last = f.timestamp_ms;
    }
    (frames, last)
}

#[test]
fn an_mp4_cut_in_its_frame_data_is_read_up_to_its_last_whole_frame() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(media("WolfgangLanger_Pexels.mp4")).unwrap();
    // Cut in the middle of the frame data, and one byte short (the file ends with sound, so every frame reads).
    for (cut, readable) in [(full.len() / 2, 100..400), (full.len() - 1, 472..473)] {
        let path = dir.path().join(format!("cut_{cut}.mp4"));
        std::fs::write(&path, &full[..cut]).unwrap();
        let mut source = VideoSource::open(&path).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let count = source.info().frame_count.unwrap();
        assert!(readable.contains(&count), "cut at {cut}: {count} frames readable");
        let (frames, _) = read_to_end(&mut source);
        assert_eq!(frames, count, "cut at {cut}: every readable frame is given");
        let skipped = emotrace::capture::skipped::snapshot(&source.skipped().unwrap());
        assert_eq!(frames + skipped.frames, 472, "cut at {cut}: {skipped:?}");
        assert!(skipped.is_empty() || skipped.notes[0].contains("truncated"), "{skipped:?}");
    }
}

#[test]
fn truncation_after_open_ends_the_frames_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinks.mp4");
    let full = std::fs::read(media("WolfgangLanger_Pexels.mp4")).unwrap();
    std::fs::write(&path, &full).unwrap();
    let mut source = VideoSource::open(&path).expect("open");
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let (frames, _) = read_to_end(&mut source);
    assert!(frames > 10 && frames < 472, "{frames}");
    let skipped = emotrace::capture::skipped::snapshot(&source.skipped().unwrap());
    assert_eq!(frames + skipped.frames, 472, "{skipped:?}");
    assert!(skipped.notes[0].contains("truncated"), "{skipped:?}");
}

#[test]
fn hevc_mov_is_not_built_in_and_its_codec_is_named() {
    // The built-in decoder refuses it, naming the codec; `open` then hands it to ffmpeg (tests/it/sources.rs).
    let Some(path) = common::shared_media("face_noface.mov") else { return };
    let err = emotrace::capture::video::VideoSource::open(&path).err().expect("must fail");
    assert!(matches!(err, CaptureError::Codec { .. }), "{err:?}");
    assert_error_names(&err, &path, &["HEVC", "hvc1", "only H.264"]);
}

#[test]
fn image_folder_yields_its_images() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["0-f1-su-ph.jpg", "45-m7-di-ph.jpg"] {
        std::fs::copy(media(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    let mut source = open(&Input::Path(dir.path().to_path_buf())).expect("open folder");
    assert_eq!(source.info().kind, SourceKind::ImageFolder);
    assert_eq!(source.info().frame_count, Some(2));
    let (sizes, stamps) = read_all(source.as_mut());
    assert_eq!(sizes, vec![(512, 512), (512, 512)]);
    assert_eq!(stamps, vec![0, 1000]);
}

/// Decode throughput (frames decoded and converted to RGB per second). Prints; asserts only a loose floor so a
/// loaded machine does not fail it. Run with `--nocapture` to see the figure.
#[test]
fn decode_throughput() {
    let start = Instant::now();
    let mut source = VideoSource::open(&media("WolfgangLanger_Pexels.mp4")).expect("open");
    let mut n = 0;
    while source.next_frame().expect("decode").is_some() {
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let fps = n as f64 / secs;
    eprintln!("decode throughput: {n} frames of 640x360 in {secs:.3} s = {fps:.0} frames/s (open included)");
    if !cfg!(debug_assertions) {
        assert!(fps > 40.0, "decoding is slower than the 40 FPS app target: {fps:.1}");
    }
}

/// Compares our frames with FFmpeg's decode of the same file, frame by frame, to check presentation order,
/// the edit list and colour conversion. Needs `ffmpeg` on PATH (not a product dependency): `--ignored`.
#[test]
#[ignore]
fn frames_match_ffmpeg() {
    for name in ["WolfgangLanger_Pexels.mp4", "no_face.mp4"] {
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(media(name))
            .args(["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .output()
            .expect("run ffmpeg");
        assert!(out.status.success());
        let mut source = VideoSource::open(&media(name)).unwrap();
        let frame_len = (source.info().width * source.info().height * 3) as usize;
        let reference: Vec<&[u8]> = out.stdout.chunks(frame_len).collect();
        let mut n = 0;
        while let Some(frame) = source.next_frame().unwrap() {
            let ours = frame.image.rgb().as_raw();
            let theirs = reference[n];
            let mad =
                ours.iter().zip(theirs).map(|(a, b)| a.abs_diff(*b) as u64).sum::<u64>() as f64 / ours.len() as f64;
            assert!(mad < 3.0, "{name}: frame {n} differs from ffmpeg's (mean abs diff {mad:.2})");
            n += 1;
        }
        assert_eq!(n, reference.len(), "{name}: frame count vs ffmpeg");
    }
}

/// Seeking (a resumed analysis): decoding restarts at a key frame at or before the frame asked for, the frames keep
/// their own indices and times, and the frame asked for is decoded exactly as a read from the start decodes it.
#[test]
fn seeking_restarts_at_a_key_frame_with_the_same_pixels_and_indices() {
    for (name, target) in [("WolfgangLanger_Pexels.mp4", 300u64), ("no_face.mp4", 50), ("single_face.mp4", 70)] {
        let mut whole = VideoSource::open(&media(name)).unwrap();
        let mut reference = None;
        while let Some(f) = whole.next_frame().unwrap() {
            if f.index == target {
                reference = Some((f.timestamp_ms, f.image.gray()));
                break;
            }
        }
        let (ts, gray) = reference.expect("the clip has the frame");
        let mut s = VideoSource::open(&media(name)).unwrap();
        s.seek(target).unwrap();
        let first = s.next_frame().unwrap().unwrap();
        assert!(first.index <= target, "{name}: seek to {target} gave frame {} first", first.index);
        let mut f = first;
        while f.index < target {
            let next = s.next_frame().unwrap().unwrap();
            assert_eq!(next.index, f.index + 1, "{name}: frames follow each other");
            f = next;
        }
        assert_eq!(f.timestamp_ms, ts, "{name}: frame {target} keeps its time");
        assert!(f.image.gray() == gray, "{name}: frame {target} decodes the same after a seek");
    }
}
