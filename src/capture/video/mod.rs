//! H.264 video in MP4/MOV files: demuxed by `re_mp4`, decoded by `openh264` (bundled source, no system FFmpeg).
//!
//! Frames come out in presentation order with `timestamp_ms` taken from the container's presentation time
//! (composition time), honouring the track's edit list: samples that the edit list leaves out (for example
//! the leading frames of `no_face.mp4`, 98 coded, 95 presented) are decoded (later frames may refer to them)
//! but never yielded.
//!
//! Every failure is a [`CaptureError`] whose message is one line naming the file and the reason. A file is
//! validated at [`VideoSource::open`] as far as it can be without decoding all of it: the box structure, the
//! codec, and the first frame is decoded.
//!
//! One bad frame loses one group of pictures, not the rest of the file: a sample that cannot be read or decoded
//! makes the reader restart at the next key frame, and a file cut short inside its media data is read up to its
//! last whole frame. The frames left out are counted with their reason ([`super::skipped`]).
//!
//! The parts: `mp4.rs` (ISO-BMFF box checks, the video track, its `avc1` entry and sample tables), `h264.rs`
//! (the SPS bit reader, profiles, NAL length prefixes to Annex B), `timing.rs` (composition times, edit lists,
//! frame rate, seek points) and `decode.rs` (the openh264 decoder, also used by the RTSP reader); this file is the
//! [`VideoSource`] reader that ties them together.

pub(super) mod decode;
pub(super) mod h264;
mod mp4;
mod timing;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use openh264::decoder::Decoder;

use super::picture::{Picture, Yuv420};
use super::skipped::{self, SharedSkipped};
use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};
use crate::fmt::one_line;
use decode::{copy_yuv, decoder_msg, new_decoder, start_decoder};
use h264::{avcc_to_annexb, nal_length_size, profile_name};
use mp4::{
    avc1_entry, check_top_level_boxes, display_geometry, parse_mp4, sample_refs, video_samples, video_trak, SampleRef,
};
use timing::{nominal_fps, output_times_ms, raw_composition_times, seek_points};

pub use mp4::display_rotation;

/// Largest frame we accept, in pixels per side (guards allocations against corrupt headers).
const MAX_SIDE_PX: u32 = 16_384;

/// A [`FrameSource`] over an H.264 MP4/MOV file. Yields every presented frame, in presentation order, at the
/// coded (cropped) size of the stream: as the decoder's YUV 4:2:0 planes (RGB made only when asked for, see
/// [`Picture`]), or as RGB8 turned upright when the track's display matrix rotates it (a phone clip stored sideways
/// with a 90-degree matrix comes out portrait).
pub struct VideoSource {
    info: SourceInfo,
    /// Clockwise rotation applied to every frame for display: 0, 90, 180 or 270 degrees.
    rotation: u16,
    /// The path as shown in messages.
    shown: String,
    file: File,
    decoder: Decoder,
    /// NAL length-prefix size of the `avcC` (1, 2 or 4 bytes).
    length_size: usize,
    /// Coded samples in decode order.
    samples: Vec<SampleRef>,
    /// For the k-th picture the decoder outputs (pictures come out in presentation order): its presentation
    /// time in ms, or `None` when the edit list leaves it out.
    output_pts_ms: Vec<Option<u64>>,
    /// Next sample (decode order) to feed to the decoder.
    next_sample: usize,
    /// Number of pictures the decoder has output so far.
    outputs: usize,
    /// Index given to the next yielded frame.
    next_index: u64,
    /// Whether the decoder's remaining pictures have been flushed (end of stream reached).
    flushed: bool,
    /// Decoded frames not yet handed out.
    pending: VecDeque<Frame>,
    /// Reused buffers: raw sample bytes, and the same in Annex-B form for the decoder.
    sample_buf: Vec<u8>,
    annexb_buf: Vec<u8>,
    /// Where decoding may start when seeking ([`seek_points`]).
    seek_points: Vec<usize>,
    /// The stream's parameter sets (SPS, PPS) in Annex-B form, fed to a decoder started for a seek.
    params: Vec<u8>,
    /// The H.264 profile (`High`, `Main`, ...), from the `avcC` box.
    profile: String,
    /// Frames left out: a damaged group of pictures (decoding restarts at the next key frame), or the end of a
    /// file cut short.
    skipped: SharedSkipped,
}

fn unsupported(shown: &str, reason: impl Into<String>) -> CaptureError {
    CaptureError::Unsupported { path: shown.to_string(), reason: reason.into() }
}

fn corrupt(shown: &str, reason: impl Into<String>) -> CaptureError {
    CaptureError::Corrupt { path: shown.to_string(), reason: reason.into() }
}

/// Opens `path` for reading; returns the file and its length in bytes. A folder is
/// [`CaptureError::Unsupported`], any IO failure [`CaptureError::Unreadable`].
fn open_file(path: &Path, shown: &str) -> Result<(File, u64), CaptureError> {
    let unreadable = |e: std::io::Error| CaptureError::Unreadable { path: shown.to_string(), reason: one_line(e) };
    let file = File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(unsupported(shown, "is a folder, not a video file"));
    }
    Ok((file, meta.len()))
}

impl VideoSource {
    /// Opens and validates an H.264 MP4/MOV file and decodes its first frame.
    ///
    /// [`SourceInfo`]: `width`/`height` in pixels of the decoded frames, `fps` the nominal frame rate in frames
    /// per second (most common sample duration), `frame_count` the number of frames that will be yielded (after
    /// the edit list).
    ///
    /// Errors (each one line naming the path): [`CaptureError::Unreadable`] if the file cannot be opened or
    /// read; [`CaptureError::Unsupported`] if it is not an MP4/MOV file, has no video track, or its video codec
    /// is not H.264 (`avc1`); [`CaptureError::Corrupt`] if its index is damaged or cut off, no frame lies wholly
    /// inside the file, or its first frame cannot be decoded. A file cut short in its frame data opens with its
    /// readable frames (`frame_count` counts those; the rest are in [`FrameSource::skipped`]).
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let shown = crate::text::path_text(path);
        let (mut file, len) = open_file(path, &shown)?;
        let declared = check_top_level_boxes(&mut file, len, &shown)?;
        let mp4 = parse_mp4(&mut file, declared, &shown)?;

        let trak = video_trak(&mp4, &shown)?;
        let avc1 = avc1_entry(trak, &shown)?;
        let length_size = nal_length_size(avc1, &shown)?;
        let track = video_samples(&mp4, trak, &shown)?;
        let (samples, cut) = sample_refs(track, len, &shown)?;
        let mut output_pts_ms = output_times_ms(&mp4, trak, track);
        let all_frames = output_pts_ms.iter().flatten().count() as u64;
        output_pts_ms.truncate(samples.len());
        let frame_count = output_pts_ms.iter().flatten().count() as u64;
        let skipped = SharedSkipped::default();
        if cut > 0 {
            let readable_ms = output_pts_ms.iter().flatten().max().copied().unwrap_or(0);
            skipped::note(
                &skipped,
                all_frames - frame_count,
                format!(
                    "the file is truncated: frames {}-{all_frames} are missing (its last {cut} coded frames lie past its \
                     {len} bytes), so the video is read up to {}",
                    frame_count + 1,
                    crate::fmt::clock_tenths(readable_ms)
                ),
            );
        }
        if frame_count == 0 {
            return Err(corrupt(&shown, "the edit list presents no frame of the video track"));
        }
        let fps = nominal_fps(&trak.mdia.minf.stbl, track.timescale);
        let (rotation, width, height) = display_geometry(trak, avc1, &shown)?;
        let (decoder, params) = start_decoder(avc1, &shown)?;
        let seek_points = seek_points(&track.samples, &raw_composition_times(&trak.mdia.minf.stbl, track));
        let profile = profile_name(u32::from(avc1.avcc.avc_profile_indication));

        let mut source = Self {
            info: SourceInfo {
                name: shown.clone(),
                kind: SourceKind::Video,
                width,
                height,
                fps,
                frame_count: Some(frame_count),
                decoder: Some("openh264 (built in)".into()),
            },
            rotation,
            shown,
            file,
            decoder,
            length_size,
            samples,
            output_pts_ms,
            next_sample: 0,
            outputs: 0,
            next_index: 0,
            flushed: false,
            pending: VecDeque::new(),
            sample_buf: Vec::new(),
            annexb_buf: Vec::new(),
            seek_points,
            params,
            profile,
            skipped,
        };
        // Decode up to the first presented frame now, so a file whose video cannot be decoded fails here.
        source.fill()?;
        if source.pending.is_empty() {
            return Err(corrupt(&source.shown, "no frame could be decoded"));
        }
        Ok(source)
    }

    /// The stream's H.264 profile (`High`, `Main`, `Constrained Baseline`, ...).
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Presentation time of the end of the last frame, ms (its start plus one nominal frame duration).
    pub fn duration_ms(&self) -> u64 {
        let last = self.output_pts_ms.iter().flatten().max().copied().unwrap_or(0);
        last + self.info.fps.map_or(0, |f| crate::fmt::secs_to_ms(1.0 / f))
    }

    /// Feeds samples to the decoder until at least one frame is pending or the stream has ended.
    fn fill(&mut self) -> Result<(), CaptureError> {
        while self.pending.is_empty() {
            if self.next_sample < self.samples.len() {
                self.decode_next_sample()?;
            } else if !self.flushed {
                self.flushed = true;
                let shown = self.shown.clone();
                let frames = self.decoder.flush_remaining().map_err(|e| {
                    corrupt(&shown, format!("H.264 decode error at the end of the stream: {}", decoder_msg(e)))
                })?;
                let mut images = Vec::with_capacity(frames.len());
                for yuv in &frames {
                    images.push(copy_yuv(yuv, &shown)?);
                }
                drop(frames);
                for image in images {
                    self.push_output(image)?;
                }
            } else {
                if self.outputs < self.samples.len() {
                    // The decoder swallowed damaged pictures without an error: what it did not give is skipped.
                    let lost = self.output_pts_ms[self.outputs..].iter().flatten().count() as u64;
                    let reason = format!(
                        "the H.264 decoder produced only {} of {} frames (damaged video data)",
                        self.outputs,
                        self.samples.len()
                    );
                    self.outputs = self.samples.len();
                    if lost > 0 {
                        skipped::note(&self.skipped, lost, reason);
                    }
                }
                return Ok(());
            }
        }
        Ok(())
    }

    fn decode_next_sample(&mut self) -> Result<(), CaptureError> {
        let i = self.next_sample;
        let s = self.samples[i];
        self.next_sample += 1;
        self.sample_buf.resize(s.size as usize, 0);
        let read = self.file.seek(SeekFrom::Start(s.offset)).and_then(|_| self.file.read_exact(&mut self.sample_buf));
        if let Err(e) = read {
            let reason =
                format!("cannot read at byte {} (file truncated or changed while reading?): {}", s.offset, one_line(e));
            return self.skip_damaged(i, &reason);
        }
        if !avcc_to_annexb(&self.sample_buf, self.length_size, &mut self.annexb_buf) {
            return self.skip_damaged(i, "damaged H.264 data");
        }
        let shown = &self.shown;
        let image = match self.decoder.decode(&self.annexb_buf) {
            Ok(Some(yuv)) => Some(copy_yuv(&yuv, shown)?),
            Ok(None) => None,
            Err(e) => {
                let reason = format!("H.264 decode error: {}", decoder_msg(e));
                return self.skip_damaged(i, &reason);
            }
        };
        if let Some(image) = image {
            self.push_output(image)?;
        }
        Ok(())
    }

    /// Leaves out the damaged group of pictures around sample `sample` (decode order): decoding restarts with a new
    /// decoder at the next key frame that starts a closed group of pictures ([`seek_points`]), or ends when there is
    /// none. Frames already decoded stay; the presented frames not yet given are counted as skipped with `reason`.
    ///
    /// Errors: [`CaptureError::Corrupt`] when a new decoder cannot be made.
    fn skip_damaged(&mut self, sample: usize, reason: &str) -> Result<(), CaptureError> {
        let resume = self.seek_points.iter().copied().find(|&k| k > sample).unwrap_or(self.samples.len());
        let resume_index = self.output_pts_ms[..resume.min(self.output_pts_ms.len())].iter().flatten().count() as u64;
        let lost = resume_index.saturating_sub(self.next_index);
        if lost > 0 {
            let total = self.info.frame_count.unwrap_or_default();
            let frames = if lost == 1 {
                format!("frame {resume_index} of {total}")
            } else {
                format!("frames {}-{resume_index} of {total}", self.next_index + 1)
            };
            skipped::note(&self.skipped, lost, format!("{frames}: {reason}"));
        }
        self.next_index = resume_index;
        self.next_sample = resume;
        self.outputs = resume;
        if resume < self.samples.len() {
            self.decoder = new_decoder(&self.params, &self.shown)?;
        } else {
            self.flushed = true;
        }
        Ok(())
    }

    /// Records one decoder output picture, queueing it if the edit list presents it.
    fn push_output(&mut self, yuv: Yuv420) -> Result<(), CaptureError> {
        let k = self.outputs;
        self.outputs += 1;
        let Some(&pts) = self.output_pts_ms.get(k) else {
            return Err(corrupt(
                &self.shown,
                format!("the H.264 decoder produced more frames than the file holds ({})", self.samples.len()),
            ));
        };
        let Some(timestamp_ms) = pts else {
            return Ok(());
        };
        let image = Picture::upright(yuv, self.rotation).map_err(|e| corrupt(&self.shown, e))?;
        if self.next_index == 0 {
            // The first presented frame fixes the size (the header's may differ from the cropped picture).
            self.info.width = image.width();
            self.info.height = image.height();
        } else if image.width() != self.info.width || image.height() != self.info.height {
            return Err(unsupported(
                &self.shown,
                format!(
                    "frame size changes mid-stream ({}x{} to {}x{})",
                    self.info.width,
                    self.info.height,
                    image.width(),
                    image.height()
                ),
            ));
        }
        let index = self.next_index;
        self.next_index += 1;
        self.pending.push_back(Frame { index, timestamp_ms, captured_at: Instant::now(), image, scene_start: false });
        Ok(())
    }
}

impl FrameSource for VideoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The next frame in presentation order; `Ok(None)` after the last one.
    ///
    /// A frame that cannot be read (file truncated after open) or decoded is not an error: its group of pictures is
    /// skipped and counted ([`FrameSource::skipped`]).
    ///
    /// Errors: [`CaptureError::Corrupt`] naming the file if a decoded picture cannot be used (its size changes
    /// mid-stream, or the decoder gives more pictures than the file holds).
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        self.fill()?;
        Ok(self.pending.pop_front())
    }

    fn skipped(&self) -> Option<SharedSkipped> {
        Some(self.skipped.clone())
    }

    /// Restarts decoding at the last key frame that starts a closed group of pictures at or before frame `index`
    /// (presentation order), so that the next frames yielded are that key frame's and the ones after it, with
    /// their own indices and times; frame `index` follows within a group of pictures. Frames already yielded may
    /// be yielded again.
    ///
    /// Errors: [`CaptureError::Corrupt`] when the decoder cannot be restarted or the key frame cannot be decoded.
    fn seek(&mut self, index: u64) -> Result<(), CaptureError> {
        // The decoder output that is presented as frame `index` (outputs the edit list leaves out are skipped).
        let mut presented = 0u64;
        let mut target = self.output_pts_ms.len();
        for (k, pts) in self.output_pts_ms.iter().enumerate() {
            if pts.is_some() {
                if presented == index {
                    target = k;
                    break;
                }
                presented += 1;
            }
        }
        let start = self.seek_points.iter().copied().take_while(|&s| s <= target).last().unwrap_or(0);
        self.decoder = new_decoder(&self.params, &self.shown)?;
        self.next_sample = start;
        self.outputs = start;
        self.next_index = self.output_pts_ms[..start.min(self.output_pts_ms.len())].iter().flatten().count() as u64;
        self.flushed = false;
        self.pending.clear();
        self.fill()
    }
}
