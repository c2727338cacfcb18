//! Bytes per second that the live screen sends to its terminal: what an SSH link must carry. Not a timing
//! benchmark: it runs the real binary in a pseudo-terminal of a given size, on a bundled recording paced like a
//! camera (`--realtime --loop`, one face), lets it settle, and counts every byte it writes over a window.
//!
//! For comparison it measures `htop` (at its default 1.5 s refresh) in the same pseudo-terminal when `htop` is
//! installed. Prints one line per program and size.
//!
//! `cargo bench --bench live_bandwidth`; `EMOTRACE_BENCH_SECONDS=60` for a longer window (default 30 s), and
//! `EMOTRACE_BENCH_ARGS="--ui-fps 10"` to add options to `emotrace live`.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time given to the program to start and fill its screen before counting.
const SETTLE: Duration = Duration::from_secs(6);

/// Runs `cmd` in a `cols` x `rows` pseudo-terminal; returns the bytes per second it wrote over `window` after
/// [`SETTLE`].
fn bytes_per_second(mut cmd: Command, cols: u16, rows: u16, window: Duration) -> f64 {
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors; the name buffer and termios are not used.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .env("TERM", "xterm-256color")
        .env("COLUMNS", cols.to_string())
        .env("LINES", rows.to_string());
    // SAFETY: only async-signal-safe calls between fork and exec: a new session with the terminal as its own.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start the program");
    // The command holds the terminal's other side until dropped: the reader sees the end only once it is gone.
    drop(cmd);
    let count = Arc::new(AtomicU64::new(0));
    let reader = {
        let count = count.clone();
        let mut file = std::fs::File::from(master.try_clone().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 1 << 16];
            while let Ok(n) = file.read(&mut buf) {
                if n == 0 {
                    break;
                }
                count.fetch_add(n as u64, Ordering::Relaxed);
            }
        })
    };
    std::thread::sleep(SETTLE);
    let (b0, t0) = (count.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(window);
    let (b1, t1) = (count.load(Ordering::Relaxed), Instant::now());
    let _ = child.kill();
    let _ = child.wait();
    drop(master);
    let _ = reader.join();
    (b1 - b0) as f64 / (t1 - t0).as_secs_f64()
}

fn main() {
    let secs: u64 = std::env::var("EMOTRACE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let window = Duration::from_secs(secs);
    let extra: Vec<String> = std::env::var("EMOTRACE_BENCH_ARGS")
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let video = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/WolfgangLanger_Pexels.mp4");
    let store = tempfile::tempdir().unwrap();
    let htop = Command::new("htop").arg("--version").output().is_ok_and(|o| o.status.success());
    for (cols, rows) in [(80u16, 24u16), (160, 48)] {
        let mut live = Command::new(env!("CARGO_BIN_EXE_emotrace"));
        live.arg("--store").arg(store.path()).arg("live").arg(&video).args(["--realtime", "--loop", "--no-record"]);
        live.args(&extra);
        let b = bytes_per_second(live, cols, rows, window);
        println!("emotrace live {cols}x{rows}, one face: {:.2} KB/s over {secs} s", b / 1000.0);
        if htop {
            let b = bytes_per_second(Command::new("htop"), cols, rows, window);
            println!("htop {cols}x{rows} (1.5 s refresh): {:.2} KB/s over {secs} s", b / 1000.0);
        }
    }
}
