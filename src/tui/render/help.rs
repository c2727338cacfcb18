//! The help overlay: every key of the live screen, in a box over the middle of the screen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::theme::Theme;

/// Draws the help box centred in `area`.
pub fn render(f: &mut Frame, area: Rect, theme: &Theme) {
    let (la, ra) = theme.arrows();
    let keys: [(String, &str); 7] = [
        ("q  Esc".into(), "quit (Esc closes this help)"),
        ("Ctrl-C".into(), "quit"),
        ("space  p".into(), "pause / resume the display"),
        (format!("{ra}  PgDn  n"), "next page of faces"),
        (format!("{la}  PgUp  b"), "previous page of faces"),
        ("e  E".into(), "trend follows next / previous emotion"),
        ("?  h  F1".into(), "show / hide this help"),
    ];
    let lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<12}"), theme.accent()),
                Span::raw(what.to_string()),
            ])
        })
        .collect();
    let w = (54).min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let block = Block::bordered()
        .border_set(theme.border_set())
        .title(" keys ");
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
