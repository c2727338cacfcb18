//! A decoded frame's pixels as the source delivered them: RGB8 (images, cameras), or the decoder's planar YUV
//! 4:2:0 (H.264 video), converted to RGB only when something asks for it.
//!
//! Most frames of a video never need RGB: the emotion networks read gray crops, and gray is the luma plane
//! expanded from limited range (BT.601: `gray = (Y - 16) * 255 / 219`, which is what `0.299 R + 0.587 G +
//! 0.114 B` gives for the RGB a BT.601 decoder makes, up to rounding and clipping). Only the frames that go
//! through the face detector (YuNet reads colour) and the live preview are converted, once, on first use.

use std::sync::OnceLock;

use super::gray::to_gray;

/// Planar YUV 4:2:0, 8 bits, BT.601 limited range (what H.264 decoders give): `y` is `width x height`, `u` and
/// `v` are `ceil(width/2) x ceil(height/2)`, all tightly packed (stride = width of the plane).
#[derive(Clone, Debug)]
pub struct Yuv420 {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luma, `width * height` bytes.
    pub y: Vec<u8>,
    /// Blue-difference chroma, `ceil(width/2) * ceil(height/2)` bytes.
    pub u: Vec<u8>,
    /// Red-difference chroma, same size as `u`.
    pub v: Vec<u8>,
}

impl Yuv420 {
    /// Copies the planes of a picture whose rows are `strides` bytes apart (`(y, u, v)`, each at least its
    /// plane's width), dropping the padding.
    ///
    /// Errors: a plane shorter than its rows and strides need (a message for the caller to wrap).
    pub fn from_strided(
        width: u32,
        height: u32,
        planes: (&[u8], &[u8], &[u8]),
        strides: (usize, usize, usize),
    ) -> Result<Yuv420, String> {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let copy = |src: &[u8], stride: usize, pw: usize, ph: usize| -> Result<Vec<u8>, String> {
            if stride < pw || ph > 0 && src.len() < stride * (ph - 1) + pw {
                return Err(format!("a {pw}x{ph} plane with stride {stride} in {} bytes", src.len()));
            }
            let mut out = Vec::with_capacity(pw * ph);
            for row in src.chunks(stride).take(ph) {
                out.extend_from_slice(&row[..pw]);
            }
            Ok(out)
        };
        Ok(Yuv420 {
            width,
            height,
            y: copy(planes.0, strides.0, w, h)?,
            u: copy(planes.1, strides.1, cw, ch)?,
            v: copy(planes.2, strides.2, cw, ch)?,
        })
    }

    /// RGB8, BT.601 limited range (the `yuv` crate's SIMD conversion).
    ///
    /// Errors: the planes do not match the size (not expected for planes made by [`Yuv420::from_strided`]).
    pub fn to_rgb(&self) -> Result<image::RgbImage, String> {
        let (w, h) = (self.width, self.height);
        let planar = yuv::YuvPlanarImage {
            y_plane: &self.y,
            y_stride: w,
            u_plane: &self.u,
            u_stride: w.div_ceil(2),
            v_plane: &self.v,
            v_stride: w.div_ceil(2),
            width: w,
            height: h,
        };
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        yuv::yuv420_to_rgb(&planar, &mut rgb, w * 3, yuv::YuvRange::Limited, yuv::YuvStandardMatrix::Bt601)
            .map_err(|e| format!("YUV to RGB: {e}"))?;
        image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| "YUV to RGB: wrong buffer size".to_string())
    }

    /// 8-bit full-range gray from the luma plane: `round((Y - 16) * 255 / 219)`, clipped to `[0, 255]`.
    pub fn to_gray(&self) -> image::GrayImage {
        let lut: [u8; 256] =
            std::array::from_fn(|y| ((y as f32 - 16.0) * 255.0 / 219.0).round().clamp(0.0, 255.0) as u8);
        let data: Vec<u8> = self.y.iter().map(|&y| lut[y as usize]).collect();
        image::GrayImage::from_raw(self.width, self.height, data).expect("the luma plane has width * height bytes")
    }
}

/// A frame's pixels: RGB8 as delivered, or YUV 4:2:0 with its RGB made on first use.
#[derive(Debug)]
pub struct Picture {
    width: u32,
    height: u32,
    yuv: Option<Yuv420>,
    rgb: OnceLock<image::RgbImage>,
}

impl Picture {
    /// A picture delivered as RGB8.
    pub fn from_rgb(rgb: image::RgbImage) -> Picture {
        let (width, height) = rgb.dimensions();
        Picture { width, height, yuv: None, rgb: OnceLock::from(rgb) }
    }

    /// A picture delivered as YUV 4:2:0 (RGB made by [`Picture::rgb`] when first asked for).
    pub fn from_yuv(yuv: Yuv420) -> Picture {
        Picture { width: yuv.width, height: yuv.height, yuv: Some(yuv), rgb: OnceLock::new() }
    }

    /// A decoded picture turned upright for display by `rotation` degrees clockwise (0, 90, 180 or 270): kept as
    /// YUV when 0, else converted to RGB8 and rotated (90 and 270 swap width and height).
    ///
    /// Errors: the YUV to RGB conversion fails ([`Yuv420::to_rgb`]; a message for the caller to wrap).
    pub(crate) fn upright(yuv: Yuv420, rotation: u16) -> Result<Picture, String> {
        Ok(match rotation {
            0 => Picture::from_yuv(yuv),
            r => {
                let rgb = yuv.to_rgb()?;
                Picture::from_rgb(match r {
                    90 => image::imageops::rotate90(&rgb),
                    180 => image::imageops::rotate180(&rgb),
                    _ => image::imageops::rotate270(&rgb),
                })
            }
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// `(width, height)` in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Whether the RGB version exists yet (it always does for an RGB picture).
    pub fn has_rgb(&self) -> bool {
        self.rgb.get().is_some()
    }

    /// The RGB8 pixels, converted from YUV on the first call (about 2 ms at 1080p) and kept. A conversion that
    /// fails (planes not matching the size, not expected) gives a black picture of the right size.
    pub fn rgb(&self) -> &image::RgbImage {
        self.rgb.get_or_init(|| match &self.yuv {
            Some(yuv) => yuv.to_rgb().unwrap_or_else(|_| image::RgbImage::new(self.width, self.height)),
            None => image::RgbImage::new(self.width, self.height),
        })
    }

    /// The RGB8 pixels, by value.
    pub fn into_rgb(self) -> image::RgbImage {
        self.rgb();
        self.rgb.into_inner().expect("made by rgb()")
    }

    /// 8-bit gray (BT.601 luma), same size: from the luma plane for YUV, from RGB by [`to_gray`] otherwise.
    pub fn gray(&self) -> image::GrayImage {
        match &self.yuv {
            Some(yuv) => yuv.to_gray(),
            None => to_gray(self.rgb()),
        }
    }
}

impl From<image::RgbImage> for Picture {
    fn from(rgb: image::RgbImage) -> Picture {
        Picture::from_rgb(rgb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture_4x2() -> Yuv420 {
        // Luma black, video white and mid gray; neutral chroma (128).
        Yuv420 { width: 4, height: 2, y: vec![16, 235, 126, 16, 16, 235, 126, 16], u: vec![128; 4], v: vec![128; 4] }
    }

    #[test]
    fn gray_expands_limited_range_luma_to_full_range() {
        let g = picture_4x2().to_gray();
        assert_eq!(g.as_raw(), &vec![0, 255, 128, 0, 0, 255, 128, 0]);
    }

    #[test]
    fn gray_from_luma_matches_bt601_gray_of_the_converted_rgb() {
        let yuv = Yuv420 {
            width: 4,
            height: 2,
            // Colours inside the RGB cube (no channel clipped, where gray from luma is exact up to rounding).
            y: vec![60, 80, 120, 160, 200, 70, 90, 180],
            u: vec![112, 140],
            v: vec![140, 118],
        };
        let via_rgb = to_gray(&yuv.to_rgb().unwrap());
        for (a, b) in yuv.to_gray().as_raw().iter().zip(via_rgb.as_raw()) {
            assert!(a.abs_diff(*b) <= 2, "luma gray {a}, RGB gray {b}");
        }
    }

    #[test]
    fn strided_planes_lose_their_padding_and_short_ones_are_refused() {
        let y: Vec<u8> = (0..16).collect(); // 3x2 picture, stride 8
        let c = [128u8; 8];
        let p = Yuv420::from_strided(3, 2, (&y, &c, &c), (8, 4, 4)).unwrap();
        assert_eq!(p.y, vec![0, 1, 2, 8, 9, 10]);
        assert_eq!(p.u.len(), 2);
        assert!(Yuv420::from_strided(3, 2, (&y[..9], &c, &c), (8, 4, 4)).is_err());
    }

    #[test]
    fn rgb_is_made_once_on_demand() {
        let p = Picture::from_yuv(picture_4x2());
        assert!(!p.has_rgb());
        assert_eq!(p.rgb().get_pixel(1, 0).0, [255, 255, 255]);
        assert!(p.has_rgb());
        assert_eq!(p.dimensions(), (4, 2));
    }
}
