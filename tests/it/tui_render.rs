//! The live screen drawn onto ratatui's `TestBackend` from real-looking pipeline results: sizes 80x24 and
//! 200x60, paging, greyed faces, end and error states, ASCII mode; and the lab keys driven through
//! `App::key` (markers, names, recording, selection), the class strip and the preview.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use emotrace::classify::{Emotion, Probs, NUM_EMOTIONS};
use emotrace::detect::BBox;
use emotrace::pipeline::{FrameResult, Observation, PipelineStats};
use emotrace::tui::app::App;
use emotrace::tui::input::Action;
use emotrace::tui::{render, Level, LiveCommand, LiveEvent, LiveInfo, Theme, TuiConfig};
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use ratatui::Terminal;

/// Probabilities peaking at `top` with `p`, the rest spread unevenly; sums to 1.
fn probs(top: Emotion, p: f32) -> Probs {
    let weights = [3.0, 1.0, 2.0, 4.0, 3.0, 2.0, 5.0];
    let mut a = [0.0f32; NUM_EMOTIONS];
    let rest: f32 = weights.iter().enumerate().filter(|(i, _)| *i != top as usize).map(|(_, w)| w).sum();
    for (i, w) in weights.iter().enumerate() {
        a[i] = if i == top as usize { p } else { (1.0 - p) * w / rest };
    }
    a
}

/// Frame `i` of a 25 FPS clip with faces `ids` (face k leans to emotion k % 7).
fn frame(i: u64, ids: &[u32]) -> FrameResult {
    let t = i * 40;
    let observations = ids
        .iter()
        .map(|&id| {
            let e = Emotion::ALL[id as usize % NUM_EMOTIONS];
            let wobble = 0.1 * ((i as f32 + id as f32) / 10.0).sin();
            Observation {
                frame_index: i,
                timestamp_ms: t,
                track_id: id,
                bbox: BBox::new(40.0 + 110.0 * id as f32, 60.0, 96.0, 104.0),
                score: 0.93,
                raw: probs(e, 0.62 + wobble),
                smoothed: probs(e, 0.58 + wobble / 2.0),
                landmarks: None,
                predicted: false,
                classified: true,
            }
        })
        .collect();
    FrameResult {
        frame_index: i,
        timestamp_ms: t,
        width: 640,
        height: 360,
        detections: ids.len(),
        detected: true,
        faces: ids.len(),
        latency_ms: 36.5,
        observations,
        backfill: Vec::new(),
        stats: PipelineStats {
            elapsed_s: t as f64 / 1000.0 + 0.4,
            input_fps: 25.0,
            processed_fps: 23.7,
            latency_p50_ms: 34.2,
            latency_p95_ms: 58.9,
            frames_in: i + 1,
            frames_processed: i + 1 - i / 20,
            frames_dropped: i / 20,
            frames_with_faces: i + 1 - i / 20,
        },
        image: None,
    }
}

fn info() -> LiveInfo {
    LiveInfo {
        source: "WolfgangLanger_Pexels.mp4".into(),
        session_id: Some("01J9ZQ4K7M".into()),
        recording: true,
        model: "ensemble".into(),
        first_run: false,
    }
}

/// An app fed `n` frames (5 s at 25 FPS for 125) with faces `ids`.
fn app_with(ids: &[u32], n: u64, cfg: &TuiConfig) -> App {
    let mut app = App::new(info(), cfg);
    for i in 0..n {
        app.apply(LiveEvent::Frame(frame(i, ids)));
    }
    app
}

/// Draws `app` at `w`x`h` and returns the screen as text, one line per row.
fn draw(app: &mut App, theme: &Theme, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    render::prepare(app, Size::new(w, h));
    term.draw(|f| render::draw(f, app, theme)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn one_face_at_80x24() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 125, &cfg);
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("Face 1"), "{s}");
    // Face 1 leans to disgust (ALL[1]); dominant line in capitals, all 7 bars labelled.
    assert!(s.contains("DISGUST"), "{s}");
    for e in Emotion::ALL {
        assert!(s.contains(e.name()), "{} missing\n{s}", e.name());
    }
    assert!(s.contains("25.0") && s.contains("23.7"), "FPS figures\n{s}");
    assert!(s.contains("p50 34") && s.contains("p95 59"), "latency\n{s}");
    assert!(s.contains("WolfgangLanger_Pexels.mp4") && s.contains("REC"), "{s}");
    assert!(s.contains("last 60 s"), "sparkline label\n{s}");
    assert!(!s.contains("more"), "{s}");
}

#[test]
fn five_faces_fit_at_200x60_not_at_80x24() {
    let cfg = TuiConfig::default();
    let ids = [1, 2, 3, 4, 5];
    let mut app = app_with(&ids, 50, &cfg);
    let big = draw(&mut app, &Theme::new(true, false), 200, 60);
    for id in ids {
        assert_eq!(count(&big, &format!("Face {id} ")), 1, "Face {id}\n{big}");
    }
    assert!(!big.contains("more"), "{big}");
    assert!(big.contains("faces 5"), "{big}");
    assert!(big.contains("latency p50 34 ms"), "wide labels\n{big}");

    let small = draw(&mut app, &Theme::new(true, false), 80, 24);
    let shown = ids.iter().filter(|id| small.contains(&format!("Face {id} "))).count();
    assert!((1..5).contains(&shown), "{shown}\n{small}");
    assert!(small.contains(&format!("+{} more", 5 - shown)), "{small}");
    assert!(small.contains("page 1/"), "{small}");

    // Paging shows the others.
    app.handle(Action::NextPage);
    let next = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(next.contains("page 2/"), "{next}");
    assert!(!next.contains("Face 1 "), "{next}");
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let cfg = TuiConfig { ascii: true, ..TuiConfig::default() };
    let mut app = app_with(&[1, 2, 3], 300, &cfg);
    // Face 3 leaves: greyed panel with "lost".
    for i in 300..380 {
        app.apply(LiveEvent::Frame(frame(i, &[1, 2])));
    }
    app.handle(Action::TogglePause);
    app.handle(Action::ToggleHelp);
    for (w, h) in [(80, 24), (200, 60), (40, 12)] {
        let s = draw(&mut app, &Theme::new(false, true), w, h);
        let bad: String = s.chars().filter(|c| !c.is_ascii()).collect();
        assert!(bad.is_empty(), "non-ASCII {bad:?} at {w}x{h}\n{s}");
    }
    app.handle(Action::ToggleHelp);
    let s = draw(&mut app, &Theme::new(false, true), 200, 60);
    assert!(s.contains("#####"), "{s}");
    assert!(s.contains("lost"), "{s}");
    assert!(s.contains("PAUSED"), "{s}");
    assert!(s.is_ascii());
}

#[test]
fn end_and_error_are_shown_and_state_is_kept() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 60, &cfg);
    app.apply(LiveEvent::Finished(Ok(())));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("source ended") && s.contains("Face 1"), "{s}");

    let mut app = app_with(&[2], 60, &cfg);
    app.apply(LiveEvent::Finished(Err("camera 0 disconnected: No such device".into())));
    let s = draw(&mut app, &Theme::new(false, false), 80, 24);
    assert!(s.contains("error: camera 0 disconnected"), "{s}");
    assert!(s.contains("Face 2"), "{s}");
}

#[test]
fn empty_and_tiny_screens_do_not_panic() {
    let cfg = TuiConfig::default();
    let mut app = App::new(info(), &cfg);
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("Waiting for the first frame"), "{s}");
    let mut app = app_with(&[1], 10, &cfg);
    for (w, h) in [(1, 1), (10, 3), (29, 15), (30, 16), (80, 5)] {
        draw(&mut app, &Theme::new(true, false), w, h);
    }
    let s = draw(&mut app, &Theme::new(true, false), 30, 16);
    assert!(s.contains("Face 1"), "{s}");
}

#[test]
fn config_defaults_and_unknown_keys() {
    let c: TuiConfig = toml::from_str("ui_fps = 5").unwrap();
    assert_eq!(c.ui_fps, 5);
    assert_eq!(c.history_s, 60.0);
    assert!(!c.ascii);
    assert!(!c.preview);
    assert_eq!(c.class_window_s, 120.0);
    assert_eq!(c.marker_labels, ["stimulus", "break", "question", "task start", "task end"]);
    let c: TuiConfig = toml::from_str("preview = true\nmarker_labels = [\"go\"]\nclass_window_s = 30").unwrap();
    assert!(c.preview);
    assert_eq!(c.marker_labels, ["go"]);
    assert_eq!(c.class_window_s, 30.0);
    assert!(toml::from_str::<TuiConfig>("fps = 5").is_err());
}

fn press(app: &mut App, code: KeyCode) -> Option<LiveCommand> {
    app.key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert_eq!(press(app, KeyCode::Char(c)), None, "typing {c:?}");
    }
}

/// The row of `screen` holding `needle`.
fn row_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in\n{screen}"))
}

/// A 640x360 picture: a horizontal gray gradient.
fn picture() -> Arc<emotrace::capture::Picture> {
    Arc::new(
        image::RgbImage::from_fn(640, 360, |x, y| {
            let v = (x * 255 / 639) as u8;
            image::Rgb([v, v.saturating_sub((y % 2) as u8), v])
        })
        .into(),
    )
}

#[test]
fn header_shows_health_and_recording() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1, 2], 125, &cfg);
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        let head: String = s.lines().take(3).collect::<Vec<_>>().join("\n");
        assert!(head.contains("25.0") && head.contains("23.7"), "FPS at {w}x{h}\n{head}");
        assert!(head.contains("p50 34") && head.contains("p95 59"), "latency at {w}x{h}\n{head}");
        assert!(head.contains("drop 6") || head.contains("dropped 6"), "drops at {w}x{h}\n{head}");
        assert!(head.contains("faces 2") && head.contains("det"), "faces, detection at {w}x{h}\n{head}");
        assert!(head.contains("REC") && head.contains("01J9ZQ4K7M"), "at {w}x{h}\n{head}");
        // Source time of the newest frame (124 x 40 ms), the clock markers use; not the wall clock (5.36 s).
        assert!(head.contains("elapsed 0:04"), "at {w}x{h}\n{head}");
    }
    let mut app = App::new(LiveInfo { recording: false, ..info() }, &cfg);
    app.apply(LiveEvent::Frame(frame(0, &[1])));
    let s = draw(&mut app, &Theme::new(false, true), 80, 24);
    assert!(s.contains("not recording") && !s.contains("REC"), "{s}");
}

#[test]
fn marker_prompt_sends_the_typed_label() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 125, &cfg);
    assert_eq!(press(&mut app, KeyCode::Char('m')), None);
    assert!(app.prompt.is_some());
    // Keys go to the prompt: q types, it does not quit.
    type_text(&mut app, "quiz start");
    assert!(!app.quit);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "t");
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        let foot = s.lines().last().unwrap();
        assert!(foot.contains("marker at 0:04 label: quiz start_"), "{foot}");
        assert!(foot.contains("Enter send"), "{foot}");
    }
    let cmd = press(&mut app, KeyCode::Enter);
    assert_eq!(cmd, Some(LiveCommand::Marker { at_ms: 124 * 40, label: "quiz start".into() }));
    assert!(app.prompt.is_none());
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("marker 'quiz start' sent at 0:04"), "{s}");

    // Esc cancels without a request; an empty label is allowed.
    press(&mut app, KeyCode::Char('m'));
    type_text(&mut app, "oops");
    assert_eq!(press(&mut app, KeyCode::Esc), None);
    assert!(app.prompt.is_none() && !app.quit);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(press(&mut app, KeyCode::Enter), Some(LiveCommand::Marker { at_ms: 124 * 40, label: String::new() }));

    // The engine's answer replaces the local notice.
    app.apply(LiveEvent::Notice(Level::Success, "marker 'quiz start' stored at 0:04".into()));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.lines().nth(2).unwrap().contains("marker 'quiz start' stored at 0:04"), "{s}");
}

#[test]
fn number_keys_send_predefined_markers() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 50, &cfg);
    assert_eq!(
        press(&mut app, KeyCode::Char('1')),
        Some(LiveCommand::Marker { at_ms: 49 * 40, label: "stimulus".into() })
    );
    assert_eq!(
        press(&mut app, KeyCode::Char('5')),
        Some(LiveCommand::Marker { at_ms: 49 * 40, label: "task end".into() })
    );
    // No label configured for 9: nothing is sent, the status line says why.
    assert_eq!(press(&mut app, KeyCode::Char('9')), None);
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("no marker label for key 9"), "{s}");
    let cfg = TuiConfig { marker_labels: vec!["go".into()], ..TuiConfig::default() };
    let mut app = app_with(&[1], 5, &cfg);
    assert_eq!(press(&mut app, KeyCode::Char('1')), Some(LiveCommand::Marker { at_ms: 160, label: "go".into() }));
}

#[test]
fn naming_the_selected_face() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1, 2], 125, &cfg);
    // The first face is selected at first; Down (or Tab) moves to the next.
    assert_eq!(app.selected_id(), Some(1));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_id(), Some(2));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains(">Face 2") && !s.contains(">Face 1"), "{s}");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.selected_id(), Some(1));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected_id(), Some(2));

    assert_eq!(press(&mut app, KeyCode::Char('l')), None);
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.lines().last().unwrap().contains("name for Face 2:"), "{s}");
    type_text(&mut app, "P07");
    assert_eq!(press(&mut app, KeyCode::Enter), Some(LiveCommand::NameTrack { track_id: 2, name: "P07".into() }));
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        assert!(s.contains(">P07 #2"), "{s}");
        assert!(!s.contains("Face 2"), "{s}");
    }
    // Renaming starts from the current name; an empty name sends nothing.
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.prompt.as_ref().unwrap().text.as_str(), "P07");
    app.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(press(&mut app, KeyCode::Enter), None);
    assert_eq!(app.names[&2], "P07");
}

#[test]
fn r_toggles_recording() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 25, &cfg);
    assert!(app.recording);
    assert_eq!(press(&mut app, KeyCode::Char('r')), Some(LiveCommand::SetRecording(false)));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.lines().next().unwrap().contains("not recording"), "{s}");
    assert_eq!(press(&mut app, KeyCode::Char('r')), Some(LiveCommand::SetRecording(true)));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.lines().next().unwrap().contains("REC"), "{s}");
}

#[test]
fn class_strip_shows_shares_now_and_recent() {
    let cfg = TuiConfig::default();
    // 3 and 10 lean to happy, 1 to disgust, 2 to fear: 50% / 25% / 25%.
    let mut app = app_with(&[1, 2, 3, 10], 100, &cfg);
    // The class's valence now: FaceReader's, of the faces' mean smoothed probabilities.
    let v = render::class_strip::valence_now(&app).unwrap();
    assert!((-1.0..=1.0).contains(&v) && v != 0.0, "{v}");
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        let now = row_with(&s, "now 4 ");
        let shown = if w >= 120 { format!("valence {v:+.2}") } else { format!("now 4 v{v:+.1}") };
        assert!(now.contains(&shown), "{shown}: {now}");
        assert_eq!(count(now, "50%"), 1, "{now}");
        assert_eq!(count(now, "25%"), 2, "{now}");
        assert_eq!(count(now, " 0%"), 4, "{now}");
        let recent = row_with(&s, "last 2 min");
        assert_eq!(count(recent, "50%"), 1, "{recent}");
        assert_eq!(count(recent, "25%"), 2, "{recent}");
    }
    // Faces 3 and 10 leave: now 50/50, the recent row still remembers them.
    for i in 100..200 {
        app.apply(LiveEvent::Frame(frame(i, &[1, 2])));
    }
    let s = draw(&mut app, &Theme::new(true, false), 200, 60);
    let now = row_with(&s, "now 2 faces");
    assert_eq!(count(now, "50%"), 2, "{now}");
    let recent = row_with(&s, "last 2 min");
    // 100 frames x 4 faces + 100 frames x 2 faces: happy 200/600, disgust and fear 200/600 each.
    assert_eq!(count(recent, "33%"), 3, "{recent}");
}

#[test]
fn preview_draws_the_frame_and_the_boxes() {
    let cfg = TuiConfig::default();
    let mut app = App::new(info(), &cfg);
    for i in 0..30 {
        let mut fr = frame(i, &[1, 2]);
        fr.image = Some(picture());
        app.apply(LiveEvent::Frame(fr));
    }
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(!s.contains('▀'), "preview is off by default\n{s}");
    assert_eq!(press(&mut app, KeyCode::Char('v')), None);
    assert!(app.show_preview);
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        assert!(count(&s, "▀") > 100, "{s}");
        assert!(s.contains("preview 640x360"), "{s}");
        assert!(s.contains("#1") && s.contains("#2"), "box labels at {w}x{h}\n{s}");
        assert!(s.contains("Face 1"), "a panel is still shown at {w}x{h}\n{s}");
    }
    // Named faces carry their name on the box.
    press(&mut app, KeyCode::Char('l'));
    type_text(&mut app, "P07");
    press(&mut app, KeyCode::Enter);
    let s = draw(&mut app, &Theme::new(true, false), 200, 60);
    assert!(count(&s, "P07") >= 2, "panel and box\n{s}");

    // ASCII and monochrome: a gray ramp, boxes in + - |, nothing but ASCII.
    for theme in [Theme::new(false, true), Theme::new(true, true)] {
        for (w, h) in [(80, 24), (200, 60), (50, 20)] {
            let s = draw(&mut app, &theme, w, h);
            assert!(s.is_ascii(), "{s}");
            assert!(s.contains("#2") && s.contains("@"), "{s}");
        }
    }
    let s = draw(&mut app, &Theme::new(false, false), 80, 24);
    assert!(!s.contains('▀') && s.contains("#2"), "no colour: gray ramp\n{s}");

    // Config key, and no picture from the engine.
    let cfg = TuiConfig { preview: true, ..TuiConfig::default() };
    let mut app = app_with(&[1], 10, &cfg);
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("no picture from the engine"), "{s}");
}

#[test]
fn all_emotions_sparklines() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 125, &cfg);
    press(&mut app, KeyCode::Char('a'));
    for (w, h) in [(80, 24), (200, 60)] {
        let s = draw(&mut app, &Theme::new(true, false), w, h);
        assert!(s.contains("all emotions"), "{s}");
        for e in Emotion::ALL {
            let short: String = e.name().chars().take(3).collect();
            let pct = format!("{:>3.0}", app.view().tracks[&1].smoothed[e as usize] * 100.0);
            assert!(s.contains(&format!("┃{short} {pct}")), "{short} {pct} at {w}x{h}\n{s}");
        }
    }
    press(&mut app, KeyCode::Char('a'));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(!s.contains("all emotions"), "{s}");
}

#[test]
fn help_lists_the_lab_keys() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1], 10, &cfg);
    press(&mut app, KeyCode::Char('?'));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    for k in ["marker", "name the selected face", "recording", "preview", "1 stimulus"] {
        assert!(s.contains(k), "{k}\n{s}");
    }
}

#[test]
fn the_first_run_points_to_the_help_which_says_where_the_tool_may_be_used() {
    // Issue 26, item 8: the EU AI Act's prohibition (Article 5(1)(f)) on the first run's screen and in the help.
    let cfg = TuiConfig::default();
    let mut app = App::new(LiveInfo { first_run: true, ..info() }, &cfg);
    for i in 0..10 {
        app.apply(LiveEvent::Frame(frame(i, &[1])));
    }
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    assert!(s.contains("EU AI Act Art. 5(1)(f)") && s.contains("? for more"), "{s}");
    press(&mut app, KeyCode::Char('?'));
    let s = draw(&mut app, &Theme::new(true, false), 80, 24);
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    for k in ["Art. 5(1)(f)", "prohibited", "research with consent", "never to grade", "name the selected face"] {
        assert!(joined.contains(k), "{k}\n{s}");
    }
    // Not the first run: no notice.
    let mut later = app_with(&[1], 10, &cfg);
    assert!(!draw(&mut later, &Theme::new(true, false), 80, 24).contains("AI Act"));
}

/// Prints the screens for a look: `cargo test --release --test it tui_render:: -- --ignored --nocapture`.
#[test]
#[ignore]
fn show_screens() {
    let cfg = TuiConfig::default();
    let mut app = app_with(&[1, 2], 1600, &cfg);
    for i in 1600..1680 {
        app.apply(LiveEvent::Frame(frame(i, &[1])));
    }
    println!("{}", draw(&mut app, &Theme::new(true, false), 80, 24));
    println!("{}", draw(&mut app, &Theme::new(false, true), 80, 24));
    let mut app = app_with(&[1, 2, 3, 4, 5], 200, &cfg);
    println!("{}", draw(&mut app, &Theme::new(true, false), 200, 60));
    println!("{}", draw(&mut app, &Theme::new(true, false), 80, 24));
    for i in 200..230 {
        let mut fr = frame(i, &[1, 2, 3, 4, 5]);
        fr.image = Some(picture());
        app.apply(LiveEvent::Frame(fr));
    }
    app.handle(Action::TogglePreview);
    app.handle(Action::ToggleAllEmotions);
    println!("{}", draw(&mut app, &Theme::new(true, false), 200, 60));
    println!("{}", draw(&mut app, &Theme::new(false, true), 80, 24));
}
