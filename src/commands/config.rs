//! `emotrace config [--template]`: the configuration in force, or the documented defaults.

use super::Outcome;
use crate::cli::ConfigArgs;
use emotrace::config::{Config, DEFAULT_TOML};

/// Runs `config`: with `template`, prints `config/default.toml` (every key, commented); otherwise the
/// effective configuration as TOML.
///
/// Errors: the configuration cannot be serialized, or stdout cannot be written (full, closed).
pub fn run(cfg: &Config, args: &ConfigArgs) -> anyhow::Result<Outcome> {
    if args.template {
        super::output::print_stdout(DEFAULT_TOML)?;
    } else {
        super::output::print_stdout(&toml::to_string(cfg)?)?;
    }
    Ok(Outcome::Done)
}
