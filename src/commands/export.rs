//! `emotrace export SESSION --format csv|json|fex|parquet [--out FILE]`: a stored session as a file other tools
//! read; `emotrace export --all --format parquet --out DIR`: every stored session as one Parquet dataset.
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
use crate::store::export::{self, Format, Options, SessionExport};
use crate::store::{SessionStatus, Store};

/// What `export` was asked for.
#[derive(Clone, Debug)]
pub struct ExportArgs {
    /// The session (id or unique prefix); `None` with `all`.
    pub session: Option<String>,
    /// Every stored session (Parquet dataset under `out`).
    pub all: bool,
    /// The format.
    pub format: Format,
    /// The output file (dataset folder with `all`); `None` or "-" for stdout.
    pub out: Option<std::path::PathBuf>,
    /// What the export holds (`--smoothed`, `--bom`).
    pub options: Options,
}

/// Runs `export`.
///
/// Errors: the store cannot be opened; no session or several match `session` (one line, listing the matches);
/// the session is being recorded by another process or is damaged; an option that does not apply to the format
/// (`--bom` without csv, `--smoothed` without fex, `--all` without parquet and `--out DIR`); Parquet to a
/// terminal; the output cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let format = args.format;
    anyhow::ensure!(!args.options.bom || format == Format::Csv, "--bom applies to --format csv only");
    anyhow::ensure!(!args.options.smoothed || format == Format::Fex, "--smoothed applies to --format fex only");
    let out = args.out.as_deref();
    let root = cfg.store_dir(store)?;
    let store = Store::open(&root)?;
    if args.all {
        anyhow::ensure!(format == Format::Parquet, "--all writes a Parquet dataset: use --format parquet --out DIR");
        let dir = out.filter(|p| *p != Path::new("-")).context("--all needs --out DIR (the dataset folder)")?;
        return write_dataset(&store, dir);
    }
    let session = args.session.as_deref().context("name a session (id or prefix), or use --all")?;
    let id = export::resolve_session(&store, session)?;
    let data = {
        let reader = store.open_session(&id)?;
        SessionExport::load(&reader).with_context(|| format!("session '{id}'"))?
    };
    let options = args.options;
    match out {
        None => write_stdout(format, &data, options)?,
        Some(p) if p == Path::new("-") => write_stdout(format, &data, options)?,
        Some(path) => {
            write_file(path, |w| export::write(format, &data, options, w))?;
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
            if format == Format::Fex {
                note.push_str(if options.smoothed {
                    "; emotions: smoothed probabilities"
                } else {
                    "; emotions: raw per-frame probabilities"
                });
            }
            eprintln!("{note}");
        }
    }
    Ok(Outcome::Done)
}

/// `export --all --format parquet --out DIR`: every finished session (completed, interrupted or failed) as
/// `DIR/date=YYYY-MM-DD/session=ID/part-0.parquet`, each file replaced atomically; sessions being recorded or
/// damaged are skipped and named on stderr. Files of sessions deleted from the store since an earlier export
/// are left in DIR.
///
/// Errors: the store cannot be listed; DIR or a file in it cannot be written; a session cannot be read.
fn write_dataset(store: &Store, dir: &Path) -> anyhow::Result<Outcome> {
    let mut written = 0usize;
    let mut rows = 0usize;
    let mut skipped = Vec::new();
    for record in store.list_sessions()? {
        if matches!(record.status, SessionStatus::Running | SessionStatus::Damaged) {
            skipped.push(format!("{} ({})", record.id, record.status.name()));
            continue;
        }
        let data = {
            let reader = store.open_session(&record.id)?;
            SessionExport::load(&reader).with_context(|| format!("session '{}'", record.id))?
        };
        let path = export::parquet::dataset_path(dir, &data.session);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
        }
        write_file(&path, |w| export::parquet::write(&data, w))?;
        written += 1;
        rows += data.observations.len();
    }
    let mut note =
        format!("exported {written} sessions ({rows} observations) as a Parquet dataset to {}", dir.display());
    if !skipped.is_empty() {
        note.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    eprintln!("{note}");
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
///
/// Errors: Parquet to a terminal (binary); stdout cannot be written.
fn write_stdout(format: Format, data: &SessionExport, options: Options) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    anyhow::ensure!(
        format != Format::Parquet || !stdout.is_terminal(),
        "Parquet is binary: write it with --out FILE.parquet or through a pipe"
    );
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = export::write(format, data, options, &mut w).and_then(|_| w.flush().map_err(anyhow::Error::from));
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
