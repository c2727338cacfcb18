//! Where a command's `--out FILE` goes, one helper for every command that writes a file (`export`, `report`).
//!
//! - `-` is standard output; a reader that stops early (`| head`) ends the output quietly.
//! - A symbolic link is followed: its target is written, the link stays a link.
//! - A FIFO, character device or socket (`/dev/stdout`, `/dev/null`, a named pipe) is written directly, never
//!   replaced.
//! - A regular file (or a new one) is written atomically: a temporary file beside it, synced, then renamed over
//!   it, so a failed write leaves any previous file as it was. Written files are private (the process umask).
//!
//! Every error names the path as the user gave it, never the temporary file. A command that writes files and
//! has no graceful stop of its own (`export`, `report`, `compare`) calls [`remove_partial_outputs_on_signal`]:
//! SIGINT, SIGTERM or SIGHUP then removes the temporary files being written before the process ends, so a
//! stopped export leaves neither a half-written file nor a `.NAME.*.tmp` beside it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::Context;

/// What `--out PATH` resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutTarget {
    /// `-`: standard output.
    Stdout,
    /// A FIFO, character device or socket at this (resolved) path: written in place.
    Direct(PathBuf),
    /// A regular file, existing or not, at this (resolved) path: replaced atomically.
    Atomic(PathBuf),
}

/// Temporary files of outputs being written: the signal handler of [`remove_partial_outputs_on_signal`] removes
/// them.
static PARTIAL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Makes SIGINT, SIGTERM and SIGHUP remove the temporary files of the outputs being written, then end the process
/// with status 128 + the signal's number (what a shell reports for a process the signal ended: 130 for SIGINT).
/// Installed once (a thread waiting on `signal-hook`'s iterator); later calls do nothing. For commands without a
/// graceful stop of their own: `analyze` and `live` stop on the same signals through
/// [`super::runtime::Signals`] and finish their outputs instead.
///
/// Errors: the handler cannot be registered (not expected on Linux).
pub fn remove_partial_outputs_on_signal() -> anyhow::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).context("signal handler")?;
    std::thread::Builder::new()
        .name("remove-partial-outputs".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // The lock is held until the process ends: no temporary file can be created (and listed) after
                // the list was emptied.
                let mut partial = PARTIAL.lock().unwrap_or_else(|p| p.into_inner());
                for path in partial.drain(..) {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        })
        .context("signal handler thread")?;
    let _ = INSTALLED.set(());
    Ok(())
}

/// A temporary file listed in [`PARTIAL`] while it lives.
struct Listed(PathBuf);

impl Listed {
    /// Creates the file at `path` exclusively (`O_EXCL`, no symbolic link followed) and lists it, both under
    /// [`PARTIAL`]'s lock: a signal handled at any moment finds either no file or a listed one, never an unlisted
    /// file (the race a signal sent right after the file appeared used to hit).
    fn create(path: &Path) -> std::io::Result<(std::fs::File, Listed)> {
        let mut partial = PARTIAL.lock().unwrap_or_else(|p| p.into_inner());
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        partial.push(path.to_path_buf());
        Ok((file, Listed(path.to_path_buf())))
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        PARTIAL.lock().unwrap_or_else(|p| p.into_inner()).retain(|p| p != &self.0);
    }
}

/// Most symbolic links followed before giving up (as the kernel's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// Decides how `path` is written: follows symbolic links (a dangling link's target is created) and looks at
/// what is there.
///
/// Errors: a loop of links; the path (or a link's target) is a folder.
pub fn resolve(path: &Path) -> anyhow::Result<OutTarget> {
    if path == Path::new("-") {
        return Ok(OutTarget::Stdout);
    }
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OutTarget::Atomic(p)),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot write", path.display())),
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target =
                std::fs::read_link(&p).with_context(|| format!("{}: cannot follow the link", path.display()))?;
            p = match p.parent() {
                Some(parent) if target.is_relative() => parent.join(target),
                _ => target,
            };
            continue;
        }
        anyhow::ensure!(!ft.is_dir(), "{}: is a folder, not a file", path.display());
        if ft.is_file() {
            return Ok(OutTarget::Atomic(p));
        }
        return Ok(OutTarget::Direct(p));
    }
    anyhow::bail!("{}: too many levels of symbolic links", path.display())
}

/// Writes `body`'s output to `path` as the module documentation says (`-` for stdout).
///
/// Errors: `body` fails or the output cannot be opened or written; the message names `path` as given.
pub fn write_output(path: &Path, body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let shown = path.display();
    match resolve(path)? {
        OutTarget::Stdout => write_stdout(body),
        OutTarget::Direct(target) => {
            let f = OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("{shown}: cannot open for writing"))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            body(&mut w)
                .and_then(|_| w.flush().map_err(anyhow::Error::from))
                .with_context(|| format!("{shown}: cannot write"))
        }
        OutTarget::Atomic(target) => write_atomic(path, &target, body),
    }
}

/// Writes to standard output; a closed pipe ends the output quietly.
fn write_stdout(body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = body(&mut w).and_then(|_| w.flush().map_err(anyhow::Error::from));
    match r {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// Writes `target` through a temporary file beside it and a rename; errors name `shown`. The temporary file has
/// a random name and is created exclusively (`tempfile`: O_EXCL, no symlink followed), so a link planted in the
/// folder cannot redirect the output; it is removed when the write fails.
fn write_atomic(
    shown: &Path,
    target: &Path,
    body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = target.file_name().with_context(|| format!("{}: not a file name", shown.display()))?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let ctx = || format!("{}: cannot write", shown.display());
    let mut listed = None;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .make_in(dir, |path| {
            let (file, l) = Listed::create(path)?;
            listed = Some(l);
            Ok(file)
        })
        .with_context(ctx)?;
    let _listed = listed;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp);
    body(&mut w).with_context(ctx)?;
    let tmp = w.into_inner().map_err(|e| e.into_error()).with_context(ctx)?;
    tmp.as_file().sync_all().with_context(ctx)?;
    tmp.persist(target).map_err(|e| e.error).with_context(ctx)?;
    Ok(())
}

/// Writes `text` to stdout and flushes it: a full or closed stdout is an error naming what failed (never the
/// panic `print!` gives; issue 25).
///
/// Errors: the write or the flush failed.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    stdout_text(text).map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))
}

/// Writes `text` to stdout and flushes it; the I/O error as it is, for callers that go on after it (`analyze`
/// stops printing and keeps analysing).
pub fn stdout_text(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// True if `e` comes from writing to a closed pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(ee) = c.downcast_ref::<emotrace::store::export::ExportError>() {
            return ee.io_kind() == Some(std::io::ErrorKind::BrokenPipe);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_and_special_files_are_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        assert_eq!(resolve(&link).unwrap(), OutTarget::Atomic(target.clone()));
        write_output(&link, |w| Ok(w.write_all(b"a,b\n")?)).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n");

        assert_eq!(resolve(Path::new("-")).unwrap(), OutTarget::Stdout);
        assert_eq!(resolve(Path::new("/dev/null")).unwrap(), OutTarget::Direct("/dev/null".into()));
        write_output(Path::new("/dev/null"), |w| Ok(w.write_all(b"x")?)).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_char_device(&std::fs::metadata("/dev/null").unwrap().file_type()));
        let err = write_output(Path::new("/dev/full"), |w| Ok(w.write_all(&[0; 1 << 17])?)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.starts_with("/dev/full: cannot write") && !msg.contains(".tmp"), "{msg}");
        assert!(resolve(dir.path()).unwrap_err().to_string().contains("folder"));
    }
}
