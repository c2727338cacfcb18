//! The ISO-BMFF (MP4/MOV) side of a video file: checks of the top-level boxes before `re_mp4` parses the index,
//! the video track and its H.264 (`avc1`) sample entry, where each sample lies in the file, and the display
//! geometry (rotation and upright size) from the track header.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use re_mp4::{Avc1Box, Mp4, StsdBoxContent, Track, TrakBox};

use super::{corrupt, unsupported, MAX_SIDE_PX};
use crate::capture::CaptureError;
use crate::fmt::one_line;

/// Top-level box types that may start an ISO-BMFF (MP4/MOV) file.
const FIRST_BOX_TYPES: &[&[u8; 4]] =
    &[b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx", b"moof", b"meta"];

/// One coded sample of the video track, in decode order.
#[derive(Clone, Copy, Debug)]
pub(super) struct SampleRef {
    /// Byte offset of the sample in the file.
    pub(super) offset: u64,
    /// Size of the sample in bytes.
    pub(super) size: u32,
}

/// The clockwise rotation for display (0, 90, 180 or 270 degrees) that a track header's matrix
/// `[a b; c d]` (16.16 fixed point, as in ISO/IEC 14496-12) asks for; mirroring and scaling are ignored.
pub fn display_rotation(a: i32, b: i32, c: i32, d: i32) -> u16 {
    let sign = |v: i32| v.signum();
    match (sign(a), sign(b), sign(c), sign(d)) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    }
}

/// Walks the top-level boxes of the file and returns the length in bytes they declare: `len`, or more when the
/// last box is a media data (`mdat`) box cut short (its readable frames are read). Rejects files that are not
/// ISO-BMFF, whose other boxes run past the end of the file (truncated), or that have no `moov` box.
pub(super) fn check_top_level_boxes(file: &mut File, len: u64, shown: &str) -> Result<u64, CaptureError> {
    if len == 0 {
        return Err(unsupported(shown, "not an MP4/MOV file (the file is empty)"));
    }
    let (mut pos, mut saw_moov, mut declared) = (0u64, false, len);
    while pos < len {
        let (kind, size) = read_box_header(file, pos, len, pos == 0, shown)?;
        saw_moov |= &kind == b"moov";
        // A media data box cut short (a file whose copy or recording stopped) is read up to its last whole frame.
        declared = declared.max(pos + size);
        pos += size.min(len - pos);
    }
    if !saw_moov && declared > len {
        return Err(corrupt(
            shown,
            format!(
                "file is truncated: it ends inside its frame data at byte {len}, before its index (the 'moov' box), \
                 so nothing can be read"
            ),
        ));
    }
    if !saw_moov {
        return Err(corrupt(
            shown,
            "no 'moov' box (the index of an MP4/MOV file): the file is incomplete (recording not finished?) or damaged",
        ));
    }
    Ok(declared)
}

/// Reads the header of the top-level box at byte `pos` of a `len`-byte file: its type and its size in bytes (header
/// included; a size of 0 means "to the end of the file", 1 a 64-bit size after the type).
///
/// Errors: not an MP4/MOV file (`first`: the first box is not one an MP4 starts with), a truncated or damaged header,
/// a box larger than what remains of the file, or the file cannot be read.
fn read_box_header(
    file: &mut File,
    pos: u64,
    len: u64,
    first: bool,
    shown: &str,
) -> Result<([u8; 4], u64), CaptureError> {
    let not_mp4 = || unsupported(shown, "not an MP4/MOV file (it does not start with an MP4 box such as 'ftyp')");
    let unreadable = |e: std::io::Error| CaptureError::Unreadable { path: shown.to_string(), reason: one_line(e) };
    if len - pos < 8 {
        return Err(if first {
            not_mp4()
        } else {
            corrupt(shown, format!("file is truncated: it ends inside a box header at byte {pos}"))
        });
    }
    let mut header = [0u8; 16];
    file.seek(SeekFrom::Start(pos)).and_then(|_| file.read_exact(&mut header[..8])).map_err(unreadable)?;
    let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
    if first && !FIRST_BOX_TYPES.contains(&&kind) {
        return Err(not_mp4());
    }
    if !kind.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(corrupt(shown, format!("damaged MP4 structure: no valid box at byte {pos}")));
    }
    let name = String::from_utf8_lossy(&kind).into_owned();
    let size = match size32 {
        0 => len - pos,
        1 => {
            if len - pos < 16 {
                return Err(corrupt(shown, format!("file is truncated: it ends inside the '{name}' box header")));
            }
            file.read_exact(&mut header[8..16]).map_err(unreadable)?;
            let large = u64::from_be_bytes(header[8..16].try_into().unwrap_or([0; 8]));
            if large < 16 {
                return Err(corrupt(shown, format!("damaged MP4 structure: bad size of the '{name}' box")));
            }
            large
        }
        s if s < 8 => {
            return Err(if first {
                not_mp4()
            } else {
                corrupt(shown, format!("damaged MP4 structure: bad size of the '{name}' box at byte {pos}"))
            });
        }
        s => u64::from(s),
    };
    if size > len - pos && &kind != b"mdat" {
        return Err(corrupt(
            shown,
            format!(
                "file is truncated: its '{name}' box at byte {pos} needs {size} bytes but only {} remain",
                len - pos
            ),
        ));
    }
    Ok((kind, size))
}

/// Parses the container with `re_mp4`. `re_mp4` indexes its tables without bounds checks in a few places, so a
/// damaged index could panic: that is caught here (last resort) and turned into an error.
pub(super) fn parse_mp4(bytes_reader: &mut File, len: u64, shown: &str) -> Result<Mp4, CaptureError> {
    bytes_reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| CaptureError::Unreadable { path: shown.to_string(), reason: one_line(e) })?;
    let mut reader = std::io::BufReader::new(bytes_reader);
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Mp4::read(&mut reader, len)));
    match parsed {
        Ok(Ok(mp4)) => Ok(mp4),
        Ok(Err(e)) => Err(corrupt(shown, format!("damaged MP4/MOV index: {}", one_line(e)))),
        Err(_) => Err(corrupt(shown, "damaged MP4/MOV index (inconsistent sample tables)")),
    }
}

/// Human name of a sample-entry codec.
fn codec_name(content: &StsdBoxContent) -> String {
    match content {
        StsdBoxContent::Avc1(_) => "H.264 (avc1)".into(),
        StsdBoxContent::Hvc1(_) => "HEVC (hvc1)".into(),
        StsdBoxContent::Hev1(_) => "HEVC (hev1)".into(),
        StsdBoxContent::Av01(_) => "AV1 (av01)".into(),
        StsdBoxContent::Vp08(_) => "VP8 (vp08)".into(),
        StsdBoxContent::Vp09(_) => "VP9 (vp09)".into(),
        StsdBoxContent::Mp4a(_) => "AAC (mp4a)".into(),
        StsdBoxContent::Tx3g(_) => "text (tx3g)".into(),
        StsdBoxContent::Unknown(fourcc) => format!("'{}'", one_line(fourcc)),
    }
}

/// The first video track of the movie; [`CaptureError::Unsupported`] when there is none.
pub(super) fn video_trak<'a>(mp4: &'a Mp4, shown: &str) -> Result<&'a TrakBox, CaptureError> {
    mp4.moov
        .traks
        .iter()
        .find(|t| {
            t.mdia.minf.vmhd.is_some()
                || &t.mdia.hdlr.handler_type.value == b"vide"
                || t.mdia.minf.stbl.stsd.kind() == Some(re_mp4::TrackKind::Video)
        })
        .ok_or_else(|| unsupported(shown, "no video track"))
}

/// The track's H.264 sample entry; [`CaptureError::Unsupported`] naming the codec when it is another one.
pub(super) fn avc1_entry<'a>(trak: &'a TrakBox, shown: &str) -> Result<&'a Avc1Box, CaptureError> {
    match &trak.mdia.minf.stbl.stsd.contents {
        StsdBoxContent::Avc1(avc1) => Ok(avc1),
        other => Err(CaptureError::Codec { path: shown.to_string(), codec: codec_name(other) }),
    }
}

/// The sample table `re_mp4` built for `trak`: at least one sample and a non-zero media timescale, else
/// [`CaptureError::Corrupt`].
pub(super) fn video_samples<'a>(mp4: &'a Mp4, trak: &TrakBox, shown: &str) -> Result<&'a Track, CaptureError> {
    let track = mp4
        .tracks()
        .get(&trak.tkhd.track_id)
        .ok_or_else(|| corrupt(shown, "damaged MP4/MOV index (video track has no sample table)"))?;
    if track.samples.is_empty() {
        return Err(corrupt(shown, "the video track has no frames"));
    }
    if track.timescale == 0 {
        return Err(corrupt(shown, "damaged MP4/MOV index (video timescale is 0)"));
    }
    Ok(track)
}

/// The coded samples in decode order that lie wholly inside the `len`-byte file, and how many of the track's
/// samples do not (a file cut short: its readable prefix is analysed, the rest counted as skipped).
///
/// Errors: [`CaptureError::Corrupt`] when no sample lies inside the file, or a sample is over 4 GiB (a damaged
/// index).
pub(super) fn sample_refs(track: &Track, len: u64, shown: &str) -> Result<(Vec<SampleRef>, usize), CaptureError> {
    let mut samples = Vec::with_capacity(track.samples.len());
    for s in &track.samples {
        if s.size > u64::from(u32::MAX) {
            return Err(corrupt(shown, format!("damaged MP4/MOV index: a frame of {} bytes", s.size)));
        }
        match s.offset.checked_add(s.size) {
            Some(end) if end <= len => samples.push(SampleRef { offset: s.offset, size: s.size as u32 }),
            _ => break,
        }
    }
    let missing = track.samples.len() - samples.len();
    if samples.is_empty() && missing > 0 {
        return Err(corrupt(
            shown,
            format!(
                "file is truncated: none of its {missing} frames lies wholly inside its {len} bytes (the first needs bytes {}..{})",
                track.samples[0].offset,
                track.samples[0].offset.saturating_add(track.samples[0].size)
            ),
        ));
    }
    Ok((samples, missing))
}

/// The clockwise display rotation (0, 90, 180 or 270 degrees) from the track's matrix and the size in pixels,
/// `(rotation, width, height)`, of frames once turned upright. A zero or over-large side is
/// [`CaptureError::Corrupt`].
pub(super) fn display_geometry(trak: &TrakBox, avc1: &Avc1Box, shown: &str) -> Result<(u16, u32, u32), CaptureError> {
    let m = &trak.tkhd.matrix;
    let rotation = display_rotation(m.a, m.b, m.c, m.d);
    let (width, height) = match rotation {
        90 | 270 => (u32::from(avc1.height), u32::from(avc1.width)),
        _ => (u32::from(avc1.width), u32::from(avc1.height)),
    };
    if width == 0 || height == 0 || width > MAX_SIDE_PX || height > MAX_SIDE_PX {
        return Err(corrupt(shown, format!("bad frame size {width}x{height} in the video track")));
    }
    Ok((rotation, width, height))
}
