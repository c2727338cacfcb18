//! The footer: key hints on the left, hidden faces ("+N more") and the page on the right; or, while the text
//! prompt is open, the prompt (marker label or face name) with its keys.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::GridInfo;
use crate::tui::app::{App, PromptKind, SparkSel};
use crate::tui::theme::Theme;

/// Rows taken by the footer.
pub const HEIGHT: u16 = 1;

/// Draws the footer into `area` (1 row), given what the face grid drew.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme, grid: &GridInfo) {
    let w = area.width as usize;
    if let Some(p) = &app.prompt {
        let what = match p.kind {
            PromptKind::Marker { at_ms } => {
                format!(" marker at {} label: ", crate::fmt::clock(at_ms))
            }
            PromptKind::Name { track_id } => format!(" name for {}: ", app.label(track_id)),
        };
        let keys = "  Enter send  Esc cancel";
        let avail = w.saturating_sub(what.chars().count() + 1 + keys.len());
        // Show the end of what was typed when it does not fit.
        let n = p.text.as_str().chars().count();
        let text: String = p.text.as_str().chars().skip(n.saturating_sub(avail)).collect();
        let mut spans = vec![
            Span::styled(what, theme.accent()),
            Span::raw(text),
            Span::styled("_", theme.accent().add_modifier(Modifier::SLOW_BLINK)),
        ];
        if avail > 0 {
            spans.push(Span::styled(keys, theme.dim()));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
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
    let rec = if app.recording { "stop rec" } else { "record" };
    let mut hints: Vec<(String, String)> = vec![
        ("q".into(), "quit".into()),
        ("?".into(), "help".into()),
        ("m".into(), "marker".into()),
        ("l".into(), "name".into()),
        ("r".into(), rec.into()),
        ("space".into(), pause.into()),
    ];
    if grid.pages > 1 {
        hints.push((format!("{la}/{ra}"), "page".into()));
    }
    hints.push(("e".into(), format!("trend: {follow}")));
    hints.push(("v".into(), "preview".into()));
    hints.push(("a".into(), "all 7".into()));

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
        f.render_widget(Paragraph::new(Line::styled(right, theme.warn()).right_aligned()), area);
    }
}
