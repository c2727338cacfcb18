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
pub mod render;
pub mod review;
pub mod terminal;
pub mod theme;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{self, Event, KeyEventKind};
use serde::{Deserialize, Serialize};

pub use app::App;
pub use input::Action;
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
}

/// What the engine sends to the screen.
#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// One processed frame: its faces, the pipeline statistics and (for the preview) its image.
    Frame(crate::pipeline::FrameResult),
    /// A one-line message from the engine ("marker 'stimulus' stored at 0:12", or an error), shown for a few
    /// seconds ([`app::NOTICE_MS`]) in the status line.
    Notice(String),
    /// The source ended (`Ok`) or failed; `Err` holds a one-line message.
    Finished(Result<(), String>),
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

/// Screen settings: the `[tui]` table of the configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// Refresh cap, redraws per second (FPS); 0 is read as 1. Default 4 (light enough for SSH: about 1.3 KB/s at
    /// 80x24 with one face).
    pub ui_fps: u32,
    /// Span of each face's sparkline, seconds of source time. Default 60.
    pub history_seconds: f64,
    /// ASCII-only drawing: no Unicode box, block or braille characters. Default false.
    pub ascii: bool,
    /// Colours; false draws in monochrome. `NO_COLOR` in the environment also turns them off. Default true.
    pub color: bool,
    /// A face not seen for this many seconds (source time) is greyed. Default 2.
    pub stale_seconds: f64,
    /// A face not seen for this many seconds (source time) is removed from the screen. Default 10.
    pub forget_seconds: f64,
    /// Show the frame preview (half-block picture with the face boxes) at start; `v` toggles it. Default false.
    pub preview: bool,
    /// Labels of the quick markers sent by keys `1`..`9`, in order (at most 9 are used). Default
    /// `["stimulus", "break", "question", "task start", "task end"]`.
    pub marker_labels: Vec<String>,
    /// Span of the "recent" row of the class strip, seconds of source time. Default 120.
    pub class_window_s: f64,
}

impl Default for TuiConfig {
    /// The `[tui]` table of the shipped `config/default.toml` ([`crate::config::DEFAULT_TOML`]): the defaults
    /// are written there only, with their comments. A key missing there, or the table, is a bug of the shipped
    /// file and panics (the tests of `config` read it).
    fn default() -> Self {
        let table: toml::Table = crate::config::DEFAULT_TOML.parse().expect("config/default.toml is TOML");
        let tui = table.get("tui").cloned().expect("config/default.toml has a [tui] table");
        TuiConfigAllKeys::deserialize(tui).unwrap_or_else(|e| panic!("config/default.toml, [tui]: {e}"))
    }
}

/// [`TuiConfig`] with every key required: how [`TuiConfig::default`] reads the shipped table (the struct's own
/// `#[serde(default)]` would ask `Default` for the keys a table leaves out, and so call itself). Names and types
/// only, no values.
#[derive(Deserialize)]
#[serde(remote = "TuiConfig", deny_unknown_fields)]
struct TuiConfigAllKeys {
    ui_fps: u32,
    history_seconds: f64,
    ascii: bool,
    color: bool,
    stale_seconds: f64,
    forget_seconds: f64,
    preview: bool,
    marker_labels: Vec<String>,
    class_window_s: f64,
}

impl TuiConfig {
    /// Minimum time between two draws (from [`TuiConfig::ui_fps`], at most 1 s).
    pub fn frame_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / f64::from(self.ui_fps.clamp(1, 1000)))
    }
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
    let mut app = App::new(info, cfg);
    let mut guard = terminal::init().context("cannot set up the terminal")?;
    let interval = cfg.frame_interval();
    let mut connected = true;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;

    loop {
        if stop.load(Ordering::SeqCst) || app.quit {
            break;
        }
        anyhow::ensure!(!terminal::panicked(), "a thread panicked while the live screen was up (terminal restored)");

        // Drain what the engine sent since the last pass (bounded in time).
        if connected {
            let t0 = Instant::now();
            loop {
                match events.try_recv() {
                    Ok(ev) => {
                        app.apply(ev);
                        dirty = true;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        connected = false;
                        app.disconnected();
                        dirty = true;
                        break;
                    }
                }
                if t0.elapsed() >= MAX_DRAIN {
                    break;
                }
            }
        }

        let now = Instant::now();
        if app.expire_notice(now) {
            dirty = true;
        }
        let due = last_draw.is_none_or(|t| now.duration_since(t) >= interval);
        if dirty && due {
            guard.terminal.draw(|f| render::draw(f, &mut app, &theme)).context("cannot draw the live screen")?;
            last_draw = Some(now);
            dirty = false;
        }

        // Wait for a key until the next draw is due (or a little while when idle).
        let timeout = match last_draw {
            Some(t) if dirty => interval.saturating_sub(t.elapsed()),
            _ => interval,
        }
        .min(MAX_POLL);
        if event::poll(timeout).context("cannot read the terminal")? {
            // Handle everything already queued before drawing again.
            loop {
                match event::read().context("cannot read the terminal")? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => {
                        if let Some(cmd) = app.key(k) {
                            if commands.send(cmd).is_err() {
                                app.notify("error: the engine is gone; request not sent", true);
                            }
                        }
                        dirty = true;
                        // A key should answer at once, not at the next tick.
                        last_draw = None;
                    }
                    Event::Resize(..) => {
                        dirty = true;
                        last_draw = None;
                    }
                    _ => {}
                }
                if !event::poll(Duration::ZERO).context("cannot read the terminal")? {
                    break;
                }
            }
        }
    }
    guard.restore();
    Ok(())
}
