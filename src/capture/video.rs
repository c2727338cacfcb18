//! H.264 video in MP4/MOV files: demuxed by `re_mp4`, decoded by `openh264` (bundled source, no system FFmpeg).
//!
//! Frames come out in presentation order with `timestamp_ms` taken from the container's presentation time
//! (composition time), honouring the track's edit list: samples that the edit list leaves out (for example
//! the leading frames of `no_face.mp4`, 98 coded, 95 presented) are decoded (later frames may refer to them)
//! but never yielded.
//!
//! Every failure is a [`CaptureError`] whose message is one line naming the file and the reason. A file is
//! validated at [`VideoSource::open`] as far as it can be without decoding all of it: the box structure, the
//! codec, that every sample lies inside the file (a truncated file fails here), and the first frame is decoded.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;
use re_mp4::{Avc1Box, Mp4, StblBox, StsdBoxContent, Track, TrakBox};

use super::picture::{Picture, Yuv420};
use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};
use crate::fmt::one_line;

/// Top-level box types that may start an ISO-BMFF (MP4/MOV) file.
const FIRST_BOX_TYPES: &[&[u8; 4]] =
    &[b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx", b"moof", b"meta"];

/// Largest frame we accept, in pixels per side (guards allocations against corrupt headers).
const MAX_SIDE_PX: u32 = 16_384;

/// One coded sample of the video track, in decode order.
#[derive(Clone, Copy, Debug)]
struct SampleRef {
    /// Byte offset of the sample in the file.
    offset: u64,
    /// Size of the sample in bytes.
    size: u32,
}

/// The samples (decode order) decoding may start at when seeking: sync samples (key frames) that every earlier
/// sample is presented before and every later one after (a closed group of pictures), so that the decoder's
/// outputs from there are pictures `s, s + 1, ...` in presentation order. Sample 0 is always one.
fn seek_points(samples: &[re_mp4::Sample], cts: &[i64]) -> Vec<usize> {
    let n = cts.len().min(samples.len());
    let mut min_after = vec![i64::MAX; n + 1];
    for i in (0..n).rev() {
        min_after[i] = min_after[i + 1].min(cts[i]);
    }
    let mut points = vec![0];
    let mut max_before = i64::MIN;
    for i in 0..n {
        if i > 0 && samples[i].is_sync && max_before < min_after[i] {
            points.push(i);
        }
        max_before = max_before.max(cts[i]);
    }
    points
}

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
}

fn unsupported(shown: &str, reason: impl Into<String>) -> CaptureError {
    CaptureError::Unsupported { path: shown.to_string(), reason: reason.into() }
}

fn corrupt(shown: &str, reason: impl Into<String>) -> CaptureError {
    CaptureError::Corrupt { path: shown.to_string(), reason: reason.into() }
}

/// openh264's error as one line, without its "Backtraces enabled." trailer (nothing is printed but the line).
fn decoder_msg(e: openh264::Error) -> String {
    one_line(e).replace(". Backtraces enabled.", ".")
}

/// Reads Exp-Golomb coded fields from an H.264 RBSP (emulation prevention bytes removed).
struct BitReader {
    bytes: Vec<u8>,
    pos: usize,
}

impl BitReader {
    /// The RBSP of a NAL unit (header byte included): every `00 00 03` becomes `00 00`.
    fn new(nal: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(nal.len());
        let mut zeros = 0;
        for &b in nal {
            if zeros >= 2 && b == 3 {
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            bytes.push(b);
        }
        BitReader { bytes, pos: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let b = self.bytes.get(self.pos / 8)?;
        let v = (b >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(v))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// ue(v).
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }
}

/// The H.264 profile named by an RFC 6381 codec string (`avc1.64001E`: profile_idc 0x64 = High).
pub(crate) fn profile_of_rfc6381(codec: &str) -> Option<String> {
    let hex = codec.strip_prefix("avc1.")?.get(..2)?;
    u32::from_str_radix(hex, 16).ok().map(profile_name)
}

/// The name of an H.264 profile (`profile_idc`).
fn profile_name(profile_idc: u32) -> String {
    match profile_idc {
        66 => "Baseline".into(),
        77 => "Main".into(),
        88 => "Extended".into(),
        100 => "High".into(),
        110 => "High 10".into(),
        122 => "High 4:2:2".into(),
        244 => "High 4:4:4 Predictive".into(),
        44 => "CAVLC 4:4:4 Intra".into(),
        other => format!("profile {other}"),
    }
}

/// Checks a sequence parameter set against what openh264 decodes (8-bit 4:2:0: Baseline, Main, High); the
/// reason otherwise, naming the profile, chroma format or bit depth.
fn check_sps(sps: &[u8]) -> Result<(), String> {
    let mut r = BitReader::new(sps);
    let parsed = (|| {
        let _header = r.bits(8)?;
        let profile_idc = r.bits(8)?;
        let _constraints_and_level = r.bits(16)?;
        let _sps_id = r.ue()?;
        let (mut chroma, mut depth_luma, mut depth_chroma) = (1, 8, 8);
        if matches!(profile_idc, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
            chroma = r.ue()?;
            if chroma == 3 {
                r.bit()?;
            }
            depth_luma = 8 + r.ue()?;
            depth_chroma = 8 + r.ue()?;
        }
        Some((profile_idc, chroma, depth_luma, depth_chroma))
    })();
    let Some((profile, chroma, luma, chroma_depth)) = parsed else {
        return Err("damaged H.264 sequence parameter set".into());
    };
    let fix = "only 8-bit 4:2:0 H.264 (Baseline, Main, High) is decoded: re-encode it, e.g. with \
               `ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4`";
    if chroma != 1 {
        let format = match chroma {
            0 => "4:0:0 (monochrome)",
            2 => "4:2:2",
            3 => "4:4:4",
            _ => "unknown",
        };
        return Err(format!("H.264 {} with {format} chroma is not supported; {fix}", profile_name(profile)));
    }
    if luma != 8 || chroma_depth != 8 {
        return Err(format!("H.264 {} with {luma}-bit samples is not supported; {fix}", profile_name(profile)));
    }
    Ok(())
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

/// Walks the top-level boxes of the file. Rejects files that are not ISO-BMFF, whose boxes run past the end of
/// the file (truncated), or that have no `moov` box.
fn check_top_level_boxes(file: &mut File, len: u64, shown: &str) -> Result<(), CaptureError> {
    if len == 0 {
        return Err(unsupported(shown, "not an MP4/MOV file (the file is empty)"));
    }
    let (mut pos, mut saw_moov) = (0u64, false);
    while pos < len {
        let (kind, size) = read_box_header(file, pos, len, pos == 0, shown)?;
        saw_moov |= &kind == b"moov";
        pos += size;
    }
    if !saw_moov {
        return Err(corrupt(
            shown,
            "no 'moov' box (the index of an MP4/MOV file): the file is incomplete (recording not finished?) or damaged",
        ));
    }
    Ok(())
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
    if size > len - pos {
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
fn parse_mp4(bytes_reader: &mut File, len: u64, shown: &str) -> Result<Mp4, CaptureError> {
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

/// Presentation times for the samples of a track.
///
/// `cts` are the raw composition times of the samples (media timescale, before any normalisation), `edits`
/// the edit list as `(segment_duration in movie timescale, media_time in media timescale or None when empty,
/// media_rate)`. Returns, for each sample in presentation (composition) order, its presentation time in media
/// units, or `None` when the edit list leaves it out. Without edits, times start at the smallest composition
/// time. Empty edits (a leading delay) are ignored, so the first presented frame is at 0.
fn presentation_times(
    cts: &[i64],
    edits: &[(u64, Option<i64>, i32)],
    media_timescale: u64,
    movie_timescale: u64,
) -> Vec<Option<i64>> {
    let mut sorted: Vec<i64> = cts.to_vec();
    sorted.sort_unstable();
    // (media start, media end exclusive, presentation offset), media units.
    let mut ranges: Vec<(i64, i64, i64)> = Vec::new();
    let mut presented_at = 0i64;
    for &(segment, media_time, rate) in edits {
        let Some(start) = media_time else { continue };
        let duration = if segment == 0 || movie_timescale == 0 {
            i64::MAX / 4
        } else {
            let d = (u128::from(segment) * u128::from(media_timescale) / u128::from(movie_timescale)) as i64;
            d.clamp(0, i64::MAX / 4)
        };
        if rate == 1 {
            ranges.push((start, start.saturating_add(duration), presented_at));
        }
        presented_at = presented_at.saturating_add(duration);
    }
    if ranges.is_empty() {
        let first = sorted.first().copied().unwrap_or(0);
        return sorted.iter().map(|&t| Some(t.saturating_sub(first))).collect();
    }
    // Like FFmpeg, times within an edit count from the first sample presented in it (an edit may start part-way
    // into a frame's duration; that frame is left out and the next one is at the edit's start).
    let firsts: Vec<i64> =
        ranges.iter().map(|&(s, e, _)| sorted.iter().copied().find(|&t| t >= s && t < e).unwrap_or(s)).collect();
    sorted
        .iter()
        .map(|&t| {
            ranges
                .iter()
                .zip(&firsts)
                .find(|(&(s, e, _), _)| t >= s && t < e)
                .map(|(&(_, _, off), &first)| off.saturating_add(t.saturating_sub(first)))
        })
        .collect()
}

/// Converts AVCC (length-prefixed NAL units) to Annex B (start-code-prefixed). Returns `false` if a length
/// prefix runs past the end of the sample.
fn avcc_to_annexb(sample: &[u8], length_size: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = sample;
    while !rest.is_empty() {
        if rest.len() < length_size {
            return false;
        }
        let len = rest[..length_size].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[length_size..];
        if len > rest.len() {
            return false;
        }
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&rest[..len]);
        rest = &rest[len..];
    }
    true
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

/// The first video track of the movie; [`CaptureError::Unsupported`] when there is none.
fn video_trak<'a>(mp4: &'a Mp4, shown: &str) -> Result<&'a TrakBox, CaptureError> {
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
fn avc1_entry<'a>(trak: &'a TrakBox, shown: &str) -> Result<&'a Avc1Box, CaptureError> {
    match &trak.mdia.minf.stbl.stsd.contents {
        StsdBoxContent::Avc1(avc1) => Ok(avc1),
        other => Err(CaptureError::Codec { path: shown.to_string(), codec: codec_name(other) }),
    }
}

/// Size in bytes (1, 2 or 4) of the NAL length prefixes in the samples, from the `avcC` box.
fn nal_length_size(avc1: &Avc1Box, shown: &str) -> Result<usize, CaptureError> {
    let length_size = usize::from(avc1.avcc.length_size_minus_one & 0x3) + 1;
    if length_size == 3 {
        return Err(corrupt(shown, "damaged H.264 configuration (NAL length size 3)"));
    }
    Ok(length_size)
}

/// The sample table `re_mp4` built for `trak`: at least one sample and a non-zero media timescale, else
/// [`CaptureError::Corrupt`].
fn video_samples<'a>(mp4: &'a Mp4, trak: &TrakBox, shown: &str) -> Result<&'a Track, CaptureError> {
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

/// Where each sample lies, in decode order. Every sample must lie inside the file's `len` bytes; otherwise the
/// file was cut short ([`CaptureError::Corrupt`] naming the first sample outside).
fn sample_refs(track: &Track, len: u64, shown: &str) -> Result<Vec<SampleRef>, CaptureError> {
    let mut samples = Vec::with_capacity(track.samples.len());
    for (i, s) in track.samples.iter().enumerate() {
        let end = s.offset.checked_add(s.size);
        match end {
            Some(end) if end <= len && s.size <= u64::from(u32::MAX) => {
                samples.push(SampleRef { offset: s.offset, size: s.size as u32 })
            }
            _ => {
                return Err(corrupt(
                    shown,
                    format!(
                        "file is truncated: frame {} of {} lies at bytes {}..{} but the file has {len} bytes",
                        i + 1,
                        track.samples.len(),
                        s.offset,
                        s.offset.saturating_add(s.size)
                    ),
                ))
            }
        }
    }
    Ok(samples)
}

/// Raw composition times of the track's samples in media units, in decode order. `re_mp4` shifts composition
/// times so that the smallest is 0; this undoes that, since the edit list's media times are in the raw timeline.
fn raw_composition_times(stbl: &StblBox, track: &Track) -> Vec<i64> {
    let dts_shift = stbl
        .ctts
        .as_ref()
        .map(|c| c.entries.iter().map(|e| -i64::from(e.sample_offset)).max().unwrap_or(0).max(0))
        .unwrap_or(0);
    let min_cts = track.samples[0].decode_timestamp.saturating_neg().saturating_sub(dts_shift);
    track.samples.iter().map(|s| s.composition_timestamp.saturating_add(min_cts)).collect()
}

/// The track's edit list in the form [`presentation_times`] takes: `(segment_duration in movie timescale,
/// media_time in media timescale or None for an empty edit, media_rate)`. Empty when the track has none.
fn edit_list(trak: &TrakBox) -> Vec<(u64, Option<i64>, i32)> {
    trak.edts
        .as_ref()
        .and_then(|e| e.elst.as_ref())
        .map(|elst| {
            elst.entries
                .iter()
                .map(|e| {
                    let empty =
                        if elst.version == 1 { e.media_time == u64::MAX } else { e.media_time == u64::from(u32::MAX) };
                    let media_time = (!empty).then_some(e.media_time as i64);
                    (e.segment_duration, media_time, i32::from(e.media_rate))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// For each picture the decoder will output (presentation order): its presentation time in ms (rounded), or
/// `None` when the edit list leaves it out. `track.timescale` must be non-zero.
fn output_times_ms(mp4: &Mp4, trak: &TrakBox, track: &Track) -> Vec<Option<u64>> {
    let media_timescale = track.timescale;
    let movie_timescale = u64::from(mp4.moov.mvhd.timescale);
    let cts = raw_composition_times(&trak.mdia.minf.stbl, track);
    let pts = presentation_times(&cts, &edit_list(trak), media_timescale, movie_timescale);
    pts.iter()
        .map(|p| {
            p.map(|t| {
                ((i128::from(t.max(0)) * 1000 + i128::from(media_timescale / 2)) / i128::from(media_timescale)) as u64
            })
        })
        .collect()
}

/// Nominal frame rate in frames per second: the media timescale over the most common sample duration; `None`
/// when the time-to-sample table has no non-zero duration.
fn nominal_fps(stbl: &StblBox, media_timescale: u64) -> Option<f64> {
    stbl.stts
        .entries
        .iter()
        .filter(|e| e.sample_delta > 0)
        .max_by_key(|e| e.sample_count)
        .map(|e| media_timescale as f64 / f64::from(e.sample_delta))
}

/// The clockwise display rotation (0, 90, 180 or 270 degrees) from the track's matrix and the size in pixels,
/// `(rotation, width, height)`, of frames once turned upright. A zero or over-large side is
/// [`CaptureError::Corrupt`].
fn display_geometry(trak: &TrakBox, avc1: &Avc1Box, shown: &str) -> Result<(u16, u32, u32), CaptureError> {
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

/// Starts the H.264 decoder and feeds it the parameter sets of the `avcC` box. No flush after each packet, so
/// that it can reorder B-frames into presentation order. An SPS using a feature the decoder lacks is
/// [`CaptureError::Unsupported`]; a decoder that fails to start or rejects the parameter sets
/// [`CaptureError::Corrupt`].
fn start_decoder(avc1: &Avc1Box, shown: &str) -> Result<(Decoder, Vec<u8>), CaptureError> {
    let mut params = Vec::new();
    for sps in &avc1.avcc.sequence_parameter_sets {
        check_sps(&sps.bytes).map_err(|reason| unsupported(shown, reason))?;
    }
    for nal in avc1.avcc.sequence_parameter_sets.iter().chain(&avc1.avcc.picture_parameter_sets) {
        params.extend_from_slice(&[0, 0, 0, 1]);
        params.extend_from_slice(&nal.bytes);
    }
    Ok((new_decoder(&params, shown)?, params))
}

/// A decoder fed the Annex-B parameter sets `params` (SPS, PPS).
///
/// Errors: [`CaptureError::Corrupt`] when the decoder fails to start or rejects the parameter sets.
pub(super) fn new_decoder(params: &[u8], shown: &str) -> Result<Decoder, CaptureError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| corrupt(shown, format!("cannot start the H.264 decoder: {}", decoder_msg(e))))?;
    if !params.is_empty() {
        decoder.decode(params).map_err(|e| corrupt(shown, format!("bad H.264 parameter sets: {}", decoder_msg(e))))?;
    }
    Ok(decoder)
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
    /// is not H.264 (`avc1`); [`CaptureError::Corrupt`] if it is truncated, its index is damaged, or its first
    /// frame cannot be decoded.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let shown = path.display().to_string();
        let (mut file, len) = open_file(path, &shown)?;
        check_top_level_boxes(&mut file, len, &shown)?;
        let mp4 = parse_mp4(&mut file, len, &shown)?;

        let trak = video_trak(&mp4, &shown)?;
        let avc1 = avc1_entry(trak, &shown)?;
        let length_size = nal_length_size(avc1, &shown)?;
        let track = video_samples(&mp4, trak, &shown)?;
        let samples = sample_refs(track, len, &shown)?;
        let output_pts_ms = output_times_ms(&mp4, trak, track);
        let frame_count = output_pts_ms.iter().filter(|p| p.is_some()).count() as u64;
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
                    return Err(corrupt(
                        &self.shown,
                        format!(
                            "the H.264 decoder produced only {} of {} frames (damaged video data)",
                            self.outputs,
                            self.samples.len()
                        ),
                    ));
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
            return Err(corrupt(
                &self.shown,
                format!(
                    "cannot read frame {} of {} at byte {} (file truncated or changed while reading?): {}",
                    i + 1,
                    self.samples.len(),
                    s.offset,
                    one_line(e)
                ),
            ));
        }
        if !avcc_to_annexb(&self.sample_buf, self.length_size, &mut self.annexb_buf) {
            return Err(corrupt(
                &self.shown,
                format!("damaged H.264 data in frame {} of {}", i + 1, self.samples.len()),
            ));
        }
        let shown = &self.shown;
        let image = match self.decoder.decode(&self.annexb_buf) {
            Ok(Some(yuv)) => Some(copy_yuv(&yuv, shown)?),
            Ok(None) => None,
            Err(e) => {
                return Err(corrupt(
                    shown,
                    format!("H.264 decode error in frame {} of {}: {}", i + 1, self.samples.len(), decoder_msg(e)),
                ))
            }
        };
        if let Some(image) = image {
            self.push_output(image)?;
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
        let image = match self.rotation {
            0 => Picture::from_yuv(yuv),
            r => {
                let rgb = yuv.to_rgb().map_err(|e| corrupt(&self.shown, e))?;
                Picture::from_rgb(match r {
                    90 => image::imageops::rotate90(&rgb),
                    180 => image::imageops::rotate180(&rgb),
                    _ => image::imageops::rotate270(&rgb),
                })
            }
        };
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

/// Copies a decoded I420 picture out of the decoder's buffers (the decoder reuses them for the next picture).
pub(super) fn copy_yuv(yuv: &openh264::decoder::DecodedYUV<'_>, shown: &str) -> Result<Yuv420, CaptureError> {
    let (w, h) = yuv.dimensions();
    let (sy, su, sv) = yuv.strides();
    // Guard against a bad picture: sane size, and planes large enough for the strides.
    if w == 0
        || h == 0
        || w > MAX_SIDE_PX as usize
        || h > MAX_SIDE_PX as usize
        || sy < w
        || su < w.div_ceil(2)
        || sv < su
    {
        return Err(corrupt(shown, format!("the H.264 decoder returned a bad picture ({w}x{h})")));
    }
    Yuv420::from_strided(w as u32, h as u32, (yuv.y(), yuv.u(), yuv.v()), (sy, su, sv))
        .map_err(|e| corrupt(shown, format!("the H.264 decoder returned a bad picture: {e}")))
}

impl FrameSource for VideoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The next frame in presentation order; `Ok(None)` after the last one.
    ///
    /// Errors: [`CaptureError::Corrupt`] naming the file if a frame cannot be read (file truncated after open)
    /// or decoded, or if the decoder yields fewer frames than the file holds.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        self.fill()?;
        Ok(self.pending.pop_front())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annexb_conversion() {
        let mut out = Vec::new();
        assert!(avcc_to_annexb(&[0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x41], 4, &mut out));
        assert_eq!(out, vec![0, 0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0x41]);
        assert!(!avcc_to_annexb(&[0, 0, 0, 9, 0x65], 4, &mut out));
        assert!(!avcc_to_annexb(&[0, 0], 4, &mut out));
    }

    #[test]
    fn presentation_without_edits_starts_at_zero() {
        // B-frame order: raw composition times start at 2 frames.
        let pts = presentation_times(&[2, 6, 3, 4, 5], &[], 1, 1);
        assert_eq!(pts, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    }

    #[test]
    fn edit_list_drops_samples_outside_the_edit() {
        // Media timescale 10, movie timescale 1: one edit starting at media time 20, lasting 3 s (30 units).
        let cts: Vec<i64> = (0..6).map(|i| i * 10).collect();
        let pts = presentation_times(&cts, &[(3, Some(20), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
        // An edit starting part-way into a frame: that frame is left out, the next one is at 0.
        let pts = presentation_times(&cts, &[(3, Some(15), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
        // A leading empty edit is ignored.
        let pts = presentation_times(&cts, &[(5, None, 1), (3, Some(20), 1)], 10, 1);
        assert_eq!(pts, vec![None, None, Some(0), Some(10), Some(20), None]);
    }
}
