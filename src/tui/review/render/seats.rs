//! The seat panel: each face's mean place in the frame.

use super::panel_block;
use crate::analytics::attention;
use crate::analytics::room::{Room, Seat};
use crate::fmt::face_label;
use crate::tui::review::app::ReviewApp;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// The seat map: the camera's frame as a plan, each face's label at its mean place (the selected face
/// highlighted), and beside it the faces with their place and how often they faced the front.
pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let block = panel_block(theme, " seat map: where each face sat (r names the selected face) ".into(), app);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let room = match app.prepared_room() {
        Ok(Some(r)) => r,
        // Not made ready for this frame (drawn without `prepare`): the panel stays empty.
        Ok(None) => return,
        Err(e) => {
            f.render_widget(Paragraph::new(Line::styled(e.to_string(), theme.error())), inner);
            return;
        }
    };
    let faces: Vec<(u32, String)> =
        app.session.face_list().iter().filter(|t| t.merged_into.is_none()).map(|t| (t.id, t.label())).collect();
    let selected = app.session.face_list().get(app.selected_face).map(|t| t.id);
    // The plan on the left (at most 2/3 of the width, the frame's aspect with cells twice as tall as wide), the
    // list on the right.
    let list_w = 34.min(inner.width / 3);
    let plan_w = inner.width.saturating_sub(list_w + 1);
    let aspect = if room.frame[0] > 0.0 { room.frame[1] / room.frame[0] } else { 0.5625 };
    let plan_h = ((plan_w as f32 * aspect / 2.0).round() as u16).clamp(3, inner.height);
    let plan = Rect { x: inner.x, y: inner.y, width: plan_w.min(inner.width), height: plan_h };
    let frame_block =
        Block::bordered().border_set(theme.border_set()).title(" camera's view ").title_style(theme.dim());
    let cells = frame_block.inner(plan);
    f.render_widget(frame_block, plan);
    if room.seats.is_empty() {
        f.render_widget(Paragraph::new(Line::styled("no faces", theme.dim())), cells);
    }
    render_plan_labels(f, cells, room, &faces, selected, theme);
    if list_w < 12 {
        return;
    }
    let list = Rect {
        x: inner.x + plan.width + 1,
        y: inner.y,
        width: inner.width.saturating_sub(plan.width + 1),
        height: inner.height,
    };
    render_seat_list(f, list, app, room, &faces, selected, theme);
}

/// Each face's label at its seat's place in the plan's `cells`, left to right; a label that would overlap
/// another goes to the nearest free row, then along it ([`free_spot`]), and is dropped when none is free.
fn render_plan_labels(
    f: &mut Frame,
    cells: Rect,
    room: &Room,
    faces: &[(u32, String)],
    selected: Option<u32>,
    theme: &Theme,
) {
    let (cw, ch) = (cells.width as usize, cells.height as usize);
    if cw == 0 || ch == 0 {
        return;
    }
    let mut taken = vec![vec![false; cw]; ch];
    let mut order: Vec<&Seat> = room.seats.iter().collect();
    order.sort_by(|a, b| a.x.total_cmp(&b.x));
    for seat in order {
        let label =
            faces.iter().find(|(id, _)| *id == seat.track_id).map_or(face_label(seat.track_id), |(_, l)| l.clone());
        let label = theme.truncate(&label, cw);
        let w = label.chars().count().clamp(1, cw);
        let want_x = ((seat.x * (cw - 1) as f32).round() as usize).saturating_sub(w / 2).min(cw - w);
        let want_y = ((seat.y * (ch - 1) as f32).round() as usize).min(ch - 1);
        let Some((x, y)) = free_spot(&taken, w, want_x, want_y) else { continue };
        for c in taken[y].iter_mut().skip(x.saturating_sub(1)).take(w + 2) {
            *c = true;
        }
        let style = if Some(seat.track_id) == selected {
            theme.selected().add_modifier(Modifier::REVERSED)
        } else {
            theme.accent()
        };
        let rect = Rect { x: cells.x + x as u16, y: cells.y + y as u16, width: w as u16, height: 1 };
        f.render_widget(Paragraph::new(Line::styled(label, style)), rect);
    }
}

/// Where a label `w` cells wide goes in the grid `taken` (rows of cells, `true` where taken; `w` at most a row's
/// width): the free place nearest to `(want_x, want_y)`, a row away costing as much as four columns; `None` when
/// no place is free.
fn free_spot(taken: &[Vec<bool>], w: usize, want_x: usize, want_y: usize) -> Option<(usize, usize)> {
    let cw = taken.first().map_or(0, Vec::len);
    let mut spot = None;
    let mut best = usize::MAX;
    for (y, row) in taken.iter().enumerate() {
        for x in 0..=cw - w {
            let cost = x.abs_diff(want_x) + 4 * y.abs_diff(want_y);
            if cost < best && row[x..x + w].iter().all(|t| !t) {
                best = cost;
                spot = Some((x, y));
            }
        }
    }
    spot
}

/// The faces in `list`, scrolled to keep the selected one in view: label, mean place (percent of the frame's
/// width and height) and how often they faced the front; "not seen" for a face without a seat.
fn render_seat_list(
    f: &mut Frame,
    list: Rect,
    app: &ReviewApp,
    room: &Room,
    faces: &[(u32, String)],
    selected: Option<u32>,
    theme: &Theme,
) {
    let mut lines = vec![Line::styled(format!("{:<12}{:>5}{:>5} facing", "face", "x", "y"), theme.dim())];
    let rows = (list.height as usize).saturating_sub(1).max(1);
    let first = app.selected_face.saturating_sub(rows - 1);
    for (id, label) in faces.iter().skip(first).take(rows) {
        let style = if Some(*id) == selected { theme.selected() } else { Style::default() };
        let text = match room.seat(*id) {
            Some(s) => format!(
                "{:<12}{:>4.0}%{:>4.0}% {}",
                theme.truncate(label, 11),
                s.x * 100.0,
                s.y * 100.0,
                attention::fmt_share(s.facing.share())
            ),
            None => format!("{:<12} not seen", theme.truncate(label, 11)),
        };
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines), list);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_goes_to_its_place_else_the_nearest_free_one_rows_costing_more() {
        let mut taken = vec![vec![false; 10]; 3];
        assert_eq!(free_spot(&taken, 3, 4, 1), Some((4, 1)));
        taken[1][2..9].iter_mut().for_each(|c| *c = true);
        // Row 1 is free only at columns 0-1 and 9: no room for 3 cells, so one row up (cost 4) it goes.
        assert_eq!(free_spot(&taken, 3, 4, 1), Some((4, 0)));
        taken.iter_mut().for_each(|r| r.iter_mut().for_each(|c| *c = true));
        assert_eq!(free_spot(&taken, 3, 4, 1), None);
    }
}
