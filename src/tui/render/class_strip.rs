//! The class strip: two rows with the share of faces in each emotion, now (faces in view, by their dominant
//! smoothed emotion) and over the last `class_window_s` of source time (face-frames), so that a room of 20
//! faces reads at a glance.
//!
//! ```text
//!  now 5 faces   angry  0%  disgust 20%  fear  0%  happy 40%  sad  0%  surprise 20%  neutral 20%
//!  last 2 min    angry  3%  disgust 18%  fear  2%  happy 41%  sad  5%  surprise 11%  neutral 20%
//! ```
//!
//! The most detailed form that fits is used: with small bars, with full names, or with 3-letter names; when even
//! that is too wide, the emotions with the largest shares come first and only whole items are shown (never "sad
//! 100% su").
//! The class's valence now ([`valence_now`]) follows the first row where it fits, else it is in that row's title.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::analytics::valence;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// Rows taken by the strip.
pub const HEIGHT: u16 = 2;

/// Width of the row titles ("now 20 faces", "last 2 min").
const TITLE_WIDTH: usize = 14;

/// Whole percent of `n` in `total` (0 when `total` is 0).
pub fn share_pct(n: u64, total: u64) -> u64 {
    if total == 0 {
        0
    } else {
        (100.0 * n as f64 / total as f64).round() as u64
    }
}

/// Draws the strip into `area` (2 rows).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = Layout::vertical([Constraint::Length(1); 2]).split(area);
    let (now, now_total) = app.class_now();
    let (recent, recent_total) = app.view().class_recent();
    let faces = if now_total == 1 { "face".to_string() } else { "faces".to_string() };
    let valence = valence_now(app);
    let w = area.width as usize;
    let level = (0..3).find(|&lv| line_width(lv) <= w).unwrap_or(2);
    // Valence after the shares where it fits, else in the title ("now 5 v+0.4").
    let trailing = w >= line_width(level) + VALENCE_WIDTH;
    let now_title = match valence {
        Some(v) if !trailing => format!("now {now_total} v{v:+.1}"),
        _ => format!("now {now_total} {faces}"),
    };
    let titles = [now_title, format!("last {}", super::span_text(app.class_window_ms))];
    let data = [(now, now_total), (recent, recent_total)];
    for (k, ((title, (counts, total)), row)) in titles.iter().zip(data).zip(rows.iter()).enumerate() {
        let mut l = line(title, &counts, total, level, w, theme);
        if k == 0 && trailing {
            l.spans.push(Span::styled(format!("valence {}", valence::fmt(valence)), theme.accent()));
        }
        f.render_widget(Paragraph::new(l), *row);
    }
}

/// Cells the trailing "valence +0.42" takes.
const VALENCE_WIDTH: usize = 13;

/// FaceReader's valence ([`valence`]) of the mean smoothed probabilities of the faces in view now (not stale);
/// `None` without faces.
pub fn valence_now(app: &App) -> Option<f32> {
    let mut agg = crate::store::timeline::TrackAgg::default();
    for t in app.view().tracks.values().filter(|t| !app.is_stale(t)) {
        agg.add(&t.smoothed);
    }
    valence::of_agg(&agg)
}

/// Characters of one row at detail `level`.
fn line_width(level: u8) -> usize {
    let per: usize = match level {
        0 => 8 + 1 + 6 + 5 + 2,
        1 => 8 + 5 + 2,
        _ => 3 + 5 + 1,
    };
    1 + TITLE_WIDTH + NUM_EMOTIONS * per
}

/// One row at most `width` cells: the title, then each emotion's share; level 0 with a 6-cell bar, 1 with full
/// names, 2 with 3-letter names. Items that do not fit whole are left out; when not all fit, the largest shares
/// come first.
fn line(
    title: &str,
    counts: &[u64; NUM_EMOTIONS],
    total: u64,
    level: u8,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let tw = if level == 2 { 12 } else { TITLE_WIDTH };
    let mut spans = vec![Span::styled(format!(" {:<tw$}", theme.truncate(title, tw)), theme.dim())];
    let mut used = 1 + tw;
    let top = (0..NUM_EMOTIONS).max_by_key(|&i| counts[i]).filter(|_| total > 0);
    let mut order = Emotion::ALL.to_vec();
    if line_width(level) > width {
        order.sort_by_key(|&e| std::cmp::Reverse(counts[e as usize]));
    }
    let item_width = match level {
        0 => 8 + 1 + 6 + 1 + 4 + 2,
        1 => 8 + 1 + 4 + 2,
        _ => 3 + 1 + 4 + 1,
    };
    for e in order {
        let separator = if level == 2 { 1 } else { 2 };
        if used + item_width - separator > width {
            break;
        }
        used += item_width;
        let i = e as usize;
        let p = share_pct(counts[i], total);
        let name = match level {
            2 => e.name().chars().take(3).collect::<String>(),
            _ => format!("{:<8}", e.name()),
        };
        let strong = if Some(i) == top { Style::default().add_modifier(Modifier::BOLD) } else { Style::default() };
        let style = if p == 0 { theme.dim() } else { strong };
        spans.push(Span::styled(format!("{name} "), style));
        if level == 0 {
            spans.push(Span::styled(theme.hbar(p as f32 / 100.0, 6), theme.emotion(e)));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(format!("{p:>3}%"), style));
        spans.push(Span::raw(if level == 2 { " " } else { "  " }));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_widths() {
        assert_eq!(share_pct(1, 3), 33);
        assert_eq!(share_pct(2, 3), 67);
        assert_eq!(share_pct(0, 0), 0);
        assert!(line_width(2) <= 80, "{}", line_width(2));
        // At 60 columns (and narrower) only whole items: the largest shares first, none cut mid-word.
        let counts = [0, 0, 0, 1, 3, 2, 0];
        for w in [60, 45, 30] {
            let l = line("now 6 faces", &counts, 6, 2, w, &Theme::new(false, false));
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(text.trim_end().chars().count() <= w, "{w}: {text:?}");
            assert!(text.trim_end().ends_with('%'), "cut mid-item at {w}: {text:?}");
            assert!(text.contains("sad  50%"), "{w}: {text:?}");
        }
        assert_eq!(super::super::span_text(120_000), "2 min");
        assert_eq!(super::super::span_text(150_000), "2.5 min");
        assert_eq!(super::super::span_text(90_000), "90 s");
    }
}
