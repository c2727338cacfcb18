//! A recorded run: the pipeline started on an input, every result stored in a new session, the session
//! finalized however the run ends (source finished, user quit, signal, error).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::capture::Input;
use crate::cli::PipelineArgs;
use crate::config::Config;
use crate::pipeline::{self, FrameResult, PipelineOptions, RunningPipeline};
use crate::store::{NewSession, SessionRecord, SessionStatus, SessionWriter, Store};

/// Pipeline options from the configuration and the command-line overrides.
pub fn pipeline_options(cfg: &Config, args: &PipelineArgs, keep_images: bool) -> PipelineOptions {
    let mut detect = cfg.detect.clone();
    if let Some(b) = args.detector {
        detect.backend = b;
    }
    if let Some(px) = args.min_face_px {
        detect.min_face_px = px;
    }
    if let Some(s) = args.detect_scale {
        detect.scale = s;
    }
    PipelineOptions {
        models_dir: cfg.models_dir(),
        detect,
        detect_every: args.detect_every,
        track: cfg.track.clone(),
        model: args.model.unwrap_or(cfg.classify.model),
        smoothing_half_life_s: cfg.classify.smoothing_half_life_s,
        min_classify_hz: cfg.classify.min_rate_hz,
        channel_capacity: cfg.pipeline.channel_capacity,
        stats_window_s: cfg.pipeline.stats_window_s,
        realtime: args.realtime,
        looped: args.looped,
        keep_images,
    }
}

/// Sets `flag` when SIGINT, SIGTERM or SIGHUP arrives (SIGHUP: the SSH link dropped). Must be called inside
/// the tokio runtime.
///
/// Errors: the handlers cannot be installed.
pub fn stop_on_signals(flag: Arc<AtomicBool>, interrupted: Arc<AtomicBool>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()] {
        let mut s = signal(kind)?;
        let flag = flag.clone();
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if s.recv().await.is_some() {
                interrupted.store(true, Ordering::SeqCst);
                flag.store(true, Ordering::SeqCst);
            }
        });
    }
    Ok(())
}

/// An open store and the session being written, or nothing with `--no-record`.
pub struct Recorder {
    writer: Option<SessionWriter>,
}

impl Recorder {
    /// Opens the store and creates a session for `running`'s source; with `record == false`, stores nothing.
    ///
    /// Errors: the store cannot be opened or the session created.
    pub fn start(
        cfg: &Config,
        store_flag: Option<&Path>,
        running: &RunningPipeline,
        record: bool,
    ) -> anyhow::Result<Recorder> {
        if !record {
            return Ok(Recorder { writer: None });
        }
        let store = Store::open(&cfg.store_dir(store_flag)?)?;
        let writer = store.create_session(NewSession {
            source: running.info.name.clone(),
            source_kind: running.info.kind,
            models: running.model_description.clone(),
            config: serde_json::to_value(cfg)?,
        })?;
        Ok(Recorder { writer: Some(writer) })
    }

    /// The session id, when recording.
    pub fn session_id(&self) -> Option<String> {
        self.writer.as_ref().map(|w| w.id().to_string())
    }

    /// The session writer, when recording.
    pub fn writer_mut(&mut self) -> Option<&mut SessionWriter> {
        self.writer.as_mut()
    }

    /// Stores one result.
    ///
    /// Errors: the store cannot be written.
    pub fn write(&mut self, r: &FrameResult) -> anyhow::Result<()> {
        match &mut self.writer {
            Some(w) => Ok(w.write(r)?),
            None => Ok(()),
        }
    }

    /// Finalizes the session from how the run ended: an error -> failed (with the message), a signal ->
    /// interrupted, else completed.
    ///
    /// Errors: the store cannot be written.
    pub fn finish(self, outcome: &anyhow::Result<()>, interrupted: bool) -> anyhow::Result<Option<SessionRecord>> {
        let Some(w) = self.writer else { return Ok(None) };
        let (status, error) = match outcome {
            Err(e) => (SessionStatus::Failed, Some(format!("{e:#}"))),
            Ok(()) if interrupted => (SessionStatus::Interrupted, None),
            Ok(()) => (SessionStatus::Completed, None),
        };
        Ok(Some(w.finish(status, error)?))
    }
}

/// The input for a file or folder INPUT: a folder with `--frame-rate` is a frame sequence, anything else is
/// read by its kind (video, image, folder of photos).
pub fn file_input(path: &Path, args: &PipelineArgs) -> Input {
    match args.frame_rate {
        Some(fps) if path.is_dir() => Input::Sequence(path.to_path_buf(), fps),
        _ => Input::Path(path.to_path_buf()),
    }
}

/// Builds the tokio runtime the engine runs on.
///
/// Errors: the runtime cannot start.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Starts the pipeline on `input` with the options from `cfg` and `args`.
///
/// Errors: as [`pipeline::start`].
pub fn start_pipeline(
    cfg: &Config,
    input: &Input,
    args: &PipelineArgs,
    keep_images: bool,
) -> anyhow::Result<RunningPipeline> {
    pipeline::start(input, pipeline_options(cfg, args, keep_images))
}
