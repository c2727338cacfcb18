//! The header: the session, its length and the view (window, bucket, cursor).

use crate::fmt::{clock, clock_tenths, step};
use crate::tui::review::app::ReviewApp;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let r = &app.session.record;
    let source = std::path::Path::new(&r.source).file_name().map_or(r.source.clone(), |s| s.to_string_lossy().into());
    let sep = theme.sep();
    let line1 = Line::from(vec![
        Span::styled("emotrace review ", theme.accent()),
        Span::raw(r.id.clone()),
        Span::styled(sep, theme.dim()),
        Span::raw(r.status.name()),
        Span::styled(sep, theme.dim()),
        Span::raw(clock(r.duration_ms)),
        Span::styled(sep, theme.dim()),
        Span::raw(r.started_at.format("%Y-%m-%d %H:%M").to_string()),
        Span::styled(sep, theme.dim()),
        Span::raw(theme.truncate(&source, 40)),
    ]);
    let faces = r.faces();
    let markers = app.session.annotations.len();
    let v = app.view();
    let mut spans = vec![
        Span::styled(format!("cursor {}", clock_tenths(v.cursor_ms)), theme.accent()),
        Span::styled(sep, theme.dim()),
        Span::raw(format!("{} per column", step(v.bucket_ms()))),
        Span::styled(sep, theme.dim()),
        Span::raw(format!(
            "view {}-{}",
            clock_tenths(v.start_ms),
            clock_tenths(v.end_ms().min(app.session.covered_ms()))
        )),
        Span::styled(sep, theme.dim()),
        Span::raw(format!("{faces} face(s), {markers} annotation(s)")),
    ];
    if let Some(s) = app.range_start {
        spans.push(Span::styled(sep, theme.dim()));
        spans.push(Span::styled(format!("range from {}", clock_tenths(s)), theme.warn()));
    }
    f.render_widget(Paragraph::new(vec![line1, Line::from(spans)]), area);
}
