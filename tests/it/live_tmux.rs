//! The live screen driven as a person would, in a real terminal (tmux): start `live` on a bundled recording,
//! read the screen, drop a marker, name a face, quit (or drop the link with SIGHUP), then check the store and
//! that the terminal is usable again.
//!
//! Needs `tmux` (CI installs it). Without tmux these tests say so and pass, unless `EMOTRACE_REQUIRE_TMUX=1`.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tmux::{have_tmux, tmux, Screen};

/// `emotrace live` on the bundled talking-head recording, looped at its real rate.
fn live(name: &str, store: &Path, width: u32, height: u32) -> Screen {
    let video = common::recording("WolfgangLanger_Pexels.mp4");
    Screen::start(name, store, width, height, &format!("live {} --realtime --loop --ui-fps 5", video.display()))
}

fn one_session(store: &Path) -> emotrace::store::StoredSession {
    let st = emotrace::store::Store::open(store).unwrap();
    let listed = st.list_sessions().unwrap();
    assert_eq!(listed.len(), 1);
    st.open_session(&listed[0].id).unwrap()
}

#[test]
fn a_technician_watches_marks_names_and_quits() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let screen = live("quit", dir.path(), 80, 24);
    let s = screen.wait_for("a face panel with an emotion and the pipeline figures", |s| {
        s.contains("Face 1")
            && ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"].iter().any(|e| s.contains(e))
            && s.contains("FPS")
            && s.contains("p95")
    });
    assert!(s.contains("REC"), "recording indicator missing:\n{s}");

    screen.keys(&["m", "s", "t", "i", "m", "Enter"]);
    screen.wait_for("the marker confirmation", |s| s.contains("stim"));
    screen.keys(&["l", "P", "0", "7", "Enter"]);
    screen.wait_for("the face's new name", |s| s.contains("P07"));
    screen.keys(&["q"]);
    assert_eq!(screen.exit_code(), 0);
    // The terminal is usable again: alternate screen left, cursor shown.
    assert_eq!(screen.pane_flag("alternate_on"), "0");
    assert_eq!(screen.pane_flag("cursor_flag"), "1");

    let session = one_session(dir.path());
    assert_eq!(session.record().status, emotrace::store::SessionStatus::Completed);
    assert!(session.record().frames > 0);
    let notes = session.annotations().unwrap();
    assert!(notes.iter().any(|a| a.label == "stim"), "{notes:?}");
    let tracks = session.tracks().unwrap();
    assert!(tracks.iter().any(|t| t.name.as_deref() == Some("P07")), "{tracks:?}");
}

#[test]
fn a_dropped_link_finalizes_the_session() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let screen = live("hup", dir.path(), 100, 30);
    screen.wait_for("a face panel", |s| s.contains("Face 1"));
    // Closing the window hangs up the terminal: the process gets SIGHUP, as when an SSH link drops.
    tmux(&["-L", &screen.socket, "kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let st = emotrace::store::Store::open(dir.path()).unwrap();
    loop {
        let listed = st.list_sessions().unwrap();
        if listed.first().is_some_and(|s| s.ended_at.is_some()) {
            let s = &listed[0];
            assert_eq!(s.status, emotrace::store::SessionStatus::Interrupted, "{s:?}");
            assert!(s.frames > 0);
            break;
        }
        assert!(Instant::now() < deadline, "the session was not finalized after SIGHUP: {listed:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
