//! xAPI: `export --format xapi` and `send` to a real Learning Record Store, Ralph (PyPI `ralph-malph`, its LRS
//! server with the file-system backend), started here on 127.0.0.1 with HTTP Basic authentication from its own auth
//! file (made by `ralph auth`). The statements are read back through Ralph's xAPI API.
//!
//! Ralph runs from its own venv, `tests/.venv-lrs` (made by `scripts/test-venv.sh`; its pinned FastAPI and pydantic
//! stay out of the export tools' venv). Without it these tests are skipped with a note, unless
//! `EMOTRACE_REQUIRE_LRS` is set, as CI sets it: then a missing venv fails them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Ralph's user and password in these tests.
const USER: &str = "emotrace-test";
const PASSWORD: &str = "correct horse battery";

/// The LRS venv's Python, or `None` (after a note) when there is none and it is not required.
fn lrs_python() -> Option<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/.venv-lrs/bin/python");
    if py.exists() {
        return Some(py);
    }
    assert!(std::env::var_os("EMOTRACE_REQUIRE_LRS").is_none(), "{} missing: run scripts/test-venv.sh", py.display());
    eprintln!("skipped: {} missing (scripts/test-venv.sh makes it)", py.display());
    None
}

/// A Ralph LRS on 127.0.0.1, stopped when dropped.
struct Ralph {
    child: Child,
    /// The xAPI endpoint, `http://127.0.0.1:PORT/xAPI`.
    endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for Ralph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Ralph {
    /// Writes the auth file with `ralph auth`, starts the LRS server (uvicorn serving `ralph.api:app`, the app
    /// `ralph runserver` runs, without its file watcher) and waits until it answers.
    fn start(py: &Path) -> Ralph {
        let dir = tempfile::tempdir().unwrap();
        let auth = dir.path().join("auth.json");
        let data = dir.path().join("statements");
        std::fs::create_dir_all(&data).unwrap();
        let env = |c: &mut Command| {
            c.env("RALPH_APP_DIR", dir.path().join("app"))
                .env("RALPH_AUTH_FILE", &auth)
                .env("RALPH_RUNSERVER_BACKEND", "fs")
                .env("RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH", &data);
        };
        let mut c = Command::new(py.with_file_name("ralph"));
        env(&mut c);
        let out = c
            .args(["auth", "-u", USER, "-p", PASSWORD, "-s", "all", "-M", "mailto:lrs-test@example.org", "-w"])
            .output()
            .unwrap();
        assert!(out.status.success(), "ralph auth: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut c = Command::new(py);
        env(&mut c);
        let child = c
            .args(["-m", "uvicorn", "ralph.api:app", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--log-level", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ralph = Ralph { child, endpoint: format!("http://127.0.0.1:{port}/xAPI"), _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(90);
        let heartbeat = format!("http://127.0.0.1:{port}/__heartbeat__");
        while ureq::get(&heartbeat).call().is_err() {
            assert!(Instant::now() < deadline, "Ralph did not answer on {heartbeat} within 90 s");
            std::thread::sleep(Duration::from_millis(250));
        }
        ralph
    }

    /// Every statement stored, read through the LRS's own API (newest first).
    fn statements(&self) -> Vec<serde_json::Value> {
        let auth = format!("Basic {}", base64_credentials(USER, PASSWORD));
        let mut r = ureq::get(&format!("{}/statements?limit=100", self.endpoint))
            .header("X-Experience-API-Version", "1.0.3")
            .header("Authorization", auth)
            .call()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert!(v["more"].as_str().is_none_or(str::is_empty), "more than one page: {v}");
        v["statements"].as_array().unwrap().clone()
    }
}

fn base64_credentials(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// A stored session of the bundled one-face clip with two markers: (store folder, session id).
fn session_with_markers(dir: &Path) -> (PathBuf, String) {
    let store = dir.join("store");
    let report = run_json(&store, &["analyze", recording("WolfgangLanger_Pexels.mp4").to_str().unwrap(), "--json"]);
    let id = report["session"].as_str().unwrap().to_string();
    let s = emotrace::store::Store::open(&store).unwrap();
    let mut reader = s.open_session(&id).unwrap();
    reader.annotate(emotrace::store::AnnotationKind::Marker, 4_000, None, "question", None).unwrap();
    reader.annotate(emotrace::store::AnnotationKind::Marker, 9_000, None, "group work", None).unwrap();
    reader.annotate(emotrace::store::AnnotationKind::Note, 1_000, Some(2_000), "a note is no marker", None).unwrap();
    (store, id)
}

/// `emotrace send` with the given credentials in the environment (none when `None`).
fn send(store: &Path, id: &str, endpoint: &str, credentials: Option<(&str, &str)>) -> std::process::Output {
    let mut c = Command::new(bin());
    c.arg("--store").arg(store).args(["send", id, "--lrs", endpoint, "--group", "7B physics"]);
    c.env_remove("EMOTRACE_LRS_USER").env_remove("EMOTRACE_LRS_PASSWORD");
    if let Some((u, p)) = credentials {
        c.env("EMOTRACE_LRS_USER", u).env("EMOTRACE_LRS_PASSWORD", p);
    }
    c.output().unwrap()
}

#[test]
fn the_xapi_export_is_class_level_with_stable_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = session_with_markers(dir.path());
    let export = |name: &str| {
        let path = dir.path().join(name);
        let out =
            run(&store, &["export", &id, "--format", "xapi", "--group", "7B physics", "--out", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(path).unwrap()
    };
    let text = export("a.json");
    assert_eq!(text, export("b.json"), "the same session gives the same statements");
    let statements: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    // The session, three segments (start, question, group work), two markers; the note is not a marker.
    assert_eq!(statements.len(), 6, "{text}");
    let verbs: Vec<&str> = statements.iter().map(|s| s["verb"]["display"]["en"].as_str().unwrap()).collect();
    assert_eq!(verbs, ["attended", "experienced", "experienced", "experienced", "experienced", "experienced"]);
    for s in &statements {
        assert_eq!(s["actor"]["objectType"], "Group");
        assert_eq!(s["actor"]["account"]["name"], "7B physics");
        assert!(s["actor"].get("member").is_none());
        assert_eq!(s["context"]["registration"], statements[0]["context"]["registration"]);
    }
    let session = &statements[0];
    assert_eq!(session["object"]["id"], format!("https://emotrace.invalid/xapi/sessions/{id}"));
    let ext = &session["result"]["extensions"];
    let end_ms = ext["https://emotrace.invalid/xapi/extensions/end-ms"].as_u64().unwrap();
    // The clip is 19.6 s long; the duration is the session's, to the hundredth.
    assert!((19_000..20_000).contains(&end_ms), "{session}");
    assert_eq!(session["result"]["duration"], format!("PT{}.{:02}S", end_ms / 1000, end_ms % 1000 / 10));
    let shares = &ext["https://emotrace.invalid/xapi/extensions/emotion-shares"];
    let total: f64 = shares.as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-3, "{shares}");
    assert!(ext["https://emotrace.invalid/xapi/extensions/valence"].is_number());
    assert!(ext["https://emotrace.invalid/xapi/extensions/attention"].is_number(), "YuNet gives landmarks: {ext}");
    let segment_names: Vec<&str> =
        statements[1..4].iter().map(|s| s["object"]["definition"]["name"]["en"].as_str().unwrap()).collect();
    assert_eq!(segment_names, ["start (0:00-0:04)", "question (0:04-0:09)", "group work (0:09-0:19)"]);
    assert_eq!(statements[4]["object"]["definition"]["name"]["en"], "question");
    assert_eq!(statements[4]["context"]["extensions"]["https://emotrace.invalid/xapi/extensions/start-ms"], 4000);
    // Nothing about a single face: no track ids, boxes or names.
    for word in ["track", "\"x\"", "box", "observations"] {
        assert!(!text.contains(word), "{word} in the statements");
    }
    // Options of other formats are refused, with one line.
    let out = run(&store, &["export", &id, "--format", "xapi", "--bom"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&store, &["export", &id, "--format", "csv", "--group", "x"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn send_posts_to_ralph_once_and_a_wrong_password_is_one_line_and_exit_1() {
    let Some(py) = lrs_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = session_with_markers(dir.path());
    let ralph = Ralph::start(&py);

    // No credentials, or the wrong password: one line, exit 1, nothing stored.
    for creds in [None, Some((USER, "wrong password"))] {
        let out = send(&store, &id, &ralph.endpoint, creds);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("EMOTRACE_LRS_PASSWORD"), "{err}");
        assert!(!err.contains("wrong password"), "the password is never printed: {err}");
    }
    assert!(ralph.statements().is_empty());

    let out = send(&store, &id, &ralph.endpoint, Some((USER, PASSWORD)));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported = run(&store, &["export", &id, "--format", "xapi", "--group", "7B physics"]);
    let exported: Vec<serde_json::Value> = serde_json::from_slice(&exported.stdout).unwrap();
    let stored = ralph.statements();
    let ids = |v: &[serde_json::Value]| {
        let mut ids: Vec<String> = v.iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&stored), ids(&exported));
    let session = stored.iter().find(|s| s["verb"]["display"]["en"] == "attended").unwrap();
    assert_eq!(session["actor"]["account"]["name"], "7B physics");
    assert_eq!(session["result"], exported[0]["result"]);

    // Sending again adds nothing.
    let out = send(&store, &id, &ralph.endpoint, Some((USER, PASSWORD)));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&ralph.statements()), ids(&exported));

    // The URL, user and password file from the configuration's [lrs] table instead (no --lrs, no environment):
    // the same statements again, so still nothing new.
    let password_file = dir.path().join("lrs-password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let config = dir.path().join("config.toml");
    let table = |file: &Path| {
        format!("[lrs]\nurl = \"{}\"\nuser = \"{USER}\"\npassword_file = \"{}\"\n", ralph.endpoint, file.display())
    };
    std::fs::write(&config, table(&password_file)).unwrap();
    let from_config = |config: &Path| {
        Command::new(bin())
            .arg("--store")
            .arg(&store)
            .arg("--config")
            .arg(config)
            .args(["send", &id, "--group", "7B physics"])
            .env_remove("EMOTRACE_LRS_USER")
            .env_remove("EMOTRACE_LRS_PASSWORD")
            .output()
            .unwrap()
    };
    let out = from_config(&config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&ralph.statements()), ids(&exported));
    // A password file that is not there: one line naming it, exit 1.
    std::fs::write(&config, table(&dir.path().join("no-such-file"))).unwrap();
    let out = from_config(&config);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no-such-file"), "{err}");
}
