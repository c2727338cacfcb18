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
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            clap_mangen::generate_to(cmd, dir).with_context(|| format!("{}: cannot write the pages", dir.display()))?;
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
