//! Running a screen on its own thread while this thread watches for signals and a terminal that hung up.
//!
//! crossterm's reader can spin forever on a terminal that is gone (a dropped SSH link), so the commands that
//! draw (`live`, `review`) run their screen on a thread of its own and, once stopped, give it one second to
//! give the terminal back before leaving it behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use emotrace::tui::terminal;

/// How long a stopped screen gets to give the terminal back.
const GRACE: Duration = Duration::from_secs(1);
/// How often the screen thread is looked at.
const TICK: Duration = Duration::from_millis(100);

/// Treats a hung-up terminal like SIGHUP: sets `stop`, and `interrupted`.
pub fn note_hangup(stop: &AtomicBool, interrupted: &AtomicBool) {
    if !stop.load(Ordering::SeqCst) && terminal::hung_up() {
        interrupted.store(true, Ordering::SeqCst);
        stop.store(true, Ordering::SeqCst);
    }
}

/// Waits for the screen thread to end, calling `tick` every 100 ms and noting a hung-up terminal. Once `stop`
/// is set (a signal, a hang-up), the screen gets one second; after that it is left behind and the terminal is
/// restored from here.
///
/// Returns the screen's own result, or `Ok` when it was left behind. Errors: the screen's error, or its panic
/// (the terminal is restored first by the panic hook).
pub async fn wait_for_screen(
    screen: JoinHandle<anyhow::Result<()>>,
    stop: &AtomicBool,
    interrupted: &AtomicBool,
    mut tick: impl FnMut(),
) -> anyhow::Result<()> {
    let mut stopping_since = None;
    while !screen.is_finished() {
        tick();
        note_hangup(stop, interrupted);
        if stop.load(Ordering::SeqCst) && stopping_since.get_or_insert_with(Instant::now).elapsed() > GRACE {
            break;
        }
        tokio::time::sleep(TICK).await;
    }
    tick();
    if screen.is_finished() {
        screen.join().map_err(|_| anyhow::anyhow!("the screen thread panicked (terminal restored)"))?
    } else {
        // The terminal is gone; the process exits without waiting for the screen thread.
        terminal::restore();
        Ok(())
    }
}
