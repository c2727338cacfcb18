//! Our own FER2013 network: trained by `training/` (PyTorch + timm), run here through candle-transformers
//! (timm architectures) or [`super::ours_vgg`] (our small `vgg`).
//!
//! The checkpoint (`models/ours.safetensors`, see `models/README.md`) is the PyTorch model's `state_dict` under
//! its own tensor names: timm's (`stem.conv_kxk.conv.weight`, `stages.0.0.identity.running_var`, `head.fc.weight`
//! for RepVGG; `conv1.weight`, `layer1.0.bn1.weight`, `fc.bias` for ResNet), which
//! `candle_transformers::models::{repvgg, resnet}` load as they are, or `VggNet`'s (`stages.0.1.conv.weight`, see
//! [`super::ours_vgg`]). Its string metadata (written by `training/fertrain/export.py`) says which network it is:
//!
//! | key | value |
//! | --- | --- |
//! | `format` | [`FORMAT`] |
//! | `arch` | `repvgg_a0`, `resnet18` or `vgg` ([`OursArch`]) |
//! | `widths` | `vgg` only: the stage widths, comma-separated (`16,32,64,128`) |
//! | `input_size` | side the 64x64 face is resized to (bilinear, pixel centres) before the network; `64` = as it is |
//! | `tta_hflip` | `true`: the logits are the mean of the face's and its mirror image's |
//! | `model_card` | the training run's model card (JSON: recipe, seed, data checksums, public-test accuracy ...) |
//!
//! ```text
//! input [N, 1, 64, 64] f32 in [-1, 1]   (the same FaceInput as the other networks)
//!   bilinear resize to [N, 1, S, S]       (only if input_size S != 64; as torch F.interpolate, align_corners=False)
//!   gray repeated to 3 channels           (timm only: candle-transformers' stems take RGB)
//!   RepVGG-A0 / ResNet-18 (candle-transformers) or vgg, 7 classes -> logits [N, 7]
//!   softmax                               -> probabilities [N, 7]
//! ```

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Func, VarBuilder};
use candle_transformers::models::{repvgg, resnet};

use super::ours_vgg::VggNet;
use super::preprocess::INPUT_SIZE;
use super::NUM_EMOTIONS;

/// File name of our trained network in the models folder.
pub const OURS_MODEL_FILE: &str = "ours.safetensors";

/// Value of the checkpoint's `format` metadata key (`training/fertrain/export.py`, `FORMAT`).
pub const FORMAT: &str = "emotrace-fer-timm/1";

/// The architectures a checkpoint may name: the timm ones that candle-transformers implements with timm's
/// tensor names (as named in timm), and our own `vgg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OursArch {
    /// `repvgg_a0` (Ding et al. 2021): 7.9M parameters in the training-time form; candle-transformers fuses the
    /// 3x3, 1x1 and identity branches into one 3x3 convolution per layer at load time.
    RepvggA0,
    /// `resnet18` (He et al. 2016): 11.2M parameters.
    Resnet18,
    /// `vgg`: our small VGG-style network on the gray channel ([`super::ours_vgg::VggNet`]); widths from the
    /// metadata.
    Vgg,
}

impl OursArch {
    /// timm's name (`repvgg_a0`, `resnet18`).
    pub fn name(self) -> &'static str {
        match self {
            Self::RepvggA0 => "repvgg_a0",
            Self::Resnet18 => "resnet18",
            Self::Vgg => "vgg",
        }
    }

    /// The architecture for timm name `name`, `None` if it is not supported.
    pub fn from_name(name: &str) -> Option<OursArch> {
        [Self::RepvggA0, Self::Resnet18, Self::Vgg].into_iter().find(|a| a.name() == name)
    }
}

/// What the checkpoint's metadata says about the network.
#[derive(Clone, Debug, PartialEq)]
pub struct OursMeta {
    /// The architecture.
    pub arch: OursArch,
    /// Side the 64x64 input is resized to before the network, pixels (16..=512).
    pub input_size: usize,
    /// Whether predictions average the logits of the face and its horizontal mirror.
    pub tta_hflip: bool,
    /// `vgg` only: the stage widths (channels), e.g. `[16, 32, 64, 128]`; empty for the timm architectures.
    pub widths: Vec<usize>,
    /// Public-test accuracy in `[0, 1]` from the model card, when it has one.
    pub public_test_accuracy: Option<f64>,
}

impl OursMeta {
    /// Parses the safetensors metadata map (see the module docs).
    ///
    /// Errors: `format` is not [`FORMAT`], `arch` is unknown, `input_size` is not an integer in 16..=512,
    /// `tta_hflip` is not `true`/`false`, `num_classes` (if present) is not 7, or `widths` is missing for `vgg`
    /// (or is not a list of 1 to 8 integers in 1..=1024).
    pub fn from_metadata(meta: &HashMap<String, String>) -> anyhow::Result<OursMeta> {
        let get = |k: &str| meta.get(k).map(String::as_str);
        anyhow::ensure!(
            get("format") == Some(FORMAT),
            "metadata format is {:?}, expected {FORMAT:?} (a checkpoint written by training/)",
            get("format")
        );
        let arch_name = get("arch").context("metadata has no \"arch\"")?;
        let arch = OursArch::from_name(arch_name).with_context(|| {
            format!("architecture {arch_name:?} is not supported (repvgg_a0, resnet18 and vgg are)")
        })?;
        let input_size = match get("input_size") {
            None => INPUT_SIZE,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|v| (16..=512).contains(v))
                .with_context(|| format!("metadata input_size {s:?} is not a side in pixels between 16 and 512"))?,
        };
        let tta_hflip = match get("tta_hflip") {
            None | Some("false") => false,
            Some("true") => true,
            Some(s) => anyhow::bail!("metadata tta_hflip {s:?} is neither true nor false"),
        };
        if let Some(n) = get("num_classes") {
            anyhow::ensure!(n == NUM_EMOTIONS.to_string(), "metadata num_classes is {n}, expected {NUM_EMOTIONS}");
        }
        let widths = match (arch, get("widths")) {
            (OursArch::Vgg, None) => {
                anyhow::bail!("metadata has no \"widths\" (the vgg network needs its stage widths)")
            }
            (OursArch::Vgg, Some(s)) => s
                .split(',')
                .map(|w| w.trim().parse::<usize>().ok().filter(|w| (1..=1024).contains(w)))
                .collect::<Option<Vec<usize>>>()
                .filter(|v| (1..=8).contains(&v.len()))
                .with_context(|| format!("metadata widths {s:?} is not 1 to 8 channel counts (1..=1024)"))?,
            _ => Vec::new(),
        };
        let public_test_accuracy = get("model_card")
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
            .and_then(|c| c.pointer("/public_test/accuracy").and_then(|v| v.as_f64()));
        Ok(OursMeta { arch, input_size, tta_hflip, widths, public_test_accuracy })
    }
}

/// Our trained network on the CPU. `Clone` shares the weights.
#[derive(Clone, Debug)]
pub struct OursNet {
    net: Func<'static>,
    meta: OursMeta,
}

impl OursNet {
    /// Loads a checkpoint written by `training/` from `path`.
    ///
    /// Errors (each naming the file): unreadable, not safetensors, metadata missing or invalid
    /// ([`OursMeta::from_metadata`]), or a tensor missing or of another shape than the architecture needs.
    pub fn load(path: &Path) -> anyhow::Result<OursNet> {
        let bytes = std::fs::read(path).with_context(|| {
            format!("cannot read emotion model {} (see models/README.md for how to train one)", path.display())
        })?;
        Self::from_bytes(bytes).with_context(|| format!("emotion model {}", path.display()))
    }

    /// Loads a checkpoint from the bytes of a safetensors file. Errors as [`OursNet::load`], without the name.
    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<OursNet> {
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).context("not a valid safetensors file")?;
        let meta = OursMeta::from_metadata(header.metadata().as_ref().unwrap_or(&HashMap::new()))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .context("not a valid safetensors file")?;
        let net = match meta.arch {
            OursArch::RepvggA0 => repvgg::repvgg(&repvgg::Config::a0(), NUM_EMOTIONS, vb),
            OursArch::Resnet18 => resnet::resnet18(NUM_EMOTIONS, vb),
            OursArch::Vgg => {
                let net = VggNet::load(vb, &meta.widths)?;
                Ok(Func::new(move |x| net.forward(x)))
            }
        }
        .with_context(|| format!("the tensors do not match timm's {}", meta.arch.name()))?;
        Ok(OursNet { net, meta })
    }

    /// What the checkpoint's metadata says.
    pub fn meta(&self) -> &OursMeta {
        &self.meta
    }

    /// Logits of one pass, no mirror averaging: `[N, 1, 64, 64]` f32 in `[-1, 1]` -> `[N, 7]`.
    ///
    /// Errors: `x` has another shape or type.
    pub fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        crate::nn::layers::check_input(x, INPUT_SIZE, "ours")?;
        let s = self.meta.input_size;
        let x = if s == INPUT_SIZE { x.clone() } else { x.upsample_bilinear2d(s, s, false)? };
        if self.meta.arch == OursArch::Vgg {
            return self.net.forward(&x);
        }
        let (n, _, h, w) = x.dims4()?;
        let x = x.broadcast_as((n, 3, h, w))?.contiguous()?;
        self.net.forward(&x)
    }

    /// The logits predictions use: [`OursNet::logits`], or with `tta_hflip` the mean of the logits of `x` and of
    /// `x` mirrored left-right (one pass over a `[2N, ...]` batch). `[N, 1, 64, 64]` -> `[N, 7]`.
    ///
    /// Errors: `x` has another shape or type.
    pub fn logits_tta(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if !self.meta.tta_hflip {
            return self.logits(x);
        }
        let n = x.dim(0)?;
        let both = self.logits(&Tensor::cat(&[x, &x.flip(&[3])?], 0)?)?;
        (both.narrow(0, 0, n)? + both.narrow(0, n, n)?)? * 0.5
    }
}

impl Module for OursNet {
    /// `[N, 1, 64, 64]` f32 in `[-1, 1]` -> `[N, 7]` softmax probabilities of [`OursNet::logits_tta`].
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::softmax(&self.logits_tta(x)?, D::Minus1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::ModelKind;

    fn meta(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn metadata_is_parsed_and_checked() {
        let card = r#"{"public_test": {"accuracy": 0.6512}}"#;
        let m = OursMeta::from_metadata(&meta(&[
            ("format", FORMAT),
            ("arch", "resnet18"),
            ("input_size", "96"),
            ("tta_hflip", "true"),
            ("num_classes", "7"),
            ("model_card", card),
        ]))
        .unwrap();
        assert_eq!(
            m,
            OursMeta {
                arch: OursArch::Resnet18,
                input_size: 96,
                tta_hflip: true,
                widths: vec![],
                public_test_accuracy: Some(0.6512)
            }
        );
        let base = [("format", FORMAT), ("arch", "repvgg_a0")];
        let m = OursMeta::from_metadata(&meta(&base)).unwrap();
        assert_eq!((m.input_size, m.tta_hflip, m.public_test_accuracy), (64, false, None));
        let m = OursMeta::from_metadata(&meta(&[base[0], ("arch", "vgg"), ("widths", "16, 32,64")])).unwrap();
        assert_eq!((m.arch, m.widths), (OursArch::Vgg, vec![16, 32, 64]));
        for (bad, needle) in [
            (vec![("format", "other/1"), ("arch", "repvgg_a0")], "format"),
            (vec![("format", FORMAT)], "arch"),
            (vec![("format", FORMAT), ("arch", "convnext_atto")], "convnext_atto"),
            (vec![base[0], base[1], ("input_size", "8")], "input_size"),
            (vec![base[0], base[1], ("input_size", "big")], "input_size"),
            (vec![base[0], base[1], ("tta_hflip", "yes")], "tta_hflip"),
            (vec![base[0], base[1], ("num_classes", "8")], "num_classes"),
            (vec![base[0], ("arch", "vgg")], "widths"),
            (vec![base[0], ("arch", "vgg"), ("widths", "16,x")], "widths"),
            (vec![base[0], ("arch", "vgg"), ("widths", "16,0")], "widths"),
        ] {
            let err = OursMeta::from_metadata(&meta(&bad)).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad:?}: {err}");
        }
    }

    #[test]
    fn model_names_agree_on_the_command_line_and_in_the_config() {
        use clap::ValueEnum;
        for kind in ModelKind::value_variants() {
            let cli = kind.to_possible_value().unwrap();
            assert_eq!(cli.get_name(), kind.name());
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{}\"", kind.name()));
            let back: ModelKind = serde_json::from_str(&format!("\"{}\"", kind.name())).unwrap();
            assert_eq!(&back, kind);
        }
    }
}
