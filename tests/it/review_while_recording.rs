//! Reviewing while recording, as on the lab machine: `emotrace live` records a looping recording in one terminal
//! (tmux) while, in other processes, a finished session of the same store is opened, annotated, renamed, read,
//! exported and shown in the review screen; the running session itself is refused with a clear message. Then
//! live quits and both sessions are checked.
//!
//! Needs `tmux` (CI installs it). Without tmux this test says so and passes, unless `EMOTRACE_REQUIRE_TMUX=1`.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tmux::{have_tmux, Screen};
use common::*;
use emotrace::store::{AnnotationKind, SessionStatus, Store};

/// The stored session `id` as `sessions --json` lists it.
fn listed(store: &Path, id: &str) -> serde_json::Value {
    sessions(store).into_iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("session {id} is not listed"))
}

#[test]
fn a_finished_session_is_reviewed_annotated_and_exported_while_live_records() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let done = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"])["session"]
        .as_str()
        .unwrap()
        .to_string();

    let live_args = format!("live {} --realtime --loop --ui-fps 5", recording("WolfgangLanger_Pexels.mp4").display());
    let live = Screen::start("rec", &store, 100, 30, &live_args);
    // Wait until the live session is listed as running and has stored frames.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (running, frames_then) = loop {
        let all = sessions(&store);
        if let Some(s) = all.iter().find(|s| s["id"] != done.as_str() && s["status"] == "running") {
            if let Some(frames) = s["frames"].as_u64().filter(|&f| f > 0) {
                break (s["id"].as_str().unwrap().to_string(), frames);
            }
        }
        assert!(Instant::now() < deadline, "live never listed a running session: {all:?}\n{}", live.capture());
        std::thread::sleep(Duration::from_millis(200));
    };
    live.wait_for("the live screen recording", |s| s.contains("REC") && s.contains("Face 1"));

    // This process opens the finished session, edits it and reads its timeline while live records.
    let st = Store::open(&store).unwrap();
    let mut r = st.open_session(&done).unwrap();
    assert_eq!(r.record().status, SessionStatus::Completed);
    let track = r.tracks().unwrap()[0].id;
    r.annotate(AnnotationKind::Note, 500, Some(1500), "reviewed during the lesson", None).unwrap();
    r.name_track(track, "P07").unwrap();
    let t = r.timeline().unwrap();
    let whole = t.total(0, t.span_ms());
    assert_eq!(whole.frames as u64, r.record().frames);
    assert_eq!(whole.class().frames as u64, r.record().observations);

    // The running session is refused at once with a clear message, from a thread so a hang would show.
    let (tx, rx) = std::sync::mpsc::channel();
    let (st2, running2) = (st.clone(), running.clone());
    std::thread::spawn(move || tx.send(st2.open_session(&running2).err().map(|e| e.to_string())));
    let err = rx.recv_timeout(Duration::from_secs(30)).expect("opening the running session hung");
    let err = err.expect("the session being recorded was opened a second time");
    assert!(err.contains("another emotrace process"), "{err}");
    drop(r);

    // Another process exports the finished session, edits included; the running one is refused in one line.
    let out = run(&store, &["export", &done, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = json["annotations"].as_array().unwrap();
    assert!(notes.iter().any(|a| a["label"] == "reviewed during the lesson" && a["end_ms"] == 1500), "{notes:?}");
    assert!(json["tracks"].as_array().unwrap().iter().any(|t| t["name"] == "P07"), "{}", json["tracks"]);
    let out = run(&store, &["export", &running, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another emotrace process") && err.lines().count() == 1, "{err}");

    // The review screen, in a second terminal, shows the finished session while live goes on.
    let review = Screen::start("review", &store, 200, 36, &format!("review {done}"));
    let s = review.wait_for("the finished session on the review screen", |s| {
        s.contains(&done) && s.contains("class timeline") && s.contains("P07")
    });
    assert!(s.contains("completed") && s.contains("1 annotation"), "{s}");
    review.keys(&["q"]);
    review.wait_for("the sessions browser, the live session in it", |s| {
        s.contains("emotrace sessions") && s.contains(&running) && s.contains("running")
    });
    // Opening the session being recorded from the browser says why it cannot (newest first: it is on top).
    review.keys(&["g", "Enter"]);
    review.wait_for("the refusal to open the running session", |s| s.contains("another emotrace process"));
    review.keys(&["q"]);
    assert_eq!(review.exit_code(), 0);
    let still = live.capture();
    assert!(still.contains("REC"), "live stopped recording meanwhile:\n{still}");

    live.keys(&["q"]);
    assert_eq!(live.exit_code(), 0);
    let rec = listed(&store, &running);
    assert_eq!(rec["status"], "completed", "{rec}");
    // It went on recording all along.
    assert!(rec["frames"].as_u64().unwrap() > frames_then, "{rec}");
    let r = Store::open(&store).unwrap().open_session(&done).unwrap();
    assert!(r.annotations().unwrap().iter().any(|a| a.label == "reviewed during the lesson"));
    assert!(r.tracks().unwrap().iter().any(|t| t.id == track && t.name.as_deref() == Some("P07")));
}
