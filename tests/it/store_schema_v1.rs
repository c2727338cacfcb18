//! Sessions recorded before schema 2 (no landmarks, no predicted/classified flags) still list, open, export and
//! report. The fixture `tests/data/store-v1.tar.xz` is a real store written by emotrace at commit aef13f8
//! (`emotrace analyze recordings/single_face.mp4`: 72 frames, one face).

use crate::common;

use std::process::Command;

fn v1_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/store-v1.tar.xz");
    let st = Command::new("tar").arg("-xJf").arg(&archive).arg("-C").arg(dir.path()).status().expect("run tar");
    assert!(st.success(), "unpacking {}", archive.display());
    dir
}

#[test]
fn a_schema_1_session_lists_exports_and_reports() {
    let store = v1_store();
    let listed = common::sessions(store.path());
    assert_eq!(listed.len(), 1, "{listed:?}");
    let s = &listed[0];
    assert_eq!(s["status"], "completed", "{s}");
    assert_eq!(s["schema_version"], 1, "{s}");
    let id = s["id"].as_str().unwrap();
    let frames = s["frames"].as_u64().unwrap();
    assert_eq!(frames, 72);

    let out = common::run(store.path(), &["export", id, "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows = csv.lines().count() - 1;
    assert_eq!(rows as u64, s["observations"].as_u64().unwrap(), "one row per stored observation");

    let html = store.path().join("r.html");
    let out = common::run(store.path(), &["report", id, "--out", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&html).unwrap().len() > 1000);
}

#[test]
fn a_new_session_beside_an_old_one_is_schema_2() {
    let store = v1_store();
    let r =
        common::run_json(store.path(), &["analyze", common::recording("multi_face.jpg").to_str().unwrap(), "--json"]);
    let listed = common::sessions(store.path());
    let new = listed.iter().find(|s| s["id"] == r["session"]).expect("listed");
    assert_eq!(new["schema_version"], 2, "{new}");
    assert_eq!(listed.len(), 2);
}
