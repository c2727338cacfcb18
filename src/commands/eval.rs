//! `emotrace eval --data DIR --split NAME [--model M] [--json]`: accuracy, macro-F1 and confusion matrix of an
//! emotion model on a FER2013-layout split.

use super::Outcome;
use crate::cli::EvalArgs;
use emotrace::classify::{eval, Classifier};
use emotrace::config::Config;

/// Runs `eval`.
///
/// Errors: the split files are missing or malformed, a model cannot be loaded.
pub fn run(cfg: &Config, args: &EvalArgs) -> anyhow::Result<Outcome> {
    let classifier = Classifier::load(&cfg.models_dir(), args.model)?;
    let report = eval::evaluate(&classifier, &args.data, &args.split)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    Ok(Outcome::Done)
}
