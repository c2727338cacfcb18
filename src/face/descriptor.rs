//! The face descriptor for re-identification within a session: dlib's `dlib_face_recognition_resnet_model_v1`
//! (Davis King, public domain; a ResNet-34 variant with 29 convolutions and half the filters, trained on about 3
//! million faces of 7,485 identities; 99.38% on LFW) as ported to TensorFlow.js by face-api.js and shipped by npm
//! `@vladmandic/face-api` 1.7.15 (MIT). A face aligned by its five landmarks at 150x150 RGB ([`face_chip`]) becomes
//! a 128-d vector; dlib's rule is that two faces closer than 0.6 (Euclidean) are the same person.
//!
//! Weights: `models/face_descriptor.safetensors`, written by `scripts/convert_descriptor.py` from the shipped
//! weights, kept 8-bit quantized as shipped (`value = min + scale * q`, expanded here in f64 and rounded to f32,
//! as TensorFlow.js expands them, so the weights are bit-identical to the reference's). The layers are
//! `FaceRecognitionNet.forwardInput` of face-api (`src/faceRecognitionNet/`), where every convolution is
//! `conv + bias`, then a per-channel scale layer `x * weights + biases` (folded into the convolution here), then an
//! optional ReLU:
//!
//! ```text
//! input [N, 3, 150, 150]: RGB 0..255 minus the mean (122.782, 117.001, 104.298), divided by 255
//!   conv32_down  7x7 /2 valid (32) + ReLU, max pool 3x3 /2 valid           -> [N,  32, 35, 35]
//!   conv32_1..3  residual: 3x3 (32) + ReLU, 3x3 (32), + x, ReLU
//!   conv64_down  down: 3x3 /2 valid (64) + ReLU, 3x3 (64); + 2x2 avg pool of x with 32 zero channels
//!                appended; ReLU                                             -> [N,  64, 17, 17]
//!   conv64_1..3, conv128_down (-> 8x8), conv128_1..2, conv256_down (-> 3x3, one zero row and column appended
//!   to match the pool's 4x4), conv256_1..2, conv256_down_out (-> 1x1, padded to the pool's 2x2)
//!   mean over the 2x2, fc [256, 128] (no bias)                              -> [N, 128]
//! ```
//!
//! `tests/it/face_descriptor.rs` checks the output against face-api's own implementation under node
//! (`tests/data/descriptor_reference.json`, written by `scripts/reference_descriptor.py`).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use image::RgbImage;

use crate::detect::Landmarks;
use crate::nn::layers::{Activation, Conv2d, Padding};

/// File name of the weights in the models folder.
pub const WEIGHTS_FILE: &str = "face_descriptor.safetensors";
/// Side of the aligned face chip the network reads, pixels.
pub const CHIP_SIZE: usize = 150;
/// Length of a descriptor.
pub const DESCRIPTOR_LEN: usize = 128;
/// Per-channel mean (R, G, B, 0..255) face-api subtracts before dividing by 255.
pub const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

/// Where dlib's face chips (`get_face_chip_details(shape, 150, 0.25)`) put the five points YuNet gives, as
/// fractions of the chip's side (x, y), in [`Landmarks`] order: right eye, left eye (the image's left and right for
/// a frontal face), nose tip, right and left mouth corner. From dlib's mean face shape
/// (`dlib/image_transforms/interpolation.h`, `mean_face_shape_x/y`, points 17-67 of the 68-point layout in a unit
/// square): the eye centres are the means of points 36-41 and 42-47, the nose tip point 30, the mouth corners points
/// 48 and 54; the 0.25 padding maps a point `p` of the unit square to `(p + 0.25) / 1.5`.
pub const CHIP_TEMPLATE: [[f32; 2]; 5] =
    [[0.3169, 0.3107], [0.6697, 0.3107], [0.4934, 0.5104], [0.3361, 0.6868], [0.6507, 0.6868]];

/// A 128-d face descriptor (dlib's metric space: Euclidean distance, same person below about 0.6).
pub type Descriptor = [f32; DESCRIPTOR_LEN];

/// Euclidean distance between two descriptors.
pub fn distance(a: &Descriptor, b: &Descriptor) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

/// The similarity transform (rotation, uniform scale, translation) that takes `from` nearest to `to` in the least
/// squares sense (Umeyama 1991, in two dimensions): `(a, b, tx, ty)` with `x' = a x - b y + tx`, `y' = b x + a y +
/// ty`.
fn similarity(from: &[[f32; 2]; 5], to: &[[f32; 2]; 5]) -> (f32, f32, f32, f32) {
    let mean = |p: &[[f32; 2]; 5]| {
        let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
        (sx / 5.0, sy / 5.0)
    };
    let ((fx, fy), (tx, ty)) = (mean(from), mean(to));
    let (mut num_a, mut num_b, mut den) = (0f32, 0f32, 0f32);
    for (f, t) in from.iter().zip(to) {
        let (dx, dy, sx, sy) = (f[0] - fx, f[1] - fy, t[0] - tx, t[1] - ty);
        num_a += dx * sx + dy * sy;
        num_b += dx * sy - dy * sx;
        den += dx * dx + dy * dy;
    }
    let (a, b) = if den > 0.0 { (num_a / den, num_b / den) } else { (1.0, 0.0) };
    (a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy))
}

/// The face in `rgb` with its five landmarks (pixels of `rgb`, [`Landmarks`] order), aligned as dlib's face chips
/// are: the similarity transform that puts the landmarks nearest to [`CHIP_TEMPLATE`] (least squares over all
/// five), sampled bilinearly at [`CHIP_SIZE`]x[`CHIP_SIZE`], black outside the frame. Returns `[150, 150, 3]` RGB
/// u8, row-major.
pub fn face_chip(rgb: &RgbImage, landmarks: &Landmarks) -> Vec<u8> {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let mut out = vec![0u8; CHIP_SIZE * CHIP_SIZE * 3];
    if w == 0 || h == 0 {
        return out;
    }
    let n = CHIP_SIZE as f32;
    let template = CHIP_TEMPLATE.map(|[x, y]| [x * n, y * n]);
    // Chip pixels to frame pixels.
    let (a, b, tx, ty) = similarity(&template, landmarks);
    let raw = rgb.as_raw();
    let at = |xi: isize, yi: isize, c: usize| -> f32 {
        if xi < 0 || yi < 0 || xi >= w as isize || yi >= h as isize {
            0.0
        } else {
            raw[(yi as usize * w + xi as usize) * 3 + c] as f32
        }
    };
    for v in 0..CHIP_SIZE {
        let cy = v as f32 + 0.5;
        for u in 0..CHIP_SIZE {
            let cx = u as f32 + 0.5;
            // -0.5: pixel centres at integer coordinates.
            let sx = a * cx - b * cy + tx - 0.5;
            let sy = b * cx + a * cy + ty - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (xi, yi) = (x0 as isize, y0 as isize);
            for c in 0..3 {
                let top = at(xi, yi, c) + (at(xi + 1, yi, c) - at(xi, yi, c)) * fx;
                let bot = at(xi, yi + 1, c) + (at(xi + 1, yi + 1, c) - at(xi, yi + 1, c)) * fx;
                out[(v * CHIP_SIZE + u) * 3 + c] = (top + (bot - top) * fy).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// One residual block: two 3x3 convolutions (the first strided for a "down" block).
struct Block {
    conv1: Conv2d,
    conv2: Conv2d,
    down: bool,
}

/// The descriptor network (see the module docs). Cheap to share: the weights are read-only.
pub struct DescriptorNet {
    stem: Conv2d,
    blocks: Vec<Block>,
    /// `[256, 128]`.
    fc: Tensor,
}

/// The expanded weights of the checkpoint, by name.
struct Weights(HashMap<String, Tensor>);

impl Weights {
    /// Tensor `name` as f32: a `U8` tensor expanded with its `NAME.q_scale` and `NAME.q_min` (f64), as
    /// TensorFlow.js does (`q * scale + min` in double precision, stored as f32).
    fn get(&self, name: &str) -> anyhow::Result<Tensor> {
        let t = self.0.get(name).ok_or_else(|| anyhow::anyhow!("{WEIGHTS_FILE}: no tensor `{name}`"))?;
        if t.dtype() != DType::U8 {
            return Ok(t.to_dtype(DType::F32)?);
        }
        let scalar = |suffix: &str| -> anyhow::Result<f64> {
            let key = format!("{name}.{suffix}");
            let s = self.0.get(&key).ok_or_else(|| anyhow::anyhow!("{WEIGHTS_FILE}: no tensor `{key}`"))?;
            Ok(s.to_dtype(DType::F64)?.to_scalar::<f64>()?)
        };
        let (scale, min) = (scalar("q_scale")?, scalar("q_min")?);
        let q = t.flatten_all()?.to_vec1::<u8>()?;
        let v: Vec<f32> = q.iter().map(|&q| (q as f64 * scale + min) as f32).collect();
        Ok(Tensor::from_vec(v, t.shape(), &Device::Cpu)?)
    }

    /// Convolution `prefix/conv/{filters,bias}` (filters HWIO) with the scale layer `prefix/scale/{weights,biases}`
    /// folded in: `(conv(x) + b) * s + t = conv_{w*s}(x) + (b * s + t)`.
    fn conv(&self, prefix: &str, stride: usize, padding: Padding, act: Activation) -> anyhow::Result<Conv2d> {
        let filters = self.get(&format!("{prefix}/conv/filters"))?.permute((3, 2, 0, 1))?.contiguous()?;
        let bias = self.get(&format!("{prefix}/conv/bias"))?.to_vec1::<f32>()?;
        let s = self.get(&format!("{prefix}/scale/weights"))?.to_vec1::<f32>()?;
        let t = self.get(&format!("{prefix}/scale/biases"))?.to_vec1::<f32>()?;
        let c_out = filters.dim(0)?;
        if bias.len() != c_out || s.len() != c_out || t.len() != c_out {
            anyhow::bail!("{WEIGHTS_FILE}: `{prefix}` has {c_out} filters but biases or scales of another length");
        }
        let scale = Tensor::from_vec(s.clone(), (c_out, 1, 1, 1), &Device::Cpu)?;
        let filters = filters.broadcast_mul(&scale)?;
        let bias: Vec<f32> = bias.iter().zip(&s).zip(&t).map(|((b, s), t)| b * s + t).collect();
        Ok(Conv2d::new(&filters, bias, stride, padding, act)?)
    }
}

/// `(block name, down)` in order after the stem.
const BLOCKS: [(&str, bool); 14] = [
    ("conv32_1", false),
    ("conv32_2", false),
    ("conv32_3", false),
    ("conv64_down", true),
    ("conv64_1", false),
    ("conv64_2", false),
    ("conv64_3", false),
    ("conv128_down", true),
    ("conv128_1", false),
    ("conv128_2", false),
    ("conv256_down", true),
    ("conv256_1", false),
    ("conv256_2", false),
    ("conv256_down_out", true),
];

impl DescriptorNet {
    /// Loads `models_dir/`[`WEIGHTS_FILE`].
    ///
    /// Errors: the file is missing or unreadable (named), or a tensor is missing or of the wrong shape.
    pub fn load(models_dir: &Path) -> anyhow::Result<DescriptorNet> {
        let path = models_dir.join(WEIGHTS_FILE);
        let map = candle_core::safetensors::load(&path, &Device::Cpu)
            .map_err(|e| anyhow::anyhow!("cannot load the face descriptor {}: {e}", path.display()))?;
        let w = Weights(map);
        let stem = w.conv("conv32_down", 2, Padding::Valid, Activation::Relu)?;
        let mut blocks = Vec::new();
        for (name, down) in BLOCKS {
            let (stride, padding) = if down { (2, Padding::Valid) } else { (1, Padding::Same) };
            blocks.push(Block {
                conv1: w.conv(&format!("{name}/conv1"), stride, padding, Activation::Relu)?,
                conv2: w.conv(&format!("{name}/conv2"), 1, Padding::Same, Activation::None)?,
                down,
            });
        }
        let fc = w.get("fc")?;
        if fc.dims() != [256, DESCRIPTOR_LEN] {
            anyhow::bail!("{WEIGHTS_FILE}: `fc` is {:?}, expected [256, 128]", fc.dims());
        }
        Ok(DescriptorNet { stem, blocks, fc })
    }

    /// The network input for chips of [`face_chip`] (`[150, 150, 3]` RGB u8 each): `[N, 3, 150, 150]` f32, the
    /// mean subtracted and divided by 255.
    ///
    /// Errors: a chip of the wrong length.
    pub fn input(chips: &[&[u8]]) -> anyhow::Result<Tensor> {
        let plane = CHIP_SIZE * CHIP_SIZE;
        let mut data = vec![0f32; chips.len() * 3 * plane];
        for (n, chip) in chips.iter().enumerate() {
            if chip.len() != plane * 3 {
                anyhow::bail!("a face chip of {} bytes, expected {}", chip.len(), plane * 3);
            }
            for (i, px) in chip.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    data[(n * 3 + c) * plane + i] = (px[c] as f32 - MEAN_RGB[c]) / 255.0;
                }
            }
        }
        Ok(Tensor::from_vec(data, (chips.len(), 3, CHIP_SIZE, CHIP_SIZE), &Device::Cpu)?)
    }

    /// Descriptors of `x` (`[N, 3, 150, 150]` from [`DescriptorNet::input`]): `[N, 128]` f32.
    ///
    /// Errors: an input of another shape; a tensor operation fails.
    pub fn forward(&self, x: &Tensor) -> anyhow::Result<Tensor> {
        let (_, c, h, w) = x.dims4()?;
        if (c, h, w) != (3, CHIP_SIZE, CHIP_SIZE) {
            anyhow::bail!("descriptor input is {c}x{h}x{w}, expected 3x150x150");
        }
        let mut x = self.stem.forward(x)?.max_pool2d_with_stride(3, 2)?;
        for b in &self.blocks {
            let y = b.conv2.forward(&b.conv1.forward(&x)?)?;
            let shortcut = if b.down {
                let mut pooled = x.avg_pool2d_with_stride(2, 2)?;
                let (n, pc, ph, pw) = pooled.dims4()?;
                let yc = y.dim(1)?;
                if yc != pc {
                    let zeros = Tensor::zeros((n, yc - pc, ph, pw), DType::F32, &Device::Cpu)?;
                    pooled = Tensor::cat(&[&pooled, &zeros], 1)?;
                }
                pooled
            } else {
                x.clone()
            };
            // face-api appends one zero row and one zero column to the block's output when it is smaller than the
            // pooled shortcut (8 -> 3 against 4, 4 -> 1 against 2).
            let (_, _, sh, sw) = shortcut.dims4()?;
            let (_, _, yh, yw) = y.dims4()?;
            let y =
                if (yh, yw) != (sh, sw) { y.pad_with_zeros(2, 0, sh - yh)?.pad_with_zeros(3, 0, sw - yw)? } else { y };
            x = (y + shortcut)?.relu()?;
        }
        let pooled = x.mean((2, 3))?;
        Ok(pooled.matmul(&self.fc)?)
    }

    /// Descriptors of face chips ([`face_chip`]), one per chip.
    ///
    /// Errors: a chip of the wrong length; a tensor operation fails.
    pub fn describe(&self, chips: &[&[u8]]) -> anyhow::Result<Vec<Descriptor>> {
        if chips.is_empty() {
            return Ok(Vec::new());
        }
        let y = self.forward(&Self::input(chips)?)?;
        let rows = y.to_vec2::<f32>()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut d = [0f32; DESCRIPTOR_LEN];
                d.copy_from_slice(&r);
                d
            })
            .collect())
    }
}
