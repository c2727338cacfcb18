//! The review screen drawn off-screen (ratatui's `TestBackend`) on a session analysed from a bundled
//! recording: the timeline rows, the zoom levels agreeing with each other, the cursor values and the summary.

use crate::common;

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use emotrace::store::Store;
use emotrace::tui::review::{render, ReviewApp};
use emotrace::tui::Theme;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use ratatui::Terminal;

use common::*;

fn open(store: &Path) -> ReviewApp {
    let id = run_json(store, &["analyze", recording("WolfgangLanger_Pexels.mp4").to_str().unwrap(), "--json"])
        ["session"]
        .as_str()
        .unwrap()
        .to_string();
    ReviewApp::open(Store::open(store).unwrap().open_session(&id).unwrap()).unwrap()
}

fn draw(app: &mut ReviewApp, theme: &Theme, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    render::prepare(app, Size::new(w, h));
    t.draw(|f| render::draw(f, app, theme)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()).collect()
}

fn key(app: &mut ReviewApp, c: KeyCode) {
    app.key(KeyEvent::new(c, KeyModifiers::NONE));
}

#[test]
fn the_review_screen_draws_a_real_session_and_its_zoom_levels_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open(dir.path());
    let theme = Theme::new(true, false);
    let screen = draw(&mut app, &theme, 120, 40);
    let text = screen.join("\n");
    for row in ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "faces", "markers", "time"] {
        assert!(screen.iter().any(|l| l.trim_start_matches('│').starts_with(row)), "no '{row}' row:\n{text}");
    }
    assert!(text.contains("Face 1") && text.contains("completed"), "{text}");
    // The 19 s video fits 108 columns at 200 ms per column.
    let v = app.view();
    assert_eq!((v.bucket_ms(), v.columns), (200, 108));

    // Sub-second buckets (from the observations) add up to the stored seconds.
    let fine = app.buckets().unwrap().to_vec();
    let seconds = app.session.timeline.seconds().to_vec();
    assert!(seconds.len() >= 19, "{}", seconds.len());
    for (s, stored) in seconds.iter().enumerate() {
        let five = &fine[s * 5..(s * 5 + 5).min(fine.len())];
        let frames: u32 = five.iter().map(|b| b.frames).sum();
        let obs: u32 = five.iter().map(|b| b.class().frames).sum();
        let happy: u32 = five.iter().map(|b| b.class().dominant[3]).sum();
        assert_eq!(
            (frames, obs, happy),
            (stored.frames, stored.class().frames, stored.class().dominant[3]),
            "second {s}"
        );
    }
    // Zooming out to seconds reads the stored totals: the same shares.
    key(&mut app, KeyCode::Char('-'));
    key(&mut app, KeyCode::Char('-'));
    assert_eq!(app.view().bucket_ms(), 1000);
    let coarse = app.buckets().unwrap().to_vec();
    assert_eq!(coarse[3], seconds[3]);

    // The cursor panel shows the face's values at the cursor; End moves to the last second.
    key(&mut app, KeyCode::End);
    let v = app.view();
    assert_eq!(v.cursor_ms, (app.session.covered_ms() - 1) / 1000 * 1000);
    let screen = draw(&mut app, &theme, 120, 40).join("\n");
    assert!(screen.contains(&format!("at {}", emotrace::fmt::clock_tenths(v.cursor_ms))), "{screen}");
    let last = &coarse.iter().rev().find(|b| b.frames > 0).unwrap();
    let dominant = last.class().dominant_emotion().unwrap();
    assert!(screen.lines().any(|l| l.contains("> Face 1") && l.contains(dominant.name())), "{screen}");

    // The summary: time shares of the one face equal the class's, a segment per marker.
    app.panel = emotrace::tui::review::app::Panel::Summary;
    let lines = render::summary_lines(&app);
    let class = lines.iter().find(|l| l.trim_start().starts_with("class")).unwrap();
    let face = lines.iter().find(|l| l.trim_start().starts_with("Face 1")).unwrap();
    assert_eq!(class.split_whitespace().nth(1), face.split_whitespace().nth(2), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("start")), "{lines:?}");
}

#[test]
fn a_small_terminal_gets_a_message_and_ascii_draws_no_unicode() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open(dir.path());
    let small = draw(&mut app, &Theme::new(false, true), 40, 12).join("\n");
    assert!(small.contains("too small"), "{small}");
    // Issue 25, item 14: at 20x5 the message lost the size it needs; it wraps instead.
    let tiny = draw(&mut app, &Theme::new(false, true), 20, 5).join("\n");
    assert!(tiny.contains("50x20") && tiny.contains("too small"), "{tiny}");
    let ascii = draw(&mut app, &Theme::new(false, true), 90, 30).join("\n");
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("Face 1"));
}

/// The session browser of a store holding one session of `source`, finished as `status`.
fn browser_of_one_session(
    dir: &std::path::Path,
    source: String,
    status: emotrace::store::SessionStatus,
) -> emotrace::tui::review::browser::Browser {
    let store = Store::open(dir).unwrap();
    let w = store
        .create_session(emotrace::store::NewSession {
            source,
            source_kind: emotrace::SourceKind::Video,
            decoder: None,
            models: "test".into(),
            detector: None,
            config: serde_json::json!({}),
            schedule: None,
            frame_rate: None,
        })
        .unwrap();
    w.finish(status, None).unwrap();
    emotrace::tui::review::browser::Browser::new(store).unwrap()
}

/// The browser drawn on a `width` x 10 screen, line by line.
fn browser_lines(browser: &emotrace::tui::review::browser::Browser, width: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(width, 10)).unwrap();
    t.draw(|f| emotrace::tui::review::browser::draw(f, browser, &Theme::new(false, false))).unwrap();
    let buf = t.backend().buffer().clone();
    (0..10u16).map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect()
}

#[test]
fn the_browser_keeps_a_cell_between_a_status_and_the_border() {
    // Issue 25, item 14: "interrupted" touched the browser's right border.
    let dir = tempfile::tempdir().unwrap();
    let source = recording("WolfgangLanger_Pexels.mp4").display().to_string();
    let browser = browser_of_one_session(dir.path(), source, emotrace::store::SessionStatus::Interrupted);
    for width in [80u16, 120] {
        let lines = browser_lines(&browser, width);
        let line = lines.iter().find(|l| l.contains("interrupted")).unwrap_or_else(|| panic!("no row: {lines:?}"));
        assert!(line.contains("interrupted │") || line.contains("interrupted |"), "{line}");
    }
}

#[test]
fn the_browser_shows_a_bidirectional_override_in_a_source_name_as_an_escape() {
    // A file name with a right-to-left override (U+202E, "a\u{202E}4pm.exe" reads "aexe.mp4") would turn the rest of
    // the row around: ratatui drops control characters but passes format characters to the terminal.
    let dir = tempfile::tempdir().unwrap();
    let source = "/videos/a\u{202E}4pm.exe".to_string();
    let browser = browser_of_one_session(dir.path(), source, emotrace::store::SessionStatus::Completed);
    let screen = browser_lines(&browser, 160).concat();
    assert!(!screen.contains('\u{202E}'), "the override reached the screen");
    assert!(screen.contains("a\\u{202e}4pm.exe"), "{screen}");
}
