//! Still images: one JPEG/PNG file, or a folder of them read in file-name order.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};

/// Frame rate given to a folder of images (one image per second of session time).
const FOLDER_FPS: f64 = 1.0;

/// A [`FrameSource`] over still images. A single image yields one frame at 0 ms; a folder yields its images at
/// one per second of session time (`timestamp_ms = index * 1000`).
pub struct ImageSource {
    info: SourceInfo,
    paths: Vec<PathBuf>,
    next: usize,
}

fn is_image(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(),
        Some("jpg" | "jpeg" | "png")
    )
}

fn load(path: &Path) -> Result<image::RgbImage, CaptureError> {
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| CaptureError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
    let img = reader.decode().map_err(|e| CaptureError::Corrupt {
        path: path.display().to_string(),
        reason: format!("cannot decode image: {e}"),
    })?;
    Ok(img.to_rgb8())
}

impl ImageSource {
    /// Opens one image file.
    ///
    /// Errors: [`CaptureError::Unreadable`] or [`CaptureError::Corrupt`] naming the file.
    pub fn open_file(path: &Path) -> Result<Self, CaptureError> {
        Self::from_paths(path, vec![path.to_path_buf()], SourceKind::Image)
    }

    /// Opens a folder: every `.jpg`, `.jpeg` and `.png` in it (not recursive), sorted by file name.
    ///
    /// Errors: [`CaptureError::Unreadable`] if the folder cannot be listed or holds no image.
    pub fn open_folder(dir: &Path) -> Result<Self, CaptureError> {
        let shown = dir.display().to_string();
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
        Self::from_paths(dir, paths, SourceKind::ImageFolder)
    }

    fn from_paths(name: &Path, paths: Vec<PathBuf>, kind: SourceKind) -> Result<Self, CaptureError> {
        // Read the first image's size now so that a corrupt first file fails at open, before a session starts.
        let (width, height) = image::image_dimensions(&paths[0]).map_err(|e| CaptureError::Corrupt {
            path: paths[0].display().to_string(),
            reason: format!("cannot read image header: {e}"),
        })?;
        let info = SourceInfo {
            name: name.display().to_string(),
            kind,
            width,
            height,
            fps: (kind == SourceKind::ImageFolder).then_some(FOLDER_FPS),
            frame_count: Some(paths.len() as u64),
        };
        Ok(Self { info, paths, next: 0 })
    }
}

impl FrameSource for ImageSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let Some(path) = self.paths.get(self.next) else { return Ok(None) };
        let image = load(path)?;
        let index = self.next as u64;
        self.next += 1;
        Ok(Some(Frame {
            index,
            timestamp_ms: (index as f64 * 1000.0 / FOLDER_FPS) as u64,
            captured_at: Instant::now(),
            image,
        }))
    }
}
