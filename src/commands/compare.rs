//! `emotrace compare SESSION... [--out FILE.html]`: several stored sessions side by side on one self-contained
//! HTML page (see [`emotrace::report::compare`]); stdout without `--out`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::output::write_output;
use super::Outcome;
use crate::cli::CompareArgs;
use emotrace::analytics::session_view::CompareView;
use emotrace::config::Config;
use emotrace::report::compare;
use emotrace::store::Store;

/// Runs `compare`.
///
/// Errors: the store cannot be opened; a session cannot be read (see [`load`]); a plot cannot be drawn; the file
/// cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, args: &CompareArgs) -> anyhow::Result<Outcome> {
    super::output::remove_partial_outputs_on_signal()?;
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    let data = CompareView::load(&store, &args.sessions)?;
    let page = compare::page(&data)?;
    match args.out.as_deref() {
        Some(out) => {
            write_output(out, |w| w.write_all(page.as_bytes()).map_err(anyhow::Error::from))?;
            let note = format!(
                "wrote the comparison of {} sessions ({} shared marker labels) to {}",
                data.sessions.len(),
                data.shared_labels().len(),
                out.display()
            );
            eprintln!("{}", emotrace::text::terminal_safe(&note));
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
