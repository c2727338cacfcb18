//! The subcommands: each turns parsed arguments and the configuration into a run of the engine.

pub mod analyze;
pub mod compare;
pub mod config;
pub mod devices;
pub mod eval;
pub mod export;
pub mod live;
pub mod output;
pub mod record;
pub mod report;
pub mod review;
pub mod screen_thread;
pub mod sessions;

use crate::cli::{Cli, Command};
use crate::config::Config;

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
    let cfg = Config::load(cli.global.config.as_deref())?;
    let store = cli.global.store.as_deref();
    match cli.command {
        Command::Live { input, camera, width, height, camera_fps, pipeline, no_record, ui_fps, ascii } => {
            let args = live::LiveArgs { input, camera, width, height, camera_fps, pipeline, no_record, ui_fps, ascii };
            live::run(&cfg, store, args)
        }
        Command::Analyze { input, pipeline, json, no_record } => {
            analyze::run(&cfg, store, &input, &pipeline, json, no_record)
        }
        Command::Sessions { json } => sessions::run(&cfg, store, json),
        Command::Export { session, all, format, out, smoothed, bom } => {
            let options = crate::store::export::Options { smoothed, bom };
            export::run(&cfg, store, &export::ExportArgs { session, all, format, out, options })
        }
        Command::Review { session, ascii } => review::run(&cfg, store, session.as_deref(), ascii),
        Command::Report { session, out } => report::run(&cfg, store, &session, &out),
        Command::Compare { sessions, out } => compare::run(&cfg, store, &sessions, out.as_deref()),
        Command::Devices => devices::run(),
        Command::Eval { data, split, model, json } => eval::run(&cfg, &data, &split, model, json),
        Command::Config { template } => config::run(&cfg, template),
    }
}
