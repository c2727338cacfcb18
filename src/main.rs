//! `emotrace` binary: parse the command line, run the subcommand, map errors to exit codes
//! (0 done, 1 error, 2 usage, 130 interrupted by a signal).
//!
//! The command line ([`cli`]) and the subcommands ([`commands`]) live here, not in the library: the library is
//! the engine and its clients' types (see `src/lib.rs`).

mod cli;
mod commands;

use clap::Parser;

use cli::{Cli, Command};
use commands::Outcome;

fn main() {
    // Everything emotrace writes (store, exports) is private to the user.
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
        // A closed pipe ends the process quietly, as for any Unix tool (`emotrace export ... | head`), instead
        // of a panic in println!.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    emotrace::nn::keep_candle_on_our_threads();
    // An empty EMOTRACE_STORE (`EMOTRACE_STORE= emotrace sessions`) means "not set": the default store, not clap's
    // usage error about a --store that was never typed. Done before any thread starts.
    if std::env::var_os("EMOTRACE_STORE").is_some_and(|v| v.is_empty()) {
        std::env::remove_var("EMOTRACE_STORE");
    }
    // Shell completion: a shell that loaded `emotrace completions SHELL` asks the binary with COMPLETE=SHELL set
    // (clap_complete's dynamic completion); it answers and exits here.
    clap_complete::CompleteEnv::with_factory(|| {
        use clap::CommandFactory;
        Cli::command()
    })
    .complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version and usage errors: clap's text, but a failed write (`--help > /dev/full`) is an error,
        // not exit code 0.
        Err(e) => {
            if let Err(io) = e.print() {
                eprintln!("emotrace: error: cannot write to standard output: {io}");
                std::process::exit(1);
            }
            std::process::exit(e.exit_code());
        }
    };
    // Only the commands that run the networks keep freed memory for reuse: the others (exports above all) would
    // keep what they freed, and an export's memory is to stay flat (issue 25).
    if matches!(cli.command, Command::Live(_) | Command::Analyze(_) | Command::Eval(_)) {
        emotrace::nn::keep_freed_memory();
    }
    let code = match commands::run(cli) {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Interrupted) => 130,
        Err(e) => {
            let msg = format!("{e:#}");
            let line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("emotrace: error: {}", emotrace::text::terminal_safe(&line));
            1
        }
    };
    std::process::exit(code);
}
