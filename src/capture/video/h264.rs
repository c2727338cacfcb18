//! H.264 bitstream vocabulary: the sequence parameter set read with an Exp-Golomb bit reader (to refuse what
//! openh264 cannot decode), profile names, and the NAL units' length prefixes (`avcC`) turned into Annex-B start
//! codes for the decoder.

use re_mp4::Avc1Box;

use super::corrupt;
use crate::capture::CaptureError;

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
pub(super) fn profile_name(profile_idc: u32) -> String {
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
pub(super) fn check_sps(sps: &[u8]) -> Result<(), String> {
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

/// Size in bytes (1, 2 or 4) of the NAL length prefixes in the samples, from the `avcC` box.
pub(super) fn nal_length_size(avc1: &Avc1Box, shown: &str) -> Result<usize, CaptureError> {
    let length_size = usize::from(avc1.avcc.length_size_minus_one & 0x3) + 1;
    if length_size == 3 {
        return Err(corrupt(shown, "damaged H.264 configuration (NAL length size 3)"));
    }
    Ok(length_size)
}

/// Converts AVCC (length-prefixed NAL units) to Annex B (start-code-prefixed). Returns `false` if a length
/// prefix runs past the end of the sample.
pub(super) fn avcc_to_annexb(sample: &[u8], length_size: usize, out: &mut Vec<u8>) -> bool {
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
}
