//! Driving emotrace's screens in a real terminal (tmux), as a person would.
//!
//! Needs `tmux` (CI installs it). Without tmux [`have_tmux`] says so and tests pass, unless
//! `EMOTRACE_REQUIRE_TMUX=1`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::bin;

/// Runs tmux; its stdout.
pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether tmux is there (panics if it is required but missing).
pub fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("EMOTRACE_REQUIRE_TMUX").is_none(), "tmux is required but not installed");
        eprintln!("tmux not installed: skipping the terminal end-to-end test");
    }
    ok
}

/// A tmux server of our own (socket name unique per test) running one `emotrace` command in a window of the
/// given size; the command's exit code is written to a file beside the store.
pub struct Screen {
    /// The tmux socket name (`tmux -L`).
    pub socket: String,
    done_file: std::path::PathBuf,
}

impl Screen {
    /// Starts `emotrace --store STORE ARGS` (ARGS as one shell string).
    pub fn start(name: &str, store: &Path, width: u32, height: u32, args: &str) -> Screen {
        let socket = format!("emotrace-test-{}-{name}", std::process::id());
        let done_file = store.join(format!("{name}.exit"));
        let cmd = format!("{} --store {} {args}; echo $? > {}; sleep 60", bin(), store.display(), done_file.display());
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

    /// The screen's text now.
    pub fn capture(&self) -> String {
        tmux(&["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
    }

    /// Sends keys one by one (tmux key names), 150 ms apart.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&["-L", &self.socket, "send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits (60 s at most) until the screen satisfies `ok`; returns it.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
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

    /// Waits (30 s at most) for the command to exit; its exit code.
    pub fn exit_code(&self) -> i32 {
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

    /// A tmux pane flag (`alternate_on`, `cursor_flag`).
    pub fn pane_flag(&self, flag: &str) -> String {
        tmux(&["-L", &self.socket, "display-message", "-p", "-t", "t", &format!("#{{{flag}}}")]).trim().to_string()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}
