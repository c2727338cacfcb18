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
use emotrace::capture::{CameraSpec, Input};
use emotrace::config::{Config, TuiConfig};
use emotrace::pipeline::RunningPipeline;
use emotrace::store::{AnnotationKind, Store};
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
/// Errors: not a terminal, the input cannot be opened, a model is missing, the store cannot be written, the
/// screen cannot be drawn.
pub fn run(cfg: &Config, store: Option<&Path>, args: &LiveArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(emotrace::tui::caps::TermCaps::from_env().screen, emotrace::tui::caps::TermCaps::refusal("live"));
    anyhow::ensure!(
        std::io::stdout().is_terminal(),
        "live needs a terminal on stdout; for a headless run use `emotrace analyze INPUT`"
    );
    let cfg = &super::record::resolved_config(cfg, &args.pipeline)?;
    let input = live_input(cfg, args);
    let tui_cfg = screen_config(cfg, args)?;
    runtime()?.block_on(run_session(cfg, store, args, &input, tui_cfg))
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

/// The engine's side of the screen: events to it, requests from it, and whether results are being stored.
struct ScreenLink {
    events: Sender<LiveEvent>,
    commands: Receiver<LiveCommand>,
    recording: bool,
}

impl ScreenLink {
    /// Carries out the screen's pending requests on `recorder`; see [`serve_commands`].
    fn serve(&mut self, recorder: &mut Recorder) {
        serve_commands(&self.commands, &self.events, recorder, &mut self.recording);
    }
}

/// Runs the pipeline on `input` with the screen up, storing every result, until the source ends and the user
/// quits (or a signal, a hang-up); then finalizes the session and says where it was stored.
async fn run_session(
    cfg: &Config,
    store: Option<&Path>,
    args: &LiveArgs,
    input: &Input,
    tui_cfg: TuiConfig,
) -> anyhow::Result<Outcome> {
    let mut running = start_pipeline(cfg, input, &args.pipeline, true)?;
    let mut recorder = Recorder::start(cfg, store, &running, !args.no_record)?;
    let stop = running.stop_flag();
    let signals = Signals::install()?;
    signals.watch(stop.clone());
    let interrupted = signals.interrupted_flag();

    let info = LiveInfo {
        source: running.info.name.clone(),
        session_id: recorder.session_id(),
        recording: !args.no_record,
        model: running.model_description.clone(),
        first_run: first_run(cfg, store, recorder.session_id().as_deref()),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel::<LiveCommand>();
    let screen = spawn_screen(info, rx, cmd_tx, stop.clone(), tui_cfg)?;
    let mut link = ScreenLink { events: tx, commands: cmd_rx, recording: !args.no_record };

    let store_err = forward_results(&mut running, &mut recorder, &mut link, &stop, &interrupted).await;
    let outcome = match store_err {
        Some(e) => {
            let _ = running.join().await;
            Err(e)
        }
        None => running.join().await,
    };
    let _ = link.events.send(LiveEvent::Finished(outcome.as_ref().map(|_| ()).map_err(|e| format!("{e:#}"))));
    // The source has ended; the screen stays until the user quits, and markers made meanwhile are stored.
    // After a signal or a hang-up the screen gets one second to give the terminal back: a terminal that is
    // gone can leave crossterm's reader spinning, and the session must be finalized all the same.
    let screen_result = wait_for_screen(screen, &stop, &interrupted, || link.serve(&mut recorder)).await;
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let record = recorder.finish(&outcome, was_interrupted);
    drop(link);
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

/// Stores every result while recording and sends it to the screen, serving the screen's requests every
/// 100 ms with or without new frames, until the pipeline's results end. Returns the store's error, if one
/// stopped the run (the pipeline is then asked to stop).
async fn forward_results(
    running: &mut RunningPipeline,
    recorder: &mut Recorder,
    link: &mut ScreenLink,
    stop: &AtomicBool,
    interrupted: &AtomicBool,
) -> Option<anyhow::Error> {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    let source_link = running.link.clone();
    let mut shown_link = (None, 0);
    loop {
        tokio::select! {
            r = running.results.recv() => {
                // The results end with the pipeline: no store error.
                let r = r?;
                if link.recording {
                    if let Err(e) = recorder.write(&r) {
                        running.stop();
                        return Some(e);
                    }
                }
                // The screen may be gone (user quit); keep storing until the pipeline stops.
                let _ = link.events.send(LiveEvent::Frame(r));
            }
            _ = tick.tick() => {}
        }
        if let Some(l) = &source_link {
            let now = {
                let state = l.lock().unwrap_or_else(|p| p.into_inner());
                (state.reconnecting, state.gaps.len())
            };
            if now != shown_link {
                shown_link = now;
                let _ = link.events.send(LiveEvent::Link { reconnecting: now.0, gaps: now.1 });
            }
        }
        link.serve(recorder);
        note_hangup(stop, interrupted);
    }
}

/// Carries out the screen's pending requests, answering each with a notice.
fn serve_commands(
    commands: &std::sync::mpsc::Receiver<LiveCommand>,
    screen: &std::sync::mpsc::Sender<LiveEvent>,
    recorder: &mut Recorder,
    recording: &mut bool,
) {
    while let Ok(cmd) = commands.try_recv() {
        let (level, text) = apply_command(recorder, recording, cmd);
        let _ = screen.send(LiveEvent::Notice(level, text));
    }
}

/// Carries out one request from the screen on the session and returns the one-line answer shown there, with
/// its level.
fn apply_command(recorder: &mut Recorder, recording: &mut bool, cmd: LiveCommand) -> (Level, String) {
    let Some(w) = recorder.writer_mut() else {
        return (Level::Warning, "not recording (--no-record): nothing stored".into());
    };
    let r = match cmd {
        LiveCommand::Marker { at_ms, label } => w
            .annotate(AnnotationKind::Marker, at_ms, None, &label, None)
            .map(|_| format!("marker '{label}' stored at {}", emotrace::fmt::clock(at_ms))),
        LiveCommand::NameTrack { track_id, name } => {
            w.name_track(track_id, &name).map(|_| format!("{} named '{name}'", emotrace::fmt::face_label(track_id)))
        }
        LiveCommand::SetRecording(on) => {
            *recording = on;
            Ok(if on { "recording to the store".into() } else { "recording paused: frames are not stored".into() })
        }
    };
    match r {
        Ok(text) => (Level::Success, text),
        Err(e) => (Level::Error, format!("store error: {e:#}")),
    }
}
