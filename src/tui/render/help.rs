//! The help overlay: every key of the live screen, in a box over the middle of the screen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::theme::Theme;

/// Draws the help box centred in `area`.
pub fn render(f: &mut Frame, area: Rect, theme: &Theme, marker_labels: &[String]) {
    let labels: String =
        marker_labels.iter().enumerate().map(|(i, l)| format!("{} {l}", i + 1)).collect::<Vec<_>>().join(", ");
    let (la, ra) = theme.arrows();
    let (ua, da) = theme.up_down();
    let keys: Vec<(String, &str)> = vec![
        ("q  Esc".into(), "quit (Esc closes this help)"),
        ("Ctrl-C".into(), "quit"),
        ("space  p".into(), "pause / resume the display"),
        (format!("{da}  Tab"), "select the next face"),
        (format!("{ua}  BackTab"), "select the previous face"),
        (format!("{ra}  PgDn  n"), "next page of faces"),
        (format!("{la}  PgUp  b"), "previous page of faces"),
        ("e  E".into(), "trend follows next / previous emotion"),
        ("a".into(), "trend of all 7 emotions / of one"),
        ("v".into(), "show / hide the frame preview"),
        ("m".into(), "marker: type a label, Enter sends, Esc cancels"),
        ("1 .. 9".into(), "marker with a predefined label, at once"),
        ("l".into(), "name the selected face (e.g. P07)"),
        ("r".into(), "start / stop recording"),
        ("?  h  F1".into(), "show / hide this help"),
    ];
    let lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| {
            Line::from(vec![Span::styled(format!(" {k:<12}"), theme.accent()), Span::raw(what.to_string())])
        })
        .collect();
    let mut lines = lines;
    if !labels.is_empty() {
        lines.push(Line::styled(theme.truncate(&format!(" markers: {labels}"), 58), theme.dim()));
    }
    let w = (60).min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    let block = Block::bordered().border_set(theme.border_set()).title(" keys ");
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
