//! Drawing the review screen: header, class timeline (one row per emotion, a faces-in-view row, markers and a
//! time axis), one line per face, the lower panel (values at the cursor, summary, or annotations) and the
//! footer (keys, prompt, notices).
//!
//! The same shape as the live screen's: [`prepare`] sizes the view to the terminal and makes this frame's data
//! ready (through [`ReviewApp`]'s methods: buckets, seat map), then [`draw`] only reads. Layout facts (label
//! width, smallest size, summary length) live here; the app keeps cursor, mode and edits.
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
use crate::tui::notice::Level;
use crate::tui::render::message;
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Size};
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

/// Makes ready what the next frame of a `size` terminal shows, so that [`draw`] reads no file and changes
/// nothing: the timeline columns (from the width), the visible buckets (read from the session's database when
/// zoomed in below a second, once per window), the seat map when its panel is up, and the summary's scroll kept
/// within its lines. The event loop calls it before each `terminal.draw`; a read that fails is reported in the
/// footer (buckets) or in the seat panel.
pub fn prepare(app: &mut ReviewApp, size: Size) {
    if size.width < MIN_SIZE.0 || size.height < MIN_SIZE.1 {
        return;
    }
    app.set_columns(size.width.saturating_sub(LABEL_W + 2) as usize);
    if let Err(e) = app.buckets() {
        app.notify(Level::Error, format!("error: {e:#}"));
    }
    match app.panel {
        Panel::Seats => app.prepare_room(),
        Panel::Summary => {
            let max = (summary_lines(app).len() as u16).saturating_sub(1);
            app.summary_scroll = app.summary_scroll.min(max);
        }
        Panel::Cursor | Panel::Annotations => {}
    }
}

/// Draws the whole review screen from what [`prepare`] made ready for this frame's size: it reads no
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
        app.session.face_list().iter().filter(|t| t.merged_into.is_none()).count()
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
