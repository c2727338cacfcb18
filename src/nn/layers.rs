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
/// Padding: VALID, explicit, or TensorFlow SAME with any kernel and stride (computed per input size: output
/// `ceil(in / stride)`, the smaller half of the padding before, as MediaPipe's stride-2 stem needs: 0 before and
/// 1 after on an even input).
///
/// An optional per-channel PReLU ([`Conv2d::with_prelu`]) replaces the ReLU, as TensorFlow.js's `_FusedConv2D`
/// with `fused_ops = [BiasAdd, Prelu]`.
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
    /// Pixels of zeros before (and after) the input on both axes; unused for SAME.
    padding: usize,
    /// TensorFlow SAME: the padding is computed from the input size.
    same: bool,
    activation: Activation,
    /// Per-output-channel PReLU slopes (`x < 0 ? alpha * x : x`), applied after the bias instead of `activation`.
    prelu: Option<Vec<f32>>,
}

/// Output size and leading padding of a convolution or pooling axis: `(out, pad_before)`.
fn axis_geometry(size: usize, k: usize, stride: usize, padding: usize, same: bool) -> Option<(usize, usize)> {
    if same {
        let out = size.div_ceil(stride);
        let total = ((out.max(1) - 1) * stride + k).saturating_sub(size);
        Some((out, total / 2))
    } else if size + 2 * padding < k {
        None
    } else {
        Some(((size + 2 * padding - k) / stride + 1, padding))
    }
}

impl Conv2d {
    /// A convolution from an OIHW `weight` `[C_out, C_in, kh, kw]`, a `[C_out]` `bias`, a stride, a padding and
    /// an activation.
    ///
    /// Errors: the bias length differs from `C_out`, or the stride is 0.
    pub fn new(
        weight: &Tensor,
        bias: Vec<f32>,
        stride: usize,
        padding: Padding,
        activation: Activation,
    ) -> Result<Self> {
        let (c_out, c_in, kh, kw) = weight.dims4()?;
        let (padding, same) = match padding {
            Padding::Valid => (0, false),
            Padding::Explicit(p) => (p, false),
            Padding::Same => (0, true),
        };
        if bias.len() != c_out || stride == 0 {
            candle_core::bail!("conv2d: bias of {} for {c_out} channels, stride {stride}", bias.len());
        }
        let weight = weight.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self { weight, bias, c_out, c_in, kh, kw, stride, padding, same, activation, prelu: None })
    }

    /// The same convolution followed by a per-output-channel PReLU (`x < 0 ? alpha[c] * x : x`, He et al. 2015,
    /// "Delving Deep into Rectifiers") instead of its activation.
    ///
    /// Errors: `alpha` does not have `C_out` values.
    pub fn with_prelu(mut self, alpha: Vec<f32>) -> Result<Self> {
        if alpha.len() != self.c_out {
            candle_core::bail!("conv2d: PReLU of {} slopes for {} channels", alpha.len(), self.c_out);
        }
        self.prelu = Some(alpha);
        Ok(self)
    }

    /// `(out_h, out_w, pad_top, pad_left)` for an `h x w` input.
    fn geometry(&self, h: usize, w: usize) -> Result<(usize, usize, usize, usize)> {
        let rows = axis_geometry(h, self.kh, self.stride, self.padding, self.same);
        let cols = axis_geometry(w, self.kw, self.stride, self.padding, self.same);
        match (rows, cols) {
            (Some((oh, pt)), Some((ow, pl))) => Ok((oh, ow, pt, pl)),
            _ => candle_core::bail!("conv2d: {h}x{w} input is smaller than the {}x{} kernel", self.kh, self.kw),
        }
    }

    /// im2col of one `[C, H, W]` plane set into `cols` (`[C*kh*kw, H'*W']`, zero where the window leaves the
    /// image): row `(c * kh + i) * kw + j` holds input pixel `(y * stride + i - pad_top, x * stride + j -
    /// pad_left)`.
    fn im2col(&self, x: &[f32], h: usize, w: usize, cols: &mut [f32]) {
        let (oh, ow, pad_top, pad) = self.geometry(h, w).expect("checked by the caller");
        let st = self.stride;
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
                        let iy = (y * st + i) as isize - pad_top as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                        let d = &mut dst[y * ow + x_lo..y * ow + x_hi];
                        let first = x_lo * st + j - pad;
                        if st == 1 {
                            d.copy_from_slice(&src[first..first + d.len()]);
                        } else {
                            // No bounds check per element (the stem of Face Mesh spent most of its im2col here).
                            for (v, s) in d.iter_mut().zip(src[first..].iter().step_by(st)) {
                                *v = *s;
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
        self.run(x, l.shape().dims4()?, None)
    }
}

impl Conv2d {
    /// `prelu(conv(x) + zero_pad(shortcut))` with the per-channel slopes `alpha` (the residual join of MediaPipe's
    /// blocks, [`AddPrelu`], fused into the convolution): the output starts as bias + shortcut and the product is
    /// accumulated onto it, so the join costs no extra pass over memory and no extra tensor. The layer's own
    /// activation is not applied.
    ///
    /// `x` `[N, C_in, H, W]`, `shortcut` `[N, C_s, H', W']` with `C_s <= C_out` and `H' x W'` the output size,
    /// `alpha` `[C_out]`; output `[N, C_out, H', W']`. Both inputs f32 and contiguous. Same values as
    /// `AddPrelu::new(alpha).forward(&conv.forward(x)?, shortcut)` up to the order of the additions (the bias and
    /// the shortcut are summed before the product is added: within float rounding).
    ///
    /// Errors: shapes that do not pair up, or `alpha` of another length.
    pub fn forward_add_prelu(&self, x: &Tensor, shortcut: &Tensor, alpha: &[f32]) -> Result<Tensor> {
        x.apply_op2_no_bwd(shortcut, &ConvAddPrelu { conv: self, alpha })
    }

    /// The convolution of `x` (`[N, C, H, W]` = `dims`), with an optional fused residual join: `(shortcut,
    /// C_s, alpha)` as [`Conv2d::forward_add_prelu`].
    fn run(
        &self,
        x: &[f32],
        (n, c, h, w): (usize, usize, usize, usize),
        join: Option<(&[f32], usize, &[f32])>,
    ) -> Result<(CpuStorage, Shape)> {
        if c != self.c_in {
            candle_core::bail!("conv2d: {c} input channels, kernel expects {}", self.c_in);
        }
        let (oh, ow, _, _) = self.geometry(h, w)?;
        let (k, p) = (self.c_in * self.kh * self.kw, oh * ow);
        let direct = self.kh == 1 && self.kw == 1 && self.stride == 1;
        let mut cols = if direct { Vec::new() } else { vec![0f32; k * p] };
        // The output starts as the bias of each channel (plus the shortcut when joined; no zeroing pass); the
        // product is accumulated onto it.
        let mut out = Vec::with_capacity(n * self.c_out * p);
        for i in 0..n {
            for (ch, &b) in self.bias.iter().enumerate() {
                match join {
                    Some((short, cs, _)) if ch < cs => {
                        let s = &short[(i * cs + ch) * p..(i * cs + ch + 1) * p];
                        out.extend(s.iter().map(|&v| b + v));
                    }
                    _ => out.extend(std::iter::repeat_n(b, p)),
                }
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
            if let Some(alpha) = join.map(|j| j.2).or(self.prelu.as_deref()) {
                for (row, &a) in dst.chunks_exact_mut(p).zip(alpha) {
                    prelu_in_place(row, a);
                }
            } else if self.activation == Activation::Relu {
                for v in dst.iter_mut() {
                    *v = v.max(0.0);
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, self.c_out, oh, ow))))
    }
}

/// [`Conv2d::forward_add_prelu`] as a candle op.
struct ConvAddPrelu<'a> {
    conv: &'a Conv2d,
    alpha: &'a [f32],
}

impl candle_core::CustomOp2 for ConvAddPrelu<'_> {
    fn name(&self) -> &'static str {
        "conv2d-add-prelu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, "conv2d_add_prelu")?;
        let short = contiguous_f32(s2, l2, "conv2d_add_prelu")?;
        let (n, c, h, w) = l1.shape().dims4()?;
        let (ns, cs, hs, ws) = l2.shape().dims4()?;
        let (oh, ow, _, _) = self.conv.geometry(h, w)?;
        if ns != n || hs != oh || ws != ow || cs > self.conv.c_out || self.alpha.len() != self.conv.c_out {
            candle_core::bail!(
                "conv2d_add_prelu: input {:?}, shortcut {:?}, {} slopes for {} channels",
                l1.shape().dims(),
                l2.shape().dims(),
                self.alpha.len(),
                self.conv.c_out
            );
        }
        self.conv.run(x, (n, c, h, w), Some((short, cs, self.alpha)))
    }
}

/// Depthwise 3x3 convolution, stride 1, one pixel of zeros on every side (TensorFlow SAME, PyTorch `padding=1`),
/// with an optional per-channel bias and ReLU:
/// `y[c, i, j] = act(b[c] + sum_{di, dj in 0..3} k[c, di, dj] * x[c, i + di - 1, j + dj - 1])`.
///
/// Input and output `[N, C, H, W]` f32, contiguous input required. Written as shifted row multiply-adds; on a
/// 2-core CPU this was several times faster than candle's grouped `conv2d` (one convolution per channel).
///
/// [`Depthwise3x3::with_stride`]`(2)` makes it TensorFlow's stride-2 SAME depthwise convolution instead: output
/// `ceil(H / 2) x ceil(W / 2)`, padding `max((out - 1) * 2 + 3 - in, 0)` split with the smaller half before (an
/// even input: none before, one pixel after), `y[c, i, j] = act(b[c] + sum k[c, di, dj] * x[c, 2i + di - pad,
/// 2j + dj - pad])`.
#[derive(Clone, Debug)]
pub struct Depthwise3x3 {
    /// `[C, 3, 3]`, row-major.
    kernel: Vec<f32>,
    /// `[C]`, zeros when the layer has no bias.
    bias: Vec<f32>,
    activation: Activation,
    channels: usize,
    /// 1 or 2.
    stride: usize,
}

/// `x < 0 ? alpha * x : x` over a slice, in place (PReLU with one slope).
fn prelu_in_place(v: &mut [f32], alpha: f32) {
    for x in v.iter_mut() {
        *x = if *x < 0.0 { alpha * *x } else { *x };
    }
}

impl Depthwise3x3 {
    /// Reads a TensorFlow depthwise kernel `[3, 3, C, 1]` named `name` (no bias, no activation).
    pub fn load(vb: &VarBuilder, name: &str, channels: usize) -> Result<Self> {
        let k = vb.get((3, 3, channels, 1), name)?;
        let kernel = k.squeeze(3)?.permute((2, 0, 1))?.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self { kernel, bias: vec![0.0; channels], activation: Activation::None, channels, stride: 1 })
    }

    /// The same layer with stride `stride` (1 or 2), TensorFlow SAME padding (see the type's docs).
    ///
    /// Errors: another stride.
    pub fn with_stride(mut self, stride: usize) -> Result<Self> {
        if stride != 1 && stride != 2 {
            candle_core::bail!("depthwise3x3: stride {stride}, only 1 and 2 are implemented");
        }
        self.stride = stride;
        Ok(self)
    }

    /// From a PyTorch / ONNX grouped kernel `[C, 1, 3, 3]` (`groups = C`), a `[C]` bias and an activation.
    ///
    /// Errors: another kernel shape, or a bias of another length.
    pub fn from_oihw(weight: &Tensor, bias: Vec<f32>, activation: Activation) -> Result<Self> {
        let (c, one, kh, kw) = weight.dims4()?;
        if one != 1 || kh != 3 || kw != 3 || bias.len() != c {
            candle_core::bail!("depthwise3x3: kernel {:?} with a bias of {}", weight.dims(), bias.len());
        }
        Ok(Self { kernel: weight.flatten_all()?.to_vec1::<f32>()?, bias, activation, channels: c, stride: 1 })
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
        if self.stride == 2 {
            return Ok(self.forward_stride2(x, n, c, h, w));
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

impl Depthwise3x3 {
    /// The stride-2 SAME path: `[N, C, H, W]` -> `[N, C, ceil(H/2), ceil(W/2)]`.
    ///
    /// Each input row is split once into the even and odd columns of the padded row (`even[j]` = padded column
    /// `2j`, `odd[j]` = `2j + 1`, zero outside the image), so that the three taps of
    /// a kernel row are the contiguous slices `even[j]`, `odd[j]`, `even[j + 1]` and the nine multiply-adds of a
    /// row vectorize as in the stride-1 path (strided reads did not: this layer took 15% of Face Mesh before).
    fn forward_stride2(&self, x: &[f32], n: usize, c: usize, h: usize, w: usize) -> (CpuStorage, Shape) {
        let (oh, pad_top) = axis_geometry(h, 3, 2, 0, true).expect("SAME always fits");
        let (ow, pad_left) = axis_geometry(w, 3, 2, 0, true).expect("SAME always fits");
        let relu = self.activation == Activation::Relu;
        let mut out = vec![0f32; n * c * oh * ow];
        // Even and odd columns of each padded input row of a plane: `h x (ow + 1)` values each.
        let half = ow + 1;
        let (mut even, mut odd) = (vec![0f32; h * half], vec![0f32; h * half]);
        let mut padded = vec![0f32; 2 * half];
        let zeros = vec![0f32; half];
        for (p, (src, dst)) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let k = &self.kernel[(p % c) * 9..(p % c) * 9 + 9];
            let bias = self.bias[p % c];
            for ((row, e), o) in src.chunks_exact(w).zip(even.chunks_exact_mut(half)).zip(odd.chunks_exact_mut(half)) {
                // Padded column t is image column t - pad_left (the columns past the image stay zero).
                let n_in = w.min(2 * half - pad_left);
                padded[pad_left..pad_left + n_in].copy_from_slice(&row[..n_in]);
                for ((pair, ev), od) in padded.chunks_exact(2).zip(e.iter_mut()).zip(o.iter_mut()) {
                    (*ev, *od) = (pair[0], pair[1]);
                }
            }
            let rows = |y: usize| -> (&[f32], &[f32]) {
                match y.checked_sub(pad_top) {
                    Some(r) if r < h => (&even[r * half..(r + 1) * half], &odd[r * half..(r + 1) * half]),
                    _ => (&zeros, &zeros),
                }
            };
            for (i, orow) in dst.chunks_exact_mut(ow).enumerate() {
                let ((e0, o0), (e1, o1), (e2, o2)) = (rows(2 * i), rows(2 * i + 1), rows(2 * i + 2));
                let (a0, a1, a2) = (&e0[..ow], &o0[..ow], &e0[1..ow + 1]);
                let (b0, b1, b2) = (&e1[..ow], &o1[..ow], &e1[1..ow + 1]);
                let (c0, c1, c2) = (&e2[..ow], &o2[..ow], &e2[1..ow + 1]);
                for j in 0..ow {
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
                    orow[j] = if relu { v.max(0.0) } else { v };
                }
            }
        }
        (CpuStorage::F32(out), Shape::from((n, c, oh, ow)))
    }
}

/// The residual join of MediaPipe's (BlazeFace-style) blocks: `prelu(main + shortcut)` with per-channel slopes,
/// where a shortcut with fewer channels than `main` is zero-padded at the end (TensorFlow's `channel_padding`
/// `Pad` of the shortcut, fused here): `y[c] = prelu_c(main[c] + (c < C_s ? shortcut[c] : 0))`.
///
/// `main` `[N, C, H, W]`, `shortcut` `[N, C_s, H, W]` with `C_s <= C`, both f32 and contiguous; output like `main`.
#[derive(Clone, Debug)]
pub struct AddPrelu {
    alpha: Vec<f32>,
}

impl AddPrelu {
    /// From the `[C]` slopes (`x < 0 ? alpha * x : x`).
    pub fn new(alpha: Vec<f32>) -> Self {
        Self { alpha }
    }

    /// Reads TensorFlow PReLU slopes `[1, 1, C]` named `name`.
    ///
    /// Errors: a missing tensor or another shape.
    pub fn load(vb: &VarBuilder, name: &str, channels: usize) -> Result<Self> {
        Ok(Self::new(vb.get((1, 1, channels), name)?.flatten_all()?.to_vec1::<f32>()?))
    }

    /// The slopes, one per channel.
    pub fn alpha(&self) -> &[f32] {
        &self.alpha
    }

    /// `prelu(main + zero_pad(shortcut))`. Errors: shapes that do not pair up (see the type's docs).
    pub fn forward(&self, main: &Tensor, shortcut: &Tensor) -> Result<Tensor> {
        main.apply_op2_no_bwd(shortcut, self)
    }
}

impl candle_core::CustomOp2 for AddPrelu {
    fn name(&self) -> &'static str {
        "add-prelu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let a = contiguous_f32(s1, l1, "add_prelu")?;
        let b = contiguous_f32(s2, l2, "add_prelu")?;
        let (n, c, h, w) = l1.shape().dims4()?;
        let (nb, cb, hb, wb) = l2.shape().dims4()?;
        if n != nb || h != hb || w != wb || cb > c || c != self.alpha.len() {
            candle_core::bail!(
                "add_prelu: main {:?}, shortcut {:?}, {} slopes",
                l1.shape().dims(),
                l2.shape().dims(),
                self.alpha.len()
            );
        }
        let hw = h * w;
        let mut out = a.to_vec();
        for (img, short) in out.chunks_exact_mut(c * hw).zip(b.chunks_exact(cb * hw)) {
            for (ch, plane) in img.chunks_exact_mut(hw).enumerate() {
                if ch < cb {
                    for (v, &s) in plane.iter_mut().zip(&short[ch * hw..(ch + 1) * hw]) {
                        *v += s;
                    }
                }
                prelu_in_place(plane, self.alpha[ch]);
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// The stride-2 depthwise path against the definition (TensorFlow SAME: the smaller half of the padding
    /// before), on even and odd sizes.
    #[test]
    fn depthwise_stride2_matches_the_definition() {
        for (h, w) in [(6, 6), (7, 5), (3, 3), (1, 4), (12, 9)] {
            let c = 3;
            let kernel = values(c * 9, 1);
            let bias = values(c, 2);
            let weight = Tensor::from_vec(kernel.clone(), (c, 1, 3, 3), &candle_core::Device::Cpu).unwrap();
            let dw = Depthwise3x3::from_oihw(&weight, bias.clone(), Activation::None).unwrap().with_stride(2).unwrap();
            let x = values(2 * c * h * w, 3);
            let t = Tensor::from_vec(x.clone(), (2, c, h, w), &candle_core::Device::Cpu).unwrap();
            let y = dw.forward(&t).unwrap();
            let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
            assert_eq!(y.dims(), [2, c, oh, ow]);
            let y = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let (pt, pl) = (((oh - 1) * 2 + 3).saturating_sub(h) / 2, ((ow - 1) * 2 + 3).saturating_sub(w) / 2);
            for p in 0..2 * c {
                for i in 0..oh {
                    for j in 0..ow {
                        let mut v = bias[p % c];
                        for di in 0..3 {
                            for dj in 0..3 {
                                let (yy, xx) =
                                    ((2 * i + di) as isize - pt as isize, (2 * j + dj) as isize - pl as isize);
                                if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                                    v += kernel[(p % c) * 9 + di * 3 + dj]
                                        * x[p * h * w + yy as usize * w + xx as usize];
                                }
                            }
                        }
                        let got = y[(p * oh + i) * ow + j];
                        assert!((got - v).abs() < 1e-5, "{h}x{w} plane {p} ({i}, {j}): {got} vs {v}");
                    }
                }
            }
        }
    }

    /// `forward_add_prelu` gives what the convolution followed by [`AddPrelu`] gives, with a shortcut of as many
    /// channels and of fewer (zero-padded), for a 1x1 and a 3x3 stride-2 kernel.
    #[test]
    fn fused_residual_join_matches_conv_then_add_prelu() {
        let dev = candle_core::Device::Cpu;
        for (k, stride, padding, c_short) in
            [(1, 1, Padding::Valid, 8), (1, 1, Padding::Valid, 5), (3, 2, Padding::Same, 3)]
        {
            let (c_in, c_out, h, w) = (4, 8, 6, 5);
            let weight = Tensor::from_vec(values(c_out * c_in * k * k, 4), (c_out, c_in, k, k), &dev).unwrap();
            let conv = Conv2d::new(&weight, values(c_out, 5), stride, padding, Activation::None).unwrap();
            let x = Tensor::from_vec(values(2 * c_in * h * w, 6), (2, c_in, h, w), &dev).unwrap();
            let main = conv.forward(&x).unwrap();
            let (_, _, oh, ow) = main.dims4().unwrap();
            let short = Tensor::from_vec(values(2 * c_short * oh * ow, 7), (2, c_short, oh, ow), &dev).unwrap();
            let alpha = values(c_out, 8);
            let want = AddPrelu::new(alpha.clone()).forward(&main, &short).unwrap();
            let got = conv.forward_add_prelu(&x, &short, &alpha).unwrap();
            assert_eq!(got.dims(), want.dims());
            let diff = (got - want).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(diff < 1e-5, "k {k} stride {stride} shortcut {c_short}: {diff}");
        }
        let conv = Conv2d::new(
            &Tensor::zeros((8, 4, 1, 1), DType::F32, &dev).unwrap(),
            vec![0.0; 8],
            1,
            Padding::Valid,
            Activation::None,
        )
        .unwrap();
        let x = Tensor::zeros((1, 4, 3, 3), DType::F32, &dev).unwrap();
        let too_wide = Tensor::zeros((1, 9, 3, 3), DType::F32, &dev).unwrap();
        assert!(conv.forward_add_prelu(&x, &too_wide, &[0.0; 8]).is_err());
    }
}
