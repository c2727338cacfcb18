//! `emotrace completions bash|zsh|fish` and `emotrace man`: the shell completion script and the manual page,
//! generated from the command-line definition ([`crate::cli::Cli`]) by `clap_complete` and `clap_mangen`, so they
//! never fall behind it.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};

/// Writes the completion script for `args.shell` to stdout.
///
/// Errors: stdout cannot be written (a reader that stops early ends it quietly).
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    match args.shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "emotrace", &mut out),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "emotrace", &mut out),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "emotrace", &mut out),
    }
    write_stdout(&out)
}

/// Writes the manual page emotrace(1) in roff to stdout (`emotrace man > emotrace.1; man ./emotrace.1`; its
/// SUBCOMMANDS section lists every subcommand); with `args.dir`, writes `emotrace.1` and one page per subcommand
/// (`emotrace-live.1`, `emotrace-analyze.1`, ...) into that folder instead (created if missing), and names them
/// on stderr.
///
/// Errors: stdout, the folder or a page cannot be written.
pub fn man(args: &ManArgs) -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    match &args.dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            write_stdout(&out)
        }
        Some(dir) => {
            use std::os::unix::fs::PermissionsExt;
            anyhow::ensure!(
                !dir.exists() || dir.is_dir(),
                "{}: not a folder (give --dir the folder the manual pages go to)",
                dir.display()
            );
            let created = !dir.exists();
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            // Manual pages are documentation, not data: readable by everyone (0644, and 0755 for a folder made
            // here), whatever the private umask everything else is written with.
            if created {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("{}: cannot set the folder's mode", dir.display()))?;
            }
            clap_mangen::generate_to(cmd, dir).with_context(|| format!("{}: cannot write the pages", dir.display()))?;
            for entry in std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("emotrace") && name.ends_with(".1") {
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644))
                        .with_context(|| format!("{}: cannot set the page's mode", entry.path().display()))?;
                }
            }
            let note = format!("wrote the manual pages (emotrace.1, emotrace-SUBCOMMAND.1) to {}", dir.display());
            eprintln!("{}", emotrace::text::terminal_safe(&note));
            Ok(Outcome::Done)
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<Outcome> {
    let mut w = std::io::stdout().lock();
    match w.write_all(bytes).and_then(|_| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing to stdout")?,
    }
    Ok(Outcome::Done)
}
