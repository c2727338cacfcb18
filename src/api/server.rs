//! The HTTP server of `live --listen ADDR` (axum on the engine's tokio runtime):
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /events` | `text/event-stream` (Server-Sent Events): one `data:` line of JSON per [`Event`], starting with `session_start`; `?faces=1` adds each face to `frame` events |
//! | `POST /markers` | body `{"label": "stimulus", "at_ms": 1234}` (`at_ms` optional: the newest frame's time); the marker is stored at once, as the screen's marker key stores it, and the answer (201) is the stored marker |
//! | `GET /session` | [`SessionSnapshot`]: id, status and figures |
//!
//! Errors are JSON objects `{"error": "one line"}` with a 4xx/5xx status. With a token every request needs
//! `Authorization: Bearer TOKEN`, else 401.
//!
//! Clients never slow the pipeline: a frame's event is serialized once (only while some client listens) and put in
//! a bounded ring ([`CLIENT_BUFFER`] events, a tokio broadcast channel); a client that falls that far behind is
//! dropped, and so is one whose connection takes more than [`WRITE_TIMEOUT`] to accept a write (a client that
//! stopped reading, once the kernel's buffers are full; the send buffer is kept small, [`SEND_BUFFER`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_io_timeout::TimeoutStream;

use super::events::{frame_event, Event, SessionSnapshot, SessionStart, SessionStop};
use crate::pipeline::FrameResult;
use crate::store::Annotation;

/// Events a client may fall behind before it is dropped (about 4 s of frames at 30 FPS).
pub const CLIENT_BUFFER: usize = 128;

/// How long one write to a client may wait before the connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The kernel send buffer asked for on each connection, bytes (the kernel doubles it): small, so that a client
/// that stops reading is noticed soon.
pub const SEND_BUFFER: u32 = 32 * 1024;

/// How often an idle stream sends an SSE comment, so that proxies keep it open and dead peers are found.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Pending marker requests waiting for the engine (more are refused with 503).
const REQUEST_QUEUE: usize = 64;

/// Where to listen and the token clients must send.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The address to bind.
    pub addr: SocketAddr,
    /// The Bearer token every request must carry; required when `addr` is not a loopback address.
    pub token: Option<String>,
}

impl ApiConfig {
    /// Checks the rule for binding: beyond loopback (`0.0.0.0`, a LAN address) a token is required.
    ///
    /// Errors: one line saying so; an empty token.
    pub fn check(&self) -> Result<(), String> {
        match &self.token {
            Some(t) if t.trim().is_empty() => Err("--token is empty".into()),
            None if !self.addr.ip().is_loopback() => Err(format!(
                "--listen {} is reachable from other machines: give a token (--token or EMOTRACE_API_TOKEN), or \
                 listen on 127.0.0.1",
                self.addr
            )),
            _ => Ok(()),
        }
    }
}

/// A marker asked for through `POST /markers`, for the engine to store.
#[derive(Debug)]
pub struct MarkerRequest {
    /// Its time, ms since the session start; `None`: the newest frame's time (as the marker key).
    pub at_ms: Option<u64>,
    /// The label as sent (the store cleans it).
    pub label: String,
    /// Where the engine answers: the stored marker, or why not.
    pub reply: oneshot::Sender<Result<Annotation, ApiError>>,
}

/// An error answer: HTTP status and one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// One line saying what is wrong.
    pub message: String,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
}

/// The JSON body of an error answer.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: &self.message })).into_response()
    }
}

/// One serialized event, shared by every client that gets it.
type Published = Arc<str>;

/// What the handlers share with the engine.
struct Hub {
    /// Events without per-face detail; `None` once the session has stopped (the streams then end).
    summary: Mutex<Option<broadcast::Sender<Published>>>,
    /// The same events with per-face detail (`?faces=1`).
    detailed: Mutex<Option<broadcast::Sender<Published>>>,
    /// `session_start`, sent first on every connection.
    start: Published,
    /// `GET /session`'s answer, kept current by the engine.
    snapshot: Mutex<SessionSnapshot>,
    /// The token, if one is required.
    token: Option<String>,
    /// Marker requests to the engine.
    requests: mpsc::Sender<MarkerRequest>,
}

/// A bound listener, not yet serving (bind before the session starts, so that a busy port fails first).
pub struct Bound {
    listener: TcpListener,
    config: ApiConfig,
}

/// Binds `config.addr` with the server's socket options.
///
/// Errors: the token rule ([`ApiConfig::check`]); the address cannot be bound (in use, not this machine's).
pub fn bind(config: ApiConfig) -> anyhow::Result<Bound> {
    config.check().map_err(anyhow::Error::msg)?;
    let addr = config.addr;
    let fail = |e: std::io::Error| anyhow::anyhow!("cannot listen on {addr}: {e}");
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(fail)?;
    socket.set_reuseaddr(true).map_err(fail)?;
    // Accepted connections inherit the listening socket's send buffer size.
    socket.set_send_buffer_size(SEND_BUFFER).map_err(fail)?;
    socket.bind(addr).map_err(fail)?;
    let listener = socket.listen(128).map_err(fail)?;
    Ok(Bound { listener, config })
}

impl Bound {
    /// The address bound (the port the system chose for port 0).
    ///
    /// Errors: the socket cannot say.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts serving on the runtime this is called from; `start` describes the session.
    pub fn serve(self, start: SessionStart) -> Api {
        let (requests_tx, requests) = mpsc::channel(REQUEST_QUEUE);
        let snapshot = SessionSnapshot {
            session: start.session.clone(),
            status: "running".into(),
            started_at: start.started_at.clone(),
            source: start.source.clone(),
            recording: start.recording,
            ..SessionSnapshot::default()
        };
        let start_json = serde_json::to_string(&Event::SessionStart(start)).unwrap_or_default();
        let hub = Arc::new(Hub {
            summary: Mutex::new(Some(broadcast::channel(CLIENT_BUFFER).0)),
            detailed: Mutex::new(Some(broadcast::channel(CLIENT_BUFFER).0)),
            start: start_json.into(),
            snapshot: Mutex::new(snapshot),
            token: self.config.token.clone(),
            requests: requests_tx,
        });
        let app = Router::new()
            .route("/events", get(events))
            .route("/markers", post(markers))
            .route("/session", get(session))
            .fallback(|| async {
                ApiError::new(StatusCode::NOT_FOUND, "no such resource: /events, /markers, /session")
            })
            .layer(middleware::from_fn_with_state(hub.clone(), authorize))
            .with_state(hub.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let listener = TimeoutListener(self.listener);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        Api { hub, requests, stop: Some(stop_tx), task: Some(task) }
    }
}

/// The running server, as the engine holds it.
pub struct Api {
    hub: Arc<Hub>,
    /// Marker requests from `POST /markers`, to be answered by the engine.
    pub requests: mpsc::Receiver<MarkerRequest>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Api {
    /// Publishes one processed frame to the clients (serialized only for the kinds of stream someone listens
    /// to; never waits) and updates `GET /session`.
    pub fn publish_frame(&self, r: &FrameResult) {
        lock(&self.hub.snapshot).add_frame(r);
        for (channel, faces) in [(&self.hub.summary, false), (&self.hub.detailed, true)] {
            let guard = lock(channel);
            if let Some(tx) = guard.as_ref().filter(|tx| tx.receiver_count() > 0) {
                if let Ok(json) = serde_json::to_string(&Event::Frame(frame_event(r, faces))) {
                    let _ = tx.send(json.into());
                }
            }
        }
    }

    /// Publishes an event to every client (both kinds of stream); never waits.
    pub fn publish(&self, event: &Event) {
        if let Event::Marker(_) = event {
            lock(&self.hub.snapshot).markers += 1;
        }
        let Ok(json) = serde_json::to_string(event) else { return };
        let json: Published = json.into();
        for channel in [&self.hub.summary, &self.hub.detailed] {
            if let Some(tx) = lock(channel).as_ref() {
                let _ = tx.send(json.clone());
            }
        }
    }

    /// `GET /session`'s answer as it stands.
    pub fn snapshot(&self) -> SessionSnapshot {
        lock(&self.hub.snapshot).clone()
    }

    /// Notes whether results are being stored (the screen's `r` key), for `GET /session`.
    pub fn set_recording(&self, on: bool) {
        lock(&self.hub.snapshot).recording = on;
    }

    /// Ends the session for the clients: publishes `stop`, ends every stream, refuses further markers, and shuts
    /// the server down (waiting at most 2 s for connections to close).
    pub async fn stop(mut self, stop: SessionStop) {
        lock(&self.hub.snapshot).status = stop.status.clone();
        self.publish(&Event::SessionStop(stop));
        lock(&self.hub.summary).take();
        lock(&self.hub.detailed).take();
        self.requests.close();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A poisoned lock still holds usable data (figures and channels).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Refuses a request without the token (when one is set) with 401.
async fn authorize(State(hub): State<Arc<Hub>>, req: Request, next: Next) -> Response {
    if let Some(token) = &hub.token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if !sent.is_some_and(|s| same_secret(s.as_bytes(), token.as_bytes())) {
            let mut r =
                ApiError::new(StatusCode::UNAUTHORIZED, "missing or wrong token: send Authorization: Bearer TOKEN")
                    .into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(req).await
}

/// Compares two secrets in time that depends on their lengths only, not on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /events`'s query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// `1` (or `true`): each face in `frame` events.
    faces: Option<String>,
}

/// `GET /events[?faces=1]`: the Server-Sent Events stream.
async fn events(
    State(hub): State<Arc<Hub>>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let faces = match q.faces.as_deref() {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("faces={other}: use faces=1 or faces=0")))
        }
    };
    let rx = lock(if faces { &hub.detailed } else { &hub.summary }).as_ref().map(broadcast::Sender::subscribe);
    let first = stream::once(std::future::ready(hub.start.clone()));
    // Counted in GET /session while the stream lives: hyper drops it with the connection.
    let client = ClientGuard::new(hub.clone());
    // A client that lagged CLIENT_BUFFER events behind gets no more: its stream ends and it is dropped.
    let rest = stream::unfold((rx, client), |(rx, client)| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Ok(json) => Some((json, (Some(rx), client))),
            Err(_) => None,
        }
    });
    let stream = first.chain(rest).map(|json| Ok(SseEvent::default().data(&*json)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One connected `GET /events` client, counted in [`SessionSnapshot::clients`] from its creation to its drop.
struct ClientGuard(Arc<Hub>);

impl ClientGuard {
    /// Counts a new client.
    fn new(hub: Arc<Hub>) -> ClientGuard {
        lock(&hub.snapshot).clients += 1;
        ClientGuard(hub)
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let mut s = lock(&self.0.snapshot);
        s.clients = s.clients.saturating_sub(1);
    }
}

/// `POST /markers`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkerBody {
    /// The label.
    label: String,
    /// Its time, ms since the session start (optional).
    at_ms: Option<u64>,
}

/// The stored marker, as `POST /markers` answers it.
#[derive(Serialize)]
struct StoredMarker {
    id: u64,
    t_ms: u64,
    label: String,
    session: Option<String>,
    created_at: String,
}

/// `POST /markers`: stores a marker through the engine and answers with it.
async fn markers(
    State(hub): State<Arc<Hub>>,
    body: Result<Json<MarkerBody>, JsonRejection>,
) -> Result<(StatusCode, Json<StoredMarker>), ApiError> {
    let Json(body) = body.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    if crate::text::clean_label(&body.label).is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "label is empty"));
    }
    let (reply, answer) = oneshot::channel();
    let gone = || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the session has ended");
    hub.requests.try_send(MarkerRequest { at_ms: body.at_ms, label: body.label, reply }).map_err(|e| match e {
        mpsc::error::TrySendError::Full(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too many markers at once")
        }
        mpsc::error::TrySendError::Closed(_) => gone(),
    })?;
    let a = answer.await.map_err(|_| gone())??;
    let session = lock(&hub.snapshot).session.clone();
    Ok((
        StatusCode::CREATED,
        Json(StoredMarker {
            id: a.id,
            t_ms: a.start_ms,
            label: a.label,
            session,
            created_at: a.created_at.to_rfc3339(),
        }),
    ))
}

/// `GET /session`.
async fn session(State(hub): State<Arc<Hub>>) -> Json<SessionSnapshot> {
    Json(lock(&hub.snapshot).clone())
}

/// The listener the server runs on: TCP connections with [`WRITE_TIMEOUT`] on their writes and Nagle off.
struct TimeoutListener(TcpListener);

impl axum::serve::Listener for TimeoutListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((tcp, addr)) => {
                    let _ = tcp.set_nodelay(true);
                    let mut io = TimeoutStream::new(tcp);
                    io.set_write_timeout(Some(WRITE_TIMEOUT));
                    return (Box::pin(io), addr);
                }
                // Out of file descriptors and the like: wait, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_loopback_a_token_is_required() {
        let cfg =
            |addr: &str, token: Option<&str>| ApiConfig { addr: addr.parse().unwrap(), token: token.map(Into::into) };
        assert!(cfg("127.0.0.1:8080", None).check().is_ok());
        assert!(cfg("[::1]:8080", None).check().is_ok());
        let refused = cfg("0.0.0.0:8080", None).check().unwrap_err();
        assert!(refused.contains("0.0.0.0:8080") && !refused.contains('\n'), "{refused}");
        assert!(cfg("0.0.0.0:8080", Some("s3cret")).check().is_ok());
        assert!(cfg("127.0.0.1:8080", Some(" ")).check().is_err());
        assert!(same_secret(b"abc", b"abc") && !same_secret(b"abc", b"abd") && !same_secret(b"abc", b"ab"));
    }
}
