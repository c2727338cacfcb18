//! `emotrace probe`: what a file or stream is and which decoder emotrace would read it with, without creating a
//! session (ffprobe for technicians checking a camera or a recording before class).
//!
//! The source is opened as the pipeline would open it (so the decoder named is the one that would run, and a
//! file that cannot be read fails the same way) and its first frame decoded; container, codec and profile come
//! from `ffprobe` when it is installed, else from the built-in reader's own parsing.

use std::path::Path;

use super::ffmpeg::{probe_file, Programs};
use super::{CaptureError, FrameSource, Input, SourceKind};

/// What [`probe`] found. Sizes in pixels, times in milliseconds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProbeReport {
    /// The input as given (an RTSP URL with its password masked).
    pub input: String,
    /// Kind of source.
    pub kind: SourceKind,
    /// Container (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `rtsp`, `image`), when known.
    pub container: Option<String>,
    /// Video codec short name (`h264`, `hevc`, `vp9`, `av1`, `jpeg`, `png`).
    pub codec: Option<String>,
    /// Codec profile (`High`, `Main`), when the stream has one.
    pub profile: Option<String>,
    /// Displayed frame width in pixels (as the pipeline receives frames).
    pub width: u32,
    /// Displayed frame height in pixels.
    pub height: u32,
    /// Nominal (average) frame rate, frames per second.
    pub fps: Option<f64>,
    /// Duration in ms, when known (files).
    pub duration_ms: Option<u64>,
    /// Number of frames, when known in advance.
    pub frame_count: Option<u64>,
    /// The decoder emotrace reads it with (`openh264 (built in)`, `ffmpeg 5.1.9 (hevc)`, ...).
    pub decoder: String,
}

/// Opens `input` as the pipeline would, decodes its first frame, and describes it.
///
/// Errors: the source cannot be opened or decoded (the same [`CaptureError`] `analyze` would give).
pub fn probe(input: &Input) -> Result<ProbeReport, CaptureError> {
    if let Some((url, transport)) = input.stream() {
        let source = super::rtsp::RtspSource::open(url, transport)?;
        let info = source.info();
        return Ok(ProbeReport {
            input: info.name.clone(),
            kind: info.kind,
            container: Some("rtsp".into()),
            codec: Some("h264".into()),
            profile: source.profile().map(str::to_string),
            width: info.width,
            height: info.height,
            fps: info.fps,
            duration_ms: None,
            frame_count: None,
            decoder: info.decoder.clone().unwrap_or_default(),
        });
    }
    let source = super::open(input)?;
    let info = source.info().clone();
    drop(source);
    let mut report = ProbeReport {
        input: info.name.clone(),
        kind: info.kind,
        container: None,
        codec: None,
        profile: None,
        width: info.width,
        height: info.height,
        fps: info.fps,
        duration_ms: None,
        frame_count: info.frame_count,
        decoder: info.decoder.clone().unwrap_or_else(|| "unknown".into()),
    };
    let Input::Path(path) = input else { return Ok(report) };
    match info.kind {
        SourceKind::Video => {
            let programs = Programs::from_env();
            if programs.available() {
                let p = probe_file(&programs, path, "probing")?;
                report.container = Some(p.container);
                report.codec = Some(p.codec);
                report.profile = p.profile;
                report.duration_ms = p.duration_ms;
                report.frame_count = report.frame_count.or(p.frame_count);
            } else {
                builtin_facts(path, &mut report);
            }
        }
        SourceKind::Image => {
            report.container = Some("image".into());
            report.codec = image::ImageFormat::from_path(path).ok().map(|f| format!("{f:?}").to_lowercase());
        }
        _ => {}
    }
    Ok(report)
}

/// Container, codec, profile and duration from the built-in H.264/MP4 reader (no ffprobe).
fn builtin_facts(path: &Path, report: &mut ProbeReport) {
    if let Ok(v) = super::video::VideoSource::open(path) {
        report.container = Some("mp4/mov".into());
        report.codec = Some("h264".into());
        report.profile = Some(v.profile().to_string());
        report.duration_ms = Some(v.duration_ms());
    }
}
