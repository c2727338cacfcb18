//! The live terminal screen: a client of the pipeline that draws what it is sent and knows nothing about how
//! frames are made.
//!
//! The engine sends [`LiveEvent`]s over a `std::sync::mpsc` channel; [`run_live`] owns the terminal, drains
//! every pending event between two draws, redraws at most [`TuiConfig::ui_fps`] times per second, and answers
//! keys. The pieces, in the style of trippy's `frontend/`:
//!
//! | module | role |
//! | --- | --- |
//! | [`app`] | screen state: per-track history, names, selection, class shares, prompt, notices (pure, no terminal) |
//! | [`notice`] | one-line messages with a [`Level`] (info, success, warning, error) |
//! | [`input`] | keys to [`input::Action`]s, and prompt keys to [`input::PromptKey`]s |
//! | [`render`] | one module per widget: header, class strip, face panels, preview, footer, help |
//! | [`theme`] | colours (or none, for `NO_COLOR`) and Unicode or ASCII symbols |
//! | [`caps`] | what `TERM` and the locale allow: full screen or not, 8/16/256 colours, UTF-8 or ASCII |
//! | [`terminal`] | raw mode and alternate screen on, and off again on every exit path (panic hook, guard) |
//!
//! The screen answers back with [`LiveCommand`]s (event markers, track names, recording on/off) over a second
//! channel; the engine stores them at once and confirms with [`LiveEvent::Notice`].
//!
//! Sending side: use an unbounded channel (or a bounded one with `try_send`) so that the pipeline never waits
//! for the screen.

#![warn(missing_docs)]

pub mod app;
pub mod caps;
pub mod input;
pub mod notice;
pub mod render;
pub mod review;
pub mod terminal;
pub mod textinput;
pub mod theme;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{self, Event, KeyEventKind};

pub use crate::config::TuiConfig;
pub use app::App;
pub use input::Action;
pub use notice::{Level, Notice};
pub use theme::Theme;

/// Static facts shown in the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveInfo {
    /// What is being read: a file name or a camera description.
    pub source: String,
    /// Id of the stored session, `None` when nothing is recorded.
    pub session_id: Option<String>,
    /// Whether results are being written to the store at start; the screen then follows the `r` key itself.
    pub recording: bool,
    /// Short description of the emotion model (e.g. `"ensemble"`).
    pub model: String,
    /// The store held no session before this one: the screen opens with a notice pointing to the help, which
    /// says where the tool may be used ([`crate::lawful_use`]).
    pub first_run: bool,
}

/// What the engine sends to the screen.
#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// One processed frame: its faces, the pipeline statistics and (for the preview) its image.
    Frame(crate::pipeline::FrameResult),
    /// A one-line message from the engine ("marker 'stimulus' stored at 0:12", or an error) with its level,
    /// shown for a few seconds ([`notice::NOTICE_FOR`]) in the status line.
    Notice(Level, String),
    /// The source ended (`Ok`) or failed; `Err` holds a one-line message.
    Finished(Result<(), String>),
    /// Re-identification found that track `from` is the face first seen as track `into` (it left and came back):
    /// the screen shows it under that face's label from now on.
    Joined {
        /// The new track.
        from: u32,
        /// The earlier face's first track.
        into: u32,
    },
    /// A network source's connection changed: `Some(n)` while reconnection attempt `n` is under way, `None` once
    /// it plays again; `gaps` is how many times it was lost so far.
    Link {
        /// The reconnection attempt under way, if any.
        reconnecting: Option<u32>,
        /// Times the stream was lost so far.
        gaps: usize,
    },
}

/// Requests from the screen to the engine; the engine stores them at once and answers with
/// [`LiveEvent::Notice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveCommand {
    /// Drop an event marker at `at_ms` (ms since session start: the timestamp of the newest frame shown when
    /// the marker was asked for) with a label (may be empty).
    Marker {
        /// Milliseconds since session start (source time).
        at_ms: u64,
        /// Short label typed or picked by the user; may be empty.
        label: String,
    },
    /// Name a track ("P07"); stored with the track.
    NameTrack {
        /// The track named.
        track_id: u32,
        /// Its name.
        name: String,
    },
    /// Start (true) or stop (false) storing observations; the session stays open.
    SetRecording(bool),
}

/// Longest time spent draining events before a draw is forced, so a fast producer cannot starve the screen.
const MAX_DRAIN: Duration = Duration::from_millis(50);
/// Longest wait for a key, so that `stop` and new events are looked at often enough.
const MAX_POLL: Duration = Duration::from_millis(100);

/// Owns the terminal until the user quits (q, Esc or Ctrl-C) or `stop` becomes true (a signal).
///
/// Keys that ask the engine for something (markers, track names, recording on/off; see [`input`]) send a
/// [`LiveCommand`] on `commands`; when the engine is gone the screen says so in its status line.
///
/// Redraws at most [`TuiConfig::ui_fps`] times per second, draining all pending events between draws. After
/// [`LiveEvent::Finished`] (or when the sender goes away) the last state stays on screen, with the end or the
/// error message in the header, until the user quits. The terminal is restored on every exit path, errors and
/// panics included (a panic hook restores it before the panic message is printed).
///
/// Returns `Ok` when the user quit or `stop` was set. Errors: the terminal cannot be set up or written to (an
/// SSH link that dropped), or a thread of the process panicked (the terminal is restored first).
pub fn run_live(
    info: LiveInfo,
    events: Receiver<LiveEvent>,
    commands: Sender<LiveCommand>,
    stop: Arc<AtomicBool>,
    cfg: &TuiConfig,
) -> anyhow::Result<()> {
    let theme = Theme::from_config(cfg);
    let mut screen = LiveLoop::new(App::new(info, cfg), cfg.frame_interval());
    let mut guard = terminal::init().context("cannot set up the terminal")?;
    while !(stop.load(Ordering::SeqCst) || screen.app.quit) {
        anyhow::ensure!(!terminal::panicked(), "a thread panicked while the live screen was up (terminal restored)");
        screen.drain(&events);
        screen.draw_if_due(&mut guard.terminal, &theme)?;
        screen.wait_for_keys(&commands)?;
    }
    guard.restore();
    Ok(())
}

/// The live screen's loop state: the app, whether the engine is still connected, and when to draw next.
struct LiveLoop {
    app: App,
    /// Shortest time between two draws ([`TuiConfig::frame_interval`]).
    interval: Duration,
    /// Whether the engine's sender is still there.
    connected: bool,
    /// Whether something changed since the last draw.
    dirty: bool,
    /// When the screen was last drawn; `None` to draw at once.
    last_draw: Option<Instant>,
}

impl LiveLoop {
    fn new(app: App, interval: Duration) -> Self {
        LiveLoop { app, interval, connected: true, dirty: true, last_draw: None }
    }

    /// Applies what the engine sent since the last pass, for at most [`MAX_DRAIN`].
    fn drain(&mut self, events: &Receiver<LiveEvent>) {
        if !self.connected {
            return;
        }
        let t0 = Instant::now();
        loop {
            match events.try_recv() {
                Ok(ev) => {
                    self.app.apply(ev);
                    self.dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.connected = false;
                    self.app.disconnected();
                    self.dirty = true;
                    break;
                }
            }
            if t0.elapsed() >= MAX_DRAIN {
                break;
            }
        }
    }

    /// Expires the notice when its time is up, and draws when something changed and a draw is due.
    fn draw_if_due(&mut self, terminal: &mut terminal::Screen, theme: &Theme) -> anyhow::Result<()> {
        let now = Instant::now();
        if self.app.expire_notice(now) {
            self.dirty = true;
        }
        let due = self.last_draw.is_none_or(|t| now.duration_since(t) >= self.interval);
        if self.dirty && due {
            // The layout state the frame needs is worked out before drawing: drawing changes nothing.
            render::prepare(&mut self.app, terminal.size().context("cannot read the terminal size")?);
            terminal.draw(|f| render::draw(f, &self.app, theme)).context("cannot draw the live screen")?;
            self.last_draw = Some(now);
            self.dirty = false;
        }
        Ok(())
    }

    /// Waits for a key until the next draw is due (at most [`MAX_POLL`]), then handles every key already
    /// queued, sending the engine the requests they make on `commands`.
    fn wait_for_keys(&mut self, commands: &Sender<LiveCommand>) -> anyhow::Result<()> {
        let timeout = match self.last_draw {
            Some(t) if self.dirty => self.interval.saturating_sub(t.elapsed()),
            _ => self.interval,
        }
        .min(MAX_POLL);
        if !event::poll(timeout).context("cannot read the terminal")? {
            return Ok(());
        }
        loop {
            match event::read().context("cannot read the terminal")? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if let Some(cmd) = self.app.key(k) {
                        if commands.send(cmd).is_err() {
                            self.app.notify(Level::Error, "error: the engine is gone; request not sent");
                        }
                    }
                    self.dirty = true;
                    // A key should answer at once, not at the next tick.
                    self.last_draw = None;
                }
                Event::Resize(..) => {
                    self.dirty = true;
                    self.last_draw = None;
                }
                _ => {}
            }
            if !event::poll(Duration::ZERO).context("cannot read the terminal")? {
                return Ok(());
            }
        }
    }
}
