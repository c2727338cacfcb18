//! The help overlay: every key of the live screen and where the tool may be used (the EU AI Act's line), in a box
//! over the middle of the screen. The first run of `live` on a store
//! opens with a notice pointing to it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::theme::Theme;

/// The keys of the live screen, for the help overlay and the manual page (`emotrace man`, KEY BINDINGS). The
/// words Up, Down, Left and Right are drawn as the theme's arrows in the overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("q  Esc", "quit (Esc closes this help)"),
    ("Ctrl-C", "quit"),
    ("space  p", "pause / resume the display"),
    ("Down  Tab", "select the next face"),
    ("Up  BackTab", "select the previous face"),
    ("Right  PgDn  n", "next page of faces"),
    ("Left  PgUp  b", "previous page of faces"),
    ("e  E", "trend follows next / previous emotion"),
    ("a", "trend of all 7 emotions / of one"),
    ("v", "show / hide the frame preview"),
    ("m", "marker: type a label, Enter sends, Esc cancels"),
    ("1 .. 9", "marker with a predefined label, at once"),
    ("l", "name the selected face (e.g. P07)"),
    ("r", "start / stop recording"),
    ("?  h  F1", "show / hide this help"),
];

/// Draws the help box centred in `area`.
pub fn render(f: &mut Frame, area: Rect, theme: &Theme, marker_labels: &[String]) {
    let labels: String =
        marker_labels.iter().enumerate().map(|(i, l)| format!("{} {l}", i + 1)).collect::<Vec<_>>().join(", ");
    let (la, ra) = theme.arrows();
    let (ua, da) = theme.up_down();
    let arrow = |k: &str| match k.split_once("  ") {
        Some((first, rest)) => {
            let a = match first {
                "Up" => ua,
                "Down" => da,
                "Left" => la,
                "Right" => ra,
                other => other,
            };
            format!("{a}  {rest}")
        }
        None => k.to_string(),
    };
    let keys: Vec<(String, &str)> = KEYS.iter().map(|(k, what)| (arrow(k), *what)).collect();
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
    // Where the tool may be used, on the first run's help and every later one (issue 26, item 8).
    lines.push(Line::raw(""));
    for part in textwrap::wrap(crate::lawful_use::ONE_LINE, 56) {
        lines.push(Line::styled(format!(" {part}"), theme.dim()));
    }
    let w = (60).min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    let block = Block::bordered().border_set(theme.border_set()).title(" keys ");
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
