//! `emotrace completions bash|zsh|fish`: the shell completion script, generated from the command-line definition
//! ([`crate::cli::Cli`]) by `clap_complete`, so it never falls behind it. The manual page is [`super::manual`].

use super::Outcome;
use crate::cli::{CompletionsArgs, Shell};

/// Writes the completion script for `args.shell` to stdout: clap_complete's registration, which asks the
/// binary at every Tab (`COMPLETE=SHELL emotrace -- WORDS...`), so subcommands, options and the store's session
/// ids complete, and the script never falls behind the binary. The script runs `args.program`, else `emotrace`
/// when this binary is the one on PATH, else this binary by its absolute path.
///
/// Errors: stdout cannot be written (a reader that stops early ends it quietly).
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    use clap_complete::env::EnvCompleter;
    let completer = args.program.clone().unwrap_or_else(completer_path);
    let mut out = Vec::new();
    let shell: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
    };
    shell.write_registration("COMPLETE", "emotrace", "emotrace", &completer, &mut out)?;
    super::output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(Outcome::Done)
}

/// The program the completion script runs: `emotrace` if the first `emotrace` on PATH is this binary (an install,
/// a package), else this binary's absolute path (a build in `target/`).
fn completer_path() -> String {
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("emotrace")).find(|p| p.is_file()));
    match (me, on_path) {
        (Some(me), Some(p)) if std::fs::canonicalize(&p).is_ok_and(|p| p == me) => "emotrace".to_string(),
        (Some(me), _) => me.to_string_lossy().into_owned(),
        (None, _) => "emotrace".to_string(),
    }
}
