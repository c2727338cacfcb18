//! Helpers shared by the integration tests: run the real binary on real media with a private store.

#![allow(dead_code)]

pub mod synthetic;

pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `emotrace` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_emotrace")
}

/// A file in `recordings/`.
pub fn recording(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings").join(name)
}

/// A file in `../shared/media/`.
pub fn shared_media(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media").join(name)
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

/// The stored sessions, as `sessions --json` lists them.
pub fn sessions(store: &Path) -> Vec<serde_json::Value> {
    run_json(store, &["sessions", "--json"])["sessions"].as_array().cloned().unwrap_or_default()
}
