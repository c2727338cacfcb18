//! The header: what is read and where it goes (source, session id, recording flag, model, elapsed time), the
//! pipeline's health (input and processed FPS, latency p50/p95 in ms, dropped frames, faces now, detection
//! rate), and the status line (notices from the engine or about the user's requests, paused, live, ended,
//! error).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::pipeline::PipelineStats;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// Rows taken by the header.
pub const HEIGHT: u16 = 3;

/// Draws the header into `area` (3 rows).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(area);
    let w = area.width as usize;
    let snap = app.view();

    // Row 1: identity on the left, elapsed time on the right. Elapsed is the source time of the newest frame:
    // the clock markers and the store use, so a marker typed at "elapsed 0:14" is stored at 0:14 even when
    // processing lags behind a paced source.
    let elapsed = format!("elapsed {} ", crate::fmt::clock(snap.now_ms()));
    let room = w.saturating_sub(elapsed.len() + 1);
    f.render_widget(Paragraph::new(identity_line(app, theme, room)), rows[0]);
    f.render_widget(Paragraph::new(Line::styled(elapsed, theme.dim()).right_aligned()), rows[0]);

    // Row 2: health figures, in the most detailed form that fits.
    let faces = snap.last_frame.as_ref().map_or(0, |fr| fr.faces);
    let health = (0..3)
        .map(|level| health_line(&snap.stats, faces, theme, level))
        .find(|l| l.width() <= w)
        .unwrap_or_else(|| health_line(&snap.stats, faces, theme, 2));
    f.render_widget(Paragraph::new(health), rows[1]);

    // Row 3: status.
    f.render_widget(Paragraph::new(status_line(app, theme, w)), rows[2]);
}

/// Spans laid out left to right within `room` cells: each piece is truncated to the room left, and dropped
/// once fewer than 4 cells are left.
struct LeftSpans<'t> {
    theme: &'t Theme,
    room: usize,
    used: usize,
    spans: Vec<Span<'static>>,
}

impl LeftSpans<'_> {
    fn push(&mut self, text: String, style: Style) {
        let avail = self.room.saturating_sub(self.used);
        if avail < 4 {
            return;
        }
        let t = self.theme.truncate(&text, avail);
        self.used += t.chars().count();
        self.spans.push(Span::styled(t, style));
    }
}

/// The identity row's left part within `room` cells: the app's name, the recording state (first, so that it
/// survives any truncation), the source, the session id and the model.
fn identity_line(app: &App, theme: &Theme, room: usize) -> Line<'static> {
    let name = Span::styled(" emotrace ", theme.accent());
    let mut left = LeftSpans { theme, room, used: name.width(), spans: vec![name] };
    if app.recording {
        left.push(format!(" {} REC ", theme.rec_mark()), theme.error().add_modifier(Modifier::REVERSED));
    } else {
        left.push("not recording".to_string(), theme.warn());
    }
    left.push(" ".to_string(), Style::default());
    left.push(app.info.source.clone(), Style::default().add_modifier(Modifier::BOLD));
    let session = match &app.info.session_id {
        Some(id) => format!("{}session {id}", theme.dot()),
        None => format!("{}no session", theme.dot()),
    };
    left.push(session, theme.dim());
    if !app.info.model.is_empty() {
        left.push(format!("{}model {}", theme.dot(), app.info.model), theme.dim());
    }
    Line::from(left.spans)
}

/// The status row, `w` cells wide: the notice, paused, and the run's state (waiting, live with the frame's
/// size and detections, ended, or the error).
fn status_line(app: &App, theme: &Theme, w: usize) -> Line<'static> {
    let mut status: Vec<Span> = vec![Span::raw(" ")];
    if let Some(n) = &app.notice {
        let style = theme.notice(n.level);
        let text = theme.truncate(n.text.lines().next().unwrap_or(""), w.saturating_sub(2));
        status.push(Span::styled(text, style.add_modifier(Modifier::REVERSED)));
        status.push(Span::raw("  "));
    }
    if app.paused() {
        status.push(Span::styled(" PAUSED (space resumes) ", theme.warn().add_modifier(Modifier::REVERSED)));
        status.push(Span::raw(" "));
    }
    if let (Some(n), None) = (app.reconnecting, &app.finished) {
        let text = format!(" stream lost: reconnecting (attempt {n}) ");
        status.push(Span::styled(text, theme.warn().add_modifier(Modifier::REVERSED)));
        status.push(Span::raw(" "));
        return Line::from(status);
    }
    if app.source_gaps > 0 {
        let times = if app.source_gaps == 1 { "once".to_string() } else { format!("{} times", app.source_gaps) };
        status.push(Span::styled(format!("stream lost {times}{}", theme.dot()), theme.warn()));
    }
    match &app.finished {
        None => match &app.view().last_frame {
            None => status.push(Span::styled("waiting for the first frame", theme.dim())),
            Some(fr) => {
                // Not the frame index or this frame's latency: they change on every refresh (bytes over SSH) and
                // the health line above already gives current rates and latencies.
                let facts = format!("{}x{}{}{} detected", fr.width, fr.height, theme.dot(), fr.detections);
                status.push(Span::styled(format!("{} live", theme.rec_mark()), theme.ok()));
                status.push(Span::styled(format!("{}{}", theme.dot(), facts), theme.dim()));
            }
        },
        Some(Ok(())) => {
            status.push(Span::styled("source ended", theme.warn()));
            let n = app.live.stats.frames_processed;
            status.push(Span::styled(format!(" after {n} frames{}press q to quit", theme.dot()), theme.dim()));
        }
        Some(Err(msg)) => {
            status.push(Span::styled("error: ", theme.error()));
            let used: usize = status.iter().map(|s| s.width()).sum();
            let one_line = msg.lines().next().unwrap_or("").to_string();
            status.push(Span::styled(theme.truncate(&one_line, w.saturating_sub(used)), theme.error()));
        }
    }
    Line::from(status)
}

/// The health line: `level` 0 with full labels, 1 with short ones, 2 with the fewest characters.
fn health_line(st: &PipelineStats, faces: usize, theme: &Theme, level: u8) -> Line<'static> {
    let sep = if level < 2 { theme.sep() } else { "  " };
    let drop_pct = if st.frames_in > 0 { 100.0 * st.frames_dropped as f64 / st.frames_in as f64 } else { 0.0 };
    let drop_style = if st.frames_dropped > 0 { theme.warn() } else { Style::default() };
    let (l_in, l_proc, l_lat, l_drop, l_det) = if level == 0 {
        ("in ", " processed ", "latency ", "dropped ", "detection ")
    } else {
        ("in ", " proc ", "", "drop ", "det ")
    };
    let drop =
        if level < 2 { format!("{} ({drop_pct:.1}%)", st.frames_dropped) } else { st.frames_dropped.to_string() };
    let num = Style::default().add_modifier(Modifier::BOLD);
    let d = theme.dim();
    Line::from(vec![
        Span::styled(" FPS ", d),
        Span::styled(l_in, d),
        Span::styled(format!("{:.1}", st.input_fps), num),
        Span::styled(l_proc, d),
        Span::styled(format!("{:.1}", st.processed_fps), num),
        Span::styled(sep, d),
        Span::styled(format!("{l_lat}p50 "), d),
        Span::styled(format!("{:.0}", st.latency_p50_ms), num),
        Span::styled(if level < 2 { " ms p95 " } else { " p95 " }, d),
        Span::styled(format!("{:.0}", st.latency_p95_ms), num),
        Span::styled(" ms", d),
        Span::styled(sep, d),
        Span::styled(l_drop, d),
        Span::styled(drop, drop_style),
        Span::styled(sep, d),
        Span::styled("faces ", d),
        Span::styled(faces.to_string(), num),
        Span::styled(sep, d),
        Span::styled(l_det, d),
        Span::styled(format!("{:.0}%", st.detection_rate() * 100.0), num),
    ])
}
