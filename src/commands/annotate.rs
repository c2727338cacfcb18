//! `emotrace annotate SESSION --marker LABEL --at TIME | --note TEXT (--at TIME | --from TIME [--to TIME]) |
//! --name TRACK NAME | --list | --delete ID [--json]`: a session's markers, notes and face names without the review
//! screen.
//!
//! Each edit goes through the same [`StoredSession`] call the review screen makes ([`StoredSession::annotate`],
//! [`StoredSession::name_track`], [`StoredSession::delete_annotation`]), so it is stored, cleaned and flushed
//! exactly as there; a note with empty text is refused, as review refuses it. Times are ms since the session start,
//! read by [`emotrace::fmt::parse_clock`] (`12.5`, `1:23.4`, `1:02:03`), and must lie within the session. One line
//! on stdout says what was done, or with `--json` one JSON object.

use std::path::Path;

use anyhow::Context;

use super::output::print_stdout;
use super::Outcome;
use crate::cli::AnnotateArgs;
use emotrace::config::Config;
use emotrace::fmt::{clock_tenths, face_label};
use emotrace::store::export::json::JsonTrack;
use emotrace::store::{Annotation, AnnotationKind, Store, StoredSession};
use emotrace::text::terminal_safe;

/// Runs `annotate`.
///
/// Errors: the store cannot be opened; no session or several match; the session is being recorded, open in a
/// review, damaged, or in a read-only store; a time after the session's end, or a note ending before it starts;
/// an empty note; a face id that is not a number or not a face of the session; an annotation id that is not the
/// session's; the store cannot be written; stdout cannot be written.
pub fn run(cfg: &Config, store: Option<&Path>, args: &AnnotateArgs) -> anyhow::Result<Outcome> {
    let root = cfg.store_dir(store)?;
    let store = Store::open_existing(&root)?;
    let id = store.resolve_session(&args.session)?;
    let mut session = store.open_session(&id)?;
    let (line, json) = if let Some(label) = &args.marker {
        let at = args.at.context("--marker needs --at TIME")?;
        within(&session, at)?;
        let a = session.annotate(AnnotationKind::Marker, at, None, label, None)?;
        (
            format!("marker {} '{}' at {}", a.id, a.label, clock_tenths(a.start_ms)),
            serde_json::json!({ "annotation": a }),
        )
    } else if let Some(text) = &args.note {
        anyhow::ensure!(!emotrace::text::clean_label(text).is_empty(), "empty note not stored: give it some text");
        let start = args.from.or(args.at).context("--note needs --at TIME, or --from TIME [--to TIME]")?;
        within(&session, start)?;
        if let Some(end) = args.to {
            within(&session, end)?;
        }
        let a = session.annotate(AnnotationKind::Note, start, args.to, text, None)?;
        (format!("note {} '{}' at {}", a.id, a.label, span(&a)), serde_json::json!({ "annotation": a }))
    } else if let Some(name) = &args.name {
        let [track, name] = name.as_slice() else { anyhow::bail!("--name needs TRACK NAME") };
        let track: u32 = track
            .trim()
            .trim_start_matches("Face ")
            .parse()
            .map_err(|_| anyhow::anyhow!("'{track}' is not a face id: give the number of 'Face 3', e.g. 3"))?;
        session.name_track(track, name)?;
        let t = session.tracks()?.into_iter().find(|t| t.id == track).context("the named face is gone")?;
        let line = match &t.name {
            Some(n) => format!("{} named '{n}'", face_label(track)),
            None => format!("{} unnamed", face_label(track)),
        };
        (line, serde_json::json!({ "track": JsonTrack::from(&t) }))
    } else if let Some(a) = args.delete {
        session.delete_annotation(a)?;
        (format!("annotation {a} deleted"), serde_json::json!({ "deleted": a }))
    } else {
        return list(&session, args.json);
    };
    if args.json {
        let mut v = json;
        v["session"] = id.clone().into();
        print_stdout(&format!("{}\n", serde_json::to_string(&v)?))?;
    } else {
        print_stdout(&format!("{} in session {id}\n", terminal_safe(&line)))?;
    }
    Ok(Outcome::Done)
}

/// `--list`: the annotations in creation order, then the named faces (one line each, or one JSON object).
///
/// Errors: the session cannot be read; stdout cannot be written.
fn list(session: &StoredSession, json: bool) -> anyhow::Result<Outcome> {
    let annotations = session.annotations()?;
    let tracks = session.tracks()?;
    let id = &session.record().id;
    if json {
        let tracks: Vec<JsonTrack> = tracks.iter().map(JsonTrack::from).collect();
        let v = serde_json::json!({ "session": id, "annotations": annotations, "tracks": tracks });
        print_stdout(&format!("{}\n", serde_json::to_string(&v)?))?;
        return Ok(Outcome::Done);
    }
    use std::fmt::Write as _;
    let mut out = String::new();
    if annotations.is_empty() {
        let _ = writeln!(out, "no markers or notes in session {id}");
    } else {
        let _ = writeln!(out, "{:>6}  {:<6}  {:<17}  label", "id", "kind", "time");
        for a in &annotations {
            let kind = match a.kind {
                AnnotationKind::Marker => "marker",
                AnnotationKind::Note => "note",
            };
            let _ = writeln!(out, "{:>6}  {kind:<6}  {:<17}  {}", a.id, span(a), terminal_safe(&a.label));
        }
    }
    for t in tracks.iter().filter(|t| t.name.is_some()) {
        let _ = writeln!(out, "{} named '{}'", face_label(t.id), terminal_safe(&t.label()));
    }
    print_stdout(&out)?;
    Ok(Outcome::Done)
}

/// An annotation's time: `m:ss.s`, or `m:ss.s-m:ss.s` for a range.
fn span(a: &Annotation) -> String {
    match a.end_ms {
        Some(end) => format!("{}-{}", clock_tenths(a.start_ms), clock_tenths(end)),
        None => clock_tenths(a.start_ms),
    }
}

/// Refuses a time (ms since the session start) after the session's last stored frame.
fn within(session: &StoredSession, ms: u64) -> anyhow::Result<()> {
    let end = session.record().duration_ms;
    anyhow::ensure!(
        ms <= end,
        "{} is after the end of session {} ({})",
        clock_tenths(ms),
        session.record().id,
        clock_tenths(end)
    );
    Ok(())
}
