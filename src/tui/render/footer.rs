//! The footer: key hints on the left, hidden faces ("+N more") and the page on the right.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::GridInfo;
use crate::tui::app::{App, SparkSel};
use crate::tui::theme::Theme;

/// Rows taken by the footer.
pub const HEIGHT: u16 = 1;

/// Draws the footer into `area` (1 row), given what the face grid drew.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme, grid: &GridInfo) {
    let w = area.width as usize;
    let mut right = String::new();
    let hidden = grid.total.saturating_sub(grid.shown);
    if hidden > 0 {
        right.push_str(&format!("+{hidden} more"));
    }
    if grid.pages > 1 {
        if !right.is_empty() {
            right.push_str(theme.dot());
        }
        right.push_str(&format!("page {}/{}", grid.page + 1, grid.pages));
    }
    if !right.is_empty() {
        right.push(' ');
    }

    let (la, ra) = theme.arrows();
    let follow = match app.spark {
        SparkSel::Dominant => "dominant".to_string(),
        SparkSel::Emotion(e) => e.name().to_string(),
    };
    let pause = if app.paused() { "resume" } else { "pause" };
    let mut hints: Vec<(String, String)> = vec![
        ("q".into(), "quit".into()),
        ("space".into(), pause.into()),
        ("e".into(), format!("trend: {follow}")),
    ];
    if grid.pages > 1 {
        hints.push((format!("{la}/{ra}"), "page".into()));
    }
    hints.push(("?".into(), "help".into()));

    let room = w.saturating_sub(right.chars().count() + 1);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, what) in hints {
        let n = key.chars().count() + 1 + what.chars().count() + 2;
        if used + n > room {
            break;
        }
        spans.push(Span::styled(key, theme.accent()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
        used += n;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
    if !right.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(right, theme.warn()).right_aligned()),
            area,
        );
    }
}
