//! Drawing the live screen: one module per widget.
//!
//! | module | widget |
//! | --- | --- |
//! | [`header`] | source, session, recording flag, elapsed time, pipeline health, status line with notices |
//! | [`class_strip`] | share of faces in each emotion, now and over the last `class_window_s` |
//! | [`face_panel`] | one panel per tracked face: name, dominant emotion, 7 bars, sparkline(s), selection |
//! | [`preview`] | the newest frame in half-blocks (or an ASCII gray ramp) with the face boxes |
//! | [`footer`] | key hints, hidden faces, page; or the text prompt |
//! | [`help`] | the key overlay |

pub mod class_strip;
pub mod face_panel;
pub mod footer;
pub mod header;
pub mod help;
pub mod preview;

use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect, Size};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::theme::Theme;

/// Narrowest face panel, in cells (bars of 14 cells).
pub const MIN_PANEL_WIDTH: u16 = 30;
/// Lowest face panel, in rows (borders, dominant line, 7 bars, sparkline label, 1-row sparkline).
pub const MIN_PANEL_HEIGHT: u16 = 12;
/// Width over height of a well-proportioned panel, in cells.
const IDEAL_ASPECT: f64 = 2.5;

/// Draws the whole screen for `app`, from the paging [`prepare`] worked out for this frame's size: it changes
/// nothing.
///
/// Layout (ASCII mode; panels fill a grid that adapts to the terminal, as many as fit at
/// [`MIN_PANEL_WIDTH`] x [`MIN_PANEL_HEIGHT`], the others on further pages):
///
/// ```text
///  emotrace  * REC  WolfgangLanger_Pexels.mp4 - session 01J9ZQ4K7M   elapsed 1:07
///  FPS in 25.0 proc 23.7  p50 34 p95 59 ms  drop 83  faces 1  det 100%
///  * live - 640x360 - 1 detected
///  now 1 face  ang   0% dis 100% fea   0% hap   0% sad   0% sur   0% neu   0%
///  last 2 min  ang   0% dis  51% fea  49% hap   0% sad   0% sur   0% neu   0%
/// # >Face 1 ================ ~100x100 px #+ Face 2 (lost) ---------- ~100x100 px +
/// #DISGUST 53%               in view 1:07#|FEAR 59%       in view 1:03 - lost 3 s|
/// #angry    ##                         7%#|angry    ##                         7%|
/// #disgust  #############             53%#|disgust  #                          2%|
/// #fear     #                          5%#|fear     ##############            59%|
/// #happy    ##                        10%#|happy    ##                         9%|
/// #sad      ##                         7%#|sad      ##                         7%|
/// #surprise #                          5%#|surprise #                          5%|
/// #neutral  ###                       12%#|neutral  ###                       11%|
/// #disgust % - last 60 s                 #|fear % - last 60 s                    |
/// #                                      #|                                      |
/// #. .. .  . .. .  .  . .  .  . .  .  . .#|. .. .  .  . .  .  . .  .  . .. .  ...|
/// ########################################|######################################|
/// ########################################|######################################|
/// #======================================#+--------------------------------------+
///  q quit  ? help  m marker  l name  r stop rec  space pause  e trend: dominant
/// ```
///
/// Under the header, the class strip ([`class_strip`]) takes 2 rows when the body keeps room for a panel; the
/// preview ([`preview`], key `v`) takes the right part of the body (or its top on narrow terminals).
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    let parts = areas(area, app);
    header::render(f, parts.head, app, theme);
    if let Some(strip) = parts.strip {
        class_strip::render(f, strip, app, theme);
    }
    if let Some(pv) = parts.preview {
        preview::render(f, pv, app, theme);
    }
    let faces = face_panel::render_grid(f, parts.panels, app, theme);
    footer::render(f, parts.foot, app, theme, &faces);
    if app.show_help {
        help::render(f, area, theme, &app.marker_labels);
    }
}

/// Works out what the next frame of a `size` terminal needs from `app` before it is drawn: the face panels'
/// paging (panels per page, the page clamped to the pages there are), which the paging keys then read. The
/// event loop calls it before each `terminal.draw`, so that [`draw`] takes `&App`.
pub fn prepare(app: &mut App, size: Size) {
    let panels = areas(Rect::from((Position::ORIGIN, size)), app).panels;
    app.paging = face_panel::paging(panels, app);
}

/// Where the parts of the live screen go.
struct Areas {
    head: Rect,
    /// The class strip, when the body keeps room for a panel under it.
    strip: Option<Rect>,
    /// The frame preview, when shown.
    preview: Option<Rect>,
    panels: Rect,
    foot: Rect,
}

/// The live screen's layout in `area` (see [`draw`]).
fn areas(area: Rect, app: &App) -> Areas {
    let [head, rest, foot] =
        Layout::vertical([Constraint::Length(header::HEIGHT), Constraint::Min(0), Constraint::Length(footer::HEIGHT)])
            .areas(area);
    let (strip, body) = if rest.height >= MIN_PANEL_HEIGHT + class_strip::HEIGHT {
        let [strip, body] = Layout::vertical([Constraint::Length(class_strip::HEIGHT), Constraint::Min(0)]).areas(rest);
        (Some(strip), body)
    } else {
        (None, rest)
    };
    let (preview, panels) = if app.show_preview && body.width > 0 && body.height > 0 {
        let (iw, ih) = match (&app.view().image, &app.view().last_frame) {
            (Some(img), _) => (img.width(), img.height()),
            (None, Some(fr)) => (fr.width, fr.height),
            (None, None) => (16, 9),
        };
        if body.width >= MIN_PANEL_WIDTH + preview::MIN_WIDTH {
            let pw = preview::width_for(body, iw, ih, MIN_PANEL_WIDTH);
            let [panels, pv] = Layout::horizontal([Constraint::Min(0), Constraint::Length(pw)]).areas(body);
            (Some(pv), panels)
        } else {
            let ph = if body.height >= MIN_PANEL_HEIGHT + 5 { body.height - MIN_PANEL_HEIGHT } else { body.height };
            let [pv, panels] = Layout::vertical([Constraint::Length(ph), Constraint::Min(0)]).areas(body);
            (Some(pv), panels)
        }
    } else {
        (None, body)
    };
    Areas { head, strip, preview, panels, foot }
}

/// How the face panels of one page were laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GridInfo {
    /// Faces known.
    pub total: usize,
    /// Faces drawn on this page.
    pub shown: usize,
    /// Page on display (0-based).
    pub page: usize,
    /// Pages in all.
    pub pages: usize,
}

/// The grid for `n` panels in `area`: `(columns, rows, panels per page)`; `(0, 0, 0)` when not even one panel
/// fits. Among the grids that fit, picks the one whose panels are closest to a 2.5:1 shape with the fewest
/// empty cells.
pub fn grid(area: Rect, n: usize) -> (u16, u16, usize) {
    let max_cols = area.width / MIN_PANEL_WIDTH;
    let max_rows = area.height / MIN_PANEL_HEIGHT;
    if max_cols == 0 || max_rows == 0 {
        return (0, 0, 0);
    }
    let capacity = max_cols as usize * max_rows as usize;
    let shown = n.clamp(1, capacity);
    let mut best: Option<(f64, u16, u16)> = None;
    for cols in 1..=max_cols {
        let rows = shown.div_ceil(cols as usize) as u16;
        if rows > max_rows || (cols as usize) > shown {
            continue;
        }
        let w = f64::from(area.width) / f64::from(cols);
        let h = f64::from(area.height) / f64::from(rows);
        let empty = (cols as usize * rows as usize - shown) as f64;
        let score = (w / h / IDEAL_ASPECT).ln().abs() + 0.15 * empty;
        if best.is_none_or(|(s, ..)| score < s) {
            best = Some((score, cols, rows));
        }
    }
    match best {
        Some((_, c, r)) if n <= capacity => (c, r, capacity),
        Some(_) | None => (max_cols, max_rows, capacity),
    }
}

/// A window of `ms` as its label says it ("last 90 s", "last 2 min"): whole seconds under two minutes, else
/// minutes, with one decimal when not whole ("2.5 min"). The class strip's and the sparklines' windows.
pub(crate) fn span_text(ms: u64) -> String {
    let s = crate::fmt::ms_to_s(ms);
    if s >= 120.0 && (s / 60.0).fract() == 0.0 {
        format!("{:.0} min", s / 60.0)
    } else if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// A centred one-line message in `area` (empty states).
pub(crate) fn message(f: &mut Frame, area: Rect, line: Line<'_>) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    // Wrapped at word boundaries when wider than the screen, so a small terminal still reads all of it (at 20x5
    // "terminal too small: 50x20 needed" lost the size it needs); centred vertically on the rows it takes.
    let rows = (line.width() as u16).div_ceil(area.width).saturating_add(1).min(area.height);
    let y = area.y + (area.height - rows) / 2;
    let block = Rect { y, height: rows, ..area };
    f.render_widget(Paragraph::new(line).alignment(Alignment::Center).wrap(Wrap { trim: true }), block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids() {
        // 80x20 body: two side by side at most.
        assert_eq!(grid(Rect::new(0, 0, 80, 20), 1), (1, 1, 2));
        assert_eq!(grid(Rect::new(0, 0, 80, 20), 2), (2, 1, 2));
        assert_eq!(grid(Rect::new(0, 0, 80, 20), 5).2, 2);
        // 200x56: five faces fit.
        let (c, r, cap) = grid(Rect::new(0, 0, 200, 56), 5);
        assert!(c as usize * r as usize >= 5 && cap >= 5, "{c}x{r}");
        assert_eq!(grid(Rect::new(0, 0, 20, 10), 1), (0, 0, 0));
    }
}
