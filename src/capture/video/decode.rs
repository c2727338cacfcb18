//! Driving the openh264 decoder: starting one on a stream's parameter sets (also for the RTSP reader), its
//! errors as one line, and copying each decoded picture out of its buffers as [`Yuv420`].

use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;
use re_mp4::Avc1Box;

use super::h264::check_sps;
use super::{corrupt, unsupported, MAX_SIDE_PX};
use crate::capture::picture::Yuv420;
use crate::capture::CaptureError;
use crate::fmt::one_line;

/// openh264's error as one line, without its "Backtraces enabled." trailer (nothing is printed but the line).
pub(super) fn decoder_msg(e: openh264::Error) -> String {
    one_line(e).replace(". Backtraces enabled.", ".")
}

/// Starts the H.264 decoder and feeds it the parameter sets of the `avcC` box. No flush after each packet, so
/// that it can reorder B-frames into presentation order. An SPS using a feature the decoder lacks is
/// [`CaptureError::Unsupported`]; a decoder that fails to start or rejects the parameter sets
/// [`CaptureError::Corrupt`].
pub(super) fn start_decoder(avc1: &Avc1Box, shown: &str) -> Result<(Decoder, Vec<u8>), CaptureError> {
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
pub(in crate::capture) fn new_decoder(params: &[u8], shown: &str) -> Result<Decoder, CaptureError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| corrupt(shown, format!("cannot start the H.264 decoder: {}", decoder_msg(e))))?;
    if !params.is_empty() {
        decoder.decode(params).map_err(|e| corrupt(shown, format!("bad H.264 parameter sets: {}", decoder_msg(e))))?;
    }
    Ok(decoder)
}

/// Copies a decoded I420 picture out of the decoder's buffers (the decoder reuses them for the next picture).
pub(in crate::capture) fn copy_yuv(
    yuv: &openh264::decoder::DecodedYUV<'_>,
    shown: &str,
) -> Result<Yuv420, CaptureError> {
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
