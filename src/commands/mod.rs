//! The subcommands: each turns its parsed arguments (one `#[derive(Args)]` struct of [`crate::cli`]) and the
//! configuration into a run of the engine.

pub mod analyze;
pub mod annotate;
pub mod compare;
pub mod completions;
pub mod config;
pub mod devices;
pub mod eval;
pub mod export;
pub mod live;
pub mod manual;
pub mod output;
pub mod probe;
pub mod record;
pub mod report;
pub mod review;
pub mod runtime;
pub mod screen_thread;
pub mod send;
pub mod sessions;

use crate::cli::{Cli, Command};
use emotrace::config::Config;

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (exit 0).
    Done,
    /// Stopped by a signal; what was done is stored (exit 130).
    Interrupted,
}

/// Runs the parsed command line.
///
/// Errors: any failure, as one line naming the input and the reason.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    // Completions and the manual page describe the command line only: they read no configuration.
    let cfg = || Config::load(cli.global.config.as_deref());
    let store = cli.global.store.as_deref();
    match &cli.command {
        Command::Live(args) => live::run(&cfg()?, store, args),
        Command::Analyze(args) => analyze::run(&cfg()?, store, args),
        Command::Sessions(args) => sessions::run(&cfg()?, store, args),
        Command::Export(args) => export::run(&cfg()?, store, args),
        Command::Review(args) => review::run(&cfg()?, store, args),
        Command::Annotate(args) => annotate::run(&cfg()?, store, args),
        Command::Report(args) => report::run(&cfg()?, store, args),
        Command::Compare(args) => compare::run(&cfg()?, store, args),
        Command::Probe(args) => probe::run(args),
        Command::Devices => {
            cfg()?;
            devices::run()
        }
        Command::Eval(args) => eval::run(&cfg()?, args),
        Command::Config(args) => config::run(&cfg()?, args),
        Command::Send(args) => send::run(&cfg()?, store, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => manual::man(args),
    }
}
