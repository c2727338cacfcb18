//! The class timeline: one row per emotion, a faces-in-view row, markers, a time axis, and one line per face.

use super::{cursor_style, row, LABEL_W};
use crate::analytics::valence;
use crate::classify::Emotion;
use crate::fmt::{clock, clock_tenths};
use crate::store::timeline::{Bucket, TrackAgg};
use crate::store::AnnotationKind;
use crate::tui::review::app::{Panel, ReviewApp};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// The bar character for a level in `[0, 1]` (a visible sliver for anything above 0); the review and compare
/// screens draw their timelines with it.
pub(in crate::tui::review) fn level_char(theme: &Theme, x: f64) -> &'static str {
    let set = theme.bar_set();
    let levels = [
        set.empty,
        set.one_eighth,
        set.one_quarter,
        set.three_eighths,
        set.half,
        set.five_eighths,
        set.three_quarters,
        set.seven_eighths,
        set.full,
    ];
    let mut i = (x.clamp(0.0, 1.0) * 8.0).round() as usize;
    if i == 0 && x > 0.0 {
        i = 1;
    }
    levels[i]
}

/// Draws the class timeline into `area`: the emotion rows, faces in view, valence, markers, the time axis, then
/// `face_rows` face lines scrolled to keep the selected face in view.
pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme, face_rows: u16) {
    let block = Block::bordered()
        .border_set(theme.border_set())
        .title(" class timeline: share of faces per emotion ")
        .title_style(theme.dim());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let v = app.view();
    let cols = Columns { theme, cursor: v.cursor_column() };
    let buckets: Vec<Bucket> = match app.prepared_buckets() {
        Some(b) => b.to_vec(),
        None => vec![Bucket::default(); v.columns],
    };
    let classes: Vec<TrackAgg> = buckets.iter().map(Bucket::class).collect();
    let mut lines = emotion_rows(&classes, cols);
    lines.push(faces_row(&buckets, cols));
    lines.push(valence_row(&classes, cols));
    lines.push(marker_row(app, theme, cols.cursor));
    lines.push(axis_row(app, theme));
    lines.extend(face_lines(app, &buckets, cols, face_rows));
    f.render_widget(Paragraph::new(lines), inner);
}

/// How the timeline's columns are styled: the column under the cursor stands out.
#[derive(Clone, Copy)]
struct Columns<'t> {
    theme: &'t Theme,
    /// The cursor's column.
    cursor: usize,
}

impl Columns<'_> {
    /// `s`, or the cursor's style of it in column `i` when the cursor is there.
    fn style(&self, i: usize, s: Style) -> Style {
        if i == self.cursor {
            cursor_style(self.theme, s)
        } else {
            s
        }
    }

    /// A row: its label in `label_style` padded to [`LABEL_W`], then `cells`.
    fn row<'a>(&self, label: &str, label_style: Style, cells: Vec<Span<'a>>) -> Line<'a> {
        row(Span::styled(format!("{label:<w$}", w = LABEL_W as usize), label_style), cells)
    }
}

/// One row per emotion: its share of the class's face-frames in each column.
fn emotion_rows<'a>(classes: &[TrackAgg], cols: Columns<'_>) -> Vec<Line<'a>> {
    let theme = cols.theme;
    Emotion::ALL
        .iter()
        .map(|&e| {
            let cells = classes
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let s = if c.frames == 0 { 0.0 } else { c.share()[e as usize] };
                    Span::styled(level_char(theme, f64::from(s)), cols.style(i, theme.emotion(e)))
                })
                .collect();
            cols.row(e.name(), theme.emotion(e), cells)
        })
        .collect()
}

/// Faces in view: mean faces per frame, scaled to the most in the window; blank where no frame was processed.
fn faces_row<'a>(buckets: &[Bucket], cols: Columns<'_>) -> Line<'a> {
    let theme = cols.theme;
    let faces: Vec<f32> = buckets.iter().map(Bucket::mean_faces).collect();
    let most = faces.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
    let cells = faces
        .iter()
        .zip(buckets)
        .enumerate()
        .map(|(i, (n, b))| {
            let c = if b.frames == 0 { " " } else { level_char(theme, f64::from(n / most)) };
            Span::styled(c, cols.style(i, theme.dim()))
        })
        .collect();
    cols.row("faces", theme.dim(), cells)
}

/// Valence of the class: above 0 in happy's colour, below in sad's, the bar's height its size.
fn valence_row<'a>(classes: &[TrackAgg], cols: Columns<'_>) -> Line<'a> {
    let theme = cols.theme;
    let cells = classes
        .iter()
        .enumerate()
        .map(|(i, c)| match valence::of_agg(c) {
            Some(v) if v >= 0.0 => {
                Span::styled(level_char(theme, f64::from(v)), cols.style(i, theme.emotion(Emotion::Happy)))
            }
            Some(v) => Span::styled(level_char(theme, f64::from(-v)), cols.style(i, theme.emotion(Emotion::Sad))),
            None => Span::styled(" ", cols.style(i, Style::default())),
        })
        .collect();
    cols.row("valence", theme.dim(), cells)
}

/// One line per face (merged tracks left out), at most `face_rows`, scrolled to keep the selected face in view:
/// its dominant emotion in each column, as a block in colour or its palette letter
/// ([`crate::analytics::palette::Swatch::letter`]).
fn face_lines<'a>(app: &ReviewApp, buckets: &[Bucket], cols: Columns<'_>, face_rows: u16) -> Vec<Line<'a>> {
    let theme = cols.theme;
    let list: Vec<(u32, String)> =
        app.session.face_list().iter().filter(|t| t.merged_into.is_none()).map(|t| (t.id, t.label())).collect();
    let first = app.selected_face.saturating_sub(face_rows.saturating_sub(1) as usize);
    let mut lines = Vec::new();
    for (k, (id, label)) in list.iter().enumerate().skip(first).take(face_rows as usize) {
        let selected = k == app.selected_face && app.panel == Panel::Cursor;
        let label_style = if selected { theme.selected() } else { Style::default() };
        let cells = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| match b.track(*id).and_then(|a| a.dominant_emotion()) {
                Some(e) => {
                    let c =
                        if theme.color && !theme.ascii { "█" } else { crate::analytics::palette::swatch(e).letter };
                    Span::styled(c, cols.style(i, theme.emotion(e)))
                }
                None => Span::styled(" ", cols.style(i, Style::default())),
            })
            .collect();
        lines.push(cols.row(&theme.truncate(label, LABEL_W as usize - 1), label_style, cells));
    }
    lines
}

fn marker_row<'a>(app: &ReviewApp, theme: &Theme, cursor: usize) -> Line<'a> {
    let v = app.view();
    let mut cells: Vec<(String, Style)> = vec![(" ".into(), theme.dim()); v.columns];
    let (mark, note, range) = if theme.ascii { ("v", "o", "-") } else { ("▼", "◆", "─") };
    // Ranges first, then note symbols, then markers on top; labels after their symbol over blanks and ranges.
    for a in &app.session.annotations {
        if let Some(end) = a.end_ms {
            let from = v.column_of(a.start_ms.max(v.start_ms));
            let to = v.column_of(end.min(v.end_ms().saturating_sub(1)));
            if let (Some(from), Some(to)) = (from, to) {
                for c in cells.iter_mut().take(to + 1).skip(from) {
                    *c = (range.into(), theme.warn());
                }
            }
        }
    }
    let mut labels: Vec<(usize, String)> = Vec::new();
    for kind in [AnnotationKind::Note, AnnotationKind::Marker] {
        for a in app.session.annotations.iter().filter(|a| a.kind == kind) {
            if let Some(col) = v.column_of(a.start_ms) {
                cells[col] = ((if kind == AnnotationKind::Marker { mark } else { note }).into(), theme.warn());
                labels.push((col, a.label.clone()));
            }
        }
    }
    let taken: Vec<usize> = labels.iter().map(|(c, _)| *c).collect();
    // Marker labels win over note labels.
    for (col, label) in labels.into_iter().rev() {
        for (c, ch) in (col + 1..).zip(label.chars()) {
            if c >= cells.len() || taken.contains(&c) || (cells[c].0 != " " && cells[c].0 != range) {
                break;
            }
            cells[c] = (ch.to_string(), theme.dim());
        }
    }
    let spans = cells
        .into_iter()
        .enumerate()
        .map(|(i, (s, st))| Span::styled(s, if i == cursor { cursor_style(theme, st) } else { st }))
        .collect();
    row(Span::styled(format!("{:<w$}", "markers", w = LABEL_W as usize), theme.dim()), spans)
}

/// A time-axis label: tenths of a second only when the ticks are finer than a second.
fn tick_label(ms: u64, step_ms: u64) -> String {
    if step_ms < 1000 {
        clock_tenths(ms)
    } else {
        clock(ms)
    }
}

fn axis_row<'a>(app: &ReviewApp, theme: &Theme) -> Line<'a> {
    let v = app.view();
    let b = v.bucket_ms();
    let mut text = vec![' '; v.columns];
    // The finest round step whose labels do not touch.
    let width = tick_label(v.end_ms(), 1000).len().max(tick_label(v.end_ms(), 100).len()) as u64 + 3;
    let step = crate::fmt::tick_step_ms(b * width, b).unwrap_or(b * width);
    let mut t = v.start_ms.div_ceil(step) * step;
    while t < v.end_ms() {
        let c = ((t - v.start_ms) / b) as usize;
        let label: Vec<char> = format!("|{}", tick_label(t, step)).chars().collect();
        if c + label.len() <= v.columns {
            text[c..c + label.len()].copy_from_slice(&label);
        }
        t += step;
    }
    let text: String = text.into_iter().collect();
    row(
        Span::styled(format!("{:<w$}", "time", w = LABEL_W as usize), theme.dim()),
        vec![Span::styled(text, theme.dim())],
    )
}
