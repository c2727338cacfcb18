//! `emotrace sessions [--json]`: the stored sessions with their status, newest first (as `review` lists them).

use std::path::Path;

use super::output::print_stdout;
use super::Outcome;
use crate::cli::SessionsArgs;
use emotrace::config::Config;
use emotrace::store::Store;
use emotrace::text::terminal_safe;

/// Runs `sessions`.
///
/// Errors: the store cannot be read or is of another schema version; stdout cannot be written (full, closed).
pub fn run(cfg: &Config, store: Option<&Path>, args: &SessionsArgs) -> anyhow::Result<Outcome> {
    let root = cfg.store_dir(store)?;
    // Listing changes nothing: a missing store is not created, a read-only one is read.
    let mut sessions = Store::open_existing(&root)?.list_sessions()?;
    // Newest first, as `review` lists them.
    sessions.reverse();
    if args.json {
        let v = serde_json::json!({ "store": root.display().to_string(), "sessions": sessions });
        print_stdout(&format!("{}\n", serde_json::to_string(&v)?))?;
        return Ok(Outcome::Done);
    }
    if sessions.is_empty() {
        print_stdout(&format!("no sessions in {}\n", terminal_safe(&root.display().to_string())))?;
        return Ok(Outcome::Done);
    }
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{:<18} {:<19} {:>9} {:>7} {:>6} {:>6}  {:<11} source",
        "session", "started", "duration", "frames", "faces", "notes", "status"
    );
    for s in &sessions {
        // A session whose record cannot be read is not shown as empty: its figures are unknown.
        let figure = |v: String| if s.is_known() { v } else { "?".to_string() };
        let _ = writeln!(
            out,
            "{:<18} {:<19} {:>9} {:>7} {:>6} {:>6}  {:<11} {}",
            terminal_safe(&s.id),
            s.started().map_or("unknown".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            figure(emotrace::fmt::clock(s.duration_ms)),
            figure(s.frames.to_string()),
            figure(s.faces().to_string()),
            figure(s.annotations.to_string()),
            s.status.name(),
            terminal_safe(&s.source)
        );
    }
    print_stdout(&out)?;
    Ok(Outcome::Done)
}
