//! `emotrace report SESSION --out FILE.html`: one self-contained HTML report of a stored session.
//!
//! SESSION is a session id as `emotrace sessions` lists it, or a prefix of exactly one. FILE is written as
//! [`super::output`] says (`-`: stdout; a link followed; a FIFO written in place; a regular file replaced
//! atomically), private to the user, like the store. What the
//! page holds: see [`emotrace::report`].

use std::path::Path;

use anyhow::Context;

use super::output::write_output;
use super::Outcome;
use crate::cli::ReportArgs;
use emotrace::config::Config;
use emotrace::report::{self, SessionOverview};
use emotrace::store::Store;

/// Runs `report`.
///
/// Errors: the store cannot be opened; no session or several match; the session is being recorded by another
/// process or is damaged; a plot cannot be drawn; the file cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, args: &ReportArgs) -> anyhow::Result<Outcome> {
    super::output::remove_partial_outputs_on_signal()?;
    let out = args.out.as_path();
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    let id = store.resolve_session(&args.session)?;
    let note = write_report(&store, &id, out)?;
    if out != Path::new("-") {
        eprintln!("{}", emotrace::text::terminal_safe(&note));
    }
    Ok(Outcome::Done)
}

/// Writes the report of session `id` to `out` (as [`write_output`] does) and returns the line saying so.
///
/// Errors: the session cannot be opened (being recorded, damaged), a plot cannot be drawn, the file cannot be
/// written.
pub fn write_report(store: &Store, id: &str, out: &Path) -> anyhow::Result<String> {
    let data = {
        let reader = store.open_session(id)?;
        SessionOverview::load(&reader).with_context(|| format!("session '{id}'"))?
    };
    let page = report::render(&data).with_context(|| format!("session '{id}'"))?;
    write_output(out, |w| w.write_all(page.as_bytes()).map_err(anyhow::Error::from))?;
    Ok(format!(
        "wrote the report of session {id} ({}, faces: {}, markers and notes: {}) to {}",
        emotrace::fmt::clock(data.session.record.duration_ms),
        data.session.faces.len(),
        data.session.annotations.len(),
        out.display()
    ))
}
