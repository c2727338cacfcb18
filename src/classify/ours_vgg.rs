//! `vgg`: the small VGG-style network of our own that `training/` trains for the CPU
//! (`training/fertrain/model.py`, `VggNet`), run with this crate's CPU kernels ([`crate::nn::layers`]).
//!
//! ```text
//! input [N, 1, S, S] f32 in [-1, 1]      (S = the checkpoint's input_size, 48 for the CPU recipe)
//!   per stage i (width W_i): 2 x (3x3 conv, padding 1, BatchNorm, ReLU), 2x2 max pool, stride 2
//!   global average pool                  -> [N, W_last]
//!   linear                               -> logits [N, 7]
//! ```
//!
//! Tensor names, PyTorch layouts (as `VggNet.state_dict()` writes them): `stages.I.J.conv.weight`
//! `[W_i, C_in, 3, 3]` (OIHW, no bias), `stages.I.J.bn.{weight, bias, running_mean, running_var}` `[W_i]` (J = 0,
//! 1), `head.fc.weight` `[7, W_last]`, `head.fc.bias` `[7]`. BatchNorm (eps 1e-5, PyTorch's default) is folded
//! into each convolution at load time; the convolutions fuse bias and ReLU ([`Conv2d`]).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::NUM_EMOTIONS;
use crate::nn::layers::{
    batch_norm_scale_shift, max_pool_2x2_s2, scale_out_channels, Activation, Conv2d, Padding, TORCH_BN_NAMES,
};

/// BatchNorm epsilon of `torch.nn.BatchNorm2d` (the training side's default).
pub const BN_EPS: f64 = 1e-5;

/// Convolutions per stage.
pub const CONVS_PER_STAGE: usize = 2;

/// The `vgg` network with BatchNorm folded: `[N, 1, S, S]` f32 -> `[N, 7]` logits, for any `S` that survives one
/// 2x2 pool per stage (at least `2^stages`).
#[derive(Clone, Debug)]
pub struct VggNet {
    /// Per stage, its [`CONVS_PER_STAGE`] convolutions (BatchNorm folded, ReLU fused).
    stages: Vec<Vec<Conv2d>>,
    /// `[7, W_last]` classifier weight, `[7]` bias.
    fc: candle_nn::Linear,
    widths: Vec<usize>,
}

impl VggNet {
    /// Builds the network with stage widths `widths` (e.g. `[16, 32, 64, 128]`) from the tensors in `vb` (names in
    /// the module docs).
    ///
    /// Errors: `widths` is empty or has a 0, or a tensor is missing or of another shape.
    pub fn load(vb: VarBuilder, widths: &[usize]) -> Result<Self> {
        if widths.is_empty() || widths.contains(&0) {
            candle_core::bail!("vgg: stage widths {widths:?} must be positive and at least one");
        }
        let mut stages = Vec::with_capacity(widths.len());
        let mut c_in = 1;
        for (i, &w) in widths.iter().enumerate() {
            let mut convs = Vec::with_capacity(CONVS_PER_STAGE);
            for j in 0..CONVS_PER_STAGE {
                let vb = vb.pp(format!("stages.{i}.{j}"));
                let weight = vb.get((w, c_in, 3, 3), "conv.weight")?;
                let (scale, shift) = batch_norm_scale_shift(&vb, "bn", TORCH_BN_NAMES, w, BN_EPS)?;
                let weight = scale_out_channels(&weight, &scale)?;
                convs.push(Conv2d::new(&weight, shift, 1, Padding::Explicit(1), Activation::Relu)?);
                c_in = w;
            }
            stages.push(convs);
        }
        let fc = candle_nn::linear(c_in, NUM_EMOTIONS, vb.pp("head.fc"))?;
        Ok(Self { stages, fc, widths: widths.to_vec() })
    }

    /// The stage widths.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
}

impl Module for VggNet {
    /// `[N, 1, S, S]` f32 (contiguous) -> `[N, 7]` logits.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.contiguous()?;
        for stage in &self.stages {
            for conv in stage {
                x = conv.forward(&x)?;
            }
            x = max_pool_2x2_s2(&x)?;
        }
        self.fc.forward(&x.mean((2, 3))?)
    }
}
