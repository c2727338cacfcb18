//! YuNet-n face detector (Wu, Peng, Yu et al., "YuNet: A Tiny Millisecond-level Face Detector", Machine
//! Intelligence Research 2023; the network behind OpenCV's `FaceDetectorYN`), reimplemented in candle.
//!
//! Weights: `models/yunet_n.safetensors`, converted by `scripts/convert_yunet.py` from `yunet_n_dynamic.onnx` of
//! `ShiqiYu/libfacedetection.train` (Apache-2.0, `models/LICENSE-yunet`). BatchNorm is already folded into every
//! convolution. 73,840 parameters.
//!
//! Network (NCHW f32): input `[1, 3, H, W]`, **BGR** values 0..255 with no normalisation, `H` and `W` multiples of
//! 32 (the image is padded with zeros at the bottom and right). A "DP unit" is a 1x1 convolution followed by a 3x3
//! depthwise convolution and a ReLU.
//!
//! ```text
//! stem  conv3x3/2 + ReLU (3->16), DP(16->16), maxpool 2          stride 4
//! model1 DP(16->16), DP(16->64); model2 2x DP(64); maxpool 2      stride 8
//! model3 2x DP(64) -> C8; maxpool; model4 -> C16; maxpool; model5 -> C32
//! neck   P32 = DP(C32); P16 = DP(C16 + up2(P32)); P8 = DP(C8 + up2(P16))
//! heads  per level: DP(64) shared, then 1x1 + depthwise 3x3 (no ReLU) to cls (1), obj (1), bbox (4), kps (10)
//! ```
//!
//! Decoding follows OpenCV's `FaceDetectorYN` (`modules/objdetect/src/face_detect.cpp`): for stride `S` and grid
//! cell (row `r`, column `c`), score `sqrt(sigmoid(cls) * sigmoid(obj))` (both clamped to `[0, 1]`), centre
//! `((c + bbox0) * S, (r + bbox1) * S)`, size `(exp(bbox2) * S, exp(bbox3) * S)`, landmark `k`
//! `((c + kps[2k]) * S, (r + kps[2k + 1]) * S)`; then non-maximum suppression.

use std::path::Path;

use anyhow::Context;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use fast_image_resize as fr;
use image::RgbImage;

use super::{BBox, Detection, FaceDetector, Landmarks};
use crate::nn::layers::{max_pool_2x2_s2, upsample2_add, Activation, Conv2d, Depthwise3x3, Padding};

/// File name of the converted YuNet-n weights in the models folder.
pub const YUNET_MODEL_FILE: &str = "yunet_n.safetensors";

/// Side length in pixels, in the image the network sees, of the smallest face it finds reliably. Measured on
/// `solvay-1927-boxed.png` scaled down step by step (29 faces): all 29 at a median face of 18 px, 28 at 13 px,
/// 21 at 11 px (`../shared/weights/README.md`, onnxruntime; the same network here).
pub const MIN_FACE_IN_INPUT_PX: f32 = 14.0;

/// Long side, pixels, of the second, coarse pass that catches large faces. YuNet was trained on WIDER FACE, whose
/// faces are mostly small: a large face can score poorly at a fine scale (the three-quarter face of
/// `BWPictureHuman.jpg`, 190 px tall at 0.7 of its 2560 px: 0.41) and well at OpenCV's usual 640 px (0.80).
pub const COARSE_LONG_SIDE: f32 = 640.0;

/// The coarse pass runs only when its scale is under this share of the input scale (else it adds little).
pub const COARSE_RATIO: f32 = 0.6;

/// Strides of the three detection levels, pixels of the network input.
const STRIDES: [usize; 3] = [8, 16, 32];

/// Tuning of YuNet's decoding (the `[detect.yunet]` table).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YuNetConfig {
    /// Minimum face score in `[0, 1]`; only faces scoring this much start a track. 0.7 by default: every face of
    /// the shared photos scored 0.79 or more at the default input scale, the best non-face 0.45 (photos) and 0.67
    /// (a frame of `no_face.mp4`). OpenCV's default is 0.9.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub score_threshold: f32,
    /// Candidates scoring from this up to `score_threshold` are returned too, for the tracker's second
    /// association (ByteTrack): they extend existing tracks, never start one. In `[0, score_threshold]`.
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub low_score: f32,
    /// IoU above which the lower-scored of two overlapping boxes is suppressed, in `[0, 1]` (OpenCV: 0.3).
    #[serde(serialize_with = "crate::text::f32_as_written")]
    pub nms_iou: f32,
    /// At most this many candidates (best first) enter non-maximum suppression (OpenCV: 5000).
    pub top_k: usize,
}

impl Default for YuNetConfig {
    fn default() -> Self {
        Self { score_threshold: 0.7, low_score: 0.3, nms_iou: 0.3, top_k: 5000 }
    }
}

impl YuNetConfig {
    /// Errors: a value out of range (names the key).
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.score_threshold),
            "detect.yunet.score_threshold must be in [0, 1], got {}",
            self.score_threshold
        );
        anyhow::ensure!(
            (0.0..=self.score_threshold).contains(&self.low_score),
            "detect.yunet.low_score must be in [0, score_threshold], got {}",
            self.low_score
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.nms_iou),
            "detect.yunet.nms_iou must be in [0, 1], got {}",
            self.nms_iou
        );
        anyhow::ensure!(
            (1..=100_000).contains(&self.top_k),
            "detect.yunet.top_k must be 1 to 100000, got {}",
            self.top_k
        );
        Ok(())
    }
}

/// A 1x1 convolution and a 3x3 depthwise convolution (libfacedetection's `ConvDPUnit`), with or without a ReLU.
#[derive(Clone, Debug)]
struct DpUnit {
    pointwise: Conv2d,
    depthwise: Depthwise3x3,
}

impl DpUnit {
    /// Loads `{name}.conv1` (1x1, `[c_out, c_in, 1, 1]`) and `{name}.conv2` (depthwise, `[c_out, 1, 3, 3]`).
    fn load(vb: &VarBuilder, name: &str, c_in: usize, c_out: usize, relu: bool) -> candle_core::Result<Self> {
        let pw = vb.pp(format!("{name}.conv1"));
        let dw = vb.pp(format!("{name}.conv2"));
        let pointwise = Conv2d::new(
            &pw.get((c_out, c_in, 1, 1), "weight")?,
            pw.get(c_out, "bias")?.to_vec1()?,
            1,
            Padding::Valid,
            Activation::None,
        )?;
        let act = if relu { Activation::Relu } else { Activation::None };
        let depthwise =
            Depthwise3x3::from_oihw(&dw.get((c_out, 1, 3, 3), "weight")?, dw.get(c_out, "bias")?.to_vec1()?, act)?;
        Ok(Self { pointwise, depthwise })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.depthwise.forward(&self.pointwise.forward(x)?)
    }
}

/// One detection level's head: a shared DP unit, then the four outputs.
#[derive(Clone, Debug)]
struct Head {
    share: DpUnit,
    cls: DpUnit,
    obj: DpUnit,
    bbox: DpUnit,
    kps: DpUnit,
}

/// Raw head outputs of one level, NCHW planes flattened: `cls`/`obj` `[H*W]` (logits), `bbox` `[4, H*W]`, `kps`
/// `[10, H*W]`.
struct LevelOutput {
    stride: usize,
    rows: usize,
    cols: usize,
    cls: Vec<f32>,
    obj: Vec<f32>,
    bbox: Vec<f32>,
    kps: Vec<f32>,
}

/// The YuNet-n network (weights only; see [`YuNet`] for the detector).
#[derive(Clone, Debug)]
pub struct YuNetNet {
    stem: Conv2d,
    stem_dp: DpUnit,
    backbone: Vec<DpUnit>,
    lateral: [DpUnit; 3],
    heads: [Head; 3],
}

impl YuNetNet {
    /// Loads the network from a var builder over `yunet_n.safetensors`.
    ///
    /// Errors: a tensor is missing or has another shape.
    pub fn load(vb: &VarBuilder) -> candle_core::Result<Self> {
        let s = vb.pp("backbone.model0.conv1");
        let stem = Conv2d::new(
            &s.get((16, 3, 3, 3), "weight")?,
            s.get(16, "bias")?.to_vec1()?,
            2,
            Padding::Explicit(1),
            Activation::Relu,
        )?;
        let stem_dp = DpUnit::load(vb, "backbone.model0.conv2", 16, 16, true)?;
        let mut backbone = Vec::new();
        for (m, c_in) in [(1, 16), (2, 64), (3, 64), (4, 64), (5, 64)] {
            let first_out = if m == 1 { 16 } else { 64 };
            backbone.push(DpUnit::load(vb, &format!("backbone.model{m}.conv1"), c_in, first_out, true)?);
            backbone.push(DpUnit::load(vb, &format!("backbone.model{m}.conv2"), first_out, 64, true)?);
        }
        let lat = |i: usize| DpUnit::load(vb, &format!("neck.lateral_convs.{i}"), 64, 64, true);
        let head = |i: usize| -> candle_core::Result<Head> {
            let h = |what: &str, c: usize| DpUnit::load(vb, &format!("bbox_head.multi_level_{what}.{i}"), 64, c, false);
            Ok(Head {
                share: DpUnit::load(vb, &format!("bbox_head.multi_level_share_convs.{i}.0"), 64, 64, true)?,
                cls: h("cls", 1)?,
                obj: h("obj", 1)?,
                bbox: h("bbox", 4)?,
                kps: h("kps", 10)?,
            })
        };
        Ok(Self {
            stem,
            stem_dp,
            backbone,
            lateral: [lat(0)?, lat(1)?, lat(2)?],
            heads: [head(0)?, head(1)?, head(2)?],
        })
    }

    /// Runs the network on `x` `[1, 3, H, W]` f32 (BGR, 0..255, `H` and `W` multiples of 32) and returns the raw
    /// head outputs of the three levels (strides 8, 16, 32).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Vec<LevelOutput>> {
        let mut x = self.stem_dp.forward(&self.stem.forward(x)?)?;
        x = max_pool_2x2_s2(&x)?; // stride 4
        let b = &self.backbone;
        for unit in &b[0..4] {
            x = unit.forward(&x)?;
        }
        x = max_pool_2x2_s2(&x)?; // stride 8
        let c8 = b[5].forward(&b[4].forward(&x)?)?;
        let c16 = b[7].forward(&b[6].forward(&max_pool_2x2_s2(&c8)?)?)?;
        let c32 = b[9].forward(&b[8].forward(&max_pool_2x2_s2(&c16)?)?)?;
        let p32 = self.lateral[2].forward(&c32)?;
        let p16 = self.lateral[1].forward(&upsample2_add(&p32, &c16)?)?;
        let p8 = self.lateral[0].forward(&upsample2_add(&p16, &c8)?)?;
        let mut out = Vec::with_capacity(3);
        for ((p, head), stride) in [p8, p16, p32].iter().zip(&self.heads).zip(STRIDES) {
            let (_, _, rows, cols) = p.dims4()?;
            let s = head.share.forward(p)?;
            let flat = |u: &DpUnit| -> candle_core::Result<Vec<f32>> { u.forward(&s)?.flatten_all()?.to_vec1() };
            out.push(LevelOutput {
                stride,
                rows,
                cols,
                cls: flat(&head.cls)?,
                obj: flat(&head.obj)?,
                bbox: flat(&head.bbox)?,
                kps: flat(&head.kps)?,
            });
        }
        Ok(out)
    }
}

/// The YuNet face detector: resizes an RGB frame by a scale, runs [`YuNetNet`], decodes and suppresses.
pub struct YuNet {
    net: YuNetNet,
    /// The threads the network's large layers split over (they inherit the priority of the thread that loads
    /// the detector: the live detector's lower one).
    pool: rayon::ThreadPool,
    cfg: YuNetConfig,
    scale: f32,
    resizer: fr::Resizer,
    /// Reused buffers: the resized RGB image and the network input.
    resized: Vec<u8>,
    input: Vec<f32>,
}

impl YuNet {
    /// Loads the weights from `model_path` (`yunet_n.safetensors`); frames are resized by `scale` (in `(0, 2]`)
    /// before detection and the boxes mapped back to source pixels; the network runs on `threads` threads (0:
    /// one per core).
    ///
    /// Errors: the file is missing, not safetensors, or lacks a tensor or has one of another shape (the message
    /// names the file); `scale` or `cfg` out of range; the threads cannot be started.
    pub fn load(model_path: &Path, cfg: &YuNetConfig, scale: f32, threads: usize) -> anyhow::Result<Self> {
        cfg.validate()?;
        anyhow::ensure!(scale > 0.0 && scale <= 2.0, "the detector's input scale must be in (0, 2], got {scale}");
        let bytes = std::fs::read(model_path).with_context(|| {
            format!("{}: cannot read the face detection model (see models/README.md)", model_path.display())
        })?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .with_context(|| format!("{}: not a valid safetensors file", model_path.display()))?;
        let net = YuNetNet::load(&vb)
            .with_context(|| format!("{}: does not hold the YuNet-n network", model_path.display()))?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("yunet-{i}"))
            .build()
            .context("cannot start the face detector's threads")?;
        Ok(Self {
            net,
            pool,
            cfg: cfg.clone(),
            scale,
            resizer: fr::Resizer::new(),
            resized: Vec::new(),
            input: Vec::new(),
        })
    }

    /// The resize factor applied to frames before detection.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// Detects faces in `rgb` and returns them in pixels of `rgb`, best score first: at the input scale, and
    /// again at [`COARSE_LONG_SIDE`] pixels on the long side when that is under [`COARSE_RATIO`] of it (large
    /// faces), the two merged by non-maximum suppression.
    ///
    /// Errors: a tensor operation fails (not expected for valid frames).
    pub fn detect_rgb(&mut self, rgb: &RgbImage) -> anyhow::Result<Vec<Detection>> {
        let (w, h) = rgb.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let mut dets = self.detect_at(rgb, self.scale)?;
        let coarse = COARSE_LONG_SIDE / w.max(h) as f32;
        if coarse < COARSE_RATIO * self.scale {
            dets.extend(self.detect_at(rgb, coarse)?);
            dets.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        let (fw, fh) = (w as f32, h as f32);
        Ok(nms(dets, self.cfg.nms_iou)
            .into_iter()
            .map(|d| Detection { bbox: d.bbox.clipped(fw, fh), ..d })
            .filter(|d| d.bbox.area() > 0.0)
            .collect())
    }

    /// One pass of the network on `rgb` resized by `scale`; candidates in pixels of `rgb`, not yet clipped.
    fn detect_at(&mut self, rgb: &RgbImage, scale: f32) -> anyhow::Result<Vec<Detection>> {
        let (w, h) = rgb.dimensions();
        let dw = ((w as f32 * scale).round() as u32).max(1);
        let dh = ((h as f32 * scale).round() as u32).max(1);
        let src: &[u8] = if (dw, dh) == (w, h) {
            rgb.as_raw()
        } else {
            self.resized.resize((dw * dh * 3) as usize, 0);
            let src = fr::images::ImageRef::new(w, h, rgb.as_raw(), fr::PixelType::U8x3)?;
            let mut dst = fr::images::Image::from_slice_u8(dw, dh, &mut self.resized, fr::PixelType::U8x3)?;
            let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Bilinear));
            self.resizer.resize(&src, &mut dst, &opts)?;
            &self.resized
        };
        let (pw, ph) = (dw.div_ceil(32) * 32, dh.div_ceil(32) * 32);
        fill_bgr_planar(src, dw as usize, dh as usize, pw as usize, ph as usize, &mut self.input);
        let x = Tensor::from_slice(&self.input, (1, 3, ph as usize, pw as usize), &Device::Cpu)?;
        let net = &self.net;
        let levels = self.pool.install(|| net.forward(&x))?;
        // Back to pixels of `rgb` (per axis: the rounded size is not exactly `scale` times the frame).
        let (sx, sy) = (w as f32 / dw as f32, h as f32 / dh as f32);
        Ok(decode(&levels, &self.cfg)
            .into_iter()
            .map(|d| Detection {
                bbox: BBox::new(d.bbox.x * sx, d.bbox.y * sy, d.bbox.w * sx, d.bbox.h * sy),
                landmarks: d.landmarks.map(|l| l.map(|[x, y]| [x * sx, y * sy])),
                ..d
            })
            .collect())
    }
}

impl FaceDetector for YuNet {
    fn detect(&mut self, rgb: &RgbImage, _gray: &image::GrayImage) -> anyhow::Result<Vec<Detection>> {
        self.detect_rgb(rgb)
    }
}

/// Writes `src` (`w x h` RGB8, row-major) into `out` as a `[3, ph, pw]` planar BGR f32 image (0..255), zero
/// outside `w x h` (bottom and right padding).
fn fill_bgr_planar(src: &[u8], w: usize, h: usize, pw: usize, ph: usize, out: &mut Vec<f32>) {
    out.clear();
    out.resize(3 * pw * ph, 0.0);
    let plane = pw * ph;
    let (b, rest) = out.split_at_mut(plane);
    let (g, r) = rest.split_at_mut(plane);
    for y in 0..h {
        let row = &src[y * w * 3..(y + 1) * w * 3];
        let (br, gr, rr) = (&mut b[y * pw..y * pw + w], &mut g[y * pw..y * pw + w], &mut r[y * pw..y * pw + w]);
        for (x, px) in row.chunks_exact(3).enumerate() {
            rr[x] = px[0] as f32;
            gr[x] = px[1] as f32;
            br[x] = px[2] as f32;
        }
    }
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// Decodes the three levels into candidate faces (pixels of the network input) scoring at least `low_score`,
/// best first, at most `top_k`.
fn decode(levels: &[LevelOutput], cfg: &YuNetConfig) -> Vec<Detection> {
    let mut out = Vec::new();
    for lv in levels {
        let n = lv.rows * lv.cols;
        let s = lv.stride as f32;
        for i in 0..n {
            let cls = sigmoid(lv.cls[i]).clamp(0.0, 1.0);
            let obj = sigmoid(lv.obj[i]).clamp(0.0, 1.0);
            let score = (cls * obj).sqrt();
            if score < cfg.low_score {
                continue;
            }
            let (r, c) = ((i / lv.cols) as f32, (i % lv.cols) as f32);
            let cx = (c + lv.bbox[i]) * s;
            let cy = (r + lv.bbox[n + i]) * s;
            let bw = lv.bbox[2 * n + i].exp() * s;
            let bh = lv.bbox[3 * n + i].exp() * s;
            let mut lm: Landmarks = [[0.0; 2]; 5];
            for (k, p) in lm.iter_mut().enumerate() {
                *p = [(c + lv.kps[2 * k * n + i]) * s, (r + lv.kps[(2 * k + 1) * n + i]) * s];
            }
            out.push(Detection { bbox: BBox::new(cx - bw / 2.0, cy - bh / 2.0, bw, bh), score, landmarks: Some(lm) });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(cfg.top_k);
    out
}

/// Greedy non-maximum suppression over `dets` sorted best first: a box is kept unless it overlaps a kept one by
/// more than `iou` (as OpenCV's `NMSBoxes`).
pub fn nms(dets: Vec<Detection>, iou: f32) -> Vec<Detection> {
    let mut kept: Vec<Detection> = Vec::new();
    for d in dets {
        if kept.iter().all(|k| k.bbox.iou(&d.bbox) <= iou) {
            kept.push(d);
        }
    }
    kept
}
