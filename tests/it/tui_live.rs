//! `run_live` on a real terminal: it needs one, so these tests are ignored by default and skip themselves when
//! stdout is not a terminal. Run them under a pseudo-terminal, e.g.
//! `script -qec "cargo test --release --test it tui_live:: -- --ignored --test-threads 1" /dev/null`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use emotrace::pipeline::{FrameResult, PipelineStats};
use emotrace::tui::{run_live, LiveEvent, LiveInfo, TuiConfig};

fn empty_frame(i: u64) -> FrameResult {
    FrameResult {
        frame_index: i,
        timestamp_ms: i * 40,
        width: 640,
        height: 360,
        detections: 0,
        detected: true,
        faces: 0,
        latency_ms: 20.0,
        observations: vec![],
        backfill: Vec::new(),
        stats: PipelineStats { frames_in: i + 1, frames_processed: i + 1, ..Default::default() },
        image: None,
    }
}

fn info() -> LiveInfo {
    LiveInfo { source: "test".into(), session_id: None, recording: false, model: "fer".into(), first_run: false }
}

#[test]
#[ignore]
fn stop_flag_ends_the_screen_and_restores() {
    if !std::io::stdout().is_terminal() {
        eprintln!("skipped: stdout is not a terminal");
        return;
    }
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut i = 0;
            while t0.elapsed() < Duration::from_millis(600) {
                // Far faster than the screen draws: it must drain, not fall behind.
                for _ in 0..50 {
                    let _ = tx.send(LiveEvent::Frame(empty_frame(i)));
                    i += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = tx.send(LiveEvent::Finished(Err("camera unplugged".into())));
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::SeqCst);
        })
    };
    let t0 = Instant::now();
    let (cmd_tx, _cmd_rx) = mpsc::channel();
    run_live(info(), rx, cmd_tx, stop, &TuiConfig::default()).unwrap();
    producer.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(!crossterm::terminal::is_raw_mode_enabled().unwrap(), "raw mode left on");
}

#[test]
#[ignore]
fn a_panicking_thread_ends_the_screen_with_an_error() {
    if !std::io::stdout().is_terminal() {
        eprintln!("skipped: stdout is not a terminal");
        return;
    }
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = std::thread::spawn(move || {
        let _ = tx.send(LiveEvent::Frame(empty_frame(0)));
        std::thread::sleep(Duration::from_millis(300));
        panic!("worker failed on purpose");
    });
    let (cmd_tx, _cmd_rx) = mpsc::channel();
    let r = run_live(info(), rx, cmd_tx, stop, &TuiConfig::default());
    assert!(worker.join().is_err());
    let e = r.unwrap_err();
    assert!(e.to_string().contains("panicked"), "{e}");
    assert!(!crossterm::terminal::is_raw_mode_enabled().unwrap(), "raw mode left on");
}
