//! `emotrace completions bash|zsh|fish`: the shell completion script, generated from the command-line definition
//! ([`crate::cli::Cli`]) by `clap_complete`, so it never falls behind it. The manual page is [`super::manual`].

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs, Shell};

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
    super::output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(Outcome::Done)
}
