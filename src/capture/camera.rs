//! Live cameras through `nokhwa` (V4L2 on Linux, AVFoundation on macOS, Media Foundation on Windows). Cargo
//! feature `camera`; building it needs libclang for bindgen (Debian/Ubuntu: `apt-get install libclang-dev`).
//!
//! `nokhwa::Camera` is not `Send`, so the camera lives on its own thread, which grabs raw frames as fast as the
//! camera delivers them and keeps only the newest; [`CameraSource::next_frame`] converts that one to RGB8. A
//! slow consumer therefore skips frames (visible as gaps in [`Frame::index`]) instead of falling behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use nokhwa::{Buffer, Camera};

use super::{
    CameraSpec, CaptureError, DeviceFormat, DeviceInfo, Frame, FrameSource, SourceInfo, SourceKind, NO_CAMERA,
};

/// Format asked for when [`CameraSpec`] leaves it open: 640x480 pixels at 30 frames per second (the closest
/// one the camera offers is used).
const DEFAULT_WIDTH: u32 = 640;
const DEFAULT_HEIGHT: u32 = 480;
const DEFAULT_FPS: u32 = 30;

/// How long [`CameraSource::next_frame`] waits for a frame before giving up.
const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the OS shows any camera device. On Linux: is there a `/dev/video*`? Elsewhere: unknown (`true`).
fn any_camera_device() -> bool {
    if cfg!(target_os = "linux") {
        std::fs::read_dir("/dev")
            .map(|entries| entries.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().starts_with("video")))
            .unwrap_or(false)
    } else {
        true
    }
}

fn camera_error(what: &str, e: impl std::fmt::Display) -> CaptureError {
    let reason = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
    CaptureError::Camera(format!("{what}: {reason}"))
}

/// Lists the cameras, with the formats each offers where they can be queried (a camera that is busy is listed
/// with no formats).
///
/// Errors: [`CaptureError::Camera`] with [`NO_CAMERA`] when there is no camera (never an empty list), or with
/// the backend's reason when the query fails.
pub fn list_devices() -> Result<Vec<DeviceInfo>, CaptureError> {
    let cameras = query_cameras()?;
    Ok(cameras
        .into_iter()
        .map(|(index, name, description)| {
            let formats = query_formats(index).unwrap_or_default();
            DeviceInfo { index, name, description, formats }
        })
        .collect())
}

/// `(index, name, description)` of every camera. Errors as [`list_devices`].
fn query_cameras() -> Result<Vec<(u32, String, String)>, CaptureError> {
    if !any_camera_device() {
        return Err(CaptureError::Camera(NO_CAMERA.into()));
    }
    let infos = nokhwa::query(ApiBackend::Auto).map_err(|e| camera_error("cannot list cameras", e))?;
    let cameras: Vec<(u32, String, String)> = infos
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let index = info.index().as_index().unwrap_or(i as u32);
            (index, info.human_name(), info.description().to_string())
        })
        .collect();
    if cameras.is_empty() {
        return Err(CaptureError::Camera(NO_CAMERA.into()));
    }
    Ok(cameras)
}

/// Formats camera `index` offers, sorted by size then rate. Opens the camera briefly.
fn query_formats(index: u32) -> Result<Vec<DeviceFormat>, CaptureError> {
    let request = RequestedFormat::new::<RgbFormat>(RequestedFormatType::None);
    let mut camera = Camera::new(CameraIndex::Index(index), request).map_err(|e| camera_error("open", e))?;
    let mut formats: Vec<DeviceFormat> = camera
        .compatible_camera_formats()
        .map_err(|e| camera_error("formats", e))?
        .into_iter()
        .map(|f| DeviceFormat {
            width: f.width(),
            height: f.height(),
            fps: f.frame_rate(),
            pixel_format: f.format().to_string(),
        })
        .collect();
    formats.sort_by_key(|f| (f.width * f.height, f.fps, f.pixel_format.clone()));
    formats.dedup();
    Ok(formats)
}

/// The newest frame the camera thread has grabbed, or why it stopped.
struct Slot {
    /// Raw frame, its capture counter, and when it was grabbed.
    frame: Option<(Buffer, u64, Instant)>,
    /// Set when the camera thread stopped on an error.
    error: Option<String>,
}

struct Shared {
    slot: Mutex<Slot>,
    ready: Condvar,
    stop: AtomicBool,
}

/// A [`FrameSource`] over a live camera. Frames are RGB8 at the format the camera settled on (closest to the
/// request); `timestamp_ms` is milliseconds since the camera was opened; `index` counts the frames the camera
/// delivered, so frames skipped because the consumer was slower than the camera show as gaps.
pub struct CameraSource {
    info: SourceInfo,
    shared: Arc<Shared>,
    opened_at: Instant,
    thread: Option<JoinHandle<()>>,
}

impl CameraSource {
    /// Opens the camera `spec` selects: by `index` (as [`list_devices`] reports), else the first whose name
    /// contains `name` (case-insensitive), else the first camera. Asks for `width` x `height` pixels at `fps`
    /// frames per second (defaults 640x480 at 30) and takes the closest format the camera offers;
    /// [`SourceInfo`] tells what was granted.
    ///
    /// Errors: [`CaptureError::Camera`] with [`NO_CAMERA`] when there is no camera, or naming the camera and
    /// the reason when no camera matches, it cannot be opened (busy, permission) or starts no stream.
    pub fn open(spec: &CameraSpec) -> Result<Self, CaptureError> {
        let cameras = query_cameras()?;
        let listing = || cameras.iter().map(|(i, n, _)| format!("{i}: {n}")).collect::<Vec<_>>().join(", ");
        let chosen = if let Some(index) = spec.index {
            cameras
                .iter()
                .find(|(i, _, _)| *i == index)
                .ok_or_else(|| CaptureError::Camera(format!("no camera with index {index}; cameras: {}", listing())))?
        } else if let Some(name) = &spec.name {
            let wanted = name.to_lowercase();
            cameras.iter().find(|(_, n, _)| n.to_lowercase().contains(&wanted)).ok_or_else(|| {
                CaptureError::Camera(format!("no camera whose name contains '{name}'; cameras: {}", listing()))
            })?
        } else {
            &cameras[0]
        };
        let (index, name, _) = chosen.clone();
        let wanted = CameraFormat::new_from(
            spec.width.unwrap_or(DEFAULT_WIDTH),
            spec.height.unwrap_or(DEFAULT_HEIGHT),
            FrameFormat::MJPEG,
            spec.fps.unwrap_or(DEFAULT_FPS),
        );

        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot { frame: None, error: None }),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let opened_at = Instant::now();
        let (opened_tx, opened_rx) = mpsc::channel::<Result<CameraFormat, String>>();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("emotrace-camera".into())
            .spawn(move || camera_thread(index, wanted, opened_tx, thread_shared))
            .map_err(|e| camera_error("cannot start the camera thread", e))?;
        let granted = match opened_rx.recv() {
            Ok(Ok(format)) => format,
            Ok(Err(reason)) => {
                let _ = thread.join();
                return Err(CaptureError::Camera(format!("camera {index} ({name}): {reason}")));
            }
            Err(_) => {
                let _ = thread.join();
                return Err(CaptureError::Camera(format!("camera {index} ({name}): the camera thread stopped")));
            }
        };
        let info = SourceInfo {
            name: format!("camera {index} ({name})"),
            kind: SourceKind::Camera,
            width: granted.width(),
            height: granted.height(),
            fps: Some(f64::from(granted.frame_rate())),
            frame_count: None,
            decoder: Some("camera (nokhwa)".into()),
        };
        Ok(Self { info, shared, opened_at, thread: Some(thread) })
    }
}

/// Owns the camera: opens it, reports the granted format (or why not), then grabs frames into the slot until
/// asked to stop or the camera fails.
fn camera_thread(
    index: u32,
    wanted: CameraFormat,
    opened: mpsc::Sender<Result<CameraFormat, String>>,
    shared: Arc<Shared>,
) {
    let request = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
    let mut camera = match Camera::new(CameraIndex::Index(index), request) {
        Ok(camera) => camera,
        Err(e) => {
            let _ = opened.send(Err(format!("cannot open: {e}")));
            return;
        }
    };
    if let Err(e) = camera.open_stream() {
        let _ = opened.send(Err(format!("cannot start the stream: {e}")));
        return;
    }
    if opened.send(Ok(camera.camera_format())).is_err() {
        return;
    }
    let mut count = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        match camera.frame() {
            Ok(buffer) => {
                let grabbed = Instant::now();
                let mut slot = shared.slot.lock().unwrap_or_else(|p| p.into_inner());
                slot.frame = Some((buffer, count, grabbed));
                count += 1;
                shared.ready.notify_all();
            }
            Err(e) => {
                let mut slot = shared.slot.lock().unwrap_or_else(|p| p.into_inner());
                slot.error = Some(format!("cannot read a frame: {e}"));
                shared.ready.notify_all();
                break;
            }
        }
    }
    let _ = camera.stop_stream();
}

impl FrameSource for CameraSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The newest frame the camera delivered since the last call, waiting for one if needed. Never `Ok(None)`.
    ///
    /// Errors: [`CaptureError::Camera`] naming the camera when it stopped delivering (unplugged, read error),
    /// delivered nothing for 5 s, or a frame could not be converted to RGB.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let deadline = Instant::now() + FRAME_TIMEOUT;
        let mut slot = self.shared.slot.lock().unwrap_or_else(|p| p.into_inner());
        let (buffer, index, captured_at) = loop {
            if let Some(frame) = slot.frame.take() {
                break frame;
            }
            if let Some(reason) = &slot.error {
                return Err(CaptureError::Camera(format!("{}: {reason}", self.info.name)));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(CaptureError::Camera(format!(
                    "{}: no frame for {} s",
                    self.info.name,
                    FRAME_TIMEOUT.as_secs()
                )));
            }
            slot = self.shared.ready.wait_timeout(slot, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        };
        drop(slot);
        let decoded = buffer
            .decode_image::<RgbFormat>()
            .map_err(|e| camera_error(&format!("{}: cannot convert a frame to RGB", self.info.name), e))?;
        let (width, height) = decoded.dimensions();
        let image = image::RgbImage::from_raw(width, height, decoded.into_raw())
            .ok_or_else(|| CaptureError::Camera(format!("{}: bad frame size", self.info.name)))?;
        let timestamp_ms = captured_at.saturating_duration_since(self.opened_at).as_millis() as u64;
        Ok(Some(Frame { index, timestamp_ms, captured_at, image: image.into(), scene_start: false }))
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
