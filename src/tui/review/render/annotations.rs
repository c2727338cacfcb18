//! The annotations panel: the markers and notes, to jump to, edit or delete.

use super::panel_block;
use crate::fmt::clock_tenths;
use crate::store::AnnotationKind;
use crate::tui::review::app::ReviewApp;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let title = " annotations: Enter jumps, e edits, t moves to cursor, x deletes ".to_string();
    let block = panel_block(theme, title, app);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = inner.height.max(1) as usize;
    let first = app.selected_annotation.saturating_sub(rows - 1);
    let mut lines = Vec::new();
    for (k, a) in app.session.annotations.iter().enumerate().skip(first).take(rows) {
        let selected = k == app.selected_annotation;
        let when = match a.end_ms {
            Some(e) => format!("{}-{}", clock_tenths(a.start_ms), clock_tenths(e)),
            None => clock_tenths(a.start_ms),
        };
        let kind = match a.kind {
            AnnotationKind::Marker => "marker",
            AnnotationKind::Note => "note",
        };
        let who = a.track_id.map(|id| format!("  [{}]", app.session.track_label(id))).unwrap_or_default();
        let style = if selected { theme.selected() } else { Style::default() };
        lines.push(Line::from(vec![
            Span::styled(format!("{}{when:<16} {kind:<7}", if selected { "> " } else { "  " }), style),
            Span::raw(a.label.clone()),
            Span::styled(who, theme.dim()),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "  no markers or notes yet: m adds a marker, n a note, v..n a note over a range",
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
