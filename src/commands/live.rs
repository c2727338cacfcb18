//! `emotrace live [INPUT] [--camera N]`: the live screen. The engine runs on tokio, the screen on its own
//! thread; every result is stored as it arrives, and the session is finalized however the run ends.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::record::{start_pipeline, Recorder};
use super::runtime::{runtime, Signals};
use super::screen_thread::{note_hangup, wait_for_screen};
use super::Outcome;
use crate::cli::LiveArgs;
use axum::http::StatusCode;
use emotrace::api::events::{Event, MarkerEvent, NameEvent, SessionStart, SessionStop};
use emotrace::api::server::{self, Api, ApiConfig, ApiError, MarkerRequest};
use emotrace::capture::{CameraSpec, Input};
use emotrace::config::{Config, TuiConfig};
use emotrace::pipeline::reid_stage::{take_new, SharedJoins};
use emotrace::pipeline::{FrameResult, RunningPipeline};
use emotrace::store::{Annotation, AnnotationKind, Store};
use emotrace::tui::{self, Level, LiveCommand, LiveEvent, LiveInfo};

/// The input `live` reads: the given file, else the camera from `--camera` or the configuration.
pub fn live_input(cfg: &Config, args: &LiveArgs) -> Input {
    if let Some(p) = &args.input {
        return super::record::file_input(p, &args.pipeline);
    }
    let nonzero = |v: u32| (v > 0).then_some(v);
    let mut spec = CameraSpec {
        index: Some(cfg.camera.index),
        name: None,
        width: args.width.or(nonzero(cfg.camera.width)),
        height: args.height.or(nonzero(cfg.camera.height)),
        fps: args.camera_fps.or(nonzero(cfg.camera.fps)),
    };
    if let Some(c) = &args.camera {
        match c.parse::<u32>() {
            Ok(i) => spec.index = Some(i),
            Err(_) => (spec.index, spec.name) = (None, Some(c.clone())),
        }
    }
    Input::Camera(spec)
}

/// Runs `live`.
///
/// Errors: `--listen` beyond loopback without a token; not a terminal (without `--headless`); the address cannot
/// be bound; the input cannot be opened, a model is missing, the store cannot be written, the screen cannot be
/// drawn.
pub fn run(cfg: &Config, store: Option<&Path>, args: &LiveArgs) -> anyhow::Result<Outcome> {
    let api = args.listen.map(|addr| ApiConfig { addr, token: args.token.clone() });
    if let Some(api) = &api {
        api.check().map_err(anyhow::Error::msg)?;
    }
    if !args.headless {
        anyhow::ensure!(
            emotrace::tui::caps::TermCaps::from_env().screen,
            emotrace::tui::caps::TermCaps::refusal("live")
        );
        anyhow::ensure!(
            std::io::stdout().is_terminal(),
            "live needs a terminal on stdout; --headless runs it without the screen (e.g. with --listen), and \
             `emotrace analyze INPUT` analyses a file"
        );
    }
    let cfg = &super::record::resolved_config(cfg, &args.pipeline)?;
    let input = live_input(cfg, args);
    let tui_cfg = if args.headless { None } else { Some(screen_config(cfg, args)?) };
    runtime()?.block_on(run_session(cfg, store, args, &input, tui_cfg, api))
}

/// Whether the store holds no session but `this` (the one just created, if any): the first run, whose screen opens
/// with a notice pointing to the help's lawful-use line. A store that cannot be read counts as not the first run.
fn first_run(cfg: &Config, store: Option<&Path>, this: Option<&str>) -> bool {
    let sessions = cfg.store_dir(store).ok().and_then(|dir| Store::open_existing(&dir).ok()?.list_sessions().ok());
    sessions.is_some_and(|s| s.iter().all(|r| Some(r.id.as_str()) == this))
}

/// The screen's configuration: the configured one with `--ui-fps` (checked) and `--ascii` applied.
fn screen_config(cfg: &Config, args: &LiveArgs) -> anyhow::Result<TuiConfig> {
    let mut tui_cfg = cfg.tui.clone();
    if let Some(f) = args.ui_fps {
        tui_cfg.ui_fps = f;
        anyhow::Context::context(emotrace::config::check_tui(&tui_cfg), "--ui-fps")?;
    }
    tui_cfg.ascii |= args.ascii;
    Ok(tui_cfg)
}

/// The engine's side of the screen: events to it, requests from it.
struct ScreenLink {
    events: Sender<LiveEvent>,
    commands: Receiver<LiveCommand>,
}

/// Where each result goes (the store, the screen, the API's clients) and where requests come from (the screen's
/// keys, `POST /markers`); one value, so that a marker from either is stored and announced the same way.
struct Sinks {
    recorder: Recorder,
    screen: Option<ScreenLink>,
    api: Option<Api>,
    /// Whether results are being stored (the screen's `r` key).
    recording: bool,
    /// The newest frame's time, ms since the session start: the time of a marker sent without one.
    now_ms: u64,
    /// Re-identification's joins and how many of them the screen was told.
    joins: Option<(SharedJoins, usize)>,
}

impl Sinks {
    /// Stores one result while recording, publishes it to the API's clients and sends it to the screen.
    ///
    /// Errors: the store cannot be written.
    fn frame(&mut self, r: FrameResult) -> anyhow::Result<()> {
        if self.recording {
            self.recorder.write(&r)?;
        }
        self.now_ms = self.now_ms.max(r.timestamp_ms);
        if let Some(api) = &self.api {
            api.publish_frame(&r);
        }
        if let Some(s) = &self.screen {
            // The screen may be gone (user quit); keep storing until the pipeline stops.
            let _ = s.events.send(LiveEvent::Frame(r));
            if let Some((shared, taken)) = &mut self.joins {
                for j in take_new(shared, taken) {
                    let _ = s.events.send(LiveEvent::Joined { from: j.from, into: j.into });
                }
            }
        }
        Ok(())
    }

    /// A one-line message for the screen, if there is one.
    fn notice(&self, level: Level, text: String) {
        if let Some(s) = &self.screen {
            let _ = s.events.send(LiveEvent::Notice(level, text));
        }
    }

    /// Carries out every pending request: the screen's, answered with a notice, and the API's markers.
    fn serve(&mut self) {
        while let Some(cmd) = self.screen.as_ref().and_then(|s| s.commands.try_recv().ok()) {
            let (level, text) = self.apply_command(cmd);
            self.notice(level, text);
        }
        while let Some(req) = self.api.as_mut().and_then(|a| a.requests.try_recv().ok()) {
            self.api_marker(req);
        }
    }

    /// Stores a marker asked for through `POST /markers`, exactly as the marker key does (at the newest frame's
    /// time unless the request gives one), and answers the request with it.
    fn api_marker(&mut self, req: MarkerRequest) {
        let at_ms = req.at_ms.unwrap_or(self.now_ms);
        let r = if at_ms > self.now_ms {
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("at_ms {at_ms} is after the newest frame ({} ms since the session start)", self.now_ms),
            ))
        } else {
            self.store_marker(at_ms, &req.label, "api").map_err(|(status, e)| ApiError::new(status, e))
        };
        if let Ok(a) = &r {
            self.notice(
                Level::Success,
                format!("marker '{}' stored at {} (API)", a.label, emotrace::fmt::clock(a.start_ms)),
            );
        }
        let _ = req.reply.send(r);
    }

    /// Stores a marker and announces it to the API's clients.
    ///
    /// Errors: not recording (409), the store cannot be written (500); with the HTTP status they answer with.
    fn store_marker(&mut self, at_ms: u64, label: &str, by: &'static str) -> Result<Annotation, (StatusCode, String)> {
        let Some(w) = self.recorder.writer_mut() else {
            return Err((StatusCode::CONFLICT, "not recording (--no-record): nothing stored".into()));
        };
        let a = w
            .annotate(AnnotationKind::Marker, at_ms, None, label, None)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("store error: {e:#}")))?;
        if let Some(api) = &self.api {
            api.publish(&Event::Marker(MarkerEvent::stored(&a, by)));
        }
        Ok(a)
    }

    /// Carries out one request from the screen on the session and returns the one-line answer shown there, with
    /// its level.
    fn apply_command(&mut self, cmd: LiveCommand) -> (Level, String) {
        if self.recorder.writer().is_none() {
            return (Level::Warning, "not recording (--no-record): nothing stored".into());
        }
        let r = match cmd {
            LiveCommand::Marker { at_ms, label } => self
                .store_marker(at_ms, &label, "screen")
                .map(|_| format!("marker '{label}' stored at {}", emotrace::fmt::clock(at_ms)))
                .map_err(|(_, e)| anyhow::anyhow!(e)),
            LiveCommand::NameTrack { track_id, name } => {
                let r = match self.recorder.writer_mut() {
                    Some(w) => w.name_track(track_id, &name).map_err(|e| anyhow::anyhow!("store error: {e:#}")),
                    None => Err(anyhow::anyhow!("not recording")),
                };
                if let (Ok(()), Some(api)) = (&r, &self.api) {
                    let name = emotrace::text::clean_label(&name);
                    api.publish(&Event::Name(NameEvent { track: track_id, name }));
                }
                r.map(|_| format!("{} named '{name}'", emotrace::fmt::face_label(track_id)))
            }
            LiveCommand::SetRecording(on) => {
                self.recording = on;
                if let Some(api) = &self.api {
                    api.set_recording(on);
                }
                Ok(if on { "recording to the store".into() } else { "recording paused: frames are not stored".into() })
            }
        };
        match r {
            Ok(text) => (Level::Success, text),
            Err(e) => (Level::Error, format!("{e:#}")),
        }
    }
}

/// Runs the pipeline on `input` with the screen up (or headless when `tui_cfg` is `None`) and the API serving
/// when `api` is given, storing every result, until the source ends and the user quits (headless: until the
/// source ends) or a signal, a hang-up; then finalizes the session and says where it was stored.
async fn run_session(
    cfg: &Config,
    store: Option<&Path>,
    args: &LiveArgs,
    input: &Input,
    tui_cfg: Option<TuiConfig>,
    api: Option<ApiConfig>,
) -> anyhow::Result<Outcome> {
    // Bind first, so that a busy port fails before a session is created.
    let bound = api.map(server::bind).transpose()?;
    let mut running = start_pipeline(cfg, input, &args.pipeline, tui_cfg.is_some())?;
    let recorder = Recorder::start(cfg, store, &running, !args.no_record)?;
    let stop = running.stop_flag();
    let signals = Signals::install()?;
    signals.watch(stop.clone());
    let interrupted = signals.interrupted_flag();

    let session_id = recorder.session_id();
    let mut listening = None;
    let api = match bound {
        Some(b) => {
            let addr = b.local_addr()?;
            listening = Some(format!("listening on http://{addr} (GET /events, POST /markers, GET /session)"));
            let started_at = recorder
                .writer()
                .map(|w| w.record().started_at)
                .unwrap_or_else(|| chrono::Local::now().fixed_offset())
                .to_rfc3339();
            Some(b.serve(SessionStart {
                session: session_id.clone(),
                started_at,
                source: running.info.name.clone(),
                model: running.model_description.clone(),
                recording: !args.no_record,
                emotions: emotrace::Emotion::NAMES,
            }))
        }
        None => None,
    };
    let joins = running.joins.clone().map(|j| (j, 0));
    let mut sinks = Sinks { recorder, screen: None, api, recording: !args.no_record, now_ms: 0, joins };
    let screen = match tui_cfg {
        Some(tui_cfg) => {
            let info = LiveInfo {
                source: running.info.name.clone(),
                session_id: session_id.clone(),
                recording: !args.no_record,
                model: running.model_description.clone(),
                first_run: first_run(cfg, store, session_id.as_deref()),
            };
            let (tx, rx) = std::sync::mpsc::channel();
            let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<LiveCommand>();
            let screen = spawn_screen(info, rx, cmd_tx, stop.clone(), tui_cfg)?;
            sinks.screen = Some(ScreenLink { events: tx, commands: cmd_rx });
            if let Some(l) = &listening {
                sinks.notice(Level::Info, l.clone());
            }
            Some(screen)
        }
        None => {
            let what = session_id.as_deref().map_or("not recording".to_string(), |id| format!("session {id}"));
            let l = listening.map_or(String::new(), |l| format!("; {l}"));
            eprintln!("emotrace: {what}, no screen{l}");
            None
        }
    };

    let store_err = forward_results(&mut running, &mut sinks, &stop, &interrupted, screen.is_some()).await;
    let outcome = match store_err {
        Some(e) => {
            let _ = running.join().await;
            Err(e)
        }
        None => running.join().await,
    };
    let mut screen_result = Ok(());
    if let Some(screen) = screen {
        if let Some(s) = &sinks.screen {
            let _ = s.events.send(LiveEvent::Finished(outcome.as_ref().map(|_| ()).map_err(|e| format!("{e:#}"))));
        }
        // The source has ended; the screen stays until the user quits, and markers made meanwhile are stored.
        // After a signal or a hang-up the screen gets one second to give the terminal back: a terminal that is
        // gone can leave crossterm's reader spinning, and the session must be finalized all the same.
        screen_result = wait_for_screen(screen, &stop, &interrupted, || sinks.serve()).await;
    }
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let Sinks { recorder, screen: link, api, now_ms, .. } = sinks;
    let frames = running_frames(&api);
    let record = recorder.finish(&outcome, was_interrupted);
    drop(link);
    if let Some(api) = api {
        let status = match (&record, &outcome) {
            (Ok(Some(r)), _) => r.status.name().to_string(),
            (_, Err(_)) => "failed".into(),
            _ if was_interrupted => "interrupted".into(),
            _ => "not recorded".into(),
        };
        api.stop(SessionStop { session: session_id, status, t_ms: now_ms, frames }).await;
    }
    let record = record?;
    outcome?;
    screen_result?;
    if let Some(r) = record {
        eprintln!(
            "emotrace: session {} {} ({} frames, {} track(s)) in {}",
            emotrace::text::terminal_safe(&r.id),
            r.status.name(),
            r.frames,
            r.tracks,
            emotrace::text::terminal_safe(&cfg.store_dir(store)?.display().to_string())
        );
    }
    Ok(if was_interrupted { Outcome::Interrupted } else { Outcome::Done })
}

/// Frames processed, as the API's clients were last told.
fn running_frames(api: &Option<Api>) -> u64 {
    api.as_ref().map_or(0, |a| a.snapshot().pipeline.frames_processed)
}

/// Starts the screen on a thread of its own; however the screen ends, it sets `stop` so the engine stops too.
fn spawn_screen(
    info: LiveInfo,
    events: Receiver<LiveEvent>,
    commands: Sender<LiveCommand>,
    stop: Arc<AtomicBool>,
    tui_cfg: TuiConfig,
) -> std::io::Result<JoinHandle<anyhow::Result<()>>> {
    std::thread::Builder::new().name("screen".into()).spawn(move || {
        let r = tui::run_live(info, events, commands, stop.clone(), &tui_cfg);
        stop.store(true, Ordering::SeqCst);
        r
    })
}

/// Passes every result to the sinks, serving requests as they come (the API's markers at once, the screen's
/// every 100 ms with or without new frames), until the pipeline's results end. Returns the store's error, if one
/// stopped the run (the pipeline is then asked to stop). `watch_terminal`: a hung-up terminal stops the run.
async fn forward_results(
    running: &mut RunningPipeline,
    sinks: &mut Sinks,
    stop: &AtomicBool,
    interrupted: &AtomicBool,
    watch_terminal: bool,
) -> Option<anyhow::Error> {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    let source_link = running.link.clone();
    let mut shown_link = (None, 0);
    loop {
        let api_request = async {
            match sinks.api.as_mut() {
                Some(a) => a.requests.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = running.results.recv() => {
                // The results end with the pipeline: no store error.
                let r = r?;
                if let Err(e) = sinks.frame(r) {
                    running.stop();
                    return Some(e);
                }
            }
            Some(req) = api_request => sinks.api_marker(req),
            _ = tick.tick() => {}
        }
        if let Some(l) = &source_link {
            let now = {
                let state = l.lock().unwrap_or_else(|p| p.into_inner());
                (state.reconnecting, state.gaps.len())
            };
            if now != shown_link {
                shown_link = now;
                if let Some(s) = &sinks.screen {
                    let _ = s.events.send(LiveEvent::Link { reconnecting: now.0, gaps: now.1 });
                }
            }
        }
        sinks.serve();
        if watch_terminal {
            note_hangup(stop, interrupted);
        }
    }
}
