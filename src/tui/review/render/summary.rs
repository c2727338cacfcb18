//! The summary panel: time shares, segments between markers, largest changes.

use super::panel_block;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::fmt::{clock_tenths, step};
use crate::tui::review::app::ReviewApp;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

fn shares_text(share: &[f32; NUM_EMOTIONS]) -> String {
    Emotion::ALL
        .iter()
        .filter(|e| share[**e as usize] >= 0.005)
        .map(|e| format!("{} {:.0}%", e.name(), share[*e as usize] * 100.0))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The summary panel's lines (also used by tests).
pub fn summary_lines(app: &ReviewApp) -> Vec<String> {
    let s = &app.session.summary;
    let mut out = vec!["time share per emotion (share of face-frames whose dominant emotion it is)".to_string()];
    out.push(format!("  {:<12} {}", "class", shares_text(&s.class.share())));
    for (id, agg) in &s.faces {
        out.push(format!(
            "  {:<12} {}  ({} observations)",
            app.session.track_label(*id),
            shares_text(&agg.share()),
            agg.frames
        ));
    }
    out.push("dominant emotion per segment between markers".into());
    for seg in &s.segments {
        let dom = seg
            .dominant
            .map_or("no faces".to_string(), |e| format!("{} {:.0}%", e.name(), seg.class.share()[e as usize] * 100.0));
        out.push(format!("  {}-{}  {:<16} {dom}", clock_tenths(seg.start_ms), clock_tenths(seg.end_ms), seg.label));
    }
    out.push(format!("largest changes (between {} windows)", step(s.change_window_ms)));
    for c in &s.changes {
        let who = c.track_id.map_or("class".to_string(), |id| app.session.track_label(id));
        let dom = match (c.from, c.to) {
            (Some(a), Some(b)) if a != b => format!("  ({a} -> {b})"),
            _ => String::new(),
        };
        out.push(format!("  {}  {:<12} {} {:+.0} pts{dom}", clock_tenths(c.at_ms), who, c.emotion, c.delta * 100.0));
    }
    if s.changes.is_empty() {
        out.push("  none (too short)".into());
    }
    if !app.session.record.source_gaps.is_empty() {
        out.push("stream lost (no frames: a gap in the timeline, not an absence of faces)".into());
        for g in &app.session.record.source_gaps {
            let back = g.back_ms.map_or("not back".to_string(), clock_tenths);
            out.push(format!("  {}-{}  {}", clock_tenths(g.lost_ms), back, g.reason));
        }
    }
    let record = &app.session.record;
    if !record.skipped.is_empty() {
        out.push(record.skipped.summary(record.source_kind));
    }
    out
}

pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let block = panel_block(theme, " summary (j/k scroll) ".into(), app);
    let lines: Vec<Line> = summary_lines(app)
        .into_iter()
        .map(|l| if l.starts_with(' ') { Line::raw(l) } else { Line::styled(l, theme.accent()) })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block).scroll((app.summary_scroll, 0)), area);
}
