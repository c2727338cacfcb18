//! `emotrace eval --data DIR --split NAME [--model M] [--json]`: accuracy, macro-F1 and confusion matrix of an
//! emotion model on a FER2013-layout split.

use std::path::Path;

use super::Outcome;
use crate::classify::{eval, Classifier, ModelKind};
use crate::config::Config;

/// Runs `eval`.
///
/// Errors: the split files are missing or malformed, a model cannot be loaded.
pub fn run(cfg: &Config, data: &Path, split: &str, model: ModelKind, json: bool) -> anyhow::Result<Outcome> {
    let classifier = Classifier::load(&cfg.models_dir(), model)?;
    let report = eval::evaluate(&classifier, data, split)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    Ok(Outcome::Done)
}
