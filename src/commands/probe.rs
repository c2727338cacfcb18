//! `emotrace probe`: what a file or stream is and which decoder would read it; no session is created.

use super::Outcome;
use crate::cli::ProbeArgs;
use emotrace::capture::{probe::probe, Input};
use emotrace::fmt::clock;
use emotrace::text::terminal_safe;

/// Runs `probe`: one `key  value` line per fact (or one JSON object with `--json`).
///
/// Errors: the input cannot be opened or decoded (one line naming it and the reason).
pub fn run(args: &ProbeArgs) -> anyhow::Result<Outcome> {
    let report = probe(&Input::Path(args.input.clone()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(Outcome::Done);
    }
    let or_unknown = |v: &Option<String>| v.as_deref().map_or("unknown".to_string(), |s| terminal_safe(s).into_owned());
    println!("input      {}", terminal_safe(&report.input));
    println!("kind       {}", serde_json::to_value(report.kind)?.as_str().unwrap_or("unknown"));
    println!("container  {}", or_unknown(&report.container));
    let profile = report.profile.as_deref().map(|p| format!(" ({})", terminal_safe(p))).unwrap_or_default();
    println!("codec      {}{profile}", or_unknown(&report.codec));
    println!("size       {}x{} pixels", report.width, report.height);
    println!("frame rate {}", report.fps.map_or("unknown".into(), |f| format!("{f:.3} FPS")));
    println!("duration   {}", report.duration_ms.map_or("unknown".into(), |ms| format!("{} ({ms} ms)", clock(ms))));
    println!("frames     {}", report.frame_count.map_or("unknown".into(), |n| n.to_string()));
    println!("decoder    {}", terminal_safe(&report.decoder));
    Ok(Outcome::Done)
}
