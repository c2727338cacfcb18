//! The test RTSP server (`scripts/rtsp_server.py`, GStreamer's RTSP server on 127.0.0.1), started and stopped by
//! the tests themselves.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; killed when dropped.
pub struct RtspServer {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl RtspServer {
    /// Starts the server with `args` (`--serve NAME=FILE`, `--user`, `--password`, `--port`), waiting for its
    /// `READY` line. `None` (after one line saying why) when GStreamer's RTSP server is not installed, unless
    /// `EMOTRACE_REQUIRE_RTSP=1` (CI), which fails the test instead.
    pub fn start(args: &[&str]) -> Option<RtspServer> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rtsp_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run /usr/bin/python3");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut reader = BufReader::new(stdout);
        while Instant::now() < deadline {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(url) = line.trim().strip_prefix("READY ") {
                let port = url.rsplit(':').next().unwrap().parse().unwrap();
                return Some(RtspServer { child, port });
            }
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert!(std::env::var("EMOTRACE_REQUIRE_RTSP").map_or(true, |v| v != "1"), "RTSP test server: {why}");
        eprintln!("skipped: the RTSP test server did not start: {why}");
        None
    }

    /// `rtsp://127.0.0.1:PORT/PATH`, with `user:password@` when given.
    pub fn url(&self, path: &str, creds: Option<(&str, &str)>) -> String {
        match creds {
            Some((u, p)) => format!("rtsp://{u}:{p}@127.0.0.1:{}/{path}", self.port),
            None => format!("rtsp://127.0.0.1:{}/{path}", self.port),
        }
    }

    /// Kills the server at once (SIGKILL), as a camera losing power.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
