//! Sessions recorded by older emotraces still list, open, export and report, and an interrupted one is continued
//! in its own schema. The fixtures are real stores written by emotrace:
//! - `tests/data/store-v1.tar.xz` (schema 1: no landmarks, no predicted/classified flags), at commit aef13f8:
//!   `emotrace analyze recordings/single_face.mp4` (72 frames, one face);
//! - `tests/data/store-v2.tar.xz` (schema 2: one database key per observation), by the package built at commit
//!   d5b5899: `analyze recordings/single_face.mp4` (completed, 72 frames), and `analyze
//!   recordings/WolfgangLanger_Pexels.mp4 --every-frame` killed (SIGKILL) after 2 s (interrupted, 201 of 472
//!   frames).
//!
//! Schema 3 stores a frame's observations as one record (`store/trees.rs`); what every reader sees is the same.

use crate::common;

use std::process::Command;

use emotrace::store::SCHEMA_VERSION;

/// A copy of the fixture store `tests/data/store-vN.tar.xz`.
fn old_store(version: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/store-v{version}.tar.xz"));
    let st = Command::new("tar").arg("-xJf").arg(&archive).arg("-C").arg(dir.path()).status().expect("run tar");
    assert!(st.success(), "unpacking {}", archive.display());
    dir
}

/// The rows of `export ID --format csv`, header left out.
fn csv_rows(store: &std::path::Path, id: &str) -> Vec<String> {
    let out = common::run(store, &["export", id, "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().skip(1).map(str::to_string).collect()
}

/// The (frame_index, track_id) of each row of a CSV export, in order.
fn frame_tracks(rows: &[String]) -> Vec<(u64, u32)> {
    rows.iter()
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            (f[2].parse().unwrap(), f[3].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_schema_1_session_lists_exports_and_reports() {
    let store = old_store(1);
    let listed = common::sessions(store.path());
    assert_eq!(listed.len(), 1, "{listed:?}");
    let s = &listed[0];
    assert_eq!(s["status"], "completed", "{s}");
    assert_eq!(s["schema_version"], 1, "{s}");
    let id = s["id"].as_str().unwrap();
    let frames = s["frames"].as_u64().unwrap();
    assert_eq!(frames, 72);

    let rows = csv_rows(store.path(), id);
    assert_eq!(rows.len() as u64, s["observations"].as_u64().unwrap(), "one row per stored observation");

    let html = store.path().join("r.html");
    let out = common::run(store.path(), &["report", id, "--out", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&html).unwrap().len() > 1000);
}

#[test]
fn a_new_session_beside_old_ones_is_of_the_current_schema_and_reads_the_same() {
    let store = old_store(2);
    let listed = common::sessions(store.path());
    let old = listed.iter().find(|s| s["status"] == "completed").expect("the completed schema 2 session");
    assert_eq!(old["schema_version"], 2, "{old}");
    let r = common::run_json(
        store.path(),
        &["analyze", common::recording("single_face.mp4").to_str().unwrap(), "--fresh", "--json"],
    );
    let listed = common::sessions(store.path());
    let new = listed.iter().find(|s| s["id"] == r["session"]).expect("listed");
    assert_eq!(new["schema_version"], SCHEMA_VERSION, "{new}");
    assert_eq!(listed.len(), 3);
    // The same video analysed by the emotrace that wrote schema 2 and by this one: every stored observation
    // exported once, in frame then track order, whichever way the database keeps them; the same face on nearly
    // every frame (the fixture was written on another CPU, whose floating point may move a borderline detection).
    let (old_rows, new_rows) =
        (csv_rows(store.path(), old["id"].as_str().unwrap()), csv_rows(store.path(), r["session"].as_str().unwrap()));
    assert_eq!(old_rows.len() as u64, old["observations"].as_u64().unwrap());
    assert_eq!(new_rows.len() as u64, new["observations"].as_u64().unwrap());
    let (old_keys, new_keys) = (frame_tracks(&old_rows), frame_tracks(&new_rows));
    for keys in [&old_keys, &new_keys] {
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "rows in frame then track order, each once");
    }
    let shared = old_keys.iter().filter(|k| new_keys.contains(k)).count();
    assert!(shared + 3 >= old_keys.len().max(new_keys.len()), "{old_keys:?}\n{new_keys:?}");
}

/// A schema 2 session killed part way is continued by `analyze --resume` in schema 2 (its database keeps one key
/// per observation to the end): one session, completed, every frame of the video once, every stored observation
/// exported once in frame order.
#[test]
fn an_interrupted_schema_2_session_is_resumed_in_its_own_schema() {
    let store = old_store(2);
    let listed = common::sessions(store.path());
    let s = listed.iter().find(|s| s["status"] == "interrupted").expect("the interrupted schema 2 session");
    let (id, before) = (s["id"].as_str().unwrap().to_string(), s["frames"].as_u64().unwrap());
    assert!(before > 0 && before < 472, "{s}");
    let video = common::recording("WolfgangLanger_Pexels.mp4");
    let r = common::run_json(
        store.path(),
        &["analyze", video.to_str().unwrap(), "--resume", &id, "--every-frame", "--json"],
    );
    assert_eq!(r["session"], id.as_str(), "{r}");
    let listed = common::sessions(store.path());
    assert_eq!(listed.len(), 2, "resumed, not a new session: {listed:?}");
    let s = listed.iter().find(|s| s["id"] == id.as_str()).unwrap();
    assert_eq!(s["status"], "completed", "{s}");
    assert_eq!(s["schema_version"], 2, "{s}");
    assert_eq!(s["frames"], 472, "{s}");
    let rows = csv_rows(store.path(), &id);
    assert_eq!(rows.len() as u64, s["observations"].as_u64().unwrap(), "{s}");
    let keys = frame_tracks(&rows);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "rows in frame then track order, each once");
    assert!(keys.iter().any(|k| k.0 < before) && keys.iter().any(|k| k.0 >= before), "both runs' frames exported");
}
