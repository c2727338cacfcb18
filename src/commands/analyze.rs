//! `emotrace analyze INPUT... [--jobs N] [--json]`: the pipeline without a screen, over one input or many. One
//! progress bar across them on a terminal (stderr); a summary per input at the end of each (text, or one JSON
//! object per input: JSON Lines on stdout, in the order of the inputs).
//!
//! Inputs: files, and folders. A folder that holds videos is expanded to the media files in it (videos and
//! images, sorted by name, not recursive), each an input of its own; a folder of images only is one input, as
//! `live` reads it (each image its own scene, or a frame sequence with `--frame-rate`). With `--jobs N`, N inputs
//! are analysed at once, each on its own pipeline and in its own session.
//!
//! Failures: with one input, its error is the command's (one line on stderr, nothing on stdout, exit 1). With
//! several, an input that fails is reported in its place (`{"input": ..., "error": ..., "session": ...}` with
//! `--json`) and the others are still analysed; the command then ends with one line naming the failed inputs and
//! exit 1. A signal stops every running input (stored as "interrupted"), starts no other (reported as not
//! analysed), and exits 130.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::output::stdout_text;
use super::record::{file_input, input_name, pipeline_options, resolved_config, Recorder};
use super::runtime::{runtime, Signals};
use super::Outcome;
use crate::cli::{AnalyzeArgs, PipelineArgs};
use emotrace::analytics::coverage::{Coverage, CoverageBuilder};
use emotrace::analytics::summary::{Summary, SummaryBuilder};
use emotrace::capture::rtsp::SourceGap;
use emotrace::capture::skipped::Skipped;
use emotrace::capture::{media_kind, MediaKind, SourceInfo};
use emotrace::config::Config;
use emotrace::pipeline::{self, PipelineStats, Schedule};
use emotrace::store::{ResumePoint, SessionStatus, SessionWriter, Store};
use emotrace::text::terminal_safe;

/// What `analyze --json` prints.
#[derive(Debug, Serialize)]
pub struct AnalyzeReport {
    /// Stored session id (null with `--no-record`).
    pub session: Option<String>,
    /// Session status: completed, interrupted or failed.
    pub status: String,
    /// The input as given.
    pub input: String,
    /// Source facts (size in pixels, nominal FPS, frame count).
    pub source: SourceInfo,
    /// Emotion model description.
    pub model: String,
    /// The detection and classification plan that ran (`name`: lecture, every_frame or every_nth).
    pub schedule: Schedule,
    /// Frames processed (this run's; a resumed session's earlier frames are in its record).
    pub frames: u64,
    /// Frames with at least one face observed, detected or tracked (a face not yet confirmed included).
    pub frames_with_faces: u64,
    /// Frames the face detector ran on.
    pub detected_frames: u64,
    /// Of those, frames in which it found at least one face.
    pub frames_with_detections: u64,
    /// Distinct confirmed tracks.
    pub tracks: u64,
    /// Observations: one per face per frame for every face confirmed as a track (the frames before its
    /// confirmation included).
    pub observations: u64,
    /// Mean processed FPS over the run: `frames / elapsed_s` (`pipeline.processed_fps` is the same rate over
    /// the last statistics window only, and `pipeline.input_fps` that window's processed plus dropped rate).
    pub fps: f64,
    /// Wall-clock seconds from the pipeline's start to its last result (model loading excluded).
    pub elapsed_s: f64,
    /// Final pipeline figures (FPS, latency p50/p95 in ms over the last window, drops).
    pub pipeline: PipelineStats,
    /// Times a network source was lost and came back (ms since session start); empty for files.
    pub source_gaps: Vec<SourceGap>,
    /// Frames (images of a folder) that could not be read or decoded and were left out, with the first reasons
    /// (`frames` 0 when none were; for a resumed session, its earlier runs' too).
    pub skipped: Skipped,
    /// Faces per frame, classifications per second per face, share of predicted boxes.
    pub coverage: Coverage,
    /// Share of observations per dominant (smoothed) emotion, `[0, 1]`.
    pub emotion_share: std::collections::BTreeMap<&'static str, f64>,
    /// Mean smoothed probability per emotion, `[0, 1]`.
    pub mean_probability: std::collections::BTreeMap<&'static str, f64>,
}

/// What `analyze --json` prints for an input that failed (several inputs only).
#[derive(Debug, Serialize)]
pub struct AnalyzeFailure {
    /// The input as given (or as found in a folder).
    pub input: String,
    /// Why it failed, one line (naming the input and the reason).
    pub error: String,
    /// The session stored for it (status failed or interrupted), or null when none was started.
    pub session: Option<String>,
}

/// One input's result: its report, or its failure.
type InputResult = Result<AnalyzeReport, AnalyzeFailure>;

/// The inputs to analyse, in order: each path as given, except that a folder holding at least one video file is
/// replaced by its media files (videos and images, by [`media_kind`]; regular files only, sorted by name).
/// Anything else (a missing path, a folder of images, a folder that cannot be listed) stays as given, for the
/// pipeline to read or to report.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        match media_files(p) {
            Some(files) if files.iter().any(|f| media_kind(f) == Some(MediaKind::Video)) => out.extend(files),
            _ => out.push(p.clone()),
        }
    }
    out
}

/// The media files of folder `dir` (regular files, links followed; FIFOs and devices left out), sorted by name;
/// `None` when `dir` is not a folder that can be listed.
fn media_files(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() {
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| media_kind(p).is_some() && p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Runs `analyze`.
///
/// Errors: with one input, its error (it cannot be opened or decoded, a model is missing, the store cannot be
/// written); with several, one line naming those that failed (each one's error is in its own report).
pub fn run(cfg: &Config, store: Option<&Path>, args: &AnalyzeArgs) -> anyhow::Result<Outcome> {
    let cfg = &resolved_config(cfg, &args.pipeline)?;
    // A closed stdout (`analyze a b c | head -n 1`) stops the printing, not the analysis: the write fails with
    // EPIPE instead of the process being killed, and every input is still analysed and stored.
    // SAFETY: changes this process's disposition of SIGPIPE only.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let inputs = match (&args.resume, args.inputs.len()) {
        (Some(query), 0) => vec![resumed_input(cfg, store, query)?],
        (Some(_), 1) => args.inputs.clone(),
        (Some(_), _) => anyhow::bail!("--resume continues one session: give at most one INPUT"),
        (None, _) => expand_inputs(&args.inputs),
    };
    let total = inputs.len();
    let show = std::io::stderr().is_terminal();
    let bar = progress_bar(&inputs, &args.pipeline, show);
    let rt = runtime()?;
    rt.block_on(async {
        let signals = Signals::install()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, InputResult)>();
        let job = Arc::new(Job {
            cfg: cfg.clone(),
            store: store.map(Path::to_path_buf),
            args: args.clone(),
            signals: signals.clone(),
            bar: bar.clone(),
            single: total == 1,
        });
        // The launcher starts the inputs in order, at most --jobs at once; this task prints their results.
        let slots = Arc::new(tokio::sync::Semaphore::new(usize::from(args.jobs)));
        let launcher = tokio::spawn(async move {
            for (i, input) in inputs.into_iter().enumerate() {
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                let (job, tx) = (job.clone(), tx.clone());
                tokio::spawn(async move {
                    let r = job.analyze(&input).await;
                    drop(slot);
                    let _ = tx.send((i, r));
                });
            }
        });

        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut failed: Vec<AnalyzeFailure> = Vec::new();
        // The first failed write to stdout: printing stops, analysing and storing go on (issue 25, item 2).
        let mut print_error: Option<std::io::Error> = None;
        while let Some((i, r)) = rx.recv().await {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&next) {
                next += 1;
                bar.set_message(format!("{next}/{total} inputs done"));
                if total == 1 {
                    bar.finish_and_clear();
                    let report = r.map_err(|f| anyhow::anyhow!(f.error))?;
                    let text = report_text(&report, args.json)?;
                    stdout_text(&text).map_err(|e| unprinted(&e, 1))?;
                    continue;
                }
                if print_error.is_none() {
                    let text = result_text(&r, args.json, next > 1)?;
                    if let Err(e) = bar.suspend(|| stdout_text(&text)) {
                        print_error = Some(e);
                    }
                }
                if let Err(f) = r {
                    failed.push(f);
                }
            }
        }
        let _ = launcher.await;
        bar.finish_and_clear();
        if signals.interrupted() {
            return Ok(Outcome::Interrupted);
        }
        if let Some(e) = print_error {
            return Err(unprinted(&e, total));
        }
        if let Some(first) = failed.first() {
            // Escaped here: the error line joins white space, and a newline in a name must read `\n` as elsewhere.
            let names: Vec<_> = failed.iter().map(|f| emotrace::text::terminal_safe(&f.input)).collect();
            anyhow::bail!(
                "{} of {total} inputs failed ({}); the first: {}",
                failed.len(),
                names.join(", "),
                first.error
            );
        }
        Ok(Outcome::Done)
    })
}

/// The input of the session `query` names, as stored in its record (`--resume SESSION` without INPUT).
///
/// Errors: the store cannot be opened; no session or several match.
fn resumed_input(cfg: &Config, store: Option<&Path>, query: &str) -> anyhow::Result<PathBuf> {
    let store = Store::open_existing(&cfg.store_dir(store)?)?;
    let id = store.resolve_session(query)?;
    let record = store.list_sessions()?.into_iter().find(|r| r.id == id);
    record.map(|r| emotrace::text::text_path(&r.source)).ok_or_else(|| anyhow::anyhow!("session '{id}' not found"))
}

/// The progress bar across all inputs, in frames: the inputs' frame counts added up (each input opened once to
/// read its header; on a terminal only), or a spinner when a count is unknown or the inputs loop.
fn progress_bar(inputs: &[PathBuf], args: &PipelineArgs, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let counts: Option<u64> = if args.looped {
        None
    } else {
        inputs
            .iter()
            .map(|p| {
                // A stream has no count (and is not opened twice).
                let input = file_input(p, args);
                match input.stream() {
                    Some(_) => None,
                    None => emotrace::capture::open(&input).ok().and_then(|s| s.info().frame_count),
                }
            })
            .try_fold(0u64, |sum, n| n.map(|n| sum + n))
    };
    let bar = match counts {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} frames, {per_sec}, ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    bar
}

/// What every input's run shares.
struct Job {
    cfg: Config,
    store: Option<PathBuf>,
    args: AnalyzeArgs,
    signals: Signals,
    bar: ProgressBar,
    /// One input only: the bar's message shows its FPS and faces.
    single: bool,
}

impl Job {
    /// Analyses one input: its pipeline, its session, its report. Not started after a signal.
    async fn analyze(&self, input: &Path) -> InputResult {
        let fail = |error: &anyhow::Error, session: Option<String>| AnalyzeFailure {
            input: input_name(input),
            error: format!("{error:#}").split_whitespace().collect::<Vec<_>>().join(" "),
            session,
        };
        if self.signals.interrupted() {
            let e = anyhow::anyhow!("{}: not analysed: stopped by a signal", input_name(input));
            return Err(fail(&e, None));
        }
        let (cfg, args) = (&self.cfg, &self.args.pipeline);
        let resume = self.session_to_resume(input).map_err(|e| fail(&e, None))?;
        let mut opts = pipeline_options(cfg, args, false);
        if let Some((_, point)) = &resume {
            opts.start_frame = point.next_frame;
            opts.first_track_id = point.next_track_id;
        }
        let mut running = match pipeline::start(&file_input(input, args), opts) {
            Ok(r) => r,
            Err(e) => {
                let id = resume.map(|(w, _)| finish_unresumed(w));
                return Err(fail(&e, id));
            }
        };
        let mut recorder = match resume {
            Some((writer, point)) => {
                let id = writer.id().to_string();
                Recorder::resumed(writer, &running, point).map_err(|e| fail(&e, Some(id)))?
            }
            None => Recorder::start(cfg, self.store.as_deref(), &running, !self.args.no_record)
                .map_err(|e| fail(&e, None))?,
        };
        self.signals.watch(running.stop_flag());
        let info = running.info.clone();
        let link = running.link.clone();
        let run_skipped = running.skipped.clone();
        let model = running.model_description.clone();
        let schedule = running.schedule;

        let mut summary = SummaryBuilder::new();
        let mut coverage = CoverageBuilder::new();
        let mut last_stats = PipelineStats::default();
        let mut store_err = None;
        let mut counted = 0;
        while let Some(r) = running.results.recv().await {
            if let Err(e) = recorder.write(&r) {
                store_err = Some(e);
                running.stop();
                break;
            }
            summary.add_frame(&r);
            coverage.add_frame(&r);
            // Frames dropped (--realtime) count as done too.
            self.bar.inc((r.frame_index + 1).saturating_sub(counted));
            counted = counted.max(r.frame_index + 1);
            if self.single {
                self.bar.set_message(format!("{:.1} FPS, {} faces", r.stats.processed_fps, r.observations.len()));
            }
            last_stats = r.stats;
        }
        let session_id = recorder.session_id();
        let outcome = match store_err {
            Some(e) => {
                let _ = running.join().await;
                Err(e)
            }
            None => running.join().await,
        };
        let was_interrupted = self.signals.interrupted();
        let record = recorder.finish(&outcome, was_interrupted).map_err(|e| fail(&e, session_id.clone()))?;
        outcome.map_err(|e| fail(&e, session_id.clone()))?;

        if let (Some(out), Some(id)) = (&self.args.report, &session_id) {
            self.write_report(out, id).map_err(|e| fail(&e, session_id.clone()))?;
        }
        let skipped = match (&record, &run_skipped) {
            (Some(r), _) => r.skipped.clone(),
            (None, Some(shared)) => emotrace::capture::skipped::snapshot(shared),
            (None, None) => Skipped::default(),
        };
        if !skipped.is_empty() {
            eprintln!("emotrace: warning: {}: {}", terminal_safe(&input_name(input)), skipped.summary(Some(info.kind)));
        }
        let elapsed_s = last_stats.elapsed_s;
        let s: Summary = summary.build();
        Ok(AnalyzeReport {
            session: session_id,
            status: record.map(|r| r.status.name().to_string()).unwrap_or_else(|| "not recorded".into()),
            input: input_name(input),
            source: info,
            model,
            schedule,
            frames: s.frames,
            frames_with_faces: s.frames_with_faces,
            detected_frames: s.detected_frames,
            frames_with_detections: s.frames_with_detections,
            tracks: s.tracks,
            observations: s.observations,
            fps: if elapsed_s > 0.0 { s.frames as f64 / elapsed_s } else { 0.0 },
            elapsed_s,
            pipeline: last_stats,
            source_gaps: link.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()).gaps.clone()).unwrap_or_default(),
            skipped,
            coverage: coverage.build(),
            emotion_share: s.emotion_share,
            mean_probability: s.mean_probability,
        })
    }
}

impl Job {
    /// The interrupted session to continue for `input`, reopened: the one `--resume` names, else (unless
    /// `--fresh`) the newest session of the same video file (same canonical path) if it ended interrupted.
    /// Nothing when not recording.
    ///
    /// Errors: the store cannot be opened; `--resume` names no session, or one that cannot be resumed.
    fn session_to_resume(&self, input: &Path) -> anyhow::Result<Option<(SessionWriter, ResumePoint)>> {
        if self.args.no_record {
            return Ok(None);
        }
        let store = || Store::open(&self.cfg.store_dir(self.store.as_deref())?).map_err(anyhow::Error::from);
        if let Some(query) = &self.args.resume {
            let store = store()?;
            let id = store.resolve_session(query)?;
            return Ok(Some(store.resume_session(&id)?));
        }
        if self.args.fresh || media_kind(input) != Some(MediaKind::Video) {
            return Ok(None);
        }
        let Ok(path) = input.canonicalize() else { return Ok(None) };
        let store = store()?;
        let newest = store
            .list_sessions()?
            .into_iter()
            .filter(|r| emotrace::text::text_path(&r.source).canonicalize().is_ok_and(|p| p == path))
            .max_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        match newest {
            Some(r) if r.status == SessionStatus::Interrupted && r.frames > 0 => match store.resume_session(&r.id) {
                Ok(found) => Ok(Some(found)),
                Err(e) => {
                    self.bar.suspend(|| eprintln!("emotrace: not resuming session {}: {e}; starting a new one", r.id));
                    Ok(None)
                }
            },
            _ => Ok(None),
        }
    }

    /// Writes the report of session `id` to `out` (several inputs: `out`'s name with `-ID` added).
    ///
    /// Errors: as [`super::report::write_report`].
    fn write_report(&self, out: &Path, id: &str) -> anyhow::Result<()> {
        let path = if self.single {
            out.to_path_buf()
        } else {
            let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
            let ext = out.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "html".into());
            out.with_file_name(format!("{stem}-{id}.{ext}"))
        };
        let store = Store::open_existing(&self.cfg.store_dir(self.store.as_deref())?)?;
        let note = super::report::write_report(&store, id, &path)?;
        self.bar.suspend(|| eprintln!("{}", terminal_safe(&note)));
        Ok(())
    }
}

/// Puts a session reopened for resuming back as it was (interrupted) when the run cannot start; its id.
fn finish_unresumed(writer: SessionWriter) -> String {
    let id = writer.id().to_string();
    let _ = writer.finish(SessionStatus::Interrupted, None);
    id
}

/// One input's result of several, as printed: its report, or its failure (JSON Lines, or text with a blank line
/// between inputs when `gap`).
fn result_text(r: &InputResult, json: bool, gap: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    macro_rules! put {
        ($($t:tt)*) => {{
            use std::fmt::Write as _;
            let _ = writeln!(out, $($t)*);
        }};
    }
    if gap && !json {
        put!();
    }
    match r {
        Ok(report) => out.push_str(&report_text(report, json)?),
        Err(f) if json => put!("{}", serde_json::to_string(f)?),
        Err(f) => {
            put!("input     {}", terminal_safe(&f.input));
            if let Some(id) = &f.session {
                put!("session   {} (failed)", terminal_safe(id));
            }
            put!("error     {}", terminal_safe(&f.error));
        }
    }
    Ok(out)
}

/// The report: one JSON line, or a short text summary.
fn report_text(r: &AnalyzeReport, json: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    macro_rules! put {
        ($($t:tt)*) => {{
            use std::fmt::Write as _;
            let _ = writeln!(out, $($t)*);
        }};
    }
    if json {
        put!("{}", serde_json::to_string(r)?);
        return Ok(out);
    }
    let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    put!("input     {}", terminal_safe(&r.input));
    if let Some(decoder) = &r.source.decoder {
        put!("decoder   {}", terminal_safe(decoder));
    }
    if let Some(id) = &r.session {
        put!("session   {} ({})", id, r.status);
    }
    if !r.source_gaps.is_empty() {
        put!("source    {}", emotrace::capture::rtsp::gaps_summary(&r.source_gaps));
    }
    if !r.skipped.is_empty() {
        put!("skipped   {}", terminal_safe(&r.skipped.summary(Some(r.source.kind))));
    }
    put!("model     {}", r.model);
    put!("schedule  {}", r.schedule.describe());
    put!(
        "frames    {} processed, {} with a face ({:.1}%), {} track(s), {} observations (confirmed faces)",
        r.frames,
        r.frames_with_faces,
        pct(r.frames_with_faces, r.frames),
        r.tracks,
        r.observations
    );
    put!(
        "detector  ran on {} frames ({:.1}%), found a face on {}",
        r.detected_frames,
        pct(r.detected_frames, r.frames),
        r.frames_with_detections
    );
    put!(
        "speed     {:.1} FPS over {:.2} s; latency p50 {:.1} ms, p95 {:.1} ms",
        r.fps,
        r.elapsed_s,
        r.pipeline.latency_p50_ms,
        r.pipeline.latency_p95_ms
    );
    let c = &r.coverage;
    put!(
        "coverage  faces per frame {:.0} (95% of frames) to {:.0}; each face classified {:.1}/s at least; {:.0}% of \
         boxes predicted",
        c.faces_per_frame_p05,
        c.faces_per_frame_max,
        c.classify_hz_min,
        c.predicted_share * 100.0
    );
    if r.observations > 0 {
        let mut shares: Vec<_> = r.emotion_share.iter().collect();
        shares.sort_by(|a, b| b.1.total_cmp(a.1));
        let line: Vec<String> = shares.iter().map(|(k, v)| format!("{k} {:.1}%", *v * 100.0)).collect();
        put!("emotions  {}", line.join(", "));
    }
    Ok(out)
}

/// The one-line error for results that could not be printed; every session was stored all the same.
fn unprinted(e: &std::io::Error, inputs: usize) -> anyhow::Error {
    let what = if inputs == 1 { "the result" } else { "the results" };
    anyhow::anyhow!(
        "cannot write {what} to standard output ({e}); every session is stored (`emotrace sessions` lists them)"
    )
}
