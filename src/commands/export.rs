//! `emotrace export SESSION --format csv|json|fex|parquet|xlsx [--out FILE]`: a stored session as a file other tools
//! read; `emotrace export --all --format parquet --out DIR`: every stored session as one Parquet dataset.
//!
//! SESSION is a session id as `emotrace sessions` lists it, or a prefix of exactly one. The export goes to stdout,
//! or with `--out FILE` to FILE (see [`super::output`]: `-` is stdout, a link is followed, a FIFO or device is
//! written in place, a regular file is replaced atomically; private to the user, like the store). With `--format csv
//! --out FILE.csv` the markers and notes go to a second file beside it, `FILE.annotations.csv` (said on stderr);
//! on stdout the CSV holds the observations only. `--format parquet --out FILE.parquet` likewise writes them to
//! `FILE.annotations.parquet`. Formats: see [`emotrace::store::export`].

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::output::write_output;
use super::Outcome;
use crate::cli::{ExportArgs, ExportFormat};
use emotrace::config::Config;
use emotrace::store::export::parquet::Table;
use emotrace::store::export::{self, Format, Options, SessionExport};
use emotrace::store::{SessionStatus, Store};

/// Runs `export`.
///
/// Errors: the store cannot be opened; no session or several match `session` (one line, listing the matches);
/// the session is being recorded by another process or is damaged; an option that does not apply to the format
/// (`--bom` without csv, `--smoothed` without fex, `--all` without parquet and `--out DIR`); Parquet to a
/// terminal; the output cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, args: &ExportArgs) -> anyhow::Result<Outcome> {
    super::output::remove_partial_outputs_on_signal()?;
    let format = match args.format {
        ExportFormat::Xapi => return write_xapi(cfg, store, args),
        ExportFormat::Session(f) => f,
    };
    anyhow::ensure!(args.group.is_none(), "--group applies to --format xapi only");
    let options = args.options();
    anyhow::ensure!(!options.bom || format == Format::Csv, "--bom applies to --format csv only");
    anyhow::ensure!(!options.smoothed || format == Format::Fex, "--smoothed applies to --format fex only");
    anyhow::ensure!(
        !options.empty_frames || matches!(format, Format::Csv | Format::Fex | Format::Xlsx),
        "--include-empty-frames applies to --format csv, fex and xlsx"
    );
    let out = args.out.as_deref();
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    if args.all {
        anyhow::ensure!(format == Format::Parquet, "--all writes a Parquet dataset: use --format parquet --out DIR");
        let dir = out.filter(|p| *p != Path::new("-")).context("--all needs --out DIR (the dataset folder)")?;
        return write_dataset(&store, dir);
    }
    let session = args.session.as_deref().context("name a session (id or prefix), or use --all")?;
    let id = store.resolve_session(session)?;
    let mut data = SessionExport::load(store.open_session(&id)?).with_context(|| format!("session '{id}'"))?;
    if options.empty_frames {
        data.include_empty_frames();
    }
    match out {
        None => write_stdout(format, &data, options)?,
        Some(p) if p == Path::new("-") => write_stdout(format, &data, options)?,
        Some(path) => {
            let mut faces = 0;
            write_output(path, |w| {
                faces = export::write(format, &data, options, w)?;
                Ok(())
            })?;
            let mut note =
                format!("exported session {id} ({faces} observations, {}) to {}", format.name(), path.display());
            if matches!(format, Format::Csv | Format::Parquet) {
                let side = annotations_path(path, format);
                write_output(&side, |w| match format {
                    Format::Csv => Ok(export::csv::write_annotations(&data, options.bom, w)?),
                    _ => Ok(export::parquet::write_annotations(&data, w)?),
                })?;
                note.push_str(&format!("; {} markers and notes to {}", data.annotations.len(), side.display()));
            }
            if format == Format::Fex {
                note.push_str(if options.smoothed {
                    "; emotions: smoothed probabilities"
                } else {
                    "; emotions: raw per-frame probabilities"
                });
            }
            eprintln!("{}", emotrace::text::terminal_safe(&note));
        }
    }
    Ok(Outcome::Done)
}

/// `export SESSION --format xapi [--group NAME] [--out FILE]`: the session's xAPI statements as one JSON array.
///
/// Errors: an option for another format; `--all`; the session cannot be found or read, or is being recorded; the
/// output cannot be written.
fn write_xapi(cfg: &Config, store: Option<&Path>, args: &ExportArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!args.all, "--all writes a Parquet dataset: export xapi one session at a time");
    anyhow::ensure!(!args.bom && !args.smoothed, "--bom and --smoothed do not apply to --format xapi");
    let session = args.session.as_deref().context("name a session (id or prefix)")?;
    let store = Store::open_existing(&cfg.store_dir(store)?)?;
    let group = args.group.as_deref().unwrap_or("class");
    let (id, statements) = super::send::session_statements(&store, session, group)?;
    let out = args.out.as_deref().unwrap_or(Path::new("-"));
    write_output(out, |w| {
        serde_json::to_writer_pretty(&mut *w, &statements)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    if out != Path::new("-") {
        eprintln!("exported session {id} ({} xAPI statements) to {}", statements.len(), out.display());
    }
    Ok(Outcome::Done)
}

/// `export --all --format parquet --out DIR`: every finished session (completed, interrupted or failed) as
/// `DIR/observations/date=YYYY-MM-DD/session=ID/part-0.parquet` and its markers and notes as
/// `DIR/annotations/date=YYYY-MM-DD/session=ID/part-0.parquet`, each file replaced atomically. A session that cannot be
/// exported is skipped and named on stderr with the reason, and the rest are exported: one being recorded or
/// damaged, one open in another process (a review), one that cannot be read, one whose file cannot be written
/// (a file where its `session=ID` folder should be). Files of sessions deleted from the store since an earlier
/// export are left in DIR.
///
/// Errors: the store cannot be listed; after exporting the rest, some session's file could not be written (one
/// line naming every session skipped and why).
fn write_dataset(store: &Store, dir: &Path) -> anyhow::Result<Outcome> {
    let mut written = 0usize;
    let mut rows = 0u64;
    let mut annotations = 0usize;
    let mut skipped = Vec::new();
    let mut unwritten = Vec::new();
    for record in store.list_sessions()? {
        if matches!(record.status, SessionStatus::Running | SessionStatus::Damaged) {
            skipped.push(format!("{} ({})", record.id, record.status.name()));
            continue;
        }
        let data = match store
            .open_session(&record.id)
            .map_err(anyhow::Error::from)
            .and_then(|reader| SessionExport::load(reader).with_context(|| format!("session '{}'", record.id)))
        {
            Ok(data) => data,
            Err(e) => {
                skipped.push(format!("{} ({})", record.id, emotrace::fmt::one_line(format!("{e:#}"))));
                continue;
            }
        };
        let mut faces = 0;
        let wrote = Table::ALL.into_iter().try_for_each(|table| {
            let path = export::parquet::dataset_path(dir, table, &data.session);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
            }
            write_output(&path, |w| {
                match table {
                    Table::Observations => faces = export::parquet::write(&data, w)?,
                    Table::Annotations => export::parquet::write_annotations(&data, w)?,
                }
                Ok(())
            })
        });
        match wrote {
            Ok(()) => {
                written += 1;
                rows += faces;
                annotations += data.annotations.len();
            }
            Err(e) => unwritten.push(format!("{} ({})", record.id, emotrace::fmt::one_line(format!("{e:#}")))),
        }
    }
    let mut note = format!(
        "exported {written} sessions ({rows} observations, {annotations} markers and notes) as a Parquet dataset to {}",
        dir.display()
    );
    if older_layout(dir) {
        note.push_str(&format!(
            "; {} also holds files of an older emotrace's dataset (DIR/date=.../session=.../part-0.parquet): \
             the tables are now DIR/observations/ and DIR/annotations/, so remove those older files",
            dir.display()
        ));
    }
    if !skipped.is_empty() {
        note.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    if !unwritten.is_empty() {
        note.push_str(&format!("; could not write {}", unwritten.join(", ")));
        anyhow::bail!("{}", emotrace::text::terminal_safe(&note));
    }
    eprintln!("{}", emotrace::text::terminal_safe(&note));
    Ok(Outcome::Done)
}

/// Whether the dataset folder `dir` holds partitions of the layout before the tables had folders of their own
/// (`dir/date=YYYY-MM-DD/`), which a reader of `dir/**/*.parquet` would count twice.
fn older_layout(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("date=")))
        .unwrap_or(false)
}

/// Where `--format csv|parquet --out PATH` puts the markers and notes: `PATH` without its `.csv` (`.parquet`)
/// extension, plus `.annotations.csv` (`.annotations.parquet`): `out/s1.csv` -> `out/s1.annotations.csv`; `s1` ->
/// `s1.annotations.csv`.
pub fn annotations_path(path: &Path, format: Format) -> PathBuf {
    let ext = format.name();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = match path.extension() {
        Some(e) if e.eq_ignore_ascii_case(ext) => {
            path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        }
        _ => name,
    };
    path.with_file_name(format!("{stem}.annotations.{ext}"))
}

/// Writes the export to stdout ([`write_output`] with `-`: a reader that stops early ends it quietly).
///
/// Errors: Parquet or xlsx to a terminal (binary); stdout cannot be written.
fn write_stdout(format: Format, data: &SessionExport, options: Options) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    anyhow::ensure!(
        format != Format::Parquet || !std::io::stdout().is_terminal(),
        "Parquet is binary: write it with --out FILE.parquet or through a pipe"
    );
    anyhow::ensure!(
        format != Format::Xlsx || !std::io::stdout().is_terminal(),
        "xlsx is binary: write it with --out FILE.xlsx or through a pipe"
    );
    write_output(Path::new("-"), |w| {
        export::write(format, data, options, w)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotations_file_sits_beside_the_csv() {
        let csv = |p: &str| annotations_path(Path::new(p), Format::Csv);
        assert_eq!(csv("out/s1.csv"), Path::new("out/s1.annotations.csv"));
        assert_eq!(csv("s1.CSV"), Path::new("s1.annotations.csv"));
        assert_eq!(csv("s1"), Path::new("s1.annotations.csv"));
        assert_eq!(csv("a.b.txt"), Path::new("a.b.txt.annotations.csv"));
        let parquet = |p: &str| annotations_path(Path::new(p), Format::Parquet);
        assert_eq!(parquet("out/s1.parquet"), Path::new("out/s1.annotations.parquet"));
        assert_eq!(parquet("s1.csv"), Path::new("s1.csv.annotations.parquet"));
    }
}
