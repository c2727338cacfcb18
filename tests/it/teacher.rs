//! The teacher's view end to end, on sessions made from the bundled recordings with the real binary: valence on
//! posed expressions, facing the front and the seat map on the group photo, facing the front on a talk to the
//! camera, and `emotrace compare` on three sessions that share a marker label.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use emotrace::analytics::valence::{of_agg, valence};
use emotrace::store::{AnnotationKind, Store};
use emotrace::tui::review::app::Panel;
use emotrace::tui::review::browser::{self, Browser, BrowserExit};
use emotrace::tui::review::compare::{self, CompareExit, CompareScreen};
use emotrace::tui::review::{render, ReviewApp};
use emotrace::tui::Theme;
use emotrace::SessionOverview;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use ratatui::Terminal;

/// The shared store: (folder, session id per recording name).
fn store() -> &'static (PathBuf, Vec<(String, String)>) {
    static ONCE: OnceLock<(PathBuf, Vec<(String, String)>)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("teacher-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let mut ids = Vec::new();
        for name in
            ["WolfgangLanger_Pexels.mp4", "single_face.mp4", "multi_face.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg"]
        {
            let v = run_json(&store, &["analyze", recording(name).to_str().unwrap(), "--json"]);
            ids.push((name.to_string(), v["session"].as_str().unwrap().to_string()));
        }
        // "quiz" in the two clips (labels compare case-blind), "break" in one.
        let s = Store::open(&store).unwrap();
        let mut w1 = s.open_session(&ids[0].1).unwrap();
        w1.annotate(AnnotationKind::Marker, 5_000, None, "quiz", None).unwrap();
        w1.annotate(AnnotationKind::Marker, 15_000, None, "break", None).unwrap();
        drop(w1);
        s.open_session(&ids[1].1).unwrap().annotate(AnnotationKind::Marker, 1_000, None, "Quiz", None).unwrap();
        (store, ids)
    })
}

fn id(name: &str) -> String {
    store().1.iter().find(|(n, _)| n == name).unwrap().1.clone()
}

/// One session open at a time in this process (sled locks a session's database).
fn lock() -> std::sync::MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

fn data(name: &str) -> SessionOverview {
    let _one = lock();
    let s = Store::open(&store().0).unwrap();
    let reader = s.open_session(&id(name)).unwrap();
    SessionOverview::load(&reader).unwrap()
}

#[test]
fn valence_is_positive_on_the_posed_happy_face_and_negative_on_the_angry_one() {
    let happy = data("0-f15-hao-ph.jpg");
    let angry = data("15-f13-anc-ph.jpg");
    let (h, a) = (of_agg(&happy.session.summary.class).unwrap(), of_agg(&angry.session.summary.class).unwrap());
    eprintln!("valence: happy photo {h:+.3}, angry photo {a:+.3}");
    assert!(h > 0.5, "happy: {h}");
    assert!(a < -0.2, "angry: {a}");
    // One face in one frame: the class valence is that frame's, from its smoothed probabilities.
    let _one = lock();
    let s = Store::open(&store().0).unwrap();
    let obs = s.open_session(&id("0-f15-hao-ph.jpg")).unwrap().observations().unwrap();
    assert_eq!(obs.len(), 1);
    assert!((valence(&obs[0].smoothed) - h).abs() < 1e-5);
}

#[test]
fn the_group_photo_faces_the_front_and_its_seat_map_puts_each_face_where_it_is() {
    let d = data("multi_face.jpg");
    let facing = d.room.facing_total();
    assert_eq!((facing.judged, facing.facing), (5, 5), "five frontal faces");
    assert_eq!(d.room.frame, [1000.0, 667.0]);
    // Box centres of the five faces (onnxruntime's YuNet, tests/data/yunet_reference.json) as frame fractions.
    let want = [(0.477, 0.394), (0.363, 0.447), (0.737, 0.531), (0.582, 0.555), (0.261, 0.176)];
    assert_eq!(d.room.seats.len(), 5);
    for (x, y) in want {
        let near = d.room.seats.iter().find(|s| (s.x - x).abs() < 0.01 && (s.y - y).abs() < 0.01);
        assert!(near.is_some(), "no seat at ({x}, {y}): {:?}", d.room.seats);
    }
    let page = emotrace::report::render(&d).unwrap();
    assert!(page.contains("<figure id=\"seat-map\">"));
    assert!(page.contains("facing the front <b>100%</b> of 5"));
}

#[test]
fn a_talk_to_the_camera_mostly_faces_the_front() {
    let d = data("WolfgangLanger_Pexels.mp4");
    let facing = d.room.facing_total();
    let share = facing.share().unwrap();
    eprintln!("WolfgangLanger: facing {}/{} = {share:.3}, usual faces {}", facing.facing, facing.judged, d.usual_faces);
    // Facing is judged on detected boxes (a predicted box's landmarks are the last detection's, moved): the lecture
    // schedule detects about 4 frames a second of this 20 s clip.
    assert!(facing.judged >= 70, "{facing:?}");
    assert!(share > 0.9, "{facing:?}");
    assert_eq!(d.usual_faces, 1.0);
    let (f, p) = d.room_series();
    assert!(f.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    assert!(p.iter().flatten().all(|v| (*v - 1.0).abs() < 0.2), "{p:?}");
}

#[test]
fn compare_writes_three_sessions_with_the_shared_marker_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("weeks.html");
    let ids = [id("WolfgangLanger_Pexels.mp4"), id("single_face.mp4"), id("multi_face.jpg")];
    let _one = lock();
    let r = run(&store().0, &["compare", &ids[0], &ids[1], &ids[2], "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    assert!(stderr.contains("3 sessions (1 shared marker labels)"), "{stderr}");
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
    assert_eq!(page.matches("<svg").count(), 4, "valence and facing, absolute and normalised");
    assert!(page.contains("<b>quiz</b>") && !page.contains("<b>break</b>"));
    for id in &ids {
        assert!(page.contains(id.as_str()), "{id}");
    }
    assert!(page.contains("Expressions are not inner states") && page.contains("macro-F1 0.666"));
    // One session is not a comparison: a one-line error.
    let one = run(&store().0, &["compare", &ids[0]]);
    assert!(!one.status.success());
    let unknown = run(&store().0, &["compare", &ids[0], "19990101"]);
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success() && err.trim().lines().count() == 1, "{err}");
}

fn screen(w: u16, h: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(draw).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()).collect()
}

fn press(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

#[test]
fn review_shows_the_seat_map_and_a_valence_row_at_80x24_and_160x48() {
    let _one = lock();
    let theme = Theme::new(true, false);
    let reader = Store::open(&store().0).unwrap().open_session(&id("multi_face.jpg")).unwrap();
    let mut app = ReviewApp::open(reader).unwrap();
    app.key(press(KeyCode::Char('p')));
    assert_eq!(app.panel, Panel::Seats);
    for (w, h) in [(80, 24), (160, 48)] {
        render::prepare(&mut app, Size::new(w, h));
        let lines = screen(w, h, |f| render::draw(f, &app, &theme));
        let text = lines.join("\n");
        assert!(lines.iter().any(|l| l.trim_start_matches('│').starts_with("valence")), "{w}x{h}:\n{text}");
        assert!(text.contains("seat map") && text.contains("camera's view"), "{w}x{h}:\n{text}");
        // All five faces on the plan; the left-most face (26% across) left of the right-most (74%).
        for k in 1..=5 {
            assert!(text.contains(&format!("Face {k}")), "{w}x{h}: Face {k}\n{text}");
        }
        let room = app.room().unwrap().clone();
        let (left, right) = (
            room.seats.iter().min_by(|a, b| a.x.total_cmp(&b.x)).unwrap(),
            room.seats.iter().max_by(|a, b| a.x.total_cmp(&b.x)).unwrap(),
        );
        let col = |id: u32| {
            let name = format!("Face {id}");
            lines.iter().filter_map(|l| l.find(&name)).min().unwrap()
        };
        assert!(col(left.track_id) < col(right.track_id), "{w}x{h}:\n{text}");
        if w >= 160 {
            assert!(text.contains("facing") && text.contains("100%"), "{w}x{h}:\n{text}");
        }
    }
    // A name given on the seat map shows on it.
    app.key(press(KeyCode::Char('r')));
    for c in "P07".chars() {
        app.key(press(KeyCode::Char(c)));
    }
    app.key(press(KeyCode::Enter));
    render::prepare(&mut app, Size::new(160, 48));
    let text = screen(160, 48, |f| render::draw(f, &app, &theme)).join("\n");
    assert!(text.contains("P07") && app.panel == Panel::Seats, "{text}");
}

#[test]
fn marked_sessions_open_side_by_side_in_review_at_80x24_and_160x48() {
    let _one = lock();
    let theme = Theme::new(true, false);
    let mut browser = Browser::new(Store::open(&store().0).unwrap()).unwrap();
    let ids = [id("WolfgangLanger_Pexels.mp4"), id("single_face.mp4"), id("multi_face.jpg")];
    for want in &ids {
        browser.selected = browser.sessions.iter().position(|s| &s.id == want).unwrap();
        browser.key(press(KeyCode::Char(' ')));
    }
    let list = screen(80, 24, |f| browser::draw(f, &browser, &theme)).join("\n");
    assert!(list.contains("●1") && list.contains("●3"), "{list}");
    let BrowserExit::Compare(marked) = browser.key(press(KeyCode::Char('C'))) else { panic!("no compare") };
    assert_eq!(marked, ids);
    let mut view = CompareScreen::new(emotrace::CompareView::load(browser.store(), &marked).unwrap());
    for (w, h) in [(80, 24), (160, 48)] {
        view.prepare(&theme, Size::new(w, h));
        let text = screen(w, h, |f| compare::draw(f, &view, &theme)).join("\n");
        assert!(text.contains("compare 3 sessions"), "{w}x{h}:\n{text}");
        for k in 1..=3 {
            assert!(text.contains(&format!("#{k} ")), "{w}x{h}: #{k}\n{text}");
        }
        assert!(
            text.contains("valence over each session") && text.contains("facing the front over"),
            "{w}x{h}:\n{text}"
        );
        if h >= 48 {
            assert!(text.contains("quiz") && text.contains("not inner states"), "{w}x{h}:\n{text}");
        }
    }
    // Scrolling down at 80x24 reaches the shared marker.
    for _ in 0..12 {
        view.key(press(KeyCode::Down));
    }
    view.prepare(&theme, Size::new(80, 24));
    let text = screen(80, 24, |f| compare::draw(f, &view, &theme)).join("\n");
    assert!(text.contains("quiz"), "{text}");
    assert_eq!(view.key(press(KeyCode::Char('q'))), CompareExit::Back);
}
