//! Building blocks shared by the emotion networks ([`crate::classify::fer_mini_xception`],
//! [`crate::classify::human_emotion`]) and the YuNet face detector ([`crate::detect::yunet`]): weight loading from
//! TensorFlow layouts, BatchNorm folding, and the CPU kernels candle lacks a fast path for.
//!
//! All activations are NCHW `f32` tensors on the CPU. Checkpoint kernels come in TensorFlow layouts (conv HWIO,
//! depthwise `[H, W, C, 1]`) and are converted here at load time.
//!
//! Speed notes (2-core x86 CPU, candle 0.11, measured for this crate with `tests/it/classify_latency.rs`): candle's
//! grouped `conv2d` runs one convolution per group, which makes depthwise convolutions slow; [`Depthwise3x3`]
//! is a direct loop of shifted multiply-adds instead. candle's dense CPU `conv2d` spent most of its time in a
//! per-element im2col, and its matmul takes its thread count from `RAYON_NUM_THREADS` (two threads were slower
//! than one for these small products), so [`Conv2d`] does its own im2col (row copies) and calls the `gemm` crate
//! single-threaded, with bias and ReLU fused. "SAME" max pooling is a direct loop as well.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;

/// BatchNorm tensor names in Keras checkpoints: gamma, beta, mean, variance (for [`batch_norm_scale_shift`]).
pub const KERAS_BN_NAMES: [&str; 4] = ["gamma", "beta", "moving_mean", "moving_variance"];

/// BatchNorm tensor names in PyTorch checkpoints (`nn.BatchNorm2d`): gamma, beta, mean, variance.
pub const TORCH_BN_NAMES: [&str; 4] = ["weight", "bias", "running_mean", "running_var"];

/// Folds an inference-mode BatchNorm (`y = (x - mean) / sqrt(var + eps) * gamma + beta`, Ioffe & Szegedy 2015)
/// into a per-output-channel scale and shift: `y = x * scale + shift`.
///
/// `prefix` is the layer name (Keras `batch_normalization_N`, PyTorch `stages.0.1.bn`), whose gamma, beta, mean and
/// variance (each `[channels]`) are read from `vb` under `names` ([`KERAS_BN_NAMES`] or [`TORCH_BN_NAMES`]).
/// Errors: a tensor is missing or has another shape.
pub fn batch_norm_scale_shift(
    vb: &VarBuilder,
    prefix: &str,
    names: [&str; 4],
    channels: usize,
    eps: f64,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let vb = vb.pp(prefix);
    let [gamma, beta, mean, var] = names.map(|n| vb.get(channels, n).and_then(|t| t.to_vec1::<f32>()));
    let (gamma, beta, mean, var) = (gamma?, beta?, mean?, var?);
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

/// Work (multiply-adds) from which a layer splits itself over the threads of the rayon pool it runs in.
const PARALLEL_MIN_WORK: usize = 4 << 20;

/// Whether a layer of `work` multiply-adds runs on the current rayon pool's threads: only when that pool has more
/// than one (the classifiers run in a one-thread pool of their own, the detector in a pool of `detect.threads`)
/// and the layer is large enough to gain from it.
fn parallel(work: usize) -> bool {
    work >= PARALLEL_MIN_WORK && rayon::current_num_threads() > 1
}

/// The `gemm` parallelism for a product of `work` multiply-adds (see [`parallel`]).
fn parallelism(work: usize) -> gemm::Parallelism {
    if parallel(work) {
        gemm::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm::Parallelism::None
    }
}

/// Padding mode of a TensorFlow convolution or pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// No padding: output `(in - k) / stride + 1`.
    Valid,
    /// Output `ceil(in / stride)`; TensorFlow pads `total = max((out - 1) * stride + k - in, 0)` with
    /// `total / 2` before and the rest after.
    Same,
    /// `p` pixels of zeros on every side (PyTorch / ONNX `pads = [p, p, p, p]`), any stride: output
    /// `(in + 2p - k) / stride + 1`.
    Explicit(usize),
}

/// What follows a convolution's bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Nothing (linear).
    None,
    /// `max(x, 0)`.
    Relu,
}

/// A dense 2-D convolution with a per-channel bias and an optional fused ReLU, as TensorFlow's
/// `Conv2D` + `BiasAdd` (+ `Relu`), including 1x1 "pointwise" convolutions.
///
/// Input `[N, C_in, H, W]` f32, output `[N, C_out, H', W']`. Per image: im2col (plain row copies; skipped for a 1x1
/// stride-1 kernel, whose input already is the `[C_in, H*W]` matrix), then one `[C_out, C_in*kh*kw] x
/// [C_in*kh*kw, H'*W']` product with the `gemm` crate on the calling thread, accumulated onto the bias, then the
/// ReLU in place. candle's own CPU `conv2d` spent most of its time in a per-element im2col here, and its matmul
/// picks its thread count from `RAYON_NUM_THREADS`, which made these small products slower on 2 threads.
///
/// Padding: VALID, or TensorFlow SAME where it is symmetric (stride 1 and an odd kernel), or SAME for a 1x1
/// kernel with any stride (no padding; samples pixels `0, s, 2s, ...`). That covers both networks.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// `[C_out, C_in * kh * kw]`, row-major, columns ordered (channel, row, column) like OIHW.
    weight: Vec<f32>,
    bias: Vec<f32>,
    c_out: usize,
    c_in: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    padding: usize,
    activation: Activation,
}

impl Conv2d {
    /// A convolution from an OIHW `weight` `[C_out, C_in, kh, kw]`, a `[C_out]` `bias`, a stride, a padding and
    /// an activation.
    ///
    /// Errors: the bias length differs from `C_out`, or a SAME padding TensorFlow would apply asymmetrically.
    pub fn new(
        weight: &Tensor,
        bias: Vec<f32>,
        stride: usize,
        padding: Padding,
        activation: Activation,
    ) -> Result<Self> {
        let (c_out, c_in, kh, kw) = weight.dims4()?;
        let padding = match padding {
            Padding::Valid => 0,
            Padding::Explicit(p) => p,
            Padding::Same if kh == 1 && kw == 1 => 0,
            Padding::Same if stride == 1 && kh == kw && kh % 2 == 1 => kh / 2,
            Padding::Same => {
                candle_core::bail!("conv2d: asymmetric SAME padding (k={kh}, stride={stride})")
            }
        };
        if bias.len() != c_out || stride == 0 {
            candle_core::bail!("conv2d: bias of {} for {c_out} channels, stride {stride}", bias.len());
        }
        let weight = weight.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self { weight, bias, c_out, c_in, kh, kw, stride, padding, activation })
    }

    fn out_size(&self, h: usize, w: usize) -> Result<(usize, usize)> {
        if h + 2 * self.padding < self.kh || w + 2 * self.padding < self.kw {
            candle_core::bail!("conv2d: {h}x{w} input is smaller than the {}x{} kernel", self.kh, self.kw);
        }
        Ok(((h + 2 * self.padding - self.kh) / self.stride + 1, (w + 2 * self.padding - self.kw) / self.stride + 1))
    }

    /// im2col of one `[C, H, W]` plane set into `cols` (`[C*kh*kw, H'*W']`, zero where the window leaves the
    /// image): row `(c * kh + i) * kw + j` holds input pixel `(y * stride + i - pad, x * stride + j - pad)`.
    fn im2col(&self, x: &[f32], h: usize, w: usize, cols: &mut [f32]) {
        let (oh, ow) =
            ((h + 2 * self.padding - self.kh) / self.stride + 1, (w + 2 * self.padding - self.kw) / self.stride + 1);
        let (st, pad) = (self.stride, self.padding);
        cols.fill(0.0);
        let mut rows = cols.chunks_exact_mut(oh * ow);
        for plane in x.chunks_exact(h * w) {
            for i in 0..self.kh {
                for j in 0..self.kw {
                    let dst = rows.next().expect("cols sized by the caller");
                    // Output columns whose input column x * st + j - pad lies in [0, w).
                    let x_lo = pad.saturating_sub(j).div_ceil(st);
                    let x_hi = (w + pad).saturating_sub(j).div_ceil(st).min(ow);
                    if x_lo >= x_hi {
                        continue;
                    }
                    for y in 0..oh {
                        let iy = (y * st + i) as isize - pad as isize;
                        if iy < 0 || iy >= h as isize {
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
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.apply_op1_no_bwd(self)
    }
}

impl CustomOp1 for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d-gemm"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "conv2d")?;
        let (n, c, h, w) = l.shape().dims4()?;
        if c != self.c_in {
            candle_core::bail!("conv2d: {c} input channels, kernel expects {}", self.c_in);
        }
        let (oh, ow) = self.out_size(h, w)?;
        let (k, p) = (self.c_in * self.kh * self.kw, oh * ow);
        let direct = self.kh == 1 && self.kw == 1 && self.stride == 1;
        let mut cols = if direct { Vec::new() } else { vec![0f32; k * p] };
        // The output starts as the bias of each channel (no zeroing pass); the product is accumulated onto it.
        let mut out = Vec::with_capacity(n * self.c_out * p);
        for _ in 0..n {
            for &b in &self.bias {
                out.extend(std::iter::repeat_n(b, p));
            }
        }
        for (img, dst) in x.chunks_exact(c * h * w).zip(out.chunks_exact_mut(self.c_out * p)) {
            let rhs: &[f32] = if direct {
                img
            } else {
                self.im2col(img, h, w, &mut cols);
                &cols
            };
            // SAFETY: dst is [c_out, p], weight [c_out, k], rhs [k, p], all row-major and of those sizes.
            unsafe {
                gemm::gemm(
                    self.c_out,
                    p,
                    k,
                    dst.as_mut_ptr(),
                    1,
                    p as isize,
                    true,
                    self.weight.as_ptr(),
                    1,
                    k as isize,
                    rhs.as_ptr(),
                    1,
                    p as isize,
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    parallelism(self.c_out * p * k),
                );
            }
            if self.activation == Activation::Relu {
                for v in dst.iter_mut() {
                    *v = v.max(0.0);
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, self.c_out, oh, ow))))
    }
}

/// Depthwise 3x3 convolution, stride 1, one pixel of zeros on every side (TensorFlow SAME, PyTorch `padding=1`),
/// with an optional per-channel bias and ReLU:
/// `y[c, i, j] = act(b[c] + sum_{di, dj in 0..3} k[c, di, dj] * x[c, i + di - 1, j + dj - 1])`.
///
/// Input and output `[N, C, H, W]` f32, contiguous input required. Written as shifted row multiply-adds; on a
/// 2-core CPU this was several times faster than candle's grouped `conv2d` (one convolution per channel).
#[derive(Clone, Debug)]
pub struct Depthwise3x3 {
    /// `[C, 3, 3]`, row-major.
    kernel: Vec<f32>,
    /// `[C]`, zeros when the layer has no bias.
    bias: Vec<f32>,
    activation: Activation,
    channels: usize,
}

impl Depthwise3x3 {
    /// Reads a TensorFlow depthwise kernel `[3, 3, C, 1]` named `name` (no bias, no activation).
    pub fn load(vb: &VarBuilder, name: &str, channels: usize) -> Result<Self> {
        let k = vb.get((3, 3, channels, 1), name)?;
        let kernel = k.squeeze(3)?.permute((2, 0, 1))?.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self { kernel, bias: vec![0.0; channels], activation: Activation::None, channels })
    }

    /// From a PyTorch / ONNX grouped kernel `[C, 1, 3, 3]` (`groups = C`), a `[C]` bias and an activation.
    ///
    /// Errors: another kernel shape, or a bias of another length.
    pub fn from_oihw(weight: &Tensor, bias: Vec<f32>, activation: Activation) -> Result<Self> {
        let (c, one, kh, kw) = weight.dims4()?;
        if one != 1 || kh != 3 || kw != 3 || bias.len() != c {
            candle_core::bail!("depthwise3x3: kernel {:?} with a bias of {}", weight.dims(), bias.len());
        }
        Ok(Self { kernel: weight.flatten_all()?.to_vec1::<f32>()?, bias, activation, channels: c })
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
        // Row by row: each output pixel is the bias plus the nine taps of the three input rows around it (a zero
        // row outside the image), in one pass over the row that the compiler vectorizes (the interior columns read
        // nine equally long, shifted slices; the two edge columns are done apart).
        let relu = self.activation == Activation::Relu;
        let zeros = vec![0f32; w];
        let mut out = vec![0f32; n * c * h * w];
        let plane = |(p, (src, dst)): (usize, (&[f32], &mut [f32]))| {
            let k = &self.kernel[(p % c) * 9..(p % c) * 9 + 9];
            let bias = self.bias[p % c];
            let row = |r: isize| -> &[f32] {
                if r < 0 || r >= h as isize {
                    &zeros
                } else {
                    &src[r as usize * w..(r as usize + 1) * w]
                }
            };
            for (i, orow) in dst.chunks_exact_mut(w).enumerate() {
                let rows = [row(i as isize - 1), row(i as isize), row(i as isize + 1)];
                // Edge columns: taps outside the image are zero.
                let at = |j: isize| -> f32 {
                    let mut v = bias;
                    for (di, r) in rows.iter().enumerate() {
                        for dj in 0..3 {
                            let x = j + dj as isize - 1;
                            if x >= 0 && x < w as isize {
                                v += k[di * 3 + dj] * r[x as usize];
                            }
                        }
                    }
                    if relu {
                        v.max(0.0)
                    } else {
                        v
                    }
                };
                orow[0] = at(0);
                if w == 1 {
                    continue;
                }
                orow[w - 1] = at(w as isize - 1);
                if w == 2 {
                    continue;
                }
                let m = w - 2;
                let [r0, r1, r2] = rows;
                let (a0, a1, a2) = (&r0[..m], &r0[1..m + 1], &r0[2..m + 2]);
                let (b0, b1, b2) = (&r1[..m], &r1[1..m + 1], &r1[2..m + 2]);
                let (c0, c1, c2) = (&r2[..m], &r2[1..m + 1], &r2[2..m + 2]);
                let o = &mut orow[1..m + 1];
                for j in 0..m {
                    let v = bias
                        + k[0] * a0[j]
                        + k[1] * a1[j]
                        + k[2] * a2[j]
                        + k[3] * b0[j]
                        + k[4] * b1[j]
                        + k[5] * b2[j]
                        + k[6] * c0[j]
                        + k[7] * c1[j]
                        + k[8] * c2[j];
                    o[j] = if relu { v.max(0.0) } else { v };
                }
            }
        };
        let planes = x.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w)).enumerate();
        if parallel(n * c * h * w * 9) {
            use rayon::prelude::*;
            x.par_chunks_exact(h * w).zip(out.par_chunks_exact_mut(h * w)).enumerate().for_each(plane);
        } else {
            planes.for_each(plane);
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
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
                    for (m, &v) in colmax.iter_mut().zip(&src[r * w..r * w + w]) {
                        *m = if v > *m { v } else { *m };
                    }
                }
                for j in 0..ow {
                    let lo = (2 * j).saturating_sub(pad_left);
                    let hi = (2 * j + 3 - pad_left).min(w);
                    let mut m = colmax[lo];
                    for &v in &colmax[lo + 1..hi] {
                        m = if v > m { v } else { m };
                    }
                    out.push(m);
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
        candle_core::bail!("{model}: input must be [N, 1, {size}, {size}] f32, got {:?} {:?}", x.dims(), x.dtype());
    }
    Ok(())
}

/// 2x2 max pooling with stride 2 and no padding (PyTorch `MaxPool2d(2, 2)`, ONNX `MaxPool` with
/// `ceil_mode = 0`): output `floor(H/2) x floor(W/2)`. Input `[N, C, H, W]` f32, contiguous.
pub fn max_pool_2x2_s2(x: &Tensor) -> Result<Tensor> {
    x.apply_op1_no_bwd(&MaxPool2x2S2)
}

struct MaxPool2x2S2;

impl CustomOp1 for MaxPool2x2S2 {
    fn name(&self) -> &'static str {
        "maxpool2x2s2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "maxpool")?;
        let (n, c, h, w) = l.shape().dims4()?;
        let (oh, ow) = (h / 2, w / 2);
        let mut out = Vec::with_capacity(n * c * oh * ow);
        for src in x.chunks_exact(h * w) {
            for i in 0..oh {
                let r0 = &src[2 * i * w..2 * i * w + w];
                let r1 = &src[(2 * i + 1) * w..(2 * i + 1) * w + w];
                out.extend((0..ow).map(|j| r0[2 * j].max(r0[2 * j + 1]).max(r1[2 * j].max(r1[2 * j + 1]))));
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, oh, ow))))
    }
}

/// Nearest-neighbour 2x upsampling (`out[y][x] = in[y / 2][x / 2]`, ONNX `Resize` with `mode = nearest`,
/// `coordinate_transformation_mode = asymmetric`, `nearest_mode = floor`, scales 2) added to `skip`:
/// `skip + upsample(x)`. `x` `[N, C, H, W]`, `skip` `[N, C, 2H, 2W]`, both f32 and contiguous.
///
/// Errors: shapes that do not pair up.
pub fn upsample2_add(x: &Tensor, skip: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    if skip.dims() != [n, c, 2 * h, 2 * w] {
        candle_core::bail!("upsample2_add: {:?} does not upsample to {:?}", x.dims(), skip.dims());
    }
    let src = x.flatten_all()?.to_vec1::<f32>()?;
    let mut out = skip.flatten_all()?.to_vec1::<f32>()?;
    let ow = 2 * w;
    for (plane, dst) in src.chunks_exact(h * w).zip(out.chunks_exact_mut(4 * h * w)) {
        for (y, row) in dst.chunks_exact_mut(ow).enumerate() {
            let s = &plane[(y / 2) * w..(y / 2) * w + w];
            for (x, v) in row.iter_mut().enumerate() {
                *v += s[x / 2];
            }
        }
    }
    Tensor::from_vec(out, (n, c, 2 * h, 2 * w), x.device())
}
