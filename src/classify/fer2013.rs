//! FER2013 splits in the raw layout of `../shared/datasets/fer2013` (Goodfellow et al., "Challenges in
//! Representation Learning", ICML 2013 workshop): `DIR/NAME-images.u8` holds `[n, 48, 48]` gray bytes, row-major,
//! no header; `DIR/NAME-labels.u8` holds `[n]` class ids 0..=6 in [`Emotion::ALL`](super::Emotion::ALL) order.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use image::GrayImage;

use super::NUM_EMOTIONS;

/// Side of a FER2013 image, pixels.
pub const FER2013_SIZE: usize = 48;

/// One split loaded into memory.
#[derive(Clone, Debug)]
pub struct Fer2013Split {
    /// Split name (`public-test`, `train` ...).
    pub name: String,
    images: Vec<u8>,
    labels: Vec<u8>,
}

/// Paths of a split's two files: `(DIR/NAME-images.u8, DIR/NAME-labels.u8)`.
pub fn split_paths(dir: &Path, split: &str) -> (PathBuf, PathBuf) {
    (dir.join(format!("{split}-images.u8")), dir.join(format!("{split}-labels.u8")))
}

impl Fer2013Split {
    /// Reads split `split` from `dir`.
    ///
    /// Errors (naming the file): a file is missing or unreadable; the image file is not a whole number of 48x48
    /// images; the image and label counts differ; a label is not 0..=6; the split is empty.
    pub fn load(dir: &Path, split: &str) -> anyhow::Result<Fer2013Split> {
        let (ip, lp) = split_paths(dir, split);
        let images = std::fs::read(&ip).with_context(|| format!("cannot read FER2013 images {}", ip.display()))?;
        let labels = std::fs::read(&lp).with_context(|| format!("cannot read FER2013 labels {}", lp.display()))?;
        let per = FER2013_SIZE * FER2013_SIZE;
        ensure!(
            images.len() % per == 0,
            "{}: {} bytes is not a whole number of {FER2013_SIZE}x{FER2013_SIZE} images",
            ip.display(),
            images.len()
        );
        ensure!(
            images.len() / per == labels.len(),
            "{} holds {} images but {} holds {} labels",
            ip.display(),
            images.len() / per,
            lp.display(),
            labels.len()
        );
        ensure!(!labels.is_empty(), "{}: the split is empty", lp.display());
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l as usize >= NUM_EMOTIONS) {
            anyhow::bail!("{}: label {l} at index {i} is not a FER2013 class id (0..=6)", lp.display());
        }
        Ok(Fer2013Split { name: split.to_string(), images, labels })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split has no images (never true for a loaded split).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Class id (0..=6) of image `i`. Panics if `i >= len()`.
    pub fn label(&self, i: usize) -> usize {
        self.labels[i] as usize
    }

    /// All class ids, in file order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Image `i` as a 48x48 gray image. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> GrayImage {
        let per = FER2013_SIZE * FER2013_SIZE;
        GrayImage::from_raw(FER2013_SIZE as u32, FER2013_SIZE as u32, self.images[i * per..(i + 1) * per].to_vec())
            .expect("48x48 bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_splits_are_rejected_with_the_file_name() {
        let dir = std::env::temp_dir().join(format!("emotrace-fer2013-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = Fer2013Split::load(&dir, "nope").unwrap_err();
        assert!(format!("{err:#}").contains("nope-images.u8"));
        std::fs::write(dir.join("bad-images.u8"), vec![0u8; 48 * 48 * 2 + 1]).unwrap();
        std::fs::write(dir.join("bad-labels.u8"), vec![0u8; 2]).unwrap();
        assert!(format!("{:#}", Fer2013Split::load(&dir, "bad").unwrap_err()).contains("whole number"));
        std::fs::write(dir.join("bad-images.u8"), vec![0u8; 48 * 48 * 2]).unwrap();
        std::fs::write(dir.join("bad-labels.u8"), vec![0u8, 9]).unwrap();
        assert!(format!("{:#}", Fer2013Split::load(&dir, "bad").unwrap_err()).contains("label 9"));
        std::fs::write(dir.join("bad-labels.u8"), vec![0u8; 3]).unwrap();
        assert!(format!("{:#}", Fer2013Split::load(&dir, "bad").unwrap_err()).contains("3 labels"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
