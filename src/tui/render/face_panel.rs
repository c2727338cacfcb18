//! Face panels: one bordered panel per tracked face, laid out in a grid, with paging when they do not all fit.
//!
//! A panel shows the face's name (given with `l`) or "Face {track_id}", the box size, the dominant smoothed emotion with its probability, the time
//! in view, the 7 smoothed probabilities as labelled bars, and a sparkline of the followed emotion over the
//! last `history_s` of source time (or, with `a`, one small sparkline per emotion, the most probable first,
//! as many as the panel has rows for). Faces not seen for `stale_s` are greyed and marked "lost". The
//! selected face has a thick (ASCII: `#`/`=`) highlighted border and a `>` before its label.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use ratatui::Frame;

use super::{grid, message, GridInfo, MIN_PANEL_HEIGHT, MIN_PANEL_WIDTH};
use crate::classify::Emotion;
use crate::tui::app::{App, PanelPaging, TrackView};
use crate::tui::theme::Theme;

/// Width of the emotion labels ("surprise").
const LABEL_WIDTH: usize = 8;
/// Width of the percentage column (" 100%").
const PCT_WIDTH: usize = 5;
/// Tallest sparkline, rows (64 levels with eighth blocks). A taller one reads no better, and every step of its
/// window redraws all of its cells: at 160x48 an uncapped sparkline was two thirds of the bytes sent.
pub const SPARK_MAX_ROWS: u16 = 8;

/// The paging of the face panels in `area`: how many fit a page, and the page on display clamped to the pages
/// there are. Pure, so it can be worked out before drawing ([`super::prepare`]) and again while drawing.
pub fn paging(area: Rect, app: &App) -> PanelPaging {
    let total = app.ordered_tracks().len();
    let (_, _, per_page) = grid(area, total);
    PanelPaging::new(total, per_page, app.paging.page)
}

/// Draws the panels of the current page into `area` and says what was drawn.
pub fn render_grid(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> GridInfo {
    let ids: Vec<u32> = app.ordered_tracks().iter().map(|t| t.track_id).collect();
    let total = ids.len();
    let (cols, rows, _) = grid(area, total);
    let PanelPaging { page, pages, per_page } = paging(area, app);
    let info = GridInfo { total, shown: 0, page, pages };

    if per_page == 0 {
        let need = format!(
            "Terminal too small for a face panel (need {}x{})",
            MIN_PANEL_WIDTH,
            MIN_PANEL_HEIGHT + super::header::HEIGHT + super::footer::HEIGHT
        );
        message(f, area, Line::styled(theme.truncate(&need, area.width as usize), theme.warn()));
        return info;
    }
    if total == 0 {
        let text = if app.view().last_frame.is_none() {
            if app.finished.is_some() {
                "No frame was processed"
            } else {
                "Waiting for the first frame..."
            }
        } else {
            "No face in view"
        };
        message(f, area, Line::styled(text, theme.dim()));
        return info;
    }

    let page_ids = &ids[page * per_page..total.min((page + 1) * per_page)];
    let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows as usize]).split(area);
    let selected = app.selected_id();
    let mut shown = 0;
    for (r, row) in row_areas.iter().enumerate() {
        let cells = Layout::horizontal(vec![Constraint::Fill(1); cols as usize]).split(*row);
        for (c, cell) in cells.iter().enumerate() {
            let Some(id) = page_ids.get(r * cols as usize + c) else {
                break;
            };
            if let Some(t) = app.view().tracks.get(id) {
                render_panel(f, *cell, app, t, theme, selected == Some(*id));
                shown += 1;
            }
        }
    }
    GridInfo { shown, ..info }
}

/// The styles of one panel: greyed when its face is lost (stale).
#[derive(Clone, Copy)]
struct PanelLook<'a> {
    theme: &'a Theme,
    stale: bool,
    /// The panel's base style: the theme's stale style when lost, else the default.
    base: Style,
}

impl<'a> PanelLook<'a> {
    fn new(theme: &'a Theme, stale: bool) -> Self {
        let base = if stale { theme.stale() } else { Style::default() };
        PanelLook { theme, stale, base }
    }

    fn bold(&self) -> Style {
        self.base.add_modifier(Modifier::BOLD)
    }

    /// The colour of emotion `e`, or the stale style when the face is lost.
    fn color_of(&self, e: Emotion) -> Style {
        if self.stale {
            self.theme.stale()
        } else {
            self.theme.emotion(e)
        }
    }
}

/// Draws the panel of face `t` into `area`, highlighted when `selected`.
pub fn render_panel(f: &mut Frame, area: Rect, app: &App, t: &TrackView, theme: &Theme, selected: bool) {
    let look = PanelLook::new(theme, app.is_stale(t));
    let block = panel_block(app, t, look, selected);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let [top, bars, label, spark] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(7), Constraint::Length(1), Constraint::Min(0)])
            .areas(inner);
    let spark = Rect { height: spark.height.min(SPARK_MAX_ROWS), ..spark };
    let (dom, _) = t.dominant();
    render_top_line(f, top, app, t, look);
    render_bars(f, bars, t, look, dom);
    if app.all_emotions && spark.height >= 2 {
        render_all_sparklines(f, label, spark, app, t, look);
    } else {
        render_followed_sparkline(f, label, spark, app, t, look, dom);
    }
}

/// The panel's bordered block: the label (with `>` when selected, `#id` when named, "(lost)" when stale) on the
/// left of the top border and the box size, to 10 px, on its right.
fn panel_block<'a>(app: &App, t: &TrackView, look: PanelLook<'_>, selected: bool) -> Block<'a> {
    let theme = look.theme;
    let mark = if selected { ">" } else { "" };
    let title_style = if selected && !theme.color { look.bold().add_modifier(Modifier::REVERSED) } else { look.bold() };
    let mut title = vec![Span::styled(format!(" {mark}{} ", app.label(t.track_id)), title_style)];
    if app.names.contains_key(&t.track_id) {
        title.push(Span::styled(format!("#{} ", t.track_id), theme.dim()));
    }
    if look.stale {
        title.push(Span::styled("(lost) ", look.base));
    }
    // To 10 px: the box jitters by a few pixels from frame to frame, and every change would be sent.
    let size = format!(" ~{:.0}x{:.0} px ", (t.bbox.w / 10.0).round() * 10.0, (t.bbox.h / 10.0).round() * 10.0);
    let (border_set, border_style) = if selected {
        (theme.selected_border_set(), theme.selected())
    } else if look.stale {
        (theme.border_set(), theme.stale())
    } else {
        (theme.border_set(), theme.dim())
    };
    Block::bordered()
        .border_set(border_set)
        .border_style(border_style)
        .title(Line::from(title))
        .title_top(Line::styled(size, theme.dim()).right_aligned())
        .style(look.base)
}

/// The panel's first line: the dominant emotion with its probability, and on the right the time in view (and,
/// when lost, for how long).
fn render_top_line(f: &mut Frame, area: Rect, app: &App, t: &TrackView, look: PanelLook<'_>) {
    let (dom, p) = t.dominant();
    let left = vec![Span::styled(
        format!("{} {:.0}%", dom.name().to_uppercase(), p * 100.0),
        look.color_of(dom).add_modifier(Modifier::BOLD),
    )];
    let mut right = format!("in view {}", crate::fmt::clock(crate::fmt::secs_to_ms(t.in_view_s())));
    if look.stale {
        let now = app.view().now_ms();
        right.push_str(&format!("{}lost {:.0} s", look.theme.dot(), crate::fmt::ms_to_s(t.unseen_ms(now))));
    }
    f.render_widget(Paragraph::new(spread(left, Span::styled(right, look.theme.dim()), area.width as usize)), area);
}

/// The 7 smoothed probabilities as labelled bars, the dominant emotion `dom` in bold.
fn render_bars(f: &mut Frame, area: Rect, t: &TrackView, look: PanelLook<'_>, dom: Emotion) {
    let bar_w = (area.width as usize).saturating_sub(LABEL_WIDTH + 1 + PCT_WIDTH);
    let lines: Vec<Line> = Emotion::ALL
        .iter()
        .map(|&e| {
            let v = t.smoothed[e as usize];
            let label_style = if e == dom { look.bold() } else { look.base };
            Line::from(vec![
                Span::styled(format!("{:<LABEL_WIDTH$} ", e.name()), label_style),
                // The bar shows the whole percent printed beside it, so it changes only when the number does.
                Span::styled(look.theme.hbar((v * 100.0).round() / 100.0, bar_w), look.color_of(e)),
                Span::styled(format!(" {:>3.0}%", v * 100.0), label_style),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

/// Draws the sparkline of `emotion` for `t` into `area`, in the emotion's colour.
fn render_sparkline(f: &mut Frame, area: Rect, app: &App, t: &TrackView, look: PanelLook<'_>, emotion: Emotion) {
    let now = app.view().now_ms();
    let data = spark_series(t, emotion, now, app.history_ms, area.width as usize, app.stale_ms);
    let sl = Sparkline::default().data(data).max(100).bar_set(look.theme.bar_set()).style(look.color_of(emotion));
    f.render_widget(sl, area);
}

/// With `a`: one row per emotion in `spark`, the most probable first, as many as fit, each with its short name
/// and percent; `label` says so.
fn render_all_sparklines(f: &mut Frame, label: Rect, spark: Rect, app: &App, t: &TrackView, look: PanelLook<'_>) {
    let theme = look.theme;
    let label_text = format!("all emotions %{}last {}", theme.dot(), super::span_text(app.history_ms));
    f.render_widget(
        Paragraph::new(Line::styled(theme.truncate(&label_text, label.width as usize), theme.dim())),
        label,
    );
    let mut order = Emotion::ALL;
    order.sort_by(|a, b| t.smoothed[*b as usize].total_cmp(&t.smoothed[*a as usize]));
    let n = (spark.height as usize).min(order.len());
    let rows = Layout::vertical(vec![Constraint::Length(1); n]).split(spark);
    for (e, row) in order.iter().zip(rows.iter()) {
        let [name, line] = Layout::horizontal([Constraint::Length(8), Constraint::Min(0)]).areas(*row);
        let short: String = e.name().chars().take(3).collect();
        let v = t.smoothed[*e as usize] * 100.0;
        f.render_widget(Paragraph::new(Line::styled(format!("{short} {v:>3.0}"), look.color_of(*e))), name);
        render_sparkline(f, line, app, t, look, *e);
    }
}

/// The sparkline of the followed emotion (the dominant one `dom` unless one was picked) in `spark`, named in
/// `label`.
fn render_followed_sparkline(
    f: &mut Frame,
    label: Rect,
    spark: Rect,
    app: &App,
    t: &TrackView,
    look: PanelLook<'_>,
    dom: Emotion,
) {
    let theme = look.theme;
    let followed = app.spark.resolve(dom);
    let label_text = format!("{} %{}last {}", followed.name(), theme.dot(), super::span_text(app.history_ms));
    f.render_widget(
        Paragraph::new(Line::styled(theme.truncate(&label_text, label.width as usize), theme.dim())),
        label,
    );
    if spark.height > 0 {
        render_sparkline(f, spark, app, t, look, followed);
    }
}

/// The end of a sparkline's window at `now_ms`: the next multiple of a quarter of `span_ms` (ms). The line then
/// stands still between steps, only its newest column growing, and moves a quarter span at a time: a line that
/// scrolled with every frame would redraw every column on every refresh, most of what the live screen sent over
/// SSH. It shows the last 3/4 to all of `span_ms`.
pub fn spark_window_end(now_ms: u64, span_ms: u64) -> u64 {
    let step = (span_ms / 4).max(1);
    now_ms.div_ceil(step) * step
}

/// The sparkline of `emotion` for `t`: `buckets` columns over the window ending at [`spark_window_end`], in whole
/// percent; columns after `now_ms` (not yet reached) are empty.
fn spark_series(
    t: &TrackView,
    emotion: Emotion,
    now_ms: u64,
    span_ms: u64,
    buckets: usize,
    gap_ms: u64,
) -> Vec<Option<u64>> {
    let end = spark_window_end(now_ms, span_ms);
    let mut data = t.series(emotion, end, span_ms, buckets, gap_ms);
    let start = end as i128 - span_ms as i128;
    for (i, v) in data.iter_mut().enumerate() {
        if start + (span_ms as i128 * i as i128) / buckets as i128 > now_ms as i128 {
            *v = None;
        }
    }
    data
}

/// `left`, then `right` flush against the right edge of `width` cells; `right` is dropped when both do not fit.
fn spread<'a>(left: Vec<Span<'a>>, right: Span<'a>, width: usize) -> Line<'a> {
    let lw: usize = left.iter().map(|s| s.width()).sum();
    let rw = right.width();
    let mut spans = left;
    if lw + 1 + rw <= width {
        spans.push(Span::raw(" ".repeat(width - lw - rw)));
        spans.push(right);
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BBox;

    #[test]
    fn the_window_steps_a_quarter_span_at_a_time() {
        assert_eq!(spark_window_end(45_001, 60_000), 60_000);
        assert_eq!(spark_window_end(60_000, 60_000), 60_000);
        assert_eq!(spark_window_end(60_001, 60_000), 75_000);
        assert_eq!(spark_window_end(0, 60_000), 0);
    }

    #[test]
    fn between_steps_only_the_newest_column_changes_and_the_future_is_empty() {
        // A face seen at 25 FPS for 50 s, happy rising with time.
        let mut t = TrackView {
            track_id: 1,
            first_seen_ms: 0,
            last_seen_ms: 0,
            smoothed: [0.0; 7],
            raw: [0.0; 7],
            bbox: BBox::default(),
            observations: 0,
            history: Default::default(),
        };
        let series_at = |t: &mut TrackView, until: u64| {
            while t.last_seen_ms < until {
                t.last_seen_ms += 40;
                let happy = t.last_seen_ms as f32 / 100_000.0;
                t.history.push_back((t.last_seen_ms, [0.0, 0.0, 0.0, happy, 0.0, 0.0, 1.0 - happy]));
            }
            spark_series(t, Emotion::Happy, until, 60_000, 60, 2_000)
        };
        let a = series_at(&mut t, 50_000);
        let b = series_at(&mut t, 50_400);
        // Window [0, 60 s], one column a second: columns 0..49 are past and identical, 50 is the growing one.
        assert_eq!(a[..50], b[..50]);
        assert!(a[..50].iter().all(Option::is_some));
        assert!(a[51..].iter().all(Option::is_none) && b[51..].iter().all(Option::is_none), "{a:?}");
        // Past the step, the window moves by 15 s: what was column 20 is column 5.
        let c = series_at(&mut t, 60_040);
        assert_eq!(c[5], a[20]);
    }
}
