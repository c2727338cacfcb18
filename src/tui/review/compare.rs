//! Review's compare screen: the sessions marked in the browser side by side, as `emotrace compare` puts them on
//! a page; both render analytics' [`CompareView`]. Per session its length, faces, valence, facing the front and top
//! emotions; valence and facing the front over each session's length (normalised, one row per session); and the
//! marker labels the sessions share.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::analytics::attention;
use crate::analytics::session_view::{CompareView, SessionOverview};
use crate::analytics::valence;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::fmt::clock;
use crate::tui::theme::Theme;

use super::render::level_char;

/// The compare screen's state.
pub struct CompareScreen {
    /// The sessions, in the order they were marked.
    pub data: CompareView,
    /// First line shown.
    pub scroll: u16,
}

/// What the compare screen asks of its caller after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareExit {
    /// Stay.
    Stay,
    /// Back to the sessions browser.
    Back,
}

impl CompareScreen {
    /// A screen showing `data`.
    pub fn new(data: CompareView) -> CompareScreen {
        CompareScreen { data, scroll: 0 }
    }

    /// Takes one key press: j/k or arrows scroll, q/Esc go back.
    pub fn key(&mut self, k: KeyEvent) -> CompareExit {
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc | KeyCode::Left => return CompareExit::Back,
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            _ => {}
        }
        CompareExit::Stay
    }
}

/// Session `i`'s short name: `#1 11-22 10:05`.
fn short(i: usize, d: &SessionOverview) -> String {
    format!("#{} {}", i + 1, d.session.record.started_at.format("%m-%d %H:%M"))
}

/// `n` cells over the session's length (normalised): the mean of `values` (one per `step`) falling in each.
fn resample(values: &[Option<f64>], n: usize) -> Vec<Option<f64>> {
    (0..n)
        .map(|c| {
            let from = c * values.len() / n.max(1);
            let to = ((c + 1) * values.len() / n.max(1)).max(from + 1).min(values.len());
            let v: Vec<f64> = values.get(from..to).unwrap_or(&[]).iter().flatten().copied().collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect()
}

/// The view's lines for a width of `w` cells (also used by tests).
pub fn lines(view: &CompareScreen, theme: &Theme, w: u16) -> Vec<Line<'static>> {
    let label_w = 16usize;
    let cells = (w as usize).saturating_sub(label_w + 2).max(10);
    let sessions = &view.data.sessions;
    let mut out = vec![Line::styled("sessions", theme.accent())];
    for (i, d) in sessions.iter().enumerate() {
        let share = d.session.summary.class.share();
        let mut order: Vec<usize> = (0..NUM_EMOTIONS).collect();
        order.sort_by(|&a, &b| share[b].total_cmp(&share[a]));
        let top: Vec<String> =
            order.iter().take(2).map(|&e| format!("{} {:.0}%", Emotion::ALL[e].name(), share[e] * 100.0)).collect();
        out.push(Line::from(vec![
            Span::styled(format!("{:<label_w$}", short(i, d)), theme.accent()),
            Span::raw(format!(
                "{:>9}  {} face(s)  valence {}  facing {}  {}",
                clock(d.session.record.duration_ms),
                d.session.faces.len(),
                valence::fmt(valence::of_agg(&d.session.summary.class)),
                attention::fmt_share(d.room.facing_total().share()),
                top.join("  ")
            )),
        ]));
    }
    out.push(Line::styled(
        "valence over each session (start to end; up: happier, sad colour: below 0)",
        theme.accent(),
    ));
    for (i, d) in sessions.iter().enumerate() {
        let v: Vec<Option<f64>> = d.buckets.iter().map(|b| valence::of_agg(&b.class()).map(|v| v as f64)).collect();
        let mut spans = vec![Span::styled(format!("{:<label_w$}", short(i, d)), theme.dim())];
        spans.extend(resample(&v, cells).into_iter().map(|x| match x {
            Some(x) if x >= 0.0 => Span::styled(level_char(theme, x), theme.emotion(Emotion::Happy)),
            Some(x) => Span::styled(level_char(theme, -x), theme.emotion(Emotion::Sad)),
            None => Span::raw(" "),
        }));
        out.push(Line::from(spans));
    }
    out.push(Line::styled(
        format!("facing the front over each session (head turned less than {:.0}°)", attention::FACING_MAX_YAW_DEG),
        theme.accent(),
    ));
    for (i, d) in sessions.iter().enumerate() {
        let mut spans = vec![Span::styled(format!("{:<label_w$}", short(i, d)), theme.dim())];
        spans.extend(resample(&d.room_series().0, cells).into_iter().map(|x| match x {
            Some(x) => Span::styled(level_char(theme, x), theme.ok()),
            None => Span::raw(" "),
        }));
        out.push(Line::from(spans));
    }
    out.push(Line::styled("segments with the same marker", theme.accent()));
    let shared = view.data.shared_labels();
    if shared.is_empty() {
        out.push(Line::styled("  no marker label appears in more than one of these sessions", theme.dim()));
    }
    for (label, row) in shared {
        out.push(Line::styled(format!("  {label}"), Style::default()));
        for (i, f) in row.iter().enumerate() {
            if let Some(f) = f {
                out.push(Line::raw(format!(
                    "    {:<label_w$}valence {}  facing {}  mostly {}  {}",
                    short(i, &sessions[i]),
                    valence::fmt(valence::of_agg(&f.class)),
                    attention::fmt_share(f.facing.share()),
                    f.class.dominant_emotion().map_or("–", Emotion::name),
                    clock(f.length_ms)
                )));
            }
        }
    }
    out.push(Line::styled(
        "expressions are not inner states; the model is right on 68% of FER2013's test faces (macro-F1 0.67)",
        theme.dim(),
    ));
    out
}

/// The compare view's frame in `area`: the bordered block and the scroll its lines allow (the view's scroll kept
/// within them).
fn frame<'a>(view: &CompareScreen, theme: &Theme, area: Rect) -> (Block<'a>, Vec<Line<'static>>, u16) {
    let title = format!(" compare {} sessions (j/k scroll, q back) ", view.data.sessions.len());
    let block = Block::bordered().border_set(theme.border_set()).title(title).title_style(theme.accent());
    let inner: Rect = block.inner(area);
    let lines = lines(view, theme, inner.width);
    let scroll = view.scroll.min((lines.len() as u16).saturating_sub(1));
    (block, lines, scroll)
}

impl CompareScreen {
    /// Keeps the scroll within the lines a `size` terminal shows, before drawing, so that [`draw`] changes
    /// nothing. The event loop calls it before each `terminal.draw`.
    pub fn prepare(&mut self, theme: &Theme, size: Size) {
        self.scroll = frame(self, theme, Rect::from((Position::ORIGIN, size))).2;
    }
}

/// Draws the compare view (at the scroll [`CompareScreen::prepare`] kept in range); it changes nothing.
pub fn draw(f: &mut Frame, view: &CompareScreen, theme: &Theme) {
    let area = f.area();
    let (block, lines, scroll) = frame(view, theme, area);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}
