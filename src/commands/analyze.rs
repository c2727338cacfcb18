//! `emotrace analyze INPUT [--json]`: the pipeline without a screen; progress bar on a terminal, summary at
//! the end (text, or one JSON object on stdout).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::record::{file_input, runtime, start_pipeline, stop_on_signals, Recorder};
use super::Outcome;
use crate::analytics::coverage::{Coverage, CoverageBuilder};
use crate::analytics::summary::{Summary, SummaryBuilder};
use crate::capture::SourceInfo;
use crate::cli::PipelineArgs;
use crate::config::Config;
use crate::pipeline::PipelineStats;
use crate::text::terminal_safe;

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
    /// Frames processed.
    pub frames: u64,
    /// Frames in which the detector found at least one face (confirmed as a track or not yet).
    pub frames_with_faces: u64,
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
    /// Faces per frame, classifications per second per face, share of predicted boxes.
    pub coverage: Coverage,
    /// Share of observations per dominant (smoothed) emotion, `[0, 1]`.
    pub emotion_share: std::collections::BTreeMap<&'static str, f64>,
    /// Mean smoothed probability per emotion, `[0, 1]`.
    pub mean_probability: std::collections::BTreeMap<&'static str, f64>,
}

/// Runs `analyze`.
///
/// Errors: the input cannot be opened or decoded, a model is missing, the store cannot be written.
pub fn run(
    cfg: &Config,
    store: Option<&Path>,
    input: &Path,
    args: &PipelineArgs,
    json: bool,
    no_record: bool,
) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    rt.block_on(async {
        let mut running = start_pipeline(cfg, &file_input(input, args), args, false)?;
        let mut recorder = Recorder::start(cfg, store, &running, !no_record)?;
        let info = running.info.clone();
        let model = running.model_description.clone();
        let interrupted = Arc::new(AtomicBool::new(false));
        stop_on_signals(running.stop_flag(), interrupted.clone())?;

        let show = !json && std::io::stderr().is_terminal();
        let bar = match running.info.frame_count {
            Some(n) if !args.looped => ProgressBar::new(n),
            _ => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(if show { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() });
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} frames {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );

        let mut summary = SummaryBuilder::new();
        let mut coverage = CoverageBuilder::new();
        let mut last_stats = PipelineStats::default();
        let mut store_err = None;
        while let Some(r) = running.results.recv().await {
            if let Err(e) = recorder.write(&r) {
                store_err = Some(e);
                running.stop();
                break;
            }
            summary.add_frame(&r);
            coverage.add_frame(&r);
            bar.set_position(r.frame_index + 1);
            bar.set_message(format!("{:.1} FPS, {} faces", r.stats.processed_fps, r.observations.len()));
            last_stats = r.stats;
        }
        bar.finish_and_clear();
        let session_id = recorder.session_id();
        let outcome = match store_err {
            Some(e) => {
                let _ = running.join().await;
                Err(e)
            }
            None => running.join().await,
        };
        let was_interrupted = interrupted.load(Ordering::SeqCst);
        let record = recorder.finish(&outcome, was_interrupted)?;
        outcome?;

        let elapsed_s = last_stats.elapsed_s;
        let s: Summary = summary.build();
        let report = AnalyzeReport {
            session: session_id,
            status: record.map(|r| r.status.name().to_string()).unwrap_or_else(|| "not recorded".into()),
            input: input.display().to_string(),
            source: info,
            model,
            frames: s.frames,
            frames_with_faces: s.frames_with_faces,
            tracks: s.tracks,
            observations: s.observations,
            fps: if elapsed_s > 0.0 { s.frames as f64 / elapsed_s } else { 0.0 },
            elapsed_s,
            pipeline: last_stats,
            coverage: coverage.build(),
            emotion_share: s.emotion_share,
            mean_probability: s.mean_probability,
        };
        print_report(&report, json)?;
        Ok(if was_interrupted { Outcome::Interrupted } else { Outcome::Done })
    })
}

/// Prints the report: JSON on stdout, or a short text summary.
fn print_report(r: &AnalyzeReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    println!("input     {}", terminal_safe(&r.input));
    if let Some(id) = &r.session {
        println!("session   {} ({})", id, r.status);
    }
    println!("model     {}", r.model);
    println!(
        "frames    {} processed, {} with a face detected ({:.1}%), {} track(s), {} observations (confirmed faces)",
        r.frames,
        r.frames_with_faces,
        pct(r.frames_with_faces, r.frames),
        r.tracks,
        r.observations
    );
    println!(
        "speed     {:.1} FPS over {:.2} s; latency p50 {:.1} ms, p95 {:.1} ms",
        r.fps, r.elapsed_s, r.pipeline.latency_p50_ms, r.pipeline.latency_p95_ms
    );
    let c = &r.coverage;
    println!(
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
        println!("emotions  {}", line.join(", "));
    }
    Ok(())
}
