//! H.264 video in MP4/MOV files: demuxed by `re_mp4`, decoded by `openh264` (bundled source, no system FFmpeg).

use std::path::Path;

use super::{CaptureError, Frame, FrameSource, SourceInfo};

/// A [`FrameSource`] over an H.264 MP4/MOV file. Yields every frame in presentation order.
pub struct VideoSource {
    info: SourceInfo,
}

impl VideoSource {
    /// Opens and validates a video file.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Err(CaptureError::Unsupported { path: path.display().to_string(), reason: "video decoding is being written".into() })
    }
}

impl FrameSource for VideoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        Ok(None)
    }
}
