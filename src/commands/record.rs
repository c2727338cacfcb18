//! A recorded run: the pipeline started on an input, every result stored in a new session, the session
//! finalized however the run ends (source finished, user quit, signal, error). The runtime and the signals around
//! it are in [`super::runtime`].

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::cli::PipelineArgs;
use emotrace::capture::skipped::{self, SharedSkipped, Skipped};
use emotrace::capture::{rtsp, Input};
use emotrace::config::Config;
use emotrace::face::reid::Join;
use emotrace::pipeline::reid_stage::{take_new, SharedJoins};
use emotrace::pipeline::{self, FrameResult, PipelineOptions, RunningPipeline};
use emotrace::store::{AutoJoin, NewSession, SessionRecord, SessionStatus, SessionWriter, Store};

/// The configuration that runs: `cfg` with the command-line overrides of its keys applied (`--detector`,
/// `--min-face-px`, `--detect-scale`, `--model`, `--classify-hz`) and checked as a file's values are. This is what
/// the pipeline is built from and what the session stores, so the report's "configuration in force" is the one
/// that ran.
///
/// Errors: an override out of its key's range (one line naming the key, the value and the range).
pub fn resolved_config(cfg: &Config, args: &PipelineArgs) -> anyhow::Result<Config> {
    let mut cfg = cfg.clone();
    if let Some(b) = args.detector {
        cfg.detect.backend = b;
    }
    if let Some(px) = args.min_face_px {
        cfg.detect.min_face_px = px;
    }
    if let Some(s) = args.detect_scale {
        cfg.detect.scale = s;
    }
    if let Some(m) = args.model {
        cfg.classify.model = m;
    }
    if let Some(hz) = args.classify_hz {
        cfg.classify.min_rate_hz = hz;
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Pipeline options from a configuration resolved by [`resolved_config`] and the run-only flags (schedule, pace,
/// loop, preview).
pub fn pipeline_options(cfg: &Config, args: &PipelineArgs, keep_images: bool) -> PipelineOptions {
    let mut opts = cfg.pipeline_options();
    opts.detect_every = args.detect_every;
    opts.every_frame = args.every_frame;
    opts.realtime = args.realtime;
    opts.looped = args.looped;
    opts.keep_images = keep_images;
    opts
}

/// An open store and the session being written, or nothing with `--no-record`.
pub struct Recorder {
    writer: Option<SessionWriter>,
    /// A network source's connection state, whose gaps go into the session record.
    link: Option<Arc<Mutex<rtsp::LinkState>>>,
    /// The source's count of frames left out, and what a resumed session had counted before this run.
    skipped: Option<(SharedSkipped, Skipped)>,
    /// Re-identification's decisions (the log, how many of it were taken), and those whose tracks are not stored
    /// yet.
    joins: Option<(SharedJoins, usize, Vec<Join>)>,
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
            return Ok(Recorder { writer: None, link: None, skipped: None, joins: None });
        }
        let store = Store::open(&cfg.store_dir(store_flag)?)?;
        let writer = store.create_session(NewSession {
            source: stored_source(&running.info),
            source_kind: running.info.kind,
            decoder: running.info.decoder.clone(),
            models: running.model_description.clone(),
            detector: Some(cfg.detect.backend),
            config: serde_json::to_value(cfg)?,
            schedule: Some(running.schedule),
            frame_rate: running.info.fps,
        })?;
        let skipped = running.skipped.clone().map(|s| (s, Skipped::default()));
        let joins = running.joins.clone().map(|j| (j, 0, Vec::new()));
        Ok(Recorder { writer: Some(writer), link: running.link.clone(), skipped, joins })
    }

    /// Records into an interrupted session reopened by [`Store::resume_session`], for `running` started at
    /// `point`. Prints one line on stderr saying so.
    ///
    /// Errors: the run's schedule differs from the session's (the session is put back as interrupted).
    pub fn resumed(
        writer: SessionWriter,
        running: &RunningPipeline,
        point: emotrace::store::ResumePoint,
    ) -> anyhow::Result<Recorder> {
        let record = writer.record().clone();
        if let Some(s) = record.schedule.filter(|s| *s != running.schedule) {
            let id = writer.id().to_string();
            running.stop();
            let _ = writer.finish(SessionStatus::Interrupted, None);
            anyhow::bail!(
                "session {id} ran the schedule {}; resume it with the same options (this run: {})",
                s.describe(),
                running.schedule.describe()
            );
        }
        eprintln!(
            "emotrace: resuming interrupted session {} at frame {} ({} of video; --fresh starts a new session)",
            record.id,
            point.next_frame,
            emotrace::fmt::clock(point.last_ms)
        );
        let skipped = running.skipped.clone().map(|s| (s, record.skipped.clone()));
        let joins = running.joins.clone().map(|j| (j, 0, Vec::new()));
        Ok(Recorder { writer: Some(writer), link: running.link.clone(), skipped, joins })
    }

    /// The session id, when recording.
    pub fn session_id(&self) -> Option<String> {
        self.writer.as_ref().map(|w| w.id().to_string())
    }

    /// The session writer, when recording.
    pub fn writer(&self) -> Option<&SessionWriter> {
        self.writer.as_ref()
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
            Some(w) => {
                Self::copy_source_state(&self.link, &self.skipped, w);
                w.write(r)?;
                Self::apply_joins(&mut self.joins, w, false)
            }
            None => Ok(()),
        }
    }

    /// Stores re-identification's decisions as automatic merges; those whose tracks are not stored yet wait for
    /// the next frame, or are dropped at the `end` (a track never stored).
    fn apply_joins(
        joins: &mut Option<(SharedJoins, usize, Vec<Join>)>,
        w: &mut SessionWriter,
        end: bool,
    ) -> anyhow::Result<()> {
        let Some((shared, taken, pending)) = joins else { return Ok(()) };
        pending.extend(take_new(shared, taken));
        let mut waiting = Vec::new();
        for j in pending.drain(..) {
            if w.join_tracks(j.from, j.into, j.distance)? == AutoJoin::NotYet && !end {
                waiting.push(j);
            }
        }
        *pending = waiting;
        Ok(())
    }

    /// Copies what the source says about itself while it runs (a stream's gaps, the frames it skipped, added to
    /// a resumed session's earlier count) into the session record, which saves it with the next record write.
    fn copy_source_state(
        link: &Option<Arc<Mutex<rtsp::LinkState>>>,
        skipped: &Option<(SharedSkipped, Skipped)>,
        w: &mut SessionWriter,
    ) {
        if let Some(link) = link {
            w.set_source_gaps(&link.lock().unwrap_or_else(|p| p.into_inner()).gaps);
        }
        if let Some((shared, before)) = skipped {
            w.set_skipped(&before.then(&skipped::snapshot(shared)));
        }
    }

    /// Finalizes the session from how the run ended: an error -> failed (with the message), a signal ->
    /// interrupted, else completed.
    ///
    /// Errors: the store cannot be written.
    pub fn finish(self, outcome: &anyhow::Result<()>, interrupted: bool) -> anyhow::Result<Option<SessionRecord>> {
        let Some(mut w) = self.writer else { return Ok(None) };
        Self::copy_source_state(&self.link, &self.skipped, &mut w);
        let mut joins = self.joins;
        Self::apply_joins(&mut joins, &mut w, true)?;
        let (status, error) = match outcome {
            Err(e) => (SessionStatus::Failed, Some(format!("{e:#}"))),
            Ok(()) if interrupted => (SessionStatus::Interrupted, None),
            Ok(()) => (SessionStatus::Completed, None),
        };
        Ok(Some(w.finish(status, error)?))
    }
}

/// The session's source as stored: a file or folder as an absolute path (written losslessly by
/// [`emotrace::text::path_text`]), so that it names the same file whatever
/// folder the session is later read, reported or resumed from (issue 25, item 14); a stream or camera as shown
/// (a stream's URL without its password).
fn stored_source(info: &emotrace::capture::SourceInfo) -> String {
    use emotrace::capture::SourceKind;
    match info.kind {
        SourceKind::Video | SourceKind::Image | SourceKind::ImageFolder => {
            let path = emotrace::text::text_path(&info.name);
            std::path::absolute(&path).map_or_else(|_| info.name.clone(), |p| emotrace::text::path_text(&p))
        }
        SourceKind::Camera | SourceKind::Stream => info.name.clone(),
    }
}

/// The input for INPUT: an `rtsp://` URL is a network stream (over `--rtsp-transport`); a folder with `--frame-rate` is a frame sequence, anything else is
/// read by its kind (video, image, folder of photos).
pub fn file_input(path: &Path, args: &PipelineArgs) -> Input {
    if let Some(url) = path.to_str().filter(|p| rtsp::is_rtsp(p)) {
        return Input::Rtsp(url.to_string(), args.rtsp_transport.unwrap_or_default());
    }
    match args.frame_rate {
        Some(fps) if path.is_dir() => Input::Sequence(path.to_path_buf(), fps),
        _ => Input::Path(path.to_path_buf()),
    }
}

/// How an input is shown (outputs, messages): the path ([`emotrace::text::path_text`]: bytes that are not UTF-8 as
/// `\xNN`), or an RTSP URL with its password masked.
pub fn input_name(path: &Path) -> String {
    rtsp::mask(&emotrace::text::path_text(path))
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
