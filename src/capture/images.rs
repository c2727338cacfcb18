//! Still images: one JPEG/PNG file, or a folder of them read in file-name order.
//!
//! A folder is a set of photos: each photo is its own scene ([`Frame::scene_start`]), so faces are never
//! tracked from one photo to the next and every photo's faces are stored. A numbered frame sequence (frames of
//! one video saved as images) is read as video with [`ImageSource::open_sequence`] and a frame rate
//! (`--frame-rate` on the command line): faces are then tracked across images.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::skipped::{self, SharedSkipped};
use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};

/// Session time given to each photo of a folder (one photo per second of session time).
const PHOTO_MS: u64 = 1000;

/// Largest image file read, bytes: larger files (or endless ones) are refused before anything is decoded.
pub const MAX_IMAGE_BYTES: u64 = 128 << 20;

/// A [`FrameSource`] over still images. A single image yields one frame at 0 ms; a folder of photos yields
/// one scene per photo, one per second of session time (`timestamp_ms = index * 1000`); a frame sequence yields
/// its images at its frame rate.
pub struct ImageSource {
    info: SourceInfo,
    paths: Vec<PathBuf>,
    next: usize,
    /// Milliseconds between two images.
    step_ms: f64,
    /// Whether each image starts a new scene (photos) or continues the previous one (a frame sequence).
    scenes: bool,
    /// The first image that decodes, decoded at open (so that a folder with no readable image fails before a
    /// session starts).
    first: Option<image::RgbImage>,
    /// Images of a folder that could not be read or decoded, left out (a single image fails instead).
    skipped: SharedSkipped,
}

fn is_image(path: &Path) -> bool {
    super::media_kind(path) == Some(super::MediaKind::Image)
}

/// Reads a regular image file of at most [`MAX_IMAGE_BYTES`].
///
/// Errors: [`CaptureError::Unreadable`] for a missing file or one that is not a regular file (a FIFO or a
/// device would block or never end); [`CaptureError::Unsupported`] for a file over the limit.
fn read_bounded(path: &Path) -> Result<Vec<u8>, CaptureError> {
    let shown = crate::text::path_text(path);
    let unreadable = |e: std::io::Error| CaptureError::Unreadable { path: shown.clone(), reason: e.to_string() };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(CaptureError::Unreadable {
            path: shown,
            reason: "not a regular file (a FIFO, device or socket); give an image file".into(),
        });
    }
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(CaptureError::Unsupported {
            path: shown,
            reason: format!("image file of {} MB is over the {} MB limit", meta.len() >> 20, MAX_IMAGE_BYTES >> 20),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(CaptureError::Unsupported {
            path: shown,
            reason: format!("image file grows past the {} MB limit while read", MAX_IMAGE_BYTES >> 20),
        });
    }
    Ok(bytes)
}

/// Checks that a JPEG ends with its end-of-image marker and a PNG with its `IEND` chunk: a file cut short
/// otherwise decodes to a picture whose lower part is grey, with no error.
fn check_complete(bytes: &[u8], shown: &str) -> Result<(), CaptureError> {
    let truncated = |what: &str| CaptureError::Corrupt {
        path: shown.to_string(),
        reason: format!("truncated image: {what} (the file was cut short)"),
    };
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Some writers pad after the marker; ignore trailing zeros, 0xFF fill and white space.
        let end = bytes.iter().rposition(|&b| !matches!(b, 0x00 | b' ' | b'\n' | b'\r' | b'\t')).map_or(0, |i| i + 1);
        let body = &bytes[..end];
        if !body.ends_with(&[0xFF, 0xD9]) {
            return Err(truncated("the JPEG has no end-of-image marker"));
        }
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let tail = &bytes[bytes.len().saturating_sub(12)..];
        if !(tail.len() == 12 && &tail[4..8] == b"IEND") {
            return Err(truncated("the PNG has no IEND chunk"));
        }
    }
    Ok(())
}

/// Reads and decodes one image: a regular file, bounded in size, not empty, complete, at most
/// [`super::MAX_IMAGE_SIDE`] a side and [`super::MAX_IMAGE_RGB_BYTES`] as RGB.
///
/// Errors: as [`read_bounded`]; [`CaptureError::Corrupt`] for an empty, truncated or undecodable image;
/// [`CaptureError::Unsupported`] for one too large to decode, naming its size and the limit.
fn load(path: &Path) -> Result<image::RgbImage, CaptureError> {
    let shown = crate::text::path_text(path);
    let bytes = read_bounded(path)?;
    if bytes.is_empty() {
        return Err(CaptureError::Corrupt { path: shown, reason: "the file is empty (0 bytes)".into() });
    }
    check_complete(&bytes, &shown)?;
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .map_err(|e| CaptureError::Unreadable { path: shown.clone(), reason: e.to_string() })
    };
    if let Ok((w, h)) = reader()?.into_dimensions() {
        let rgb = u64::from(w) * u64::from(h) * 3;
        if rgb > super::MAX_IMAGE_RGB_BYTES {
            return Err(CaptureError::Unsupported {
                path: shown,
                reason: format!(
                    "{w}x{h} pixels take {} MB as RGB, over the {} MB emotrace decodes for one image; scale it down",
                    rgb >> 20,
                    super::MAX_IMAGE_RGB_BYTES >> 20
                ),
            });
        }
    }
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(super::MAX_IMAGE_SIDE);
    limits.max_image_height = Some(super::MAX_IMAGE_SIDE);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| CaptureError::Corrupt { path: shown, reason: format!("cannot decode image: {e}") })?;
    Ok(img.to_rgb8())
}

impl ImageSource {
    /// Opens one image file.
    ///
    /// Errors: [`CaptureError::Unreadable`] or [`CaptureError::Corrupt`] naming the file.
    pub fn open_file(path: &Path) -> Result<Self, CaptureError> {
        Self::from_paths(path, vec![path.to_path_buf()], SourceKind::Image, None)
    }

    /// Opens a folder of photos: every `.jpg`, `.jpeg` and `.png` in it (not recursive), sorted by file name,
    /// each its own scene.
    ///
    /// Errors: [`CaptureError::Unreadable`] if the folder cannot be listed or holds no image; as
    /// [`ImageSource::open_file`] for the first image.
    pub fn open_folder(dir: &Path) -> Result<Self, CaptureError> {
        Self::open_dir(dir, None)
    }

    /// Opens a folder of numbered frames (one video saved as images) as a video at `fps` frames per second:
    /// the images are one scene, faces are tracked across them.
    ///
    /// Errors: as [`ImageSource::open_folder`]; `fps` not in (0, 1000].
    pub fn open_sequence(dir: &Path, fps: f64) -> Result<Self, CaptureError> {
        if !(fps.is_finite() && fps > 0.0 && fps <= 1000.0) {
            return Err(CaptureError::Unsupported {
                path: crate::text::path_text(dir),
                reason: format!("frame rate {fps} is out of range (allowed: greater than 0, at most 1000)"),
            });
        }
        Self::open_dir(dir, Some(fps))
    }

    fn open_dir(dir: &Path, fps: Option<f64>) -> Result<Self, CaptureError> {
        let shown = crate::text::path_text(dir);
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CaptureError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
        let mut paths: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_image(p)).collect();
        paths.sort();
        if paths.is_empty() {
            return Err(CaptureError::Unreadable {
                path: shown,
                reason: "the folder holds no .jpg, .jpeg or .png image".into(),
            });
        }
        Self::from_paths(dir, paths, SourceKind::ImageFolder, fps)
    }

    fn from_paths(name: &Path, paths: Vec<PathBuf>, kind: SourceKind, fps: Option<f64>) -> Result<Self, CaptureError> {
        // Decode the first readable image now, so that a source with none fails at open, before a session starts.
        // In a folder an image that cannot be read is skipped (counted, with its reason); one image must read.
        let skipped = SharedSkipped::default();
        let mut first_error = None;
        let mut first = None;
        for (i, path) in paths.iter().enumerate() {
            match load(path) {
                Ok(img) => {
                    first = Some((i, img));
                    break;
                }
                Err(e) if kind == SourceKind::ImageFolder => {
                    skipped::note(&skipped, 1, e.to_string());
                    first_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        let Some((next, first)) = first else {
            return Err(match first_error {
                Some(CaptureError::Corrupt { path, reason }) if paths.len() > 1 => CaptureError::Corrupt {
                    path: crate::text::path_text(name),
                    reason: format!("none of its {} images can be read (the first: {path}: {reason})", paths.len()),
                },
                Some(e) => e,
                None => CaptureError::Unreadable { path: crate::text::path_text(name), reason: "no image".into() },
            });
        };
        let info = SourceInfo {
            name: crate::text::path_text(name),
            kind,
            width: first.width(),
            height: first.height(),
            fps: if kind == SourceKind::ImageFolder { Some(fps.unwrap_or(1000.0 / PHOTO_MS as f64)) } else { None },
            frame_count: Some(paths.len() as u64),
            decoder: Some("image".into()),
        };
        let step_ms = fps.map_or(PHOTO_MS as f64, |f| 1000.0 / f);
        Ok(Self { info, paths, next, step_ms, scenes: fps.is_none(), first: Some(first), skipped })
    }

    /// Whether every image is its own scene (a folder of photos, or one image) rather than a frame of a
    /// sequence.
    pub fn scenes(&self) -> bool {
        self.scenes
    }
}

impl FrameSource for ImageSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The next image; one of a folder that cannot be read is skipped (see [`FrameSource::skipped`]) and keeps
    /// its place in time (its index and timestamp are not given to the next image).
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let image = loop {
            let Some(path) = self.paths.get(self.next) else { return Ok(None) };
            match self.first.take() {
                Some(first) => break first,
                None => match load(path) {
                    Ok(image) => break image,
                    Err(e) => {
                        skipped::note(&self.skipped, 1, e.to_string());
                        self.next += 1;
                    }
                },
            }
        };
        let index = self.next as u64;
        self.next += 1;
        Ok(Some(Frame {
            index,
            timestamp_ms: (index as f64 * self.step_ms).round() as u64,
            captured_at: Instant::now(),
            image: image.into(),
            scene_start: self.scenes,
        }))
    }

    fn skipped(&self) -> Option<SharedSkipped> {
        (self.info.kind == SourceKind::ImageFolder).then(|| self.skipped.clone())
    }
}
