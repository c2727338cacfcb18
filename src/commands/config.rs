//! `emotrace config [--template]`: the configuration in force, or the documented defaults.

use super::Outcome;
use crate::config::{Config, DEFAULT_TOML};

/// Runs `config`: with `template`, prints `config/default.toml` (every key, commented); otherwise the
/// effective configuration as TOML.
///
/// Errors: the configuration cannot be serialized.
pub fn run(cfg: &Config, template: bool) -> anyhow::Result<Outcome> {
    if template {
        print!("{DEFAULT_TOML}");
    } else {
        print!("{}", toml::to_string(cfg)?);
    }
    Ok(Outcome::Done)
}
