//! `live --listen`: a running session opened to other programs. A Python client in the test venv
//! (`tests/py/listen_client.py`) reads `GET /events` (and `?faces=1`) during a headless `live --realtime` run of a
//! bundled recording, validates every event against `docs/events.schema.json`, and posts markers as stimulus
//! software would; the stored session must hold those markers at the times the events and answers gave. Also: the
//! binding rule (beyond loopback only with a token) and 401 without the token.
//!
//! Nothing here depends on the machine's speed: the markers are checked against the event stream's own order
//! (the marker event follows the frame at whose time it was stored), not against wall-clock times.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;

/// Starts `live --headless --listen ADDR ARGS...` on `input` and returns the process and the base URL it prints.
pub fn start_listening(store: &Path, input: &Path, listen: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(bin())
        .arg("--store")
        .arg(store)
        .args(["live", input.to_str().unwrap(), "--realtime", "--headless", "--listen", listen])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emotrace live");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(at) = line.find("listening on http://") {
            let url = line[at + "listening on ".len()..].split_whitespace().next().unwrap().to_string();
            // Keep reading stderr so the process never blocks on a full pipe.
            std::thread::spawn(move || for _ in stderr.lines() {});
            return (child, url);
        }
        line.clear();
    }
    let status = child.wait().unwrap();
    panic!("live --listen ended ({status}) without saying where it listens: {line}");
}

#[test]
fn a_python_client_reads_the_events_and_its_markers_are_stored_at_the_times_sent() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (mut child, url) = start_listening(&store, &recording("WolfgangLanger_Pexels.mp4"), "127.0.0.1:0", &[]);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/events.schema.json");
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/listen_client.py");
    let out = Command::new(&py).arg(&client).arg(&url).arg(&schema).output().unwrap();
    let status = child.wait().unwrap();
    assert!(
        out.status.success(),
        "client: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(status.success(), "live: {status}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // The stream: session_start first, session_stop last, frames between with the one face of the clip.
    assert_eq!((v["first"].as_str(), v["last"].as_str()), (Some("session_start"), Some("session_stop")), "{v}");
    assert!(v["frames_with_faces"].as_u64().unwrap() >= 40, "{v}");
    assert!(v["detailed_faces"].as_u64().unwrap() >= 40, "the ?faces=1 stream carries each face: {v}");
    assert_eq!(v["stop"]["status"], "completed", "{v}");
    let id = v["stop"]["session"].as_str().unwrap().to_string();
    assert_eq!(v["session"]["session"], id.as_str());
    assert_eq!(v["session"]["status"], "running");
    // Bad requests are refused, with the status that says why.
    assert_eq!(
        v["refused"],
        serde_json::json!({"empty": 422, "future": 422, "unknown_field": 422, "query": 400, "path": 404})
    );

    // The markers: the first (no time) at the newest frame's time when it was stored, which is the frame event
    // just before the marker event, and not before the frame the client had seen when it posted; the second at the
    // time it gave.
    let markers = v["markers"].as_array().unwrap();
    let events = v["marker_events"].as_array().unwrap();
    assert_eq!((markers.len(), events.len()), (2, 2), "{v}");
    let first = &markers[0]["answer"];
    assert_eq!(first["label"], "stimulus 1");
    assert_eq!(events[0]["event"]["t_ms"], first["t_ms"]);
    assert_eq!(events[0]["event"]["by"], "api");
    assert_eq!(events[0]["frame_before_t_ms"], first["t_ms"], "{v}");
    assert!(first["t_ms"].as_u64() >= markers[0]["seen_t_ms"].as_u64(), "{v}");
    let second = &markers[1]["answer"];
    assert_eq!(second["label"], "onset");
    assert_eq!(events[1]["event"]["t_ms"], second["t_ms"]);

    // The store holds exactly those markers, at those times.
    let session = emotrace::store::Store::open_existing(&store).unwrap().open_session(&id).unwrap();
    let mut stored: Vec<(u64, String)> =
        session.annotations().unwrap().into_iter().map(|a| (a.start_ms, a.label)).collect();
    stored.sort();
    let mut sent = vec![
        (first["t_ms"].as_u64().unwrap(), "stimulus 1".to_string()),
        (second["t_ms"].as_u64().unwrap(), "onset".to_string()),
    ];
    sent.sort();
    assert_eq!(stored, sent);
    // The time given was that of a frame with a face: the stored marker sits on that frame.
    let frames: Vec<u64> = session.observations().unwrap().iter().map(|o| o.timestamp_ms).collect();
    assert!(frames.contains(&second["t_ms"].as_u64().unwrap()));
}

#[test]
fn beyond_loopback_a_token_is_required_and_a_request_without_it_gets_401() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let clip = recording("WolfgangLanger_Pexels.mp4");
    let out = run(&store, &["live", clip.to_str().unwrap(), "--headless", "--listen", "0.0.0.0:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--token"), "{err}");
    assert!(!store.exists(), "refused before any session was made");

    // With a token, on every address (the requests go to 127.0.0.1 only).
    let (mut child, url) = start_listening(&store, &clip, "0.0.0.0:0", &["--token", "s3cret-token", "--no-record"]);
    let local = url.replace("0.0.0.0", "127.0.0.1");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |auth: Option<&str>| {
        let mut r = agent.get(&format!("{local}/session"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.call().unwrap()
    };
    assert_eq!(get(None).status().as_u16(), 401);
    assert_eq!(get(Some("Bearer wrong-token!")).status().as_u16(), 401);
    let r = get(None);
    assert_eq!(r.headers().get("www-authenticate").unwrap(), "Bearer");
    let mut ok = get(Some("Bearer s3cret-token"));
    assert_eq!(ok.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_str(&ok.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!((body["session"].is_null(), body["recording"].as_bool()), (true, Some(false)), "{body}");
    let marker = agent
        .post(&format!("{local}/markers"))
        .header("Authorization", "Bearer s3cret-token")
        .content_type("application/json")
        .send(r#"{"label": "x"}"#)
        .unwrap();
    assert_eq!(marker.status().as_u16(), 409, "not recording: nothing to store a marker in");
    // SIGINT ends the run as Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
}

/// `GET /session` of the server at `url`, as JSON.
fn session_of(agent: &ureq::Agent, url: &str) -> serde_json::Value {
    let mut r = agent.get(&format!("{url}/session")).call().unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_the_pipeline_goes_on() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // Five faces looped at 30 FPS: with ?faces=1 every event is a few kB, so the kernel's buffers fill soon.
    let image = recording("multi_face.jpg");
    let (mut child, url) = start_listening(&store, &image, "127.0.0.1:0", &["--loop", "--no-record"]);
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))).build().into();
    let addr = url.trim_start_matches("http://");
    let mut stalled = std::net::TcpStream::connect(addr).unwrap();
    stalled.write_all(b"GET /events?faces=1 HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    // The answer's head and the first events, then no more reading.
    let mut head = [0u8; 512];
    let n = stalled.read(&mut head).unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
    assert_eq!(session_of(&agent, &url)["clients"], 1);

    // Dropped once its buffers are full and a write has waited 2 s: how soon depends on the machine's speed (the
    // events' rate), so only a generous bound is asserted; the time is printed.
    let t0 = Instant::now();
    let frames_before = session_of(&agent, &url)["pipeline"]["frames_processed"].as_u64().unwrap();
    loop {
        let s = session_of(&agent, &url);
        if s["clients"] == 0 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(120), "a client that stopped reading still served after 120 s: {s}");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("the stalled client was dropped {:.1} s after it stopped reading", t0.elapsed().as_secs_f64());
    // The pipeline went on meanwhile, and a new client is served from the newest frame.
    let s = session_of(&agent, &url);
    assert!(s["pipeline"]["frames_processed"].as_u64().unwrap() > frames_before, "{s}");
    let mut fresh = agent.get(&format!("{url}/events")).call().unwrap();
    let mut reader = BufReader::new(fresh.body_mut().as_reader());
    let mut line = String::new();
    let mut frames = 0;
    while frames < 3 {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended");
        frames += usize::from(line.starts_with("data:") && line.contains(r#""type":"frame""#));
    }
    drop(reader);
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
}
