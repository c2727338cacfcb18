//! `emotrace review [SESSION]`: the sessions browser, or one session's review screen at once.
//!
//! The screen runs on its own thread; this thread watches for SIGINT/SIGTERM/SIGHUP and for a terminal that
//! has hung up (a dropped SSH link), and then leaves without waiting for a screen thread that crossterm may
//! keep spinning. Nothing is lost that way: every edit is already on disk when its key is answered.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::runtime::{runtime, Signals};
use super::screen_thread::wait_for_screen;
use super::Outcome;
use crate::cli::ReviewArgs;
use emotrace::config::Config;
use emotrace::store::Store;
use emotrace::tui::review::{self, ReviewApp};
use emotrace::tui::{Theme, TuiConfig};

/// Runs `review`.
///
/// Errors: the store cannot be opened; the session cannot be found, is being recorded or is damaged; stdout is
/// not a terminal.
pub fn run(cfg: &Config, store: Option<&Path>, args: &ReviewArgs) -> anyhow::Result<Outcome> {
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    // Open the asked-for session before taking the terminal, so a wrong id is one plain line.
    let open = match args.session.as_deref() {
        Some(q) => {
            let id = store.resolve_session(q)?;
            Some(ReviewApp::open(store.open_session(&id)?)?)
        }
        None => None,
    };
    anyhow::ensure!(emotrace::tui::caps::TermCaps::from_env().screen, emotrace::tui::caps::TermCaps::refusal("review"));
    anyhow::ensure!(
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
        "review needs a terminal (use `emotrace export` or `emotrace report` in scripts)"
    );
    let tui_cfg = TuiConfig { ascii: cfg.tui.ascii || args.ascii, ..cfg.tui.clone() };
    let theme = Theme::from_config(&tui_cfg);
    let stop = Arc::new(AtomicBool::new(false));
    let rt = runtime()?;
    rt.block_on(async {
        let signals = Signals::install()?;
        signals.watch(stop.clone());
        let interrupted = signals.interrupted_flag();
        let screen_stop = stop.clone();
        let screen = std::thread::Builder::new()
            .name("review-screen".into())
            .spawn(move || review::run(store, open, &theme, screen_stop))?;
        wait_for_screen(screen, &stop, &interrupted, || {}).await?;
        Ok(if signals.interrupted() { Outcome::Interrupted } else { Outcome::Done })
    })
}
