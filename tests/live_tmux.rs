//! The live screen driven as a person would, in a real terminal (tmux): start `live` on a bundled recording,
//! read the screen, drop a marker, name a face, quit (or drop the link with SIGHUP), then check the store and
//! that the terminal is usable again.
//!
//! Needs `tmux` (CI installs it). Without tmux these tests say so and pass, unless `EMOTRACE_REQUIRE_TMUX=1`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("EMOTRACE_REQUIRE_TMUX").is_none(), "tmux is required but not installed");
        eprintln!("tmux not installed: skipping the terminal end-to-end test");
    }
    ok
}

/// A tmux server of our own (socket name unique per test) running `emotrace live` in an 80x24 window.
struct Screen {
    socket: String,
    done_file: std::path::PathBuf,
}

impl Screen {
    fn start(name: &str, store: &Path, width: u32, height: u32) -> Screen {
        let socket = format!("emotrace-test-{}-{name}", std::process::id());
        let done_file = store.join(format!("{name}.exit"));
        let cmd = format!(
            "{} --store {} live {} --realtime --loop --ui-fps 5; echo $? > {}; sleep 60",
            bin(),
            store.display(),
            recording("WolfgangLanger_Pexels.mp4").display(),
            done_file.display()
        );
        let w = width.to_string();
        let h = height.to_string();
        let out = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-s", "t", "-x", &w, "-y", &h])
            .arg(cmd)
            .env("TERM", "xterm-256color")
            .status()
            .unwrap();
        assert!(out.success());
        Screen { socket, done_file }
    }

    fn capture(&self) -> String {
        tmux(&["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&["-L", &self.socket, "send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.capture();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "screen never showed {what}:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(s) = std::fs::read_to_string(&self.done_file) {
                if let Ok(code) = s.trim().parse() {
                    return code;
                }
            }
            assert!(Instant::now() < deadline, "emotrace did not exit:\n{}", self.capture());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pane_flag(&self, flag: &str) -> String {
        tmux(&["-L", &self.socket, "display-message", "-p", "-t", "t", &format!("#{{{flag}}}")]).trim().to_string()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}

fn one_session(store: &Path) -> emotrace::store::SessionReader {
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
    let screen = Screen::start("quit", dir.path(), 80, 24);
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
    let screen = Screen::start("hup", dir.path(), 100, 30);
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
