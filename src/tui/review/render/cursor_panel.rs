//! The cursor panel: each face's values in the bucket under the cursor.

use super::{panel_block, LABEL_W};
use crate::analytics::valence;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::fmt::{clock_tenths, step};
use crate::tui::review::app::{Mode, ReviewApp};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let v = app.view();
    let merging = match app.mode {
        Mode::MergeInto { from } => Some(from),
        _ => None,
    };
    let title = match merging {
        Some(from) => format!(" merge {} into which face? (Enter merges, Esc cancels) ", app.session.track_label(from)),
        None => format!(" at {} ({} bucket) ", clock_tenths(v.cursor_ms), step(v.bucket_ms())),
    };
    let block = panel_block(theme, title, app);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let bucket = app.prepared_buckets().and_then(|b| b.get(v.cursor_column()).cloned()).unwrap_or_default();
    let mut lines = Vec::new();
    let ids: Vec<u32> = match merging {
        Some(from) => app.session.merge_targets(from),
        None => app.session.face_list().iter().map(|t| t.id).collect(),
    };
    if merging.is_none() {
        let class = bucket.class();
        let mut spans = vec![Span::styled(format!("  {:<w$}", "class", w = LABEL_W as usize), theme.accent())];
        spans.push(Span::raw(format!("{:.1} faces  ", bucket.mean_faces())));
        spans.push(Span::raw(format!("valence {}  ", valence::fmt(valence::of_agg(&class)))));
        spans.extend(top_shares(theme, &class.share(), "of faces"));
        lines.push(Line::from(spans));
    }
    let rows = (inner.height as usize).saturating_sub(lines.len()).max(1);
    let first = app.selected_face.saturating_sub(rows - 1);
    for (k, id) in ids.iter().enumerate().skip(first).take(rows) {
        let track = app.session.tracks.iter().find(|t| t.id == *id);
        let merged_into = track.and_then(|t| t.merged_into);
        let auto = track.and_then(|t| t.auto_merge_distance);
        let label = app.session.track_label(*id);
        let selected = k == app.selected_face;
        let pointer = if selected { "> " } else { "  " };
        let style = if selected { theme.selected() } else { Style::default() };
        let mut spans = vec![Span::styled(
            format!("{pointer}{:<w$}", theme.truncate(&label, LABEL_W as usize - 1), w = LABEL_W as usize),
            style,
        )];
        match merged_into {
            Some(into) if merging.is_none() => {
                // A join made by re-identification says so, with the descriptor distance that decided it.
                let how = auto.map_or_else(String::new, |d| format!(" automatically ({d:.2})"));
                spans.push(Span::styled(
                    format!("merged into {}{how} (J undoes)", app.session.track_label(into)),
                    theme.dim(),
                ));
            }
            _ => match bucket.track(*id) {
                Some(a) if a.frames > 0 => spans.extend(top_shares(theme, &a.mean(), "")),
                _ => spans.push(Span::styled("not in view", theme.dim())),
            },
        }
        lines.push(Line::from(spans));
    }
    if ids.is_empty() {
        lines.push(Line::styled("  no faces in this session", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The three largest values of `p` as "happy 62% ████  neutral 20%  sad 8%".
fn top_shares<'a>(theme: &Theme, p: &[f32; NUM_EMOTIONS], suffix: &str) -> Vec<Span<'a>> {
    let mut order: Vec<usize> = (0..NUM_EMOTIONS).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut spans = Vec::new();
    for (k, &e) in order.iter().take(3).enumerate() {
        if k > 0 && p[e] < 0.005 {
            break;
        }
        let emo = Emotion::ALL[e];
        spans.push(Span::styled(format!("{} {:>3.0}%", emo.name(), p[e] * 100.0), theme.emotion(emo)));
        if k == 0 {
            spans.push(Span::styled(format!(" {} ", theme.hbar(p[e], 10)), theme.emotion(emo)));
        } else {
            spans.push(Span::raw("  "));
        }
    }
    if !suffix.is_empty() {
        spans.push(Span::styled(suffix.to_string(), theme.dim()));
    }
    spans
}
