//! `emotrace review [SESSION]`: the sessions browser and the session review screen.

use std::path::Path;

use super::Outcome;
use crate::config::Config;

/// Runs `review`.
///
/// Errors: the store cannot be opened; the session cannot be found or opened; stdout is not a terminal.
pub fn run(_cfg: &Config, _store: Option<&Path>, _session: Option<&str>, _ascii: bool) -> anyhow::Result<Outcome> {
    anyhow::bail!("review is being written")
}
