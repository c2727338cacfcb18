//! RTSP input (issue 19) against a real RTSP server: GStreamer's, started by `scripts/rtsp_server.py` on
//! 127.0.0.1, serving the shared clips. A stream gives what the file gives; a server killed mid-stream and
//! started again is one session with one recorded gap; a wrong password or a closed port is one line, exit 1, no
//! session; the password is in no stored or printed byte.

use std::path::Path;
use std::time::Duration;

use emotrace::analytics::agreement::agreement;
use emotrace::store::Store;

use crate::common;

use common::rtsp_server::RtspServer;
use common::*;

/// A password no other byte of a session would hold by chance.
const PASSWORD: &str = "Pw-7hq2Zx";

fn analyze(store: &Path, input: &str, extra: &[&str]) -> serde_json::Value {
    let args = [&["analyze", input, "--json"][..], extra].concat();
    run_json(store, &args)
}

#[test]
fn a_stream_gives_the_files_tracks_and_class_shares() {
    let Some(file) = shared_media("WolfgangLanger_Pexels.mp4") else { return };
    let Some(server) = RtspServer::start(&["--serve", &format!("w={}", file.display())]) else { return };
    let store = tempfile::tempdir().unwrap();
    // Every frame detected and classified on both sides: a live source's schedule otherwise follows the wall
    // clock (and this machine's load), the file's the video's.
    let streamed = analyze(store.path(), &server.url("w", None), &["--every-frame"]);
    let local = analyze(store.path(), file.to_str().unwrap(), &["--every-frame"]);
    assert_eq!(streamed["status"], "completed", "{streamed}");
    assert_eq!(streamed["source"]["kind"], "stream");
    assert!(streamed["source"]["decoder"].as_str().unwrap().contains("retina"), "{streamed}");
    assert_eq!(streamed["tracks"], local["tracks"], "stream {streamed}\nfile {local}");
    // Every frame of the file comes through the stream (the first may wait for a key frame); a live source may
    // drop some when this machine is busy, so frames read (processed or dropped) are counted, not processed.
    let read = streamed["pipeline"]["frames_in"].as_u64().unwrap();
    assert!(read + 3 >= local["frames"].as_u64().unwrap(), "{read} frames read of {}", local["frames"]);
    let a = observations(store.path(), local["session"].as_str().unwrap());
    let b = observations(store.path(), streamed["session"].as_str().unwrap());
    // The seconds the stream has observations in: on a busy machine the live source drops frames, and a second
    // it dropped whole would count as a second of entirely different shares (it did, 2.98 points, beside two busy
    // loops); the shares of the seconds both sides observed must agree at any speed, and most seconds must be there.
    let second = |o: &emotrace::pipeline::Observation| o.timestamp_ms / 1000;
    let streamed_seconds: std::collections::BTreeSet<u64> = b.iter().map(second).collect();
    let file_seconds: std::collections::BTreeSet<u64> = a.iter().map(second).collect();
    assert!(streamed_seconds.len() * 4 >= file_seconds.len() * 3, "{streamed_seconds:?} of {file_seconds:?}");
    let a: Vec<_> = a.into_iter().filter(|o| streamed_seconds.contains(&second(o))).collect();
    let r = agreement(&a, &b);
    println!("stream vs file: per-second class shares differ by {:.2} pp on average", r.share_mean_abs_diff * 100.0);
    assert!(r.share_mean_abs_diff <= 0.02, "per-second class shares differ by more than 2 points: {r:?}");
    assert!(r.matched_face_seconds as f64 >= 0.9 * r.face_seconds as f64, "{r:?}");
}

#[test]
fn udp_transport_reads_the_stream() {
    let Some(file) = shared_media("single_face.mp4") else { return };
    let Some(server) = RtspServer::start(&["--serve", &format!("s={}", file.display())]) else { return };
    let store = tempfile::tempdir().unwrap();
    let r = analyze(store.path(), &server.url("s", None), &["--rtsp-transport", "udp"]);
    assert_eq!(r["status"], "completed", "{r}");
    assert!(r["pipeline"]["frames_in"].as_u64().unwrap() >= 60, "frames read (processed or dropped): {r}");
    assert_eq!(r["tracks"], 1, "{r}");
}

#[test]
fn a_server_killed_mid_stream_and_restarted_is_one_session_with_one_gap() {
    let Some(file) = shared_media("WolfgangLanger_Pexels.mp4") else { return };
    let serve = format!("w={}", file.display());
    let Some(server) = RtspServer::start(&["--serve", &serve]) else { return };
    let store = tempfile::tempdir().unwrap();
    let url = server.url("w", None);
    let child = spawn(store.path(), &["analyze", &url, "--json"]);
    // Killed once faces are being stored (whatever this machine's speed), started again 3 s later.
    wait_for_session(store.path(), "no observation stored", |s| s["observations"].as_u64().unwrap_or(0) > 20);
    let port = server.kill();
    std::thread::sleep(Duration::from_secs(3));
    let again = RtspServer::start(&["--port", &port.to_string(), "--serve", &serve]).expect("restart the server");
    let out = child.wait_with_output().unwrap();
    drop(again);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stored = sessions(store.path());
    assert_eq!(stored.len(), 1, "one session: {stored:?}");
    let gaps = report["source_gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{report}");
    let (lost, back) = (gaps[0]["lost_ms"].as_u64().unwrap(), gaps[0]["back_ms"].as_u64().unwrap());
    assert!(back >= lost + 3000, "the gap covers the 3 s the server was down: {gaps:?}");
    let record = Store::open_existing(store.path()).unwrap().open_session(report["session"].as_str().unwrap()).unwrap();
    assert_eq!(record.record().source_gaps.len(), 1, "the gap is in the session record");
    let obs = record.observations().unwrap();
    assert!(obs.iter().any(|o| o.timestamp_ms < lost), "faces before the gap");
    let after = obs.iter().filter(|o| o.timestamp_ms > back).count();
    assert!(after > 100, "faces go on being observed after the gap: {after}");
    assert!(obs.iter().all(|o| o.timestamp_ms <= lost || o.timestamp_ms >= back), "no face inside the gap");
}

/// Runs `analyze URL` and asserts it failed with one line, exit 1, and left no session.
fn fails_in_one_line(store: &Path, url: &str, words: &[&str]) -> String {
    let out = run(store, &["analyze", url, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "not one line: {stderr}");
    let lower = stderr.to_lowercase();
    assert!(words.iter().any(|w| lower.contains(w)), "no reason among {words:?}: {stderr}");
    assert!(sessions(store).is_empty(), "a failed open left a session");
    assert!(!stderr.contains(PASSWORD), "the password is printed: {stderr}");
    stderr
}

#[test]
fn a_wrong_password_a_missing_stream_and_a_closed_port_are_one_line_each() {
    let Some(file) = shared_media("single_face.mp4") else { return };
    let serve = format!("s={}", file.display());
    let Some(server) = RtspServer::start(&["--serve", &serve, "--user", "teacher", "--password", PASSWORD]) else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    fails_in_one_line(store.path(), &server.url("s", Some(("teacher", "wrong"))), &["401", "password"]);
    fails_in_one_line(store.path(), &server.url("s", None), &["401", "password"]);
    fails_in_one_line(store.path(), &server.url("nothing", Some(("teacher", PASSWORD))), &["404", "no such stream"]);
    let port = server.kill();
    fails_in_one_line(store.path(), &format!("rtsp://teacher:{PASSWORD}@127.0.0.1:{port}/s"), &["refused"]);
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_bytes(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.extend(b);
        }
    }
    out
}

#[test]
fn the_password_is_in_no_stored_or_printed_byte() {
    let Some(file) = shared_media("single_face.mp4") else { return };
    let serve = format!("s={}", file.display());
    let Some(server) = RtspServer::start(&["--serve", &serve, "--user", "teacher", "--password", PASSWORD]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let url = server.url("s", Some(("teacher", PASSWORD)));
    let mut printed = Vec::new();
    for json in [true, false] {
        let args: &[&str] = if json { &["analyze", &url, "--json"] } else { &["analyze", &url] };
        let out = run(&store, args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    }
    let shown = String::from_utf8_lossy(&printed).to_string();
    assert!(shown.contains("teacher:***@127.0.0.1"), "the URL is shown masked: {shown}");
    let id = sessions(&store)[0]["id"].as_str().unwrap().to_string();
    let report = dir.path().join("report.html");
    for args in [
        vec!["export", "--format", "csv", &id],
        vec!["export", "--format", "json", &id],
        vec!["export", "--format", "fex", &id],
        vec!["report", &id, "--out", report.to_str().unwrap()],
        vec!["sessions"],
        vec!["sessions", "--json"],
    ] {
        let out = run(&store, &args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    }
    printed.extend(std::fs::read(&report).unwrap());
    printed.extend(all_bytes(&store));
    let needle = PASSWORD.as_bytes();
    assert!(!printed.windows(needle.len()).any(|w| w == needle), "the password is in a stored or printed byte");
    // And it was used: the session is complete.
    assert_eq!(sessions(&store)[0]["status"], "completed");
}

#[test]
fn a_port_that_answers_something_else_is_one_line() {
    // A web server (or a proxy) where the camera was expected: it answers HTTP, not RTSP.
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let store = tempfile::tempdir().unwrap();
    let stderr = fails_in_one_line(store.path(), &format!("rtsp://127.0.0.1:{port}/cam"), &["does not answer in rtsp"]);
    assert!(!stderr.contains("0000:"), "no hex dump: {stderr}");
    server.join().unwrap();
}
