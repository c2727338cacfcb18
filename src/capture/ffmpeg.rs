//! Any video file FFmpeg reads (HEVC, VP8/VP9, AV1, MKV/WebM, AVI, MPEG-TS, ...), through the `ffmpeg` and
//! `ffprobe` programs found on `PATH` (or `EMOTRACE_FFMPEG`), as child processes: nothing is linked.
//!
//! `ffprobe` describes the file ([`probe_file`]); `ffmpeg` decodes its first video stream and writes raw YUV 4:2:0
//! frames (BT.601 limited range, what [`Yuv420`] holds) to a pipe, turned upright as the display matrix says, at
//! the first frame's size. Every frame's presentation time comes from the stream: ffmpeg's `showinfo` filter logs
//! `pts_time` for each frame on stderr, which a reader thread pairs with the frames by number, so variable frame
//! rate files keep their real timestamps (`-fps_mode passthrough`: no frame is duplicated or dropped).
//!
//! The built-in H.264/MP4 path ([`super::video`]) stays the default; [`super::open`] comes here for the files it
//! cannot decode.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::picture::{Picture, Yuv420};
use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};
use crate::fmt::one_line;

/// Environment variable naming the `ffmpeg` program to run (its `ffprobe` is looked for beside it); without it,
/// `ffmpeg` and `ffprobe` are looked for on `PATH`.
pub const FFMPEG_ENV: &str = "EMOTRACE_FFMPEG";

/// What to tell a user who has no ffmpeg.
pub const INSTALL_FFMPEG: &str = "install ffmpeg (Debian/Ubuntu: `apt install ffmpeg`, macOS: `brew install ffmpeg`)";

/// Largest frame side accepted from ffmpeg, pixels (guards allocations).
const MAX_SIDE_PX: u32 = 16_384;

/// How long a frame's timestamp may lag behind its pixels before the stream is called broken.
const PTS_WAIT: Duration = Duration::from_secs(30);

/// The `ffmpeg` and `ffprobe` programs to run.
#[derive(Clone, Debug)]
pub struct Programs {
    /// The `ffmpeg` program (a name looked up on `PATH`, or a path).
    pub ffmpeg: PathBuf,
    /// The `ffprobe` program.
    pub ffprobe: PathBuf,
}

impl Programs {
    /// `EMOTRACE_FFMPEG` (and the `ffprobe` in the same folder) when set, else `ffmpeg` and `ffprobe` on `PATH`.
    pub fn from_env() -> Programs {
        match std::env::var_os(FFMPEG_ENV).filter(|v| !v.is_empty()) {
            Some(ffmpeg) => {
                let ffmpeg = PathBuf::from(ffmpeg);
                let ffprobe = ffmpeg.with_file_name(
                    ffmpeg.file_name().and_then(|n| n.to_str()).unwrap_or("ffmpeg").replacen("ffmpeg", "ffprobe", 1),
                );
                Programs { ffmpeg, ffprobe }
            }
            None => Programs { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() },
        }
    }

    /// Whether `ffprobe` can be started (it answers `-version`).
    pub fn available(&self) -> bool {
        Command::new(&self.ffprobe)
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The first line of `ffmpeg -version` (`ffmpeg version 5.1.9-0+deb12u1 ...`), cut after the version.
    pub fn version(&self) -> Option<String> {
        let out = Command::new(&self.ffmpeg).arg("-version").stdin(Stdio::null()).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().next()?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("ffmpeg"), Some("version"), Some(v)) => Some(format!("ffmpeg {v}")),
            _ => None,
        }
    }
}

/// Facts `ffprobe` gives about a file's first video stream.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Probe {
    /// Container as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mpegts`, ...).
    pub container: String,
    /// Codec short name (`hevc`, `vp9`, `h264`, `av1`, ...).
    pub codec: String,
    /// Codec long name (`H.265 / HEVC (High Efficiency Video Coding)`).
    pub codec_long: Option<String>,
    /// Codec profile (`Main`, `High`, `Profile 0`), when the stream has one.
    pub profile: Option<String>,
    /// Pixel format of the decoded stream (`yuv420p`, `yuv420p10le`, ...).
    pub pix_fmt: Option<String>,
    /// Displayed width in pixels (coded width, swapped with the height when the display matrix turns it 90 degrees).
    pub width: u32,
    /// Displayed height in pixels.
    pub height: u32,
    /// Clockwise display rotation in degrees (0, 90, 180, 270) from the display matrix.
    pub rotation: u16,
    /// Average frame rate in frames per second (`avg_frame_rate`, else `r_frame_rate`).
    pub fps: Option<f64>,
    /// Duration in milliseconds (the stream's, else the container's).
    pub duration_ms: Option<u64>,
    /// Frames in the stream when the container says (`nb_frames`; MKV/WebM and MPEG-TS do not).
    pub frame_count: Option<u64>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_name: Option<String>,
    codec_long_name: Option<String>,
    profile: Option<String>,
    pix_fmt: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    nb_frames: Option<String>,
    #[serde(default)]
    side_data_list: Vec<SideDataJson>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

#[derive(Deserialize)]
struct SideDataJson {
    rotation: Option<f64>,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
}

/// `"24000/1001"` as frames per second; `None` for `0/0` or nonsense.
fn rate(text: &str) -> Option<f64> {
    let (n, d) = text.split_once('/').unwrap_or((text, "1"));
    let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
    let r = n / d;
    (r.is_finite() && r > 0.0 && r < 1000.0).then_some(r)
}

/// Seconds as text to whole milliseconds.
fn text_ms(text: &Option<String>) -> Option<u64> {
    let s = text.as_deref()?.trim().parse::<f64>().ok()?;
    (s.is_finite() && s >= 0.0).then(|| crate::fmt::secs_to_ms(s))
}

/// The error for a program that could not be started: not installed, or not runnable.
fn not_started(shown: &str, what: &str, program: &Path, e: &std::io::Error) -> CaptureError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CaptureError::Unsupported {
            path: shown.to_string(),
            reason: format!("{what} needs ffmpeg, which was not found ({}): {INSTALL_FFMPEG}", program.display()),
        }
    } else {
        CaptureError::Unreadable {
            path: shown.to_string(),
            reason: format!("cannot run {}: {}", program.display(), one_line(e)),
        }
    }
}

/// The last meaningful line ffmpeg or ffprobe printed on stderr (their errors name the reason), without the
/// file name they repeat.
fn last_error_line(stderr: &str, path: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('[') || l.contains("rror"))
        .map(|l| l.replace(&format!("{path}: "), ""))
        .unwrap_or_else(|| "no reason given".into())
}

/// Describes `path`'s first video stream with `ffprobe` (reads the headers only, decodes nothing).
///
/// Errors: [`CaptureError::Unsupported`] when ffprobe is not installed (`what` names what needed it, such as
/// "video codec HEVC (hvc1)"), or when it finds no video stream or cannot read the file (its reason, one line).
pub fn probe_file(programs: &Programs, path: &Path, what: &str) -> Result<Probe, CaptureError> {
    let shown = crate::text::path_text(path);
    let out = Command::new(&programs.ffprobe)
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-select_streams", "v:0"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| not_started(&shown, what, &programs.ffprobe, &e))?;
    let unsupported = |reason: String| CaptureError::Unsupported { path: shown.clone(), reason };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(unsupported(format!("ffmpeg cannot read it: {}", last_error_line(&stderr, &shown))));
    }
    let json: ProbeJson = serde_json::from_slice(&out.stdout)
        .map_err(|e| unsupported(format!("unexpected ffprobe output: {}", one_line(e))))?;
    let container = json.format.as_ref().and_then(|f| f.format_name.clone()).unwrap_or_else(|| "unknown".into());
    let Some(s) = json.streams.into_iter().next() else {
        return Err(unsupported(format!("no video stream (ffmpeg reads it as {container})")));
    };
    let (Some(w), Some(h)) = (s.width, s.height) else {
        return Err(unsupported("the video stream has no frame size".into()));
    };
    if w == 0 || h == 0 || w > MAX_SIDE_PX || h > MAX_SIDE_PX {
        return Err(unsupported(format!("unusable frame size {w}x{h}")));
    }
    // The display matrix's rotation is counter-clockwise in ffprobe's side data (-90 = turn 90 clockwise); old
    // files carry a `rotate` tag (clockwise) instead.
    let ccw = s.side_data_list.iter().find_map(|d| d.rotation).map(|r| r.round() as i64);
    let cw = ccw.map(|r| -r).or_else(|| s.tags.get("rotate").and_then(|r| r.trim().parse::<i64>().ok())).unwrap_or(0);
    let rotation = cw.rem_euclid(360) as u16;
    let (width, height) = if rotation % 180 == 90 { (h, w) } else { (w, h) };
    let fps = s.avg_frame_rate.as_deref().and_then(rate).or_else(|| s.r_frame_rate.as_deref().and_then(rate));
    let duration_ms = text_ms(&s.duration).or_else(|| text_ms(&json.format.as_ref().and_then(|f| f.duration.clone())));
    Ok(Probe {
        container,
        codec: s.codec_name.unwrap_or_else(|| "unknown".into()),
        codec_long: s.codec_long_name,
        profile: s.profile.filter(|p| !p.is_empty() && p != "unknown"),
        pix_fmt: s.pix_fmt,
        width,
        height,
        rotation: if rotation.is_multiple_of(90) { rotation } else { 0 },
        fps,
        duration_ms,
        frame_count: s.nb_frames.and_then(|n| n.trim().parse().ok()).filter(|&n| n > 0),
    })
}

/// What the stderr reader learned: frame timestamps by frame number, and the last lines that were not.
struct Stderr {
    /// `(frame number, presentation time in seconds)` from `showinfo`, in order.
    pts: Receiver<(u64, f64)>,
    /// The last few other lines (ffmpeg's errors), for messages.
    tail: Arc<Mutex<VecDeque<String>>>,
}

/// Parses a `showinfo` frame line: `[Parsed_showinfo_0 @ 0x..] n:   3 pts:   1536 pts_time:0.1 ...`.
fn showinfo_frame(line: &str) -> Option<(u64, f64)> {
    if !line.contains("showinfo") {
        return None;
    }
    let n = line.split_once(" n:")?.1.split_whitespace().next()?.parse().ok()?;
    let t = line.split_once("pts_time:")?.1.split_whitespace().next()?.parse().ok()?;
    Some((n, t))
}

fn read_stderr(stderr: impl Read + Send + 'static) -> Stderr {
    let (tx, rx) = mpsc::channel();
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let keep = Arc::clone(&tail);
    std::thread::Builder::new()
        .name("ffmpeg-stderr".into())
        .spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim();
                if let Some(frame) = showinfo_frame(line) {
                    if tx.send(frame).is_err() {
                        break;
                    }
                } else if !line.is_empty() && !line.contains("showinfo") {
                    let mut tail = keep.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == 8 {
                        tail.pop_front();
                    }
                    tail.push_back(line.to_string());
                }
            }
        })
        .expect("spawning a thread");
    Stderr { pts: rx, tail }
}

/// A [`FrameSource`] decoding a file with an `ffmpeg` child process. Frames are YUV 4:2:0 at the probed
/// (displayed) size, in presentation order, with the stream's own timestamps (ms since the first frame).
pub struct FfmpegSource {
    info: SourceInfo,
    shown: String,
    probe: Probe,
    child: Child,
    stdout: ChildStdout,
    stderr: Stderr,
    /// Bytes of one raw frame.
    frame_bytes: usize,
    next_index: u64,
    /// Presentation time of the first frame, seconds (subtracted: MPEG-TS and some MKV start later than 0).
    first_pts: Option<f64>,
    /// The last frame's timestamp, ms (kept non-decreasing).
    last_ms: u64,
    ended: bool,
    /// The first frame, decoded at open.
    pending: Option<Frame>,
}

impl FfmpegSource {
    /// Probes `path` and starts decoding it; the first frame is decoded before this returns, so a file ffmpeg
    /// cannot decode fails here.
    ///
    /// [`SourceInfo`]: `width`/`height` displayed size in pixels, `fps` the stream's average frame rate,
    /// `frame_count` when the container states it, `decoder` `"ffmpeg <version> (<codec>)"`.
    ///
    /// Errors (one line naming the path): [`CaptureError::Unsupported`] when ffmpeg is not installed (naming
    /// `what`, e.g. "video codec HEVC (hvc1)", and how to install it), or the file has no video stream ffmpeg
    /// can read; [`CaptureError::Corrupt`] when no frame can be decoded.
    pub fn open(path: &Path, what: &str) -> Result<FfmpegSource, CaptureError> {
        let programs = Programs::from_env();
        let probe = probe_file(&programs, path, what)?;
        Self::start(&programs, path, probe)
    }

    fn start(programs: &Programs, path: &Path, probe: Probe) -> Result<FfmpegSource, CaptureError> {
        let shown = crate::text::path_text(path);
        let mut child = Command::new(&programs.ffmpeg)
            .args(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough", "-vf"])
            // showinfo first: it logs every decoded frame's pts; then BT.601 limited range 4:2:0 as Yuv420 holds.
            .arg("showinfo=checksum=0,scale=out_color_matrix=bt601:out_range=tv,format=yuv420p")
            .args(["-f", "rawvideo", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| not_started(&shown, &format!("video codec {}", probe.codec), &programs.ffmpeg, &e))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(CaptureError::Unreadable { path: shown, reason: "cannot read ffmpeg's output".into() });
        };
        let (w, h) = (probe.width as usize, probe.height as usize);
        let frame_bytes = w * h + 2 * w.div_ceil(2) * h.div_ceil(2);
        let version = programs.version().unwrap_or_else(|| "ffmpeg".into());
        let mut source = FfmpegSource {
            info: SourceInfo {
                name: shown.clone(),
                kind: SourceKind::Video,
                width: probe.width,
                height: probe.height,
                fps: probe.fps,
                frame_count: probe.frame_count,
                decoder: Some(format!("{version} ({})", probe.codec)),
            },
            shown,
            probe,
            child,
            stdout,
            stderr: read_stderr(stderr),
            frame_bytes,
            next_index: 0,
            first_pts: None,
            last_ms: 0,
            ended: false,
            pending: None,
        };
        match source.read_frame()? {
            Some(first) => {
                source.pending = Some(first);
                Ok(source)
            }
            None => Err(source.failure("no frame could be decoded")),
        }
    }

    /// What the file's stream is, as probed.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// A [`CaptureError::Corrupt`] with `what` and ffmpeg's last error line.
    fn failure(&mut self, what: &str) -> CaptureError {
        // Give the stderr reader a moment to take ffmpeg's last words.
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        let tail = self.stderr.tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
        let why = last_error_line(&tail.join("\n"), &self.shown);
        CaptureError::Corrupt { path: self.shown.clone(), reason: format!("{what} (ffmpeg: {why})") }
    }

    /// Reads the next raw frame and pairs it with its timestamp; `Ok(None)` at a clean end.
    fn read_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        if self.ended {
            return Ok(None);
        }
        let mut buf = vec![0u8; self.frame_bytes];
        let mut got = 0;
        while got < buf.len() {
            match self.stdout.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failure(&format!("reading ffmpeg's frames: {}", one_line(e)))),
            }
        }
        if got < buf.len() {
            self.ended = true;
            let status = self.child.wait();
            if got > 0 {
                return Err(self.failure(&format!("ffmpeg stopped part-way through frame {}", self.next_index + 1)));
            }
            return match status {
                Ok(s) if s.success() => Ok(None),
                _ => Err(self.failure(&format!("decoding stopped after {} frames", self.next_index))),
            };
        }
        let index = self.next_index;
        let pts = loop {
            match self.stderr.pts.recv_timeout(PTS_WAIT) {
                Ok((n, t)) if n == index => break Some(t),
                Ok((n, _)) if n < index => continue,
                Ok(_) => break None,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.failure(&format!("no timestamp for frame {} from ffmpeg", index + 1)))
                }
                Err(RecvTimeoutError::Disconnected) => break None,
            }
        };
        // A frame without a logged time (not expected) gets the nominal rate's.
        let fps = self.info.fps.unwrap_or(30.0);
        let secs = pts.unwrap_or_else(|| self.first_pts.unwrap_or(0.0) + index as f64 / fps);
        let first = *self.first_pts.get_or_insert(secs);
        let ms = crate::fmt::secs_to_ms((secs - first).max(0.0)).max(self.last_ms);
        self.last_ms = ms;
        self.next_index += 1;
        let (w, h) = (self.probe.width as usize, self.probe.height as usize);
        let c = w.div_ceil(2) * h.div_ceil(2);
        let v = buf.split_off(w * h + c);
        let u = buf.split_off(w * h);
        let yuv = Yuv420 { width: self.probe.width, height: self.probe.height, y: buf, u, v };
        Ok(Some(Frame {
            index,
            timestamp_ms: ms,
            captured_at: Instant::now(),
            image: Picture::from_yuv(yuv),
            scene_start: false,
        }))
    }
}

impl FrameSource for FfmpegSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The next frame in presentation order; `Ok(None)` after the last one.
    ///
    /// Errors: [`CaptureError::Corrupt`] naming the file and ffmpeg's reason when decoding stops early.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        match self.pending.take() {
            Some(frame) => Ok(Some(frame)),
            None => self.read_frame(),
        }
    }
}

impl Drop for FfmpegSource {
    /// Stops the ffmpeg child (a source dropped before the end must not leave it decoding).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn showinfo_lines() {
        let line = "[Parsed_showinfo_0 @ 0x55f4] n: 167 pts:  97055 pts_time:6.31868 pos:  1312164 fmt:yuv420p";
        assert_eq!(showinfo_frame(line), Some((167, 6.31868)));
        assert_eq!(showinfo_frame("[Parsed_showinfo_0 @ 0x5] config in time_base: 1/15360"), None);
        assert_eq!(showinfo_frame("frame=  10 fps=0.0 q=-0.0 size="), None);
    }

    #[test]
    fn rates() {
        assert!((rate("24000/1001").unwrap() - 23.976).abs() < 1e-3);
        assert_eq!(rate("0/0"), None);
        assert_eq!(rate("30"), Some(30.0));
    }
}
