//! `emotrace report` end to end: `analyze` a bundled recording into a private store with the real binary, add a
//! marker, a note and a track name through the library, then write the HTML report with the binary and read it.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use common::*;
use emotrace::store::{AnnotationKind, Store};

const MARKER: &str = "stimulus 1";
const NOTE: &str = "<script>alert(1)</script> laugh";
const NAME: &str = "P<07>";

/// One analysed and annotated session shared by the tests: (store folder, `analyze --json` report, track ids).
fn annotated() -> &'static (PathBuf, serde_json::Value, Vec<u32>) {
    static ONCE: OnceLock<(PathBuf, serde_json::Value, Vec<u32>)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report_cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let analysed = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
        assert!(analysed["tracks"].as_u64().unwrap() >= 1, "{analysed}");
        let id = analysed["session"].as_str().unwrap();
        let tracks = {
            let mut s = Store::open(&store).unwrap().open_session(id).unwrap();
            s.annotate(AnnotationKind::Marker, 1_000, None, MARKER, None).unwrap();
            s.annotate(AnnotationKind::Note, 1_200, Some(2_000), NOTE, None).unwrap();
            let tracks: Vec<u32> = s.tracks().unwrap().iter().map(|t| t.id).collect();
            s.name_track(tracks[0], NAME).unwrap();
            tracks
        };
        (store, analysed, tracks)
    })
}

fn session_id() -> String {
    annotated().1["session"].as_str().unwrap().to_string()
}

/// Runs `emotrace --store STORE report ARGS...` (one at a time: a session is opened by one process at a time).
fn report(store: &Path, args: &[&str]) -> std::process::Output {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    run(store, &all)
}

/// Writes the report of the shared session to a fresh temporary folder: (folder, page, stderr).
fn written() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.html");
    let id = session_id();
    // A unique prefix names the session too.
    let result = report(&annotated().0, &[&id[..11], "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "{}: {stderr}", result.status);
    assert!(result.stdout.is_empty());
    let page = std::fs::read_to_string(&out).unwrap();
    (dir, page, stderr)
}

/// The part of `page` from `<figure id="ID">` to its `</figure>`.
fn figure<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<figure id=\"{id}\">")).unwrap_or_else(|| panic!("no figure {id}"));
    let len = page[start..].find("</figure>").unwrap();
    &page[start..start + len]
}

#[test]
fn the_report_is_one_offline_html_file_said_on_stderr_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, page, stderr) = written();
    let out = dir.path().join("session.html");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&session_id()) && stderr.contains(out.to_str().unwrap()), "{stderr}");
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    // Nothing but the report is left in the folder (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100]);
    assert!(page.trim_end().ends_with("</html>"));
    assert_eq!(page.matches("<html").count(), 1);
    assert_eq!(page.matches("<body").count(), 1);
    // Plots are inline SVG: class timeline, valence, facing the front, faces in view, seat map, one per face.
    let faces = annotated().2.len();
    assert_eq!(page.matches("<svg").count(), 5 + faces);
    // Nothing is fetched from elsewhere: the only URLs are the SVG namespace.
    let urls = page.matches("http://").count() + page.matches("https://").count();
    assert_eq!(urls, page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(), "external references");
    for external in ["<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "@font-face"] {
        assert!(!page.contains(external), "{external}");
    }
}

#[test]
fn the_timeline_shows_the_markers_and_notes_with_their_labels_escaped() {
    let (_dir, page, _) = written();
    let timeline = figure(&page, "class-timeline");
    assert!(timeline.contains("<svg") && timeline.contains("</svg>"));
    assert!(timeline.contains(MARKER), "the marker's label is on the timeline");
    assert!(timeline.contains("&lt;script&gt;alert(1)&lt;/script&gt; laugh"), "the note's label, escaped");
    // The marker line: a vertical path at one x.
    assert!(timeline.contains("<polyline"), "lines");
    assert!(timeline.contains("<polygon"), "stacked areas");
    assert!(figure(&page, "faces-in-view").contains("<svg"));
    // And in the table of markers and notes, escaped for HTML.
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt; laugh"));
    assert!(!page.contains(NOTE));
}

#[test]
fn every_face_has_a_plot_and_the_figures_match_the_session_record() {
    let (_dir, page, _) = written();
    let (_, analysed, tracks) = annotated();
    for (i, id) in tracks.iter().enumerate() {
        let start = page.find(&format!("<figure class=\"face\" id=\"face-{id}\">")).expect("a plot per face");
        let fig = &page[start..start + page[start..].find("</figure>").unwrap()];
        assert!(fig.contains("<svg"));
        if i == 0 {
            assert!(fig.contains("<b>P&lt;07&gt;</b>"), "the name, escaped: {fig}");
        } else {
            assert!(fig.contains(&format!("<b>Face {id}</b>")));
        }
    }
    assert!(!page.contains(NAME));
    let frames = analysed["frames"].as_u64().unwrap();
    let with_faces = analysed["frames_with_faces"].as_u64().unwrap();
    assert!(page.contains(&format!("<dd>{frames} processed, {with_faces} with a face observed</dd>")), "frames");
    assert!(page.contains(&format!("<dd>{} face-frames</dd>", analysed["observations"])), "observations");
    assert!(page.contains(&format!("<dd>{}</dd>", session_id())));
    assert!(page.contains("<dd>completed</dd>"));
    assert!(page.contains("single_face.mp4 (video)"));
    let p = &analysed["pipeline"];
    assert!(page.contains(&format!("<div class=\"v\">{:.1}</div>", p["input_fps"].as_f64().unwrap())), "input FPS");
    assert!(page.contains(&format!("<div class=\"v\">{:.1}</div>", p["processed_fps"].as_f64().unwrap())));
    assert!(page.contains(&format!("<div class=\"v\">{}</div>", p["frames_dropped"])), "dropped frames");
    let rate = with_faces as f64 / frames as f64 * 100.0;
    assert!(page.contains(&format!("<div class=\"v\">{rate:.1}%</div>")), "detection rate");
    assert!(page.contains(&format!("<div class=\"v\">{:.0} ms</div>", p["latency_p95_ms"].as_f64().unwrap())));
    // The summary: the class and each face, segments split at the marker, the annotations.
    let shares = &page[page.find("<table id=\"shares\">").unwrap()..];
    let shares = &shares[..shares.find("</table>").unwrap()];
    assert_eq!(shares.matches("<tr>").count(), 2 + tracks.len(), "header, class, faces");
    let segments = &page[page.find("<table id=\"segments\">").unwrap()..];
    let segments = &segments[..segments.find("</table>").unwrap()];
    assert!(segments.contains("<td>start</td>") && segments.contains(&format!("<td>{MARKER}</td>")));
    let total: u64 = segments
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let last = row.rsplit("<td class=\"n\">").next().unwrap();
            last[..last.find('<').unwrap()].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(total, analysed["observations"].as_u64().unwrap(), "segments hold every observation once");
}

#[test]
fn a_session_without_faces_still_gets_a_report() {
    let store = tempfile::tempdir().unwrap();
    let analysed = run_json(store.path(), &["analyze", recording("no_face.mp4").to_str().unwrap(), "--json"]);
    assert_eq!(analysed["tracks"], 0);
    let out = store.path().join("none.html");
    let result = report(store.path(), &[analysed["session"].as_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let page = std::fs::read_to_string(&out).unwrap();
    // Class timeline, valence, facing the front, faces in view; no seat map without faces.
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(figure(&page, "class-timeline").contains("no faces in this session"));
    assert!(figure(&page, "valence").contains("no faces in this session"));
    assert!(page.contains("No face was tracked in this session."));
}

#[test]
fn an_unknown_session_or_an_unwritable_file_is_one_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.html");
    let result = report(&annotated().0, &["19990101-000000", "--out", out.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no session '19990101-000000'"), "{stderr}");
    assert!(!out.exists());

    let missing = dir.path().join("no/such/folder/x.html");
    let result = report(&annotated().0, &[&session_id(), "--out", missing.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
}

#[test]
fn the_configuration_stored_and_shown_is_the_one_that_ran_flags_included() {
    // Issue 27: the flags used to patch the pipeline only, and the report said yunet for a seeta run.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let input = recording("single_face.jpg");
    let flags = ["--detector", "seeta", "--model", "fer", "--min-face-px", "30", "--classify-hz", "5"];
    let r = run_json(&store, &[&["analyze", input.to_str().unwrap(), "--json"][..], &flags].concat());
    let id = r["session"].as_str().unwrap();
    let record = Store::open_existing(&store).unwrap().open_session(id).unwrap().record().clone();
    let cfg = &record.config;
    assert_eq!(cfg["detect"]["backend"], "seeta", "{cfg}");
    assert_eq!(cfg["classify"]["model"], "fer", "{cfg}");
    assert_eq!(cfg["detect"]["min_face_px"], 30.0, "{cfg}");
    assert_eq!(cfg["classify"]["min_rate_hz"], 5.0, "{cfg}");
    assert!(record.models.contains("seeta") && record.models.contains("fer"), "{}", record.models);
    // The detector is a field of the record, which exports read (not a parse of the models text).
    assert_eq!(record.detector, Some(emotrace::detect::Backend::Seeta));
    assert_eq!(emotrace::store::export::session_detector(&record), emotrace::detect::Backend::Seeta);
    let out = dir.path().join("r.html");
    let o = common::run(&store, &["report", id, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(&out).unwrap();
    let shown = page.split("Configuration in force").nth(1).unwrap().split("</pre>").next().unwrap();
    let line = |key: &str| shown.lines().find(|l| l.contains(key)).unwrap_or_default().to_string();
    assert!(line("backend").contains("seeta"), "{shown}");
    assert!(line("\"model\"").contains("fer") || line("model&quot;").contains("fer"), "{shown}");
    assert!(line("min_face_px").contains("30"), "{shown}");
    // A flag out of its key's range is refused like a file's value, before anything is stored.
    let bad = common::run(&store, &["analyze", input.to_str().unwrap(), "--min-face-px", "0"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("min_face_px"), "{}", String::from_utf8_lossy(&bad.stderr));
}
