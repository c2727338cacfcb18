//! The help overlay and the keys it lists.

use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// The keys of the review screen, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("Left Right  h l", "cursor one bucket back / on (Shift, H L: ten)"),
    ("PgUp PgDn", "one screen back / on"),
    ("Home End  g G", "start / end of the session"),
    ("[  ]", "previous / next marker or note"),
    ("+  -", "zoom in / out (bucket length)"),
    ("z", "fit the whole session"),
    ("f", "show / hide one line per face"),
    ("Tab  c s a p", "lower panel: cursor, summary, annotations, seats"),
    ("Up Down  j k", "select a face / annotation, scroll the summary"),
    ("m", "marker at the cursor (type a label)"),
    ("n", "note at the cursor"),
    ("v ... n", "note over a range: v at the start, move, n"),
    ("e  t  x", "annotation: edit text, move to cursor, delete"),
    ("r", "name the selected face (e.g. P07)"),
    ("p", "seat map: each face's mean place in the frame"),
    ("J", "merge the selected face into another (same person); undo"),
    ("q  Esc", "back to the sessions (Esc also cancels a range)"),
    ("Ctrl-C", "quit"),
];

pub(super) fn render(f: &mut Frame, area: Rect, theme: &Theme) {
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!(" {k:<16}"), theme.accent()), Span::raw(*what)]))
        .collect();
    let w = 76.min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, rect);
    let block = Block::bordered().border_set(theme.border_set()).title(" review keys (any key closes) ");
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
