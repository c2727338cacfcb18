//! Building blocks shared by the two emotion networks ([`super::fer_mini_xception`], [`super::human_emotion`]):
//! weight loading from TensorFlow layouts, BatchNorm folding, and the CPU kernels candle lacks a fast path for.
//!
//! All activations are NCHW `f32` tensors on the CPU. Checkpoint kernels come in TensorFlow layouts (conv HWIO,
//! depthwise `[H, W, C, 1]`) and are converted here at load time.
//!
//! Speed notes (2-core x86 CPU, candle 0.11, measured for this crate): candle's grouped `conv2d` runs one
//! convolution per group, which makes depthwise convolutions the slowest layers of both networks; the
//! [`Depthwise3x3`] kernel below (a direct loop over shifted rows, which the compiler vectorises) removes that
//! cost. Pointwise (1x1) convolutions are plain matrix products (`[O, C] x [C, H*W]` per image), which candle
//! hands to the `gemm` crate. "SAME" max pooling and the stride-2 1x1 shortcut are direct loops as well.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;

/// Folds an inference-mode BatchNorm (`y = (x - mean) / sqrt(var + eps) * gamma + beta`, Ioffe & Szegedy 2015)
/// into a per-output-channel scale and shift: `y = x * scale + shift`.
///
/// `prefix` is the Keras layer name (`batch_normalization_N`), whose `gamma`, `beta`, `moving_mean` and
/// `moving_variance` (each `[channels]`) are read from `vb`. Errors: a tensor is missing or has another shape.
pub fn batch_norm_scale_shift(
    vb: &VarBuilder,
    prefix: &str,
    channels: usize,
    eps: f64,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let vb = vb.pp(prefix);
    let gamma = vb.get(channels, "gamma")?.to_vec1::<f32>()?;
    let beta = vb.get(channels, "beta")?.to_vec1::<f32>()?;
    let mean = vb.get(channels, "moving_mean")?.to_vec1::<f32>()?;
    let var = vb.get(channels, "moving_variance")?.to_vec1::<f32>()?;
    let mut scale = Vec::with_capacity(channels);
    let mut shift = Vec::with_capacity(channels);
    for c in 0..channels {
        let s = gamma[c] as f64 / (var[c] as f64 + eps).sqrt();
        scale.push(s as f32);
        shift.push((beta[c] as f64 - mean[c] as f64 * s) as f32);
    }
    Ok((scale, shift))
}

/// Reads a TensorFlow conv kernel `[kh, kw, c_in, c_out]` (HWIO) named `name` and returns it as candle's
/// `[c_out, c_in, kh, kw]` (OIHW), contiguous.
pub fn load_hwio(vb: &VarBuilder, name: &str, kh: usize, kw: usize, c_in: usize, c_out: usize) -> Result<Tensor> {
    vb.get((kh, kw, c_in, c_out), name)?.permute((3, 2, 0, 1))?.contiguous()
}

/// Multiplies output channel `o` of an OIHW kernel by `scale[o]` (BatchNorm folding).
pub fn scale_out_channels(w: &Tensor, scale: &[f32]) -> Result<Tensor> {
    let o = w.dim(0)?;
    let s = Tensor::from_slice(scale, (o, 1, 1, 1), w.device())?;
    w.broadcast_mul(&s)
}

/// Padding mode of a TensorFlow convolution or pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// No padding: output `(in - k) / stride + 1`.
    Valid,
    /// Output `ceil(in / stride)`; TensorFlow pads `total = max((out - 1) * stride + k - in, 0)` with
    /// `total / 2` before and the rest after.
    Same,
}

/// A full (dense) 2-D convolution with an optional per-channel bias, as in `tf.nn.conv2d`.
///
/// Input `[N, C_in, H, W]`, output `[N, C_out, H', W']`. Computed as im2col ([`Im2col`], plain row copies) and
/// one `[C_out, C_in*kh*kw] x [C_in*kh*kw, H'*W']` matrix product per image; candle's own CPU `conv2d` spent most
/// of its time in a per-element im2col here. Only paddings that are symmetric in TensorFlow are supported
/// (VALID, or SAME with stride 1 and an odd kernel), which is all the two networks use.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// `[C_out, C_in * kh * kw]`, columns ordered (channel, row, column) like OIHW.
    weight: Tensor,
    /// `[1, C_out, 1]`.
    bias: Option<Tensor>,
    im2col: Im2col,
}

impl Conv2d {
    /// A convolution from an OIHW `weight` and an optional `[C_out]` `bias`.
    ///
    /// Errors: a SAME padding that TensorFlow would apply asymmetrically (stride > 1 or an even kernel).
    pub fn new(weight: Tensor, bias: Option<Vec<f32>>, stride: usize, padding: Padding) -> Result<Self> {
        let (c_out, c_in, kh, kw) = weight.dims4()?;
        let padding = match padding {
            Padding::Valid => 0,
            Padding::Same if stride == 1 && kh == kw && kh % 2 == 1 => kh / 2,
            Padding::Same => candle_core::bail!("conv2d: asymmetric SAME padding (k={kh}, stride={stride})"),
        };
        let bias = match bias {
            Some(b) => Some(Tensor::from_vec(b, (1, c_out, 1), weight.device())?),
            None => None,
        };
        let weight = weight.reshape((c_out, c_in * kh * kw))?.contiguous()?;
        Ok(Self { weight, bias, im2col: Im2col { kh, kw, stride, padding } })
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, _, h, w) = x.dims4()?;
        let (oh, ow) = self.im2col.out_size(h, w);
        let cols = x.apply_op1_no_bwd(&self.im2col)?;
        let y = self.weight.broadcast_matmul(&cols)?;
        let y = match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        };
        y.reshape((n, self.weight.dim(0)?, oh, ow))
    }
}

/// im2col for a `kh x kw` convolution with a stride and a symmetric zero padding:
/// `[N, C, H, W] -> [N, C*kh*kw, H'*W']`, row `(c * kh + i) * kw + j` holding input pixel
/// `(y * stride + i - pad, x * stride + j - pad)` for output pixel `(y, x)` (0 outside the image).
#[derive(Clone, Copy, Debug)]
pub struct Im2col {
    kh: usize,
    kw: usize,
    stride: usize,
    padding: usize,
}

impl Im2col {
    fn out_size(&self, h: usize, w: usize) -> (usize, usize) {
        ((h + 2 * self.padding - self.kh) / self.stride + 1, (w + 2 * self.padding - self.kw) / self.stride + 1)
    }
}

impl CustomOp1 for Im2col {
    fn name(&self) -> &'static str {
        "im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "im2col")?;
        let (n, c, h, w) = l.shape().dims4()?;
        let (kh, kw, st, pad) = (self.kh, self.kw, self.stride, self.padding);
        if h + 2 * pad < kh || w + 2 * pad < kw {
            candle_core::bail!("im2col: {h}x{w} input is smaller than the {kh}x{kw} kernel");
        }
        let (oh, ow) = self.out_size(h, w);
        let mut out = vec![0f32; n * c * kh * kw * oh * ow];
        let mut dst_rows = out.chunks_exact_mut(oh * ow);
        for plane in x.chunks_exact(h * w) {
            for i in 0..kh {
                for j in 0..kw {
                    let dst = dst_rows.next().expect("sized above");
                    // Output columns whose input column x * st + j - pad is inside [0, w).
                    let x_lo = (pad.saturating_sub(j)).div_ceil(st);
                    let x_hi = ((w + pad).saturating_sub(j)).div_ceil(st).min(ow);
                    for y in 0..oh {
                        let iy = (y * st + i) as isize - pad as isize;
                        if iy < 0 || iy >= h as isize || x_lo >= x_hi {
                            continue;
                        }
                        let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                        let d = &mut dst[y * ow + x_lo..y * ow + x_hi];
                        let first = x_lo * st + j - pad;
                        if st == 1 {
                            d.copy_from_slice(&src[first..first + d.len()]);
                        } else {
                            for (k, v) in d.iter_mut().enumerate() {
                                *v = src[first + k * st];
                            }
                        }
                    }
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c * kh * kw, oh * ow))))
    }
}

/// A 1x1 convolution `y[o] = sum_c W[o, c] x[c] + b[o]`, optionally with stride 2 (TensorFlow SAME, which for a
/// 1x1 kernel samples input pixels `0, 2, 4, ...`).
///
/// Input `[N, C, H, W]`, output `[N, O, H', W']` with `H' = ceil(H / stride)`. Computed as one `[O, C] x
/// [C, H'*W']` matrix product per image.
#[derive(Clone, Debug)]
pub struct Pointwise {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
}

impl Pointwise {
    /// From an OIHW `[O, C, 1, 1]` kernel, a `[O]` bias and a stride of 1 or 2.
    pub fn new(weight: &Tensor, bias: Vec<f32>, stride: usize) -> Result<Self> {
        let (o, c, kh, kw) = weight.dims4()?;
        if kh != 1 || kw != 1 || !(stride == 1 || stride == 2) {
            candle_core::bail!("pointwise: kernel {kh}x{kw}, stride {stride}");
        }
        let weight = weight.reshape((o, c))?.contiguous()?;
        let bias = Tensor::from_vec(bias, (1, o, 1), weight.device())?;
        Ok(Self { weight, bias, stride })
    }
}

impl Module for Pointwise {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = if self.stride == 2 { x.apply_op1_no_bwd(&Subsample2)? } else { x.clone() };
        let (n, c, h, w) = x.dims4()?;
        let o = self.weight.dim(0)?;
        let y = self.weight.broadcast_matmul(&x.reshape((n, c, h * w))?)?;
        y.broadcast_add(&self.bias)?.reshape((n, o, h, w))
    }
}

/// Depthwise 3x3 convolution, stride 1, TensorFlow SAME padding (1 pixel of zeros on every side), no bias:
/// `y[c, i, j] = sum_{di, dj in 0..3} k[c, di, dj] * x[c, i + di - 1, j + dj - 1]`.
///
/// Input and output `[N, C, H, W]` f32, contiguous input required. Written as shifted row multiply-adds; on a
/// 2-core CPU this was several times faster than candle's grouped `conv2d` (one convolution per channel).
#[derive(Clone, Debug)]
pub struct Depthwise3x3 {
    /// `[C, 3, 3]`, row-major.
    kernel: Vec<f32>,
    channels: usize,
}

impl Depthwise3x3 {
    /// Reads a TensorFlow depthwise kernel `[3, 3, C, 1]` named `name`.
    pub fn load(vb: &VarBuilder, name: &str, channels: usize) -> Result<Self> {
        let k = vb.get((3, 3, channels, 1), name)?;
        let kernel = k.squeeze(3)?.permute((2, 0, 1))?.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self { kernel, channels })
    }

    /// Number of channels (input = output).
    pub fn channels(&self) -> usize {
        self.channels
    }
}

impl Module for Depthwise3x3 {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.apply_op1_no_bwd(self)
    }
}

fn contiguous_f32<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

impl CustomOp1 for Depthwise3x3 {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "depthwise3x3")?;
        let (n, c, h, w) = l.shape().dims4()?;
        if c != self.channels {
            candle_core::bail!("depthwise3x3: {c} input channels, kernel has {}", self.channels);
        }
        // Work in a zero-padded plane of width pw = w + 2: output pixel (i, j) sits at i * pw + j of the
        // accumulator, and tap (di, dj) reads the padded plane at offset di * pw + dj from there, so each tap is
        // one long contiguous multiply-add (the two extra columns per row are discarded at the end).
        let (ph, pw) = (h + 2, w + 2);
        let span = h * pw;
        let mut padded = vec![0f32; ph * pw + 2];
        let mut acc = vec![0f32; span];
        let mut out = Vec::with_capacity(n * c * h * w);
        for (p, src) in x.chunks_exact(h * w).enumerate() {
            for i in 0..h {
                padded[(i + 1) * pw + 1..(i + 1) * pw + 1 + w].copy_from_slice(&src[i * w..(i + 1) * w]);
            }
            let k = &self.kernel[(p % c) * 9..(p % c) * 9 + 9];
            acc.fill(0.0);
            for di in 0..3 {
                for dj in 0..3 {
                    let kv = k[di * 3 + dj];
                    let off = di * pw + dj;
                    for (a, v) in acc.iter_mut().zip(&padded[off..off + span]) {
                        *a += kv * v;
                    }
                }
            }
            for i in 0..h {
                out.extend_from_slice(&acc[i * pw..i * pw + w]);
            }
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

/// Keeps every other pixel (rows and columns `0, 2, 4, ...`): `[N, C, H, W] -> [N, C, ceil(H/2), ceil(W/2)]`.
/// This is what a 1x1 convolution with stride 2 and TensorFlow SAME padding reads.
struct Subsample2;

impl CustomOp1 for Subsample2 {
    fn name(&self) -> &'static str {
        "subsample2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "subsample2")?;
        let (n, c, h, w) = l.shape().dims4()?;
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        let mut out = Vec::with_capacity(n * c * oh * ow);
        for src in x.chunks_exact(h * w) {
            for i in 0..oh {
                let row = &src[2 * i * w..2 * i * w + w];
                out.extend(row.iter().step_by(2));
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, oh, ow))))
    }
}

/// 3x3 max pooling with stride 2 and TensorFlow SAME padding: output `ceil(H/2) x ceil(W/2)`, padded cells
/// never win (as `tf.nn.max_pool2d`, which pads with -inf). Input `[N, C, H, W]` f32, contiguous.
pub fn max_pool_3x3_s2_same(x: &Tensor) -> Result<Tensor> {
    x.apply_op1_no_bwd(&MaxPool3x3S2Same)
}

struct MaxPool3x3S2Same;

impl CustomOp1 for MaxPool3x3S2Same {
    fn name(&self) -> &'static str {
        "maxpool3x3s2same"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "maxpool")?;
        let (n, c, h, w) = l.shape().dims4()?;
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        // TensorFlow SAME: total padding max((out - 1) * 2 + 3 - in, 0), the smaller half before.
        let pad_top = ((oh - 1) * 2 + 3).saturating_sub(h) / 2;
        let pad_left = ((ow - 1) * 2 + 3).saturating_sub(w) / 2;
        let mut out = Vec::with_capacity(n * c * oh * ow);
        let mut colmax = vec![0f32; w];
        for src in x.chunks_exact(h * w) {
            for i in 0..oh {
                // Rows 2i - pad_top .. +3, clipped to the image; their column-wise maximum first.
                let y0 = (2 * i).saturating_sub(pad_top);
                let y1 = (2 * i + 3 - pad_top).min(h);
                colmax.copy_from_slice(&src[y0 * w..y0 * w + w]);
                for r in y0 + 1..y1 {
                    for (m, v) in colmax.iter_mut().zip(&src[r * w..r * w + w]) {
                        *m = m.max(*v);
                    }
                }
                for j in 0..ow {
                    let lo = (2 * j).saturating_sub(pad_left);
                    let hi = (2 * j + 3 - pad_left).min(w);
                    out.push(colmax[lo..hi].iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v)));
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, oh, ow))))
    }
}

/// Global average pooling then softmax over channels: `[N, K, H, W] -> [N, K]` probabilities.
pub fn global_avg_pool_softmax(x: &Tensor) -> Result<Tensor> {
    let pooled = x.mean((2, 3))?;
    candle_nn::ops::softmax_last_dim(&pooled)
}

/// Checks that a model input is `[N, 1, size, size]` f32.
pub fn check_input(x: &Tensor, size: usize, model: &str) -> Result<()> {
    let dims = x.dims();
    if dims.len() != 4 || dims[1] != 1 || dims[2] != size || dims[3] != size || x.dtype() != DType::F32 {
        candle_core::bail!(
            "{model}: input must be [N, 1, {size}, {size}] f32, got {:?} {:?}",
            x.dims(),
            x.dtype()
        );
    }
    Ok(())
}
