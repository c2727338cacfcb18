//! Drawing the review screen: header, class timeline (one row per emotion, a faces-in-view row, markers and a
//! time axis), one line per face, the lower panel (values at the cursor, summary, or annotations) and the
//! footer (keys, prompt, notices).
//!
//! One module per part of the screen, as `tui::render` has for the live screen: `header`, `timeline` (with the
//! face lines), the lower panels `cursor_panel`, `summary`, `seats` and `annotations`, `footer` and `help`.

mod annotations;
mod cursor_panel;
mod footer;
mod header;
mod help;
mod seats;
mod summary;
mod timeline;

use super::app::{Mode, Panel, ReviewApp};
use crate::classify::NUM_EMOTIONS;
use crate::tui::render::message;
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use ratatui::Frame;

pub use help::KEYS;
pub use summary::summary_lines;
pub(super) use timeline::level_char;

/// Width of the row labels left of the timeline, cells.
pub const LABEL_W: u16 = 10;

/// Smallest screen the review draws on.
pub const MIN_SIZE: (u16, u16) = (50, 20);

/// Rows the lower panel keeps when face lines compete for room (borders included).
const PANEL_MIN: u16 = 6;

/// Draws the whole review screen from what [`ReviewApp::prepare`] made ready for this frame's size: it reads no
/// file and changes nothing.
pub fn draw(f: &mut Frame, app: &ReviewApp, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!("terminal too small: {}x{} needed", MIN_SIZE.0, MIN_SIZE.1);
        message(f, area, Line::styled(text, theme.warn()));
        return;
    }
    let timeline_rows = NUM_EMOTIONS as u16 + 4;
    // The seat map needs the room the per-face lines would take.
    let faces = if app.show_faces && app.panel != Panel::Seats {
        app.face_list().iter().filter(|t| t.merged_into.is_none()).count()
    } else {
        0
    };
    let room = area.height.saturating_sub(2 + PANEL_MIN + 1 + timeline_rows + 2);
    let face_rows = (faces as u16).min(room);
    let [header, timeline, lower, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(timeline_rows + face_rows + 2),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(f, header, app, theme);
    timeline::render(f, timeline, app, theme, face_rows);
    match app.panel {
        Panel::Cursor => cursor_panel::render(f, lower, app, theme),
        Panel::Summary => summary::render(f, lower, app, theme),
        Panel::Annotations => annotations::render(f, lower, app, theme),
        Panel::Seats => seats::render(f, lower, app, theme),
    }
    footer::render(f, footer, app, theme);
    if app.mode == Mode::Help {
        help::render(f, area, theme);
    }
}

fn cursor_style(theme: &Theme, s: Style) -> Style {
    if theme.color {
        s.bg(Color::DarkGray)
    } else {
        s.add_modifier(Modifier::REVERSED)
    }
}

fn row<'a>(label: Span<'a>, cells: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = Vec::with_capacity(cells.len() + 1);
    spans.push(label);
    spans.extend(cells);
    Line::from(spans)
}

fn panel_block<'a>(theme: &Theme, title: String, app: &ReviewApp) -> Block<'a> {
    let tabs = [
        (Panel::Cursor, "c cursor"),
        (Panel::Summary, "s summary"),
        (Panel::Annotations, "a annotations"),
        (Panel::Seats, "p seats"),
    ];
    let tabs: Vec<Span> = tabs
        .iter()
        .map(|(p, name)| Span::styled(format!(" {name} "), if *p == app.panel { theme.accent() } else { theme.dim() }))
        .collect();
    Block::bordered().border_set(theme.border_set()).title(title).title_top(Line::from(tabs).right_aligned())
}
