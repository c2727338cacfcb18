//! The live screen drawn onto ratatui's `TestBackend` from real-looking pipeline results: sizes 80x24 and
//! 200x60, paging, greyed faces, end and error states, ASCII mode.

use emotrace::classify::{Emotion, Probs, NUM_EMOTIONS};
use emotrace::detect::BBox;
use emotrace::pipeline::{FrameResult, Observation, PipelineStats};
use emotrace::tui::app::App;
use emotrace::tui::input::Action;
use emotrace::tui::{render, LiveEvent, LiveInfo, Theme, TuiConfig};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Probabilities peaking at `top` with `p`, the rest spread unevenly; sums to 1.
fn probs(top: Emotion, p: f32) -> Probs {
    let weights = [3.0, 1.0, 2.0, 4.0, 3.0, 2.0, 5.0];
    let mut a = [0.0f32; NUM_EMOTIONS];
    let rest: f32 = weights
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != top as usize)
        .map(|(_, w)| w)
        .sum();
    for (i, w) in weights.iter().enumerate() {
        a[i] = if i == top as usize {
            p
        } else {
            (1.0 - p) * w / rest
        };
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
            }
        })
        .collect();
    FrameResult {
        frame_index: i,
        timestamp_ms: t,
        width: 640,
        height: 360,
        detections: ids.len(),
        latency_ms: 36.5,
        observations,
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
    assert!(
        s.contains("WolfgangLanger_Pexels.mp4") && s.contains("REC"),
        "{s}"
    );
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
    let shown = ids
        .iter()
        .filter(|id| small.contains(&format!("Face {id} ")))
        .count();
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
    let cfg = TuiConfig {
        ascii: true,
        ..TuiConfig::default()
    };
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
    app.apply(LiveEvent::Finished(Err(
        "camera 0 disconnected: No such device".into(),
    )));
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
    assert_eq!(c.history_seconds, 60.0);
    assert!(!c.ascii);
    assert!(toml::from_str::<TuiConfig>("fps = 5").is_err());
}

/// Prints the screens for a look: `cargo test --release --test tui_render -- --ignored --nocapture`.
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
}
