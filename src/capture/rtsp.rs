//! RTSP network cameras (`rtsp://[user[:password]@]host[:port]/path`): the `retina` client (pure Rust, tokio) on a
//! thread of its own depacketizes H.264, which `openh264` decodes on the caller's thread.
//!
//! - Transport: RTP interleaved on the RTSP TCP connection by default ([`RtspTransport::Tcp`]), or UDP.
//! - Credentials come from the URL or from `EMOTRACE_RTSP_USER` / `EMOTRACE_RTSP_PASSWORD`. They are taken out of
//!   the URL before anything else sees it: the source's name, every message and everything stored show the URL
//!   as `rtsp://user:***@host/...` ([`mask`]).
//! - A stream that cannot be opened fails at [`RtspSource::open`], within [`CONNECT_TIMEOUT`], with one line for
//!   a refused connection, a timeout, 401 (credentials), 404 (no such stream) and a codec other than H.264.
//! - A stream that was playing and is lost (connection closed or reset, no data for [`STALL_TIMEOUT`]) is
//!   reconnected with back-off (1 s doubling to 30 s) until it plays again or the source is dropped; the time it
//!   was lost and back is kept as a [`SourceGap`] in the source's [`LinkState`]. A stream the server ends (RTCP
//!   BYE, as at the end of a served file) ends the source.
//!
//! Frame timestamps are milliseconds since the source was opened: within one connection from the RTP clock
//! (relative to the connection's first frame), each later connection starting at the wall-clock time its first
//! frame arrived, so a gap in the stream is a gap in time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openh264::decoder::Decoder;
use retina::client::{Credentials, PlayOptions, Session, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, FrameFormat, ParametersRef};
use url::Url;

use super::picture::{Picture, Yuv420};
use super::{CaptureError, Frame, FrameSource, SourceInfo, SourceKind};
use crate::fmt::one_line;

/// Environment variable with the RTSP user name (used when the URL has none).
pub const USER_ENV: &str = "EMOTRACE_RTSP_USER";
/// Environment variable with the RTSP password (used when the URL has none).
pub const PASSWORD_ENV: &str = "EMOTRACE_RTSP_PASSWORD";
/// How long opening a stream (connect, DESCRIBE, SETUP, PLAY, first picture) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A playing stream with no data for this long is taken as lost and reconnected.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait before reconnecting; it doubles after each failed attempt up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How RTP packets travel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RtspTransport {
    /// Interleaved on the RTSP TCP connection (works through NAT and firewalls; the default).
    #[default]
    Tcp,
    /// RTP/RTCP over UDP (lower latency on a LAN; lost packets are lost frames).
    Udp,
}

/// Whether `input` names an RTSP stream (`rtsp://` or `rtsps://`, any case).
pub fn is_rtsp(input: &str) -> bool {
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    lower.starts_with("rtsp://") || lower.starts_with("rtsps://")
}

/// `input` with any password replaced by `***` (`rtsp://user:***@host/path`); other text unchanged. Use it for
/// every display of a source name that may be an RTSP URL.
pub fn mask(input: &str) -> String {
    if !is_rtsp(input) {
        return input.to_string();
    }
    match Url::parse(input) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        // Unparsable: hide everything between the scheme and the last '@' before the path.
        Err(_) => {
            let (scheme, rest) = input.split_once("://").unwrap_or(("rtsp", input));
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => input.to_string(),
            }
        }
    }
}

/// A parsed stream address: the URL without credentials, the credentials, and the name to show.
#[derive(Clone)]
pub struct StreamUrl {
    /// The URL without user name and password (what is sent).
    url: Url,
    /// From the URL, else from the environment.
    creds: Option<Credentials>,
    /// The URL as shown ([`mask`]).
    shown: String,
    /// The password, to scrub from any message that might echo it.
    secret: Option<String>,
}

impl std::fmt::Debug for StreamUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl StreamUrl {
    /// Parses `text`, taking credentials from it or from [`USER_ENV`] / [`PASSWORD_ENV`].
    ///
    /// Errors: [`CaptureError::Unreadable`] for a URL that does not parse or has no host.
    pub fn parse(text: &str) -> Result<StreamUrl, CaptureError> {
        let shown = mask(text);
        let bad = |reason: String| CaptureError::Unreadable { path: shown.clone(), reason };
        let mut url = Url::parse(text).map_err(|e| bad(format!("not a valid RTSP URL: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the RTSP URL has no host".into()));
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let user = Some(decode(url.username())).filter(|u| !u.is_empty());
        let password = url.password().map(decode);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (user, password) = match user {
            Some(u) => (Some(u), password),
            None => (env(USER_ENV), env(PASSWORD_ENV)),
        };
        let creds = user.map(|username| Credentials { username, password: password.clone().unwrap_or_default() });
        Ok(StreamUrl { url, creds, shown, secret: password.filter(|p| !p.is_empty()) })
    }

    /// The URL as shown (password masked).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with the password (if any) replaced by `***`.
    fn scrub(&self, text: &str) -> String {
        match &self.secret {
            Some(p) => text.replace(p.as_str(), "***"),
            None => text.to_string(),
        }
    }
}

/// A time the stream was lost and came back, ms since the source was opened (the session's clock).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceGap {
    /// When the stream was lost (the last frame before it), ms since session start.
    pub lost_ms: u64,
    /// When frames came again, ms since session start; `None` while it is still lost.
    pub back_ms: Option<u64>,
    /// Why it was lost (one line, no credentials).
    pub reason: String,
    /// Reconnection attempts that failed before it came back (or so far).
    #[serde(default)]
    pub failed_attempts: u32,
    /// Why the last failed attempt failed (one line, no credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

/// Milliseconds without frames over all `gaps` (a gap not yet over counts as 0).
pub fn lost_ms(gaps: &[SourceGap]) -> u64 {
    gaps.iter().map(|g| g.back_ms.unwrap_or(g.lost_ms).saturating_sub(g.lost_ms)).sum()
}

/// A network source's gaps in one line: `lost 2 times, 7.5 s in all: at 0:06 for 4.1 s (the server closed the
/// connection); ...` (a gap not yet over says "not back").
pub fn gaps_summary(gaps: &[SourceGap]) -> String {
    use crate::fmt::{clock, seconds};
    let total = lost_ms(gaps);
    let each: Vec<String> = gaps
        .iter()
        .map(|g| {
            let failed = match g.failed_attempts {
                0 => String::new(),
                1 => "; 1 reconnection attempt failed".into(),
                n => format!("; {n} reconnection attempts failed"),
            };
            match g.back_ms {
                Some(back) => {
                    let lasted = seconds(back.saturating_sub(g.lost_ms));
                    format!("at {} for {lasted} ({}{failed})", clock(g.lost_ms), g.reason)
                }
                None => format!("at {}, not back ({}{failed})", clock(g.lost_ms), g.reason),
            }
        })
        .collect();
    let times = if gaps.len() == 1 { "once".to_string() } else { format!("{} times", gaps.len()) };
    format!("lost {times}, {} in all: {}", seconds(total), each.join("; "))
}

/// A live source's connection state, shared with the screen and the recorder.
#[derive(Clone, Debug, Default)]
pub struct LinkState {
    /// While reconnecting: the attempt under way (1, 2, ...).
    pub reconnecting: Option<u32>,
    /// Every gap so far, oldest first.
    pub gaps: Vec<SourceGap>,
}

/// Decoded pictures kept for the reader: a live source hands on the newest, so an older one still unread when a
/// third arrives is dropped (its index is skipped, which the pipeline counts as a dropped frame).
const KEEP_PICTURES: usize = 2;

/// What the network thread hands to the reader.
#[derive(Default)]
struct Output {
    /// Decoded pictures not yet read, oldest first (at most [`KEEP_PICTURES`]).
    frames: std::collections::VecDeque<Frame>,
    /// The stream cannot go on (a size change), after `frames`.
    error: Option<String>,
    /// The network thread has finished (no more pictures will come): the server ended the stream, the stream
    /// failed (`error`), or the source was dropped.
    closed: bool,
}

/// [`Output`] with its condition variable.
#[derive(Default)]
struct Handoff {
    out: Mutex<Output>,
    ready: std::sync::Condvar,
}

impl Handoff {
    fn lock(&self) -> std::sync::MutexGuard<'_, Output> {
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, frame: Frame) {
        let mut out = self.lock();
        if out.frames.len() == KEEP_PICTURES {
            out.frames.pop_front();
        }
        out.frames.push_back(frame);
        self.ready.notify_all();
    }

    fn finish(&self, f: impl FnOnce(&mut Output)) {
        let mut out = self.lock();
        f(&mut out);
        out.closed = true;
        self.ready.notify_all();
    }
}

/// The H.264 decoder and what pairs its pictures with their times (on the network thread).
struct Decoding {
    decoder: Decoder,
    /// The stream as shown in messages.
    shown: String,
    /// Times (ms, arrival) of the access units given to the decoder whose pictures have not come out yet.
    times: Vec<(u64, Instant)>,
    /// Index given to the next picture.
    next_index: u64,
    /// The last picture's time, ms (pictures never go back in time).
    last_ms: u64,
    /// Size of the pictures, fixed by the first.
    size: Option<(u32, u32)>,
    /// Access units that did not decode (lost packets, or before the first key frame).
    undecodable: u64,
}

impl Decoding {
    /// A decoder for the stream shown as `shown` (the parameter sets come inline, before each key frame).
    ///
    /// Errors: the decoder cannot start.
    fn new(shown: &str) -> Result<Decoding, CaptureError> {
        let decoder = super::video::decode::new_decoder(&[], shown)?;
        Ok(Decoding {
            decoder,
            shown: shown.to_string(),
            times: Vec::new(),
            next_index: 0,
            last_ms: 0,
            size: None,
            undecodable: 0,
        })
    }

    /// Decodes one access unit (Annex B); the picture it completes, if any. Access units that do not decode
    /// (before the first key frame, after lost packets until the next one) are skipped: a live stream goes on.
    ///
    /// Errors: the picture size changed (one line).
    fn decode(&mut self, data: &[u8], ts_ms: u64, received: Instant) -> Result<Option<Frame>, String> {
        self.times.push((ts_ms, received));
        let yuv = match self.decoder.decode(data) {
            Ok(Some(yuv)) => super::video::decode::copy_yuv(&yuv, &self.shown).ok(),
            Ok(None) => return Ok(None),
            Err(_) => {
                self.times.pop();
                self.undecodable += 1;
                return Ok(None);
            }
        };
        match yuv {
            Some(yuv) => self.picture(yuv).map(Some),
            None => {
                self.undecodable += 1;
                Ok(None)
            }
        }
    }

    /// The pictures the decoder still holds for reordering (end of stream).
    fn flush(&mut self) -> Result<Vec<Frame>, String> {
        let rest: Vec<Yuv420> = match self.decoder.flush_remaining() {
            Ok(pictures) => {
                pictures.iter().filter_map(|p| super::video::decode::copy_yuv(p, &self.shown).ok()).collect()
            }
            Err(_) => Vec::new(),
        };
        rest.into_iter().map(|yuv| self.picture(yuv)).collect()
    }

    /// A decoded picture as the next frame. Pictures come out in presentation order, so each takes the
    /// smallest time among the access units given to the decoder and not yet output (B-frames are sent after
    /// the pictures they precede); times over a second older than the newest (access units that never became a
    /// picture) are dropped first.
    fn picture(&mut self, yuv: Yuv420) -> Result<Frame, String> {
        if let Some(newest) = self.times.iter().map(|t| t.0).max() {
            self.times.retain(|t| t.0 + 1000 >= newest);
        }
        let (ts_ms, received) = match self.times.iter().enumerate().min_by_key(|(_, t)| t.0) {
            Some((i, _)) => self.times.swap_remove(i),
            None => (self.last_ms, Instant::now()),
        };
        let ts_ms = ts_ms.max(self.last_ms);
        self.last_ms = ts_ms;
        let (w, h) = *self.size.get_or_insert((yuv.width, yuv.height));
        if (yuv.width, yuv.height) != (w, h) {
            return Err(format!("the picture size changed from {w}x{h} to {}x{}", yuv.width, yuv.height));
        }
        let index = self.next_index;
        self.next_index += 1;
        Ok(Frame {
            index,
            timestamp_ms: ts_ms,
            captured_at: received,
            image: Picture::from_yuv(yuv),
            scene_start: false,
        })
    }
}

/// What DESCRIBE told about the video stream.
#[derive(Clone, Debug)]
struct Facts {
    width: u32,
    height: u32,
    fps: Option<f64>,
    /// RFC 6381 codec string (`avc1.64001E`), when the parameters came with the SDP.
    codec: Option<String>,
}

/// Turns a retina error into the one line a user acts on.
fn explain(e: &retina::Error, url: &StreamUrl) -> String {
    let text = url.scrub(&one_line(e));
    let lower = text.to_ascii_lowercase();
    // The status code comes from retina itself: the message text also carries port numbers and times, in which
    // "401" or "404" can appear by chance (local port 40148).
    let status = e.status_code();
    if status == Some(401) {
        if url.creds.is_some() {
            "wrong user name or password (401 Unauthorized)".into()
        } else {
            format!("the camera asks for a user name and password (401 Unauthorized): put them in the URL or in {USER_ENV} and {PASSWORD_ENV}")
        }
    } else if status == Some(404) {
        "no such stream on the server (404 Not Found): check the path".into()
    } else if lower.contains("connection refused") {
        "connection refused: is the camera on, and is the port right?".into()
    } else if lower.contains("framing error") || lower.contains("invalid rtsp message") {
        // Something else answers on that port (a web server, a proxy): retina's message carries a hex dump.
        "the server at this address does not answer in RTSP: check the port (usually 554) and the scheme".into()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
    } else {
        text
    }
}

/// Connects, describes, sets up the first video stream and plays it. `Err` is the message for the user.
async fn connect(url: &StreamUrl, transport: RtspTransport) -> Result<(retina::client::Demuxed, Facts), String> {
    let options = SessionOptions::default()
        .creds(url.creds.clone())
        .user_agent(format!("emotrace {}", env!("CARGO_PKG_VERSION")));
    let mut session = Session::describe(url.url.clone(), options).await.map_err(|e| explain(&e, url))?;
    let Some(i) = session.streams().iter().position(|s| s.media() == "video") else {
        return Err("the stream has no video".into());
    };
    let stream = &session.streams()[i];
    if !stream.encoding_name().eq_ignore_ascii_case("h264") {
        return Err(format!(
            "the stream's video codec is {} and only H.264 is decoded over RTSP: set the camera's stream to H.264",
            stream.encoding_name().to_uppercase()
        ));
    }
    let mut facts = Facts { width: 0, height: 0, fps: stream.framerate().map(f64::from), codec: None };
    if let Some(ParametersRef::Video(v)) = stream.parameters() {
        (facts.width, facts.height) = v.pixel_dimensions();
        facts.codec = Some(v.rfc6381_codec().to_string());
    }
    let transport = match transport {
        RtspTransport::Tcp => Transport::Tcp(Default::default()),
        RtspTransport::Udp => Transport::Udp(Default::default()),
    };
    session
        .setup(i, SetupOptions::default().transport(transport).frame_format(FrameFormat::SIMPLE))
        .await
        .map_err(|e| explain(&e, url))?;
    let playing = session.play(PlayOptions::default()).await.map_err(|e| explain(&e, url))?;
    let demuxed = playing.demuxed().map_err(|e| explain(&e, url))?;
    Ok((demuxed, facts))
}

/// How one connection's playing ended.
enum End {
    /// The server said goodbye (RTCP BYE) or closed after it.
    Bye,
    /// Lost: the reason.
    Lost(String),
    /// The source was dropped.
    Stopped,
    /// The stream cannot go on: the reason.
    Failed(String),
}

/// Everything the network thread needs.
struct Link {
    url: StreamUrl,
    transport: RtspTransport,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<LinkState>>,
    handoff: Arc<Handoff>,
    decoding: Decoding,
    /// When the source was opened: the origin of the source's clock.
    t0: Instant,
    /// The last timestamp sent, ms (timestamps never go back).
    last_ms: u64,
}

impl Link {
    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Plays one connection until it ends; frames go to the decoder.
    async fn play(&mut self, demuxed: &mut retina::client::Demuxed, first_connection: bool) -> End {
        // The connection's clock: its first frame's RTP time is `base_ms` on the source's clock.
        let mut origin: Option<(f64, u64)> = None;
        let mut bye = false;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return End::Stopped;
            }
            let item = match tokio::time::timeout(Duration::from_millis(250), demuxed.next()).await {
                Err(_) => {
                    // After the server's goodbye, a quarter of a second without data is the end (servers often
                    // keep the connection open after RTCP BYE).
                    if bye {
                        return End::Bye;
                    }
                    // No data for a while: lost?
                    if self.t0.elapsed().as_millis() as u64 > self.last_ms + STALL_TIMEOUT.as_millis() as u64
                        && origin.is_some()
                    {
                        return if bye {
                            End::Bye
                        } else {
                            End::Lost(format!("no data for {} s", STALL_TIMEOUT.as_secs()))
                        };
                    }
                    continue;
                }
                Ok(None) => return if bye { End::Bye } else { End::Lost("the server closed the connection".into()) },
                Ok(Some(Err(e))) => {
                    return if bye { End::Bye } else { End::Lost(explain(&e, &self.url)) };
                }
                Ok(Some(Ok(item))) => item,
            };
            match item {
                CodecItem::VideoFrame(frame) => {
                    let secs = frame.timestamp().elapsed_secs();
                    let received = Instant::now();
                    let (o_secs, base_ms) = *origin.get_or_insert_with(|| {
                        let base = if first_connection { 0 } else { self.t0.elapsed().as_millis() as u64 };
                        (secs, base)
                    });
                    let ms = base_ms + crate::fmt::secs_to_ms((secs - o_secs).max(0.0));
                    let ms = ms.max(self.last_ms);
                    self.last_ms = ms;
                    match self.decoding.decode(frame.data(), ms, received) {
                        Ok(Some(picture)) => self.handoff.push(picture),
                        Ok(None) => {}
                        Err(e) => return End::Failed(e),
                    }
                }
                // RTCP BYE (payload type 203): the server ends the stream.
                CodecItem::Rtcp(rtcp) if rtcp.pkts().any(|p| p.payload_type() == 203) => bye = true,
                _ => {}
            }
        }
    }

    /// Plays the stream, reconnecting after each loss, until the server ends it or the source is dropped.
    async fn run(mut self, mut demuxed: retina::client::Demuxed) {
        let mut first = true;
        loop {
            let end = self.play(&mut demuxed, first).await;
            first = false;
            drop(demuxed);
            match end {
                End::Stopped => return,
                End::Failed(e) => {
                    self.handoff.finish(|out| out.error = Some(e));
                    return;
                }
                End::Bye => {
                    let rest = self.decoding.flush();
                    // The server's end: the last pictures, then `closed`.
                    self.handoff.finish(|out| match rest {
                        Ok(frames) => out.frames.extend(frames),
                        Err(e) => out.error = Some(e),
                    });
                    return;
                }
                End::Lost(reason) => {
                    let lost_ms = self.last_ms;
                    let gap = SourceGap { lost_ms, back_ms: None, reason, failed_attempts: 0, last_failure: None };
                    self.state().gaps.push(gap);
                    match self.reconnect().await {
                        Some(d) => demuxed = d,
                        None => return,
                    }
                }
            }
        }
    }

    /// Tries again with back-off until connected (`Some`) or stopped (`None`).
    async fn reconnect(&mut self) -> Option<retina::client::Demuxed> {
        let mut wait = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            self.state().reconnecting = Some(attempt);
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if self.stop.load(Ordering::SeqCst) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let failure = match tokio::time::timeout(CONNECT_TIMEOUT, connect(&self.url, self.transport)).await {
                Ok(Ok((demuxed, _))) => {
                    let mut state = self.state();
                    state.reconnecting = None;
                    let back = self.t0.elapsed().as_millis() as u64;
                    if let Some(gap) = state.gaps.last_mut() {
                        gap.back_ms = Some(back.max(gap.lost_ms));
                    }
                    return Some(demuxed);
                }
                Ok(Err(e)) => e,
                Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            };
            if let Some(gap) = self.state().gaps.last_mut() {
                gap.failed_attempts += 1;
                gap.last_failure = Some(failure);
            }
            attempt += 1;
            wait = (wait * 2).min(MAX_BACKOFF);
        }
    }
}

/// A [`FrameSource`] over an RTSP stream (H.264). Live: the network thread receives and decodes every picture
/// as it arrives and keeps the newest two for the reader, so a reader that falls behind skips pictures (their
/// indices are missing, which the pipeline counts as dropped frames) instead of falling ever further behind the
/// camera. [`FrameSource::link`] tells whether it is reconnecting and the gaps so far.
pub struct RtspSource {
    info: SourceInfo,
    url: StreamUrl,
    handoff: Arc<Handoff>,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<LinkState>>,
    thread: Option<JoinHandle<()>>,
    /// The H.264 profile, when the SDP carried the parameter sets.
    profile: Option<String>,
    /// The pipeline's stop flag ([`FrameSource::watch_stop`]).
    stopped: Option<Arc<AtomicBool>>,
}

impl RtspSource {
    /// Connects to `input` (an `rtsp://` URL) and decodes its first picture.
    ///
    /// [`SourceInfo`]: `name` the masked URL, kind [`SourceKind::Stream`], size of the decoded pictures in
    /// pixels, `fps` from the SDP's `a=framerate` when given, `decoder` `"retina + openh264 (H.264 PROFILE)"`.
    ///
    /// Errors (one line naming the masked URL): [`CaptureError::Unreadable`] for a bad URL, a refused connection,
    /// no answer within [`CONNECT_TIMEOUT`], wrong or missing credentials (401), no such stream (404), no picture
    /// within the timeout; [`CaptureError::Unsupported`] for a codec other than H.264 (named).
    pub fn open(input: &str, transport: RtspTransport) -> Result<RtspSource, CaptureError> {
        let url = StreamUrl::parse(input)?;
        let shown = url.shown().to_string();
        let unreadable = |reason: String| CaptureError::Unreadable { path: shown.clone(), reason };
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(LinkState::default()));
        let handoff = Arc::new(Handoff::default());
        let decoding = Decoding::new(&shown)?;
        let (opened_tx, opened_rx) = mpsc::channel::<Result<Facts, String>>();
        let t0 = Instant::now();
        let link = Link {
            url: url.clone(),
            transport,
            stop: stop.clone(),
            state: state.clone(),
            handoff: handoff.clone(),
            decoding,
            t0,
            last_ms: 0,
        };
        let thread = std::thread::Builder::new()
            .name("rtsp".into())
            .spawn(move || {
                let handoff = link.handoff.clone();
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt.block_on(async move {
                        match tokio::time::timeout(CONNECT_TIMEOUT, connect(&link.url, link.transport)).await {
                            Err(_) => {
                                let _ =
                                    opened_tx.send(Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())));
                            }
                            Ok(Err(e)) => {
                                let _ = opened_tx.send(Err(e));
                            }
                            Ok(Ok((demuxed, facts))) => {
                                let _ = opened_tx.send(Ok(facts));
                                link.run(demuxed).await;
                            }
                        }
                    }),
                    Err(e) => {
                        let _ = opened_tx.send(Err(format!("cannot start the network runtime: {e}")));
                    }
                }
                // Whatever ended the thread, the reader must not wait for pictures that will not come.
                handoff.finish(|_| {});
            })
            .map_err(|e| unreadable(format!("cannot start the network thread: {e}")))?;
        let facts = match opened_rx.recv_timeout(CONNECT_TIMEOUT + Duration::from_secs(2)) {
            Ok(Ok(facts)) => facts,
            Ok(Err(reason)) => {
                stop.store(true, Ordering::SeqCst);
                let _ = thread.join();
                return Err(if reason.contains("codec") {
                    CaptureError::Unsupported { path: shown, reason }
                } else {
                    unreadable(reason)
                });
            }
            Err(_) => {
                stop.store(true, Ordering::SeqCst);
                return Err(unreadable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())));
            }
        };
        let profile = facts.codec.as_deref().and_then(super::video::h264::profile_of_rfc6381);
        let mut source = RtspSource {
            info: SourceInfo {
                name: shown.clone(),
                kind: SourceKind::Stream,
                width: facts.width,
                height: facts.height,
                fps: facts.fps.filter(|f| *f > 0.0 && f.is_finite()),
                frame_count: None,
                decoder: Some(match &profile {
                    Some(p) => format!("retina + openh264 (H.264 {p})"),
                    None => "retina + openh264 (H.264)".into(),
                }),
            },
            url,
            handoff,
            stop,
            state,
            thread: Some(thread),
            profile,
            stopped: None,
        };
        // The first picture fixes the size; it stays queued for the first read.
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        let mut out = source.handoff.lock();
        loop {
            if let Some(first) = out.frames.front() {
                let (w, h) = first.image.dimensions();
                drop(out);
                source.info.width = w;
                source.info.height = h;
                return Ok(source);
            }
            if out.closed {
                let why = out.error.clone().unwrap_or_else(|| "the stream ended before its first picture".into());
                drop(out);
                return Err(unreadable(why));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                drop(out);
                return Err(unreadable(format!("no picture within {} s", CONNECT_TIMEOUT.as_secs())));
            }
            out = source.handoff.ready.wait_timeout(out, left).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// The stream's H.264 profile (`High`, `Main`, ...), when the SDP carried the parameter sets.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }
}

impl FrameSource for RtspSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The oldest picture kept (waits for the camera; during a reconnection, until it is back or the pipeline
    /// stops); `Ok(None)` when the server ended the stream.
    ///
    /// Errors: [`CaptureError::Unsupported`] when the picture size changes mid-stream.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let mut out = self.handoff.lock();
        loop {
            if let Some(frame) = out.frames.pop_front() {
                return Ok(Some(frame));
            }
            if let Some(reason) = out.error.take() {
                return Err(CaptureError::Unsupported { path: self.url.shown().to_string(), reason });
            }
            if out.closed || self.stopped.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                return Ok(None);
            }
            out = self
                .handoff
                .ready
                .wait_timeout(out, Duration::from_millis(200))
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    fn link(&self) -> Option<Arc<Mutex<LinkState>>> {
        Some(self.state.clone())
    }

    fn watch_stop(&mut self, stop: Arc<AtomicBool>) {
        self.stopped = Some(stop);
    }
}

impl Drop for RtspSource {
    /// Stops the network thread (it notices within a quarter of a second) and waits for it.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(mask("rtsp://admin:s3cret@10.0.0.5:554/stream1"), "rtsp://admin:***@10.0.0.5:554/stream1");
        assert_eq!(mask("rtsp://10.0.0.5/stream1"), "rtsp://10.0.0.5/stream1");
        assert_eq!(mask("/videos/a.mp4"), "/videos/a.mp4");
        assert!(!mask("rtsp://a:b c@[bad/x").contains("b c"));
        assert!(is_rtsp("RTSP://host/x") && is_rtsp("rtsps://h/x") && !is_rtsp("rtmp://h/x"));
    }

    #[test]
    fn credentials_leave_the_url() {
        let u = StreamUrl::parse("rtsp://admin:p%40ss@127.0.0.1:8554/cam").unwrap();
        assert_eq!(u.url.as_str(), "rtsp://127.0.0.1:8554/cam");
        let c = u.creds.clone().unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("admin", "p@ss"));
        assert_eq!(u.shown(), "rtsp://admin:***@127.0.0.1:8554/cam");
        assert_eq!(u.scrub("bad p@ss here"), "bad *** here");
    }
}
