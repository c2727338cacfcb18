//! `emotrace compare SESSION... [--out FILE.html]`: several stored sessions side by side on one self-contained
//! HTML page (see [`crate::report::compare`]); stdout without `--out`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::output::write_output;
use super::Outcome;
use crate::config::Config;
use crate::report::compare::{self, CompareData};
use crate::report::ReportData;
use crate::store::export::resolve_session;
use crate::store::Store;

/// Reads the sessions `ids` (ids or unique prefixes) of `store` for comparing, in the order given.
///
/// Errors: no session or several match a query; a session is being recorded by another process or is damaged.
pub fn load(store: &Store, ids: &[String]) -> anyhow::Result<CompareData> {
    let mut sessions = Vec::with_capacity(ids.len());
    for q in ids {
        let id = resolve_session(store, q)?;
        let reader = store.open_session(&id)?;
        sessions.push(ReportData::load(&reader).with_context(|| format!("session '{id}'"))?);
    }
    Ok(CompareData { sessions })
}

/// Runs `compare`.
///
/// Errors: the store cannot be opened; a session cannot be read (see [`load`]); a plot cannot be drawn; the file
/// cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, sessions: &[String], out: Option<&Path>) -> anyhow::Result<Outcome> {
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    let data = load(&store, sessions)?;
    let page = compare::page(&data)?;
    match out {
        Some(out) => {
            write_output(out, |w| w.write_all(page.as_bytes()).map_err(anyhow::Error::from))?;
            let note = format!(
                "wrote the comparison of {} sessions ({} shared marker labels) to {}",
                data.sessions.len(),
                data.shared_labels().len(),
                out.display()
            );
            eprintln!("{}", crate::text::terminal_safe(&note));
        }
        None => {
            let mut w = std::io::stdout().lock();
            match w.write_all(page.as_bytes()).and_then(|_| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("writing to stdout")?,
            }
        }
    }
    Ok(Outcome::Done)
}
