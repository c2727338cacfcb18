//! The review screens: the sessions browser and one session under review, annotated in place.
//!
//! | module | role |
//! | --- | --- |
//! | [`browser`] | the stored sessions; open, delete (with confirmation), mark to compare |
//! | [`compare`] | the marked sessions side by side |
//! | [`app`] | one session under review: view, cursor, panels, edits (pure, no terminal) |
//! | [`input`] | its keys in normal mode, each mapped to a [`input::ReviewAction`] |
//! | [`view`] | the visible window, zoom levels and cursor arithmetic |
//! | [`render`] | drawing the session screen |
//!
//! Every edit (marker, note, annotation change or deletion, track name, merge) goes to the store before the
//! key is answered, so a crash or a dropped SSH link loses nothing. The session on screen holds its database's
//! lock; a live recording of another session goes on meanwhile (one sled database per session).

pub mod app;
pub mod browser;
pub mod compare;
pub mod input;
pub mod render;
pub mod view;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{self, Event, KeyEventKind};

pub use app::ReviewApp;
pub use browser::Browser;

use crate::store::Store;
use crate::tui::notice::Level;
use crate::tui::terminal;
use crate::tui::theme::Theme;

/// How often the browser lists the sessions again (a recording's progress, new sessions).
const REFRESH: Duration = Duration::from_secs(2);
/// Longest wait for a key, so `stop` is looked at often enough.
const POLL: Duration = Duration::from_millis(200);

enum Screen {
    Browser,
    Session(Box<ReviewApp>),
    Compare(Box<compare::CompareScreen>),
}

/// Owns the terminal until the user quits or `stop` becomes true: the sessions browser, or the session `open`
/// (already opened by the caller, so that a missing or locked session is reported before the terminal is
/// taken). The terminal is restored on every exit path.
///
/// Errors: the terminal cannot be set up or written to; the store cannot be listed.
pub fn run(store: Store, open: Option<ReviewApp>, theme: &Theme, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let mut browser = Browser::new(store)?;
    let mut screen = match open {
        Some(app) => Screen::Session(Box::new(app)),
        None => Screen::Browser,
    };
    let mut guard = terminal::init().context("cannot set up the terminal")?;
    let mut dirty = true;
    let mut last_refresh = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        anyhow::ensure!(!terminal::panicked(), "a thread panicked while the review screen was up (terminal restored)");
        let now = Instant::now();
        match &mut screen {
            Screen::Browser if now.duration_since(last_refresh) >= REFRESH => {
                last_refresh = now;
                dirty |= browser.refresh().unwrap_or(false);
            }
            Screen::Session(app) => dirty |= app.expire_notice(now),
            _ => {}
        }
        if dirty {
            // What the frame shows is read before drawing: drawing reads no file and changes nothing.
            let size = guard.terminal.size().context("cannot read the terminal size")?;
            match &mut screen {
                Screen::Session(app) => render::prepare(app, size),
                Screen::Compare(view) => view.prepare(theme, size),
                Screen::Browser => {}
            }
            guard
                .terminal
                .draw(|f| match &screen {
                    Screen::Browser => browser::draw(f, &browser, theme),
                    Screen::Session(app) => render::draw(f, app, theme),
                    Screen::Compare(view) => compare::draw(f, view, theme),
                })
                .context("cannot draw the review screen")?;
            dirty = false;
        }
        if !event::poll(POLL).context("cannot read the terminal")? {
            continue;
        }
        match event::read().context("cannot read the terminal")? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                dirty = true;
                match &mut screen {
                    Screen::Browser => match browser.key(k) {
                        browser::BrowserExit::Stay => {}
                        browser::BrowserExit::Quit => break,
                        browser::BrowserExit::Compare(ids) => {
                            match crate::analytics::session_view::CompareView::load(browser.store(), &ids) {
                                Ok(data) => screen = Screen::Compare(Box::new(compare::CompareScreen::new(data))),
                                Err(e) => browser.notify(Level::Error, format!("error: {e:#}")),
                            }
                        }
                        browser::BrowserExit::Open(id) => {
                            match browser
                                .store()
                                .open_session(&id)
                                .map_err(anyhow::Error::from)
                                .and_then(ReviewApp::open)
                            {
                                Ok(app) => screen = Screen::Session(Box::new(app)),
                                Err(e) => browser.notify(Level::Error, format!("error: {e:#}")),
                            }
                        }
                    },
                    Screen::Compare(view) => {
                        if view.key(k) == compare::CompareExit::Back {
                            screen = Screen::Browser;
                            let _ = browser.refresh();
                        }
                    }
                    Screen::Session(app) => match app.key(k) {
                        app::Exit::Stay => {}
                        app::Exit::Quit => break,
                        app::Exit::Back => {
                            // Closing the session gives its database lock back.
                            screen = Screen::Browser;
                            let _ = browser.refresh();
                        }
                    },
                }
            }
            Event::Resize(..) => dirty = true,
            _ => {}
        }
    }
    guard.restore();
    Ok(())
}
