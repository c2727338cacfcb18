//! `emotrace live [INPUT] [--camera N]`: the live screen. The engine runs on tokio, the screen on its own
//! thread; every result is stored as it arrives, and the session is finalized however the run ends.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::record::{runtime, start_pipeline, stop_on_signals, Recorder};
use super::Outcome;
use crate::capture::{CameraSpec, Input};
use crate::cli::PipelineArgs;
use crate::config::Config;
use crate::tui::{self, LiveEvent, LiveInfo};

/// Arguments of `live`.
#[derive(Debug, Clone)]
pub struct LiveArgs {
    /// A file or folder; `None` for a camera.
    pub input: Option<PathBuf>,
    /// Camera index or name substring.
    pub camera: Option<String>,
    /// Pipeline overrides.
    pub pipeline: PipelineArgs,
    /// Store nothing.
    pub no_record: bool,
    /// Screen refresh cap, frames per second.
    pub ui_fps: Option<u32>,
    /// ASCII-only drawing.
    pub ascii: bool,
}

/// The input `live` reads: the given file, else the camera from `--camera` or the configuration.
pub fn live_input(cfg: &Config, args: &LiveArgs) -> Input {
    if let Some(p) = &args.input {
        return Input::Path(p.clone());
    }
    let nonzero = |v: u32| (v > 0).then_some(v);
    let mut spec = CameraSpec {
        index: Some(cfg.camera.index),
        name: None,
        width: nonzero(cfg.camera.width),
        height: nonzero(cfg.camera.height),
        fps: nonzero(cfg.camera.fps),
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
pub fn run(cfg: &Config, store: Option<&Path>, args: LiveArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        std::io::stdout().is_terminal(),
        "live needs a terminal on stdout; for a headless run use `emotrace analyze INPUT`"
    );
    let input = live_input(cfg, &args);
    let mut tui_cfg = cfg.tui.clone();
    if let Some(f) = args.ui_fps {
        tui_cfg.ui_fps = f;
    }
    tui_cfg.ascii |= args.ascii;

    let rt = runtime()?;
    rt.block_on(async {
        let mut running = start_pipeline(cfg, &input, &args.pipeline, false)?;
        let mut recorder = Recorder::start(cfg, store, &running, !args.no_record)?;
        let stop = running.stop_flag();
        let interrupted = Arc::new(AtomicBool::new(false));
        stop_on_signals(stop.clone(), interrupted.clone())?;

        let info = LiveInfo {
            source: running.info.name.clone(),
            session_id: recorder.session_id(),
            recording: !args.no_record,
            model: running.model_description.clone(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let screen = {
            let stop = stop.clone();
            std::thread::Builder::new().name("screen".into()).spawn(move || {
                let r = tui::run_live(info, rx, stop.clone(), &tui_cfg);
                // However the screen ended, the engine stops too.
                stop.store(true, Ordering::SeqCst);
                r
            })?
        };

        let mut store_err = None;
        while let Some(r) = running.results.recv().await {
            if let Err(e) = recorder.write(&r) {
                store_err = Some(e);
                running.stop();
                break;
            }
            // The screen may be gone (user quit); keep storing until the pipeline stops.
            let _ = tx.send(LiveEvent::Frame(r));
        }
        let outcome = match store_err {
            Some(e) => {
                let _ = running.join().await;
                Err(e)
            }
            None => running.join().await,
        };
        let was_interrupted = interrupted.load(Ordering::SeqCst);
        let record = recorder.finish(&outcome, was_interrupted);
        let _ = tx.send(LiveEvent::Finished(outcome.as_ref().map(|_| ()).map_err(|e| format!("{e:#}"))));
        drop(tx);
        let screen_result = tokio::task::spawn_blocking(move || screen.join())
            .await
            .map_err(|e| anyhow::anyhow!("screen thread: {e}"))?
            .map_err(|_| anyhow::anyhow!("the screen thread panicked (terminal restored)"))?;
        let record = record?;
        outcome?;
        screen_result?;
        if let Some(r) = record {
            eprintln!(
                "emotrace: session {} {} ({} frames, {} track(s)) in {}",
                r.id,
                r.status.name(),
                r.frames,
                r.tracks,
                cfg.store_dir(store)?.display()
            );
        }
        Ok(if was_interrupted { Outcome::Interrupted } else { Outcome::Done })
    })
}
