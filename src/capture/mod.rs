//! Capture: where frames come from.
//!
//! A [`FrameSource`] yields [`Frame`]s (RGB8, pixels of the source) with a timestamp in milliseconds since the
//! start of the source; its pixels are a [`Picture`] (RGB8, or a video's YUV with RGB made on demand).
//! Implementations: [`video`] (H.264 in MP4/MOV, decoded by `openh264` after demuxing with `re_mp4`), [`ffmpeg`]
//! (any other video file, through an `ffmpeg` child process when ffmpeg is installed), [`images`] (a JPEG/PNG file or a folder of them), and `camera` (nokhwa, cargo feature `camera`).

#[cfg(feature = "camera")]
pub mod camera;
pub mod ffmpeg;
pub mod gray;
pub mod images;
pub mod picture;
pub mod probe;
pub mod rtsp;
pub mod skipped;
pub mod video;

pub use picture::{Picture, Yuv420};

use std::path::PathBuf;
use std::time::Instant;

/// One decoded frame.
pub struct Frame {
    /// 0-based index of the frame in its source.
    pub index: u64,
    /// Presentation time in milliseconds since the start of the source (video PTS, camera clock, or
    /// `index * 1000 / fps` for still images).
    pub timestamp_ms: u64,
    /// When the frame left the source (for capture-to-screen latency).
    pub captured_at: Instant,
    /// Pixels, `width x height` of the source: RGB8 (images, cameras, rotated video) or YUV 4:2:0 (video), with
    /// RGB and gray made from it on demand.
    pub image: Picture,
    /// A new, unrelated scene starts here (each photo of a folder): tracks and smoothing restart, so faces are
    /// never carried over from the previous frame.
    pub scene_start: bool,
}

/// Largest image side decoded, pixels (larger images are refused before their pixels are allocated).
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Most memory one decoded image may take, bytes, counted as RGB (3 bytes a pixel, what the pipeline holds):
/// 512 MiB, the `image` crate's own default allocation limit (about 13,000 x 13,000 pixels). Larger images are
/// refused, naming their size and this limit, before their pixels are allocated.
pub const MAX_IMAGE_RGB_BYTES: u64 = 512 << 20;

/// What kind of source a [`FrameSource`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A video file (MP4/MOV, H.264).
    Video,
    /// One still image.
    Image,
    /// A folder of still images, in file-name order.
    ImageFolder,
    /// A live camera.
    Camera,
    /// A network stream (RTSP): live, reconnected when lost.
    Stream,
}

/// Static facts about a source, known once it is open.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    /// Human-readable name: the file path or the camera's name.
    pub name: String,
    /// Kind of source.
    pub kind: SourceKind,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Nominal frame rate in frames per second, when the source has one.
    pub fps: Option<f64>,
    /// Number of frames, when known in advance (files).
    pub frame_count: Option<u64>,
    /// The decoder that reads it: `"openh264 (built in)"`, `"ffmpeg 5.1.9 (hevc)"`, `"image"`, `"camera"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder: Option<String>,
}

impl SourceInfo {
    /// A live source (camera) produces frames whether or not we keep up; a file waits for us.
    pub fn is_live(&self) -> bool {
        matches!(self.kind, SourceKind::Camera | SourceKind::Stream)
    }
}

/// Errors from opening or reading a source. Every message names the input, with its control characters written
/// as visible escapes ([`crate::text::terminal_safe`]: a newline in a file name reads `\n` in the message, as in
/// every other place the name is shown, and survives the error line's joining of white space).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The path does not exist or cannot be read.
    #[error("{}: {reason}", crate::text::terminal_safe(path))]
    Unreadable { path: String, reason: String },
    /// The file is not in a format we can read (wrong container, wrong codec, corrupt).
    #[error("{}: {reason}", crate::text::terminal_safe(path))]
    Unsupported { path: String, reason: String },
    /// The data is damaged part-way (truncated file, bad packet).
    #[error("{}: {reason}", crate::text::terminal_safe(path))]
    Corrupt { path: String, reason: String },
    /// No camera, or the camera could not be opened.
    #[error("{0}")]
    Camera(String),
    /// A video whose codec the built-in decoder does not read (it reads H.264 only); [`open`] hands such a file to
    /// ffmpeg.
    #[error("{}: video codec {codec} is not built in (only H.264 is)", crate::text::terminal_safe(path))]
    Codec { path: String, codec: String },
}

/// A producer of frames. `next_frame` returns `Ok(None)` at the end of a file source.
pub trait FrameSource: Send {
    /// Facts about the source.
    fn info(&self) -> &SourceInfo;
    /// The next frame, `Ok(None)` at the end, or an error naming the input and the reason.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError>;

    /// Moves the source so that frame `index` (0-based) comes soon: the next frame yielded is frame `index` or an
    /// earlier one (a video restarts at the key frame before it), never a later one. Frames keep their own
    /// indices and times, so the caller skips those before `index`. The default does nothing (the caller reads
    /// and skips the frames before it).
    ///
    /// Errors: the source cannot be restarted there (a message naming the input).
    fn seek(&mut self, index: u64) -> Result<(), CaptureError> {
        let _ = index;
        Ok(())
    }

    /// A network source's connection state (reconnecting, gaps so far), shared with the screen and the recorder;
    /// `None` for sources that cannot be lost (files, cameras).
    fn link(&self) -> Option<std::sync::Arc<std::sync::Mutex<rtsp::LinkState>>> {
        None
    }

    /// The frames or images this source has left out because they could not be read or decoded (a damaged
    /// video frame, a file cut short, a bad image in a folder), shared with the pipeline; `None` for sources that
    /// stop at the first bad frame or cannot have one (cameras, streams, ffmpeg, which conceals damage itself).
    fn skipped(&self) -> Option<skipped::SharedSkipped> {
        None
    }

    /// Gives the source the pipeline's stop flag: a source that may wait long for its next frame (a stream
    /// being reconnected) returns `Ok(None)` from [`FrameSource::next_frame`] soon after it is set. The default
    /// ignores it (files and cameras deliver frames promptly).
    fn watch_stop(&mut self, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        let _ = stop;
    }
}

/// Which input to open.
#[derive(Clone, Debug)]
pub enum Input {
    /// A video file, an image, or a folder of photos (decided by the path).
    Path(PathBuf),
    /// A folder of numbered frames read as a video at this frame rate (frames per second).
    Sequence(PathBuf, f64),
    /// A camera by index (as `emotrace devices` lists them) or by (part of its) name.
    Camera(CameraSpec),
    /// An RTSP stream: `rtsp://[user[:password]@]host[:port]/path` (an [`Input::Path`] holding such a URL is
    /// read the same way, over TCP).
    Rtsp(String, rtsp::RtspTransport),
}

impl Input {
    /// The RTSP URL and transport when this input is a network stream: an [`Input::Rtsp`], or an [`Input::Path`]
    /// holding an `rtsp://` URL (read over TCP).
    pub fn stream(&self) -> Option<(&str, rtsp::RtspTransport)> {
        match self {
            Input::Rtsp(url, transport) => Some((url, *transport)),
            Input::Path(p) => p.to_str().filter(|s| rtsp::is_rtsp(s)).map(|s| (s, rtsp::RtspTransport::Tcp)),
            _ => None,
        }
    }
}

/// Camera selection and requested format.
#[derive(Clone, Debug, Default)]
pub struct CameraSpec {
    /// Index of the camera, as listed by `emotrace devices`.
    pub index: Option<u32>,
    /// Case-insensitive substring of the camera's name (used when `index` is `None`).
    pub name: Option<String>,
    /// Requested frame width in pixels.
    pub width: Option<u32>,
    /// Requested frame height in pixels.
    pub height: Option<u32>,
    /// Requested frame rate in frames per second.
    pub fps: Option<u32>,
}

/// One pixel format a camera offers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceFormat {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frame rate in frames per second.
    pub fps: u32,
    /// Pixel format as the camera sends it (`MJPEG`, `YUYV`, `NV12`, `GRAY`, ...); frames are always converted
    /// to RGB8.
    pub pixel_format: String,
}

/// A camera, as [`list_devices`] reports it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// Index to pass as [`CameraSpec::index`] (on Linux, the `N` of `/dev/videoN`).
    pub index: u32,
    /// The camera's name.
    pub name: String,
    /// What the backend says about it (on Linux, the device path).
    pub description: String,
    /// Formats the camera offers; empty when they could not be queried (for example, the camera is busy).
    pub formats: Vec<DeviceFormat>,
}

/// The message for a machine without a camera.
pub const NO_CAMERA: &str =
    "no camera found (no /dev/video* device); use a video file, e.g. `emotrace live recordings/...`";

/// The message for a binary built without the `camera` feature.
pub const CAMERA_NOT_BUILT: &str =
    "camera support is not built in: rebuild with `cargo build --release --features camera`";

/// Lists the cameras.
///
/// Errors: [`CaptureError::Camera`] with [`NO_CAMERA`] when there is no camera (an empty list is never
/// returned), with [`CAMERA_NOT_BUILT`] when built without the `camera` feature, or with the backend's reason
/// when the query fails.
pub fn list_devices() -> Result<Vec<DeviceInfo>, CaptureError> {
    #[cfg(feature = "camera")]
    {
        camera::list_devices()
    }
    #[cfg(not(feature = "camera"))]
    {
        Err(CaptureError::Camera(CAMERA_NOT_BUILT.into()))
    }
}

/// Extensions of the video files that go to ffmpeg ([`ffmpeg`]) rather than the built-in MP4/MOV reader.
pub const FFMPEG_EXTENSIONS: &[&str] =
    &["webm", "mkv", "avi", "ts", "mts", "m2ts", "mpg", "mpeg", "flv", "wmv", "ogv", "3gp", "hevc", "h265", "ivf"];

/// What a file holds, judged by its extension (case-blind): the kinds [`open`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// `.mp4`, `.mov`, `.m4v` (built-in H.264 decoder; other codecs through ffmpeg), or one of
    /// [`FFMPEG_EXTENSIONS`] (through ffmpeg).
    Video,
    /// `.jpg`, `.jpeg`, `.png`: a still image.
    Image,
}

/// The [`MediaKind`] of `path` by its extension, or `None` for any other file (nothing is read).
pub fn media_kind(path: &std::path::Path) -> Option<MediaKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "mp4" | "mov" | "m4v" => Some(MediaKind::Video),
        "jpg" | "jpeg" | "png" => Some(MediaKind::Image),
        e if FFMPEG_EXTENSIONS.contains(&e) => Some(MediaKind::Video),
        _ => None,
    }
}

/// Opens a source.
///
/// Errors: [`CaptureError`] naming the input and the reason (missing file, unsupported codec, no camera ...).
pub fn open(input: &Input) -> Result<Box<dyn FrameSource>, CaptureError> {
    if let Some((url, transport)) = input.stream() {
        return Ok(Box::new(rtsp::RtspSource::open(url, transport)?));
    }
    match input {
        Input::Path(path) => {
            let shown = crate::text::path_text(path);
            let meta = std::fs::metadata(path)
                .map_err(|e| CaptureError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
            if meta.is_dir() {
                return Ok(Box::new(images::ImageSource::open_folder(path)?));
            }
            // A FIFO would block and a device (`/dev/zero`, `/dev/urandom`) never ends: files only (cameras are
            // opened with --camera).
            if !meta.is_file() {
                return Err(CaptureError::Unreadable {
                    path: shown,
                    reason: "not a regular file (a FIFO, device or socket); give a video or image file, or --camera"
                        .into(),
                });
            }
            let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
            match media_kind(path) {
                Some(MediaKind::Image) => Ok(Box::new(images::ImageSource::open_file(path)?)),
                Some(MediaKind::Video) if FFMPEG_EXTENSIONS.contains(&ext.as_str()) => {
                    Ok(Box::new(ffmpeg::FfmpegSource::open(path, &format!("a .{ext} file"))?))
                }
                Some(MediaKind::Video) => match video::VideoSource::open(path) {
                    Ok(source) => Ok(Box::new(source)),
                    // HEVC from a phone, VP9 or AV1 in MP4: ffmpeg decodes what the built-in decoder does not.
                    Err(CaptureError::Codec { codec, .. }) => {
                        Ok(Box::new(ffmpeg::FfmpegSource::open(path, &format!("video codec {codec}"))?))
                    }
                    Err(e) => Err(e),
                },
                None => Err(CaptureError::Unsupported {
                    path: shown,
                    reason: format!(
                        "unknown file type '.{ext}' (expected .mp4, .mov, .m4v, .jpg, .jpeg, .png, a folder of images, \
                         or with ffmpeg installed .{})",
                        FFMPEG_EXTENSIONS.join(", .")
                    ),
                }),
            }
        }
        Input::Sequence(dir, fps) => Ok(Box::new(images::ImageSource::open_sequence(dir, *fps)?)),
        // Taken by `stream()` above; opened the same way all the same.
        Input::Rtsp(url, transport) => Ok(Box::new(rtsp::RtspSource::open(url, *transport)?)),
        #[cfg(feature = "camera")]
        Input::Camera(spec) => Ok(Box::new(camera::CameraSource::open(spec)?)),
        #[cfg(not(feature = "camera"))]
        Input::Camera(_) => Err(CaptureError::Camera(CAMERA_NOT_BUILT.into())),
    }
}
