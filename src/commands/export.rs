//! `emotrace export SESSION --format csv|json|fex [--out FILE]`: a stored session as a file other tools read.
//!
//! SESSION is a session id as `emotrace sessions` lists it, or a prefix of exactly one. The export goes to stdout,
//! or with `--out FILE` to FILE (replaced atomically; private to the user, like the store). With `--format csv
//! --out FILE.csv` the markers and notes go to a second file beside it, `FILE.annotations.csv` (said on stderr);
//! on stdout the CSV holds the observations only. Formats: see [`crate::store::export`].

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

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
    let store = Store::open(&root)?;
    let id = export::resolve_session(&store, session)?;
    let data = {
        let reader = store.open_session(&id)?;
        SessionExport::load(&reader).with_context(|| format!("session '{id}'"))?
    };
    match out {
        None => write_stdout(format, &data)?,
        Some(p) if p == Path::new("-") => write_stdout(format, &data)?,
        Some(path) => {
            write_file(path, |w| export::write(format, &data, w))?;
            let mut note = format!(
                "exported session {id} ({} observations, {}) to {}",
                data.observations.len(),
                format.name(),
                path.display()
            );
            if format == Format::Csv {
                let side = annotations_path(path);
                write_file(&side, |w| export::csv::write_annotations(&data, w))?;
                note.push_str(&format!("; {} markers and notes to {}", data.annotations.len(), side.display()));
            }
            eprintln!("{note}");
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

/// Writes the export to stdout; a reader that stops early (`| head`) ends the export quietly.
fn write_stdout(format: Format, data: &SessionExport) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = export::write(format, data, &mut w).and_then(|_| w.flush().map_err(anyhow::Error::from));
    match r {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// True if `e` comes from writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        if let Some(ce) = c.downcast_ref::<::csv::Error>() {
            return matches!(ce.kind(), ::csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe);
        }
        if let Some(je) = c.downcast_ref::<serde_json::Error>() {
            return je.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe);
        }
        false
    })
}

/// Writes `path` through a temporary file beside it and a rename, so that a failed export leaves any previous file
/// as it was.
pub(crate) fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let name = path.file_name().with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let f = std::fs::File::create(&tmp).with_context(|| format!("{}: cannot write", tmp.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        body(&mut w).with_context(|| format!("{}: cannot write", tmp.display()))?;
        let f =
            w.into_inner().map_err(|e| e.into_error()).with_context(|| format!("{}: cannot write", tmp.display()))?;
        f.sync_all().with_context(|| format!("{}: cannot write", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
