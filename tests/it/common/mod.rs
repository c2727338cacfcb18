//! Helpers shared by the integration tests: run the real binary on real media with a private store.

#![allow(dead_code)]

pub mod rtsp_server;
pub mod synthetic;

pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The built `emotrace` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_emotrace")
}

/// A file in `recordings/`.
pub fn recording(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings").join(name)
}

/// A file in `../shared/media/`, or `None` (after one line saying what is missing) when `../shared` is not beside
/// the checkout; see [`shared`].
pub fn shared_media(name: &str) -> Option<PathBuf> {
    shared(&format!("media/{name}"))
}

/// `../shared/REL` (the shared media and data folder beside the checkout), or `None` when it is missing: the
/// test then skips after printing one line naming what is missing, so `cargo test` works with the Rust
/// toolchain alone. With `EMOTRACE_REQUIRE_SHARED=1` (as CI sets) a missing path fails the test instead.
pub fn shared(rel: &str) -> Option<PathBuf> {
    shared_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"), rel, require_shared())
}

/// Whether `EMOTRACE_REQUIRE_SHARED=1` is set.
pub fn require_shared() -> bool {
    std::env::var("EMOTRACE_REQUIRE_SHARED").is_ok_and(|v| v == "1")
}

/// `root/rel` if it exists; else panics when `required`, or prints the skip line and returns `None`.
pub fn shared_in(root: &Path, rel: &str, required: bool) -> Option<PathBuf> {
    let p = root.join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(!required, "{} is missing and EMOTRACE_REQUIRE_SHARED=1", p.display());
    eprintln!("skipped: {} is missing (the shared folder beside the checkout)", p.display());
    None
}

/// Runs `emotrace --store STORE ARGS...` and returns its output.
pub fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(bin()).arg("--store").arg(store).args(args).output().expect("run emotrace")
}

/// Runs `emotrace --store STORE ARGS... --json`, asserts success, and parses stdout as one JSON object.
pub fn run_json(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(store, args);
    assert!(
        out.status.success(),
        "emotrace {:?} failed: {}\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Every stored observation of session `id` in `store`.
pub fn observations(store: &Path, id: &str) -> Vec<emotrace::pipeline::Observation> {
    emotrace::store::Store::open_existing(store).unwrap().open_session(id).unwrap().observations().unwrap()
}

/// The stored sessions, as `sessions --json` lists them.
pub fn sessions(store: &Path) -> Vec<serde_json::Value> {
    run_json(store, &["sessions", "--json"])["sessions"].as_array().cloned().unwrap_or_default()
}

/// Starts `emotrace --store STORE ARGS...` with stdout and stderr piped, for a test that signals it while it runs.
pub fn spawn(store: &Path, args: &[&str]) -> Child {
    Command::new(bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emotrace")
}

/// Polls the store's session list every 250 ms until its first session satisfies `ready`; panics with `what`
/// after 60 s.
pub fn wait_for_session(store: &Path, what: &str, ready: impl Fn(&serde_json::Value) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(250));
        if sessions(store).first().is_some_and(&ready) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}");
    }
}

/// The classroom clip made by `scripts/make_classroom_clip.sh` (ffmpeg), or `None` with a line saying why.
/// The script runs once per test binary (tests share one process), so no two tests race on its files.
pub fn classroom_clip(name: &str) -> Option<std::path::PathBuf> {
    static MADE: std::sync::OnceLock<Result<std::path::PathBuf, String>> = std::sync::OnceLock::new();
    made_by_script(&MADE, "scripts/make_classroom_clip.sh", "target/media", "classroom clip").map(|d| d.join(name))
}

/// The folder `dir` (relative to the checkout) after `bash SCRIPT dir` ran successfully, once per test binary
/// (`made` remembers the outcome); `None` with a line saying why when it failed, or a failure when
/// `EMOTRACE_REQUIRE_CLIP` is set. `what` names the media in those lines.
pub fn made_by_script(
    made: &'static std::sync::OnceLock<Result<PathBuf, String>>,
    script: &str,
    dir: &str,
    what: &str,
) -> Option<PathBuf> {
    let made = made.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join(dir);
        let out = Command::new("bash").arg(root.join(script)).arg(&dir).output().expect("run bash");
        if out.status.success() {
            Ok(dir)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    });
    match made {
        Ok(dir) => Some(dir.clone()),
        Err(why) => {
            assert!(std::env::var_os("EMOTRACE_REQUIRE_CLIP").is_none(), "{what}: {why}");
            eprintln!("skipped: {what} not made: {why}");
            None
        }
    }
}

/// The venv's Python, or `None` (after a note on stderr) when there is none and it is not required.
pub fn python() -> Option<PathBuf> {
    let py = std::env::var_os("EMOTRACE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/.venv/bin/python"));
    if py.exists() {
        return Some(py);
    }
    assert!(std::env::var_os("EMOTRACE_REQUIRE_PY").is_none(), "{} missing: run scripts/test-venv.sh", py.display());
    eprintln!("skipped: {} missing (scripts/test-venv.sh makes it)", py.display());
    None
}
