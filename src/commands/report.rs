//! `emotrace report SESSION --out FILE.html`: one self-contained HTML report of a stored session.

use std::path::Path;

use super::Outcome;
use crate::config::Config;

/// Runs `report`.
///
/// Errors: the store cannot be opened; no session or several match; the session cannot be opened; the file
/// cannot be written.
pub fn run(_cfg: &Config, _store: Option<&Path>, _session: &str, _out: &Path) -> anyhow::Result<Outcome> {
    anyhow::bail!("report is being written")
}
