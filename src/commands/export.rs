//! `emotrace export SESSION --format csv|json|fex [--out FILE]`: a stored session as a file other tools read.
//!
//! SESSION is a session id as `emotrace sessions` lists it, or a prefix of exactly one. The export goes to stdout,
//! or with `--out FILE` to FILE (see [`super::output`]: `-` is stdout, a link is followed, a FIFO or device is
//! written in place, a regular file is replaced atomically; private to the user, like the store). With `--format csv
//! --out FILE.csv` the markers and notes go to a second file beside it, `FILE.annotations.csv` (said on stderr);
//! on stdout the CSV holds the observations only. Formats: see [`crate::store::export`].

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::output::write_output;
use super::Outcome;
use crate::config::Config;
use crate::store::export::{self, Format, SessionExport};
use crate::store::Store;

/// Runs `export`.
///
/// Errors: the store cannot be opened; no session or several match `session` (one line, listing the matches);
/// the session is being recorded by another process or is damaged; the output cannot be written.
pub fn run(
    cfg: &Config,
    store: Option<&Path>,
    session: &str,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    let id = export::resolve_session(&store, session)?;
    let data = {
        let reader = store.open_session(&id)?;
        SessionExport::load(&reader).with_context(|| format!("session '{id}'"))?
    };
    match out {
        None => write_output(Path::new("-"), |w| export::write(format, &data, w))?,
        Some(path) => {
            write_output(path, |w| export::write(format, &data, w))?;
            if path == Path::new("-") {
                return Ok(Outcome::Done);
            }
            let mut note = format!(
                "exported session {id} ({} observations, {}) to {}",
                data.observations.len(),
                format.name(),
                path.display()
            );
            if format == Format::Csv {
                let side = annotations_path(path);
                write_output(&side, |w| export::csv::write_annotations(&data, w))?;
                note.push_str(&format!("; {} markers and notes to {}", data.annotations.len(), side.display()));
            }
            eprintln!("{}", crate::text::terminal_safe(&note));
        }
    }
    Ok(Outcome::Done)
}

/// Where `--format csv --out PATH` puts the markers and notes: `PATH` without its `.csv` extension, plus
/// `.annotations.csv` (`out/s1.csv` -> `out/s1.annotations.csv`; `s1` -> `s1.annotations.csv`).
pub fn annotations_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = match path.extension() {
        Some(ext) if ext.eq_ignore_ascii_case("csv") => {
            path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        }
        _ => name,
    };
    path.with_file_name(format!("{stem}.annotations.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotations_file_sits_beside_the_csv() {
        assert_eq!(annotations_path(Path::new("out/s1.csv")), Path::new("out/s1.annotations.csv"));
        assert_eq!(annotations_path(Path::new("s1.CSV")), Path::new("s1.annotations.csv"));
        assert_eq!(annotations_path(Path::new("s1")), Path::new("s1.annotations.csv"));
        assert_eq!(annotations_path(Path::new("a.b.txt")), Path::new("a.b.txt.annotations.csv"));
    }
}
