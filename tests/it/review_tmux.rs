//! `emotrace review` driven as a researcher would, in a real terminal (tmux): open a session analysed from a
//! bundled recording, move the cursor, add a marker and a note over a range, name the face, edit a note, go back
//! to the sessions and quit; then the export holds every edit. The browser deletes a session after a `y`.
//!
//! Needs `tmux` (CI installs it). Without tmux these tests say so and pass, unless `EMOTRACE_REQUIRE_TMUX=1`.

use crate::common;

use std::path::Path;

use common::tmux::{have_tmux, Screen};
use common::*;

/// Analyses `single_face.mp4` into `store`; the session id.
fn analysed(store: &Path) -> String {
    let report = run_json(store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
    assert!(report["observations"].as_u64().unwrap() > 10, "{report}");
    report["session"].as_str().unwrap().to_string()
}

fn stdout_of(store: &Path, args: &[&str]) -> String {
    let out = run(store, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn annotations_made_in_the_review_screen_are_stored_and_exported() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let id = analysed(&store);

    let screen = Screen::start("review", &store, 100, 32, "review");
    screen.wait_for("the session in the browser", |s| s.contains(&id) && s.contains("completed"));
    screen.keys(&["Enter"]);
    let s = screen.wait_for("the class timeline", |s| s.contains("class timeline") && s.contains("Face 1"));
    for e in ["angry", "happy", "neutral", "faces", "markers"] {
        assert!(s.contains(e), "no '{e}' row:\n{s}");
    }
    screen.keys(&["Right", "Right", "Right", "Right", "Right", "m", "stimulus", "Enter"]);
    screen.wait_for("the marker stored", |s| s.contains("marker 'stimulus'") && s.contains("(saved)"));
    screen.keys(&["v", "Right", "Right", "Right", "n", "calm", "Enter"]);
    screen.wait_for("the note stored", |s| s.contains("note at") && s.contains("(saved)"));
    screen.keys(&["r", "C-u", "P07", "Enter"]);
    screen.wait_for("the face named", |s| s.contains("named P07"));
    // The annotations panel lists both by time; the note is second. Edit its text.
    screen.keys(&["a", "Down", "e", "C-u", "quiet part", "Enter"]);
    let s = screen.wait_for("the note edited", |s| s.contains("annotation changed") && s.contains("quiet part"));
    assert!(s.contains("stimulus"), "{s}");
    // The marker is drawn on the time axis.
    assert!(s.lines().any(|l| l.contains("markers") && l.contains('▼')), "{s}");
    screen.keys(&["q"]);
    screen.wait_for("the sessions browser again", |s| s.contains("emotrace sessions"));
    screen.keys(&["q"]);
    assert_eq!(screen.exit_code(), 0);
    assert_eq!(screen.pane_flag("alternate_on"), "0");

    // Everything is in the exports, read by another process.
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&store, &["export", &id, "--format", "json"])).unwrap();
    let notes = json["annotations"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    let marker = notes.iter().find(|a| a["kind"] == "marker").unwrap();
    assert_eq!(marker["label"], "stimulus");
    assert!(marker["start_ms"].as_u64().unwrap() > 0 && marker["end_ms"].is_null());
    let note = notes.iter().find(|a| a["kind"] == "note").unwrap();
    assert_eq!(note["label"], "quiet part");
    let (start, end) = (note["start_ms"].as_u64().unwrap(), note["end_ms"].as_u64().unwrap());
    assert!(start >= marker["start_ms"].as_u64().unwrap() && end > start, "{note}");
    assert_eq!(json["tracks"][0]["name"], "P07");
    assert_eq!(json["session"]["annotations"], 2);

    let csv_path = dir.path().join("out.csv");
    stdout_of(&store, &["export", &id, "--format", "csv", "--out", csv_path.to_str().unwrap()]);
    let rows = std::fs::read_to_string(&csv_path).unwrap();
    assert!(rows.lines().skip(1).all(|l| l.contains(",P07,")), "{}", &rows[..300.min(rows.len())]);
    let side = std::fs::read_to_string(dir.path().join("out.annotations.csv")).unwrap();
    assert!(side.contains("stimulus") && side.contains("quiet part"), "{side}");
}

#[test]
fn the_browser_deletes_a_session_only_after_confirmation() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let keep = analysed(&store);
    let gone = analysed(&store);
    assert_ne!(keep, gone);

    let screen = Screen::start("browse", &store, 100, 20, "review");
    // Newest first: the second session is selected.
    screen.wait_for("both sessions", |s| s.contains(&keep) && s.contains(&gone));
    screen.keys(&["d"]);
    screen.wait_for("the question", |s| s.contains("for good?"));
    screen.keys(&["n"]);
    screen.wait_for("the session kept", |s| s.contains("kept"));
    screen.keys(&["d", "y"]);
    let s = screen.wait_for("the session deleted", |s| s.contains("deleted"));
    assert!(s.contains(&keep) && !s.lines().any(|l| l.contains(&gone) && l.contains("completed")), "{s}");
    screen.keys(&["q"]);
    assert_eq!(screen.exit_code(), 0);
    let listed: Vec<String> = sessions(&store).iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, vec![keep]);
}

#[test]
fn review_without_a_terminal_or_of_an_unknown_session_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = run(&store, &["review", "2024"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no session '2024'") && err.lines().count() == 1, "{err}");
    let id = analysed(&store);
    let out = run(&store, &["review", &id]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal") && err.lines().count() == 1, "{err}");
}
