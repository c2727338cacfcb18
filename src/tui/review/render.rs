//! Drawing the review screen: header, class timeline (one row per emotion, a faces-in-view row, markers and a
//! time axis), one line per face, the lower panel (values at the cursor, summary, or annotations) and the
//! footer (keys, prompt, notices).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::app::{Confirm, Mode, Panel, PromptFor, ReviewApp};
use crate::analytics::attention;
use crate::analytics::room::Seat;
use crate::analytics::valence;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::fmt::{clock, clock_tenths, face_label, step};
use crate::store::timeline::Bucket;
use crate::store::AnnotationKind;
use crate::tui::render::message;
use crate::tui::theme::Theme;

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
    render_header(f, header, app, theme);
    render_timeline(f, timeline, app, theme, face_rows);
    match app.panel {
        Panel::Cursor => render_cursor_panel(f, lower, app, theme),
        Panel::Summary => render_summary(f, lower, app, theme),
        Panel::Annotations => render_annotations(f, lower, app, theme),
        Panel::Seats => render_seats(f, lower, app, theme),
    }
    render_footer(f, footer, app, theme);
    if app.mode == Mode::Help {
        render_help(f, area, theme);
    }
}

fn render_header(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let r = &app.record;
    let source = std::path::Path::new(&r.source).file_name().map_or(r.source.clone(), |s| s.to_string_lossy().into());
    let sep = theme.sep();
    let line1 = Line::from(vec![
        Span::styled("emotrace review ", theme.accent()),
        Span::raw(r.id.clone()),
        Span::styled(sep, theme.dim()),
        Span::raw(r.status.name()),
        Span::styled(sep, theme.dim()),
        Span::raw(clock(r.duration_ms)),
        Span::styled(sep, theme.dim()),
        Span::raw(r.started_at.format("%Y-%m-%d %H:%M").to_string()),
        Span::styled(sep, theme.dim()),
        Span::raw(theme.truncate(&source, 40)),
    ]);
    let faces = r.faces();
    let markers = app.annotations.len();
    let v = app.view();
    let mut spans = vec![
        Span::styled(format!("cursor {}", clock_tenths(v.cursor_ms)), theme.accent()),
        Span::styled(sep, theme.dim()),
        Span::raw(format!("{} per column", step(v.bucket_ms()))),
        Span::styled(sep, theme.dim()),
        Span::raw(format!("view {}-{}", clock_tenths(v.start_ms), clock_tenths(v.end_ms().min(app.span_ms())))),
        Span::styled(sep, theme.dim()),
        Span::raw(format!("{faces} face(s), {markers} annotation(s)")),
    ];
    if let Some(s) = app.range_start {
        spans.push(Span::styled(sep, theme.dim()));
        spans.push(Span::styled(format!("range from {}", clock_tenths(s)), theme.warn()));
    }
    f.render_widget(Paragraph::new(vec![line1, Line::from(spans)]), area);
}

/// The bar character for a level in `[0, 1]` (a visible sliver for anything above 0).
fn level_char(theme: &Theme, x: f32) -> &'static str {
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

fn cursor_style(theme: &Theme, s: Style) -> Style {
    if theme.color {
        s.bg(Color::DarkGray)
    } else {
        s.add_modifier(Modifier::REVERSED)
    }
}

/// One letter per emotion for monochrome face lines: a d f h s u n.
fn emotion_letter(e: Emotion) -> &'static str {
    match e {
        Emotion::Angry => "a",
        Emotion::Disgust => "d",
        Emotion::Fear => "f",
        Emotion::Happy => "h",
        Emotion::Sad => "s",
        Emotion::Surprise => "u",
        Emotion::Neutral => "n",
    }
}

fn row<'a>(label: Span<'a>, cells: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = Vec::with_capacity(cells.len() + 1);
    spans.push(label);
    spans.extend(cells);
    Line::from(spans)
}

fn render_timeline(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme, face_rows: u16) {
    let block = Block::bordered()
        .border_set(theme.border_set())
        .title(" class timeline: share of faces per emotion ")
        .title_style(theme.dim());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let v = app.view();
    let cursor = v.cursor_column();
    let buckets: Vec<Bucket> = match app.prepared_buckets() {
        Some(b) => b.to_vec(),
        None => vec![Bucket::default(); v.columns],
    };
    let classes: Vec<_> = buckets.iter().map(Bucket::class).collect();
    let mut lines: Vec<Line> = Vec::new();
    let style_at = |i: usize, s: Style| if i == cursor { cursor_style(theme, s) } else { s };
    for e in Emotion::ALL {
        let cells = classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let s = if c.frames == 0 { 0.0 } else { c.share()[e as usize] };
                Span::styled(level_char(theme, s), style_at(i, theme.emotion(e)))
            })
            .collect();
        lines.push(row(Span::styled(format!("{:<w$}", e.name(), w = LABEL_W as usize), theme.emotion(e)), cells));
    }
    // Faces in view: mean faces per frame, scaled to the most in the window.
    let faces: Vec<f32> = buckets.iter().map(Bucket::mean_faces).collect();
    let most = faces.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
    let cells = faces
        .iter()
        .zip(&buckets)
        .enumerate()
        .map(|(i, (n, b))| {
            let c = if b.frames == 0 { " " } else { level_char(theme, n / most) };
            Span::styled(c, style_at(i, theme.dim()))
        })
        .collect();
    lines.push(row(Span::styled(format!("{:<w$}", "faces", w = LABEL_W as usize), theme.dim()), cells));
    // Valence of the class: above 0 in happy's colour, below in sad's, the bar's height its size.
    let cells = classes
        .iter()
        .enumerate()
        .map(|(i, c)| match valence::of_agg(c) {
            Some(v) if v >= 0.0 => Span::styled(level_char(theme, v), style_at(i, theme.emotion(Emotion::Happy))),
            Some(v) => Span::styled(level_char(theme, -v), style_at(i, theme.emotion(Emotion::Sad))),
            None => Span::styled(" ", style_at(i, Style::default())),
        })
        .collect();
    lines.push(row(Span::styled(format!("{:<w$}", "valence", w = LABEL_W as usize), theme.dim()), cells));
    lines.push(marker_row(app, theme, cursor));
    lines.push(axis_row(app, theme));
    // One line per face: its dominant emotion in each bucket.
    let list: Vec<(u32, String)> =
        app.face_list().iter().filter(|t| t.merged_into.is_none()).map(|t| (t.id, t.label())).collect();
    let first = app.selected_face.saturating_sub(face_rows.saturating_sub(1) as usize);
    for (k, (id, label)) in list.iter().enumerate().skip(first).take(face_rows as usize) {
        let selected = k == app.selected_face && app.panel == Panel::Cursor;
        let label_style = if selected { theme.selected() } else { Style::default() };
        let label = format!("{:<w$}", theme.truncate(label, LABEL_W as usize - 1), w = LABEL_W as usize);
        let cells = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| match b.track(*id).and_then(|a| a.dominant_emotion()) {
                Some(e) => {
                    let c = if theme.color && !theme.ascii { "█" } else { emotion_letter(e) };
                    Span::styled(c, style_at(i, theme.emotion(e)))
                }
                None => Span::styled(" ", style_at(i, Style::default())),
            })
            .collect();
        lines.push(row(Span::styled(label, label_style), cells));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn marker_row<'a>(app: &ReviewApp, theme: &Theme, cursor: usize) -> Line<'a> {
    let v = app.view();
    let mut cells: Vec<(String, Style)> = vec![(" ".into(), theme.dim()); v.columns];
    let (mark, note, range) = if theme.ascii { ("v", "o", "-") } else { ("▼", "◆", "─") };
    // Ranges first, then note symbols, then markers on top; labels after their symbol over blanks and ranges.
    for a in &app.annotations {
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
        for a in app.annotations.iter().filter(|a| a.kind == kind) {
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

/// Tick steps for the time axis, ms.
const TICKS_MS: [u64; 17] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000,
];

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
    let step = TICKS_MS.iter().copied().find(|s| s % b == 0 && s / b >= width).unwrap_or(b * width);
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

fn render_cursor_panel(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let v = app.view();
    let merging = match app.mode {
        Mode::MergeInto { from } => Some(from),
        _ => None,
    };
    let title = match merging {
        Some(from) => format!(" merge {} into which face? (Enter merges, Esc cancels) ", app.track_label(from)),
        None => format!(" at {} ({} bucket) ", clock_tenths(v.cursor_ms), step(v.bucket_ms())),
    };
    let block = panel_block(theme, title, app);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let bucket = app.prepared_buckets().and_then(|b| b.get(v.cursor_column()).cloned()).unwrap_or_default();
    let mut lines = Vec::new();
    let ids: Vec<u32> = match merging {
        Some(from) => app.merge_targets(from),
        None => app.face_list().iter().map(|t| t.id).collect(),
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
        let t = app.tracks.iter().find(|t| t.id == *id).cloned();
        let label = t.as_ref().map(|t| t.label()).unwrap_or_else(|| face_label(*id));
        let selected = k == app.selected_face;
        let pointer = if selected { "> " } else { "  " };
        let style = if selected { theme.selected() } else { Style::default() };
        let mut spans = vec![Span::styled(
            format!("{pointer}{:<w$}", theme.truncate(&label, LABEL_W as usize - 1), w = LABEL_W as usize),
            style,
        )];
        match t.as_ref().and_then(|t| t.merged_into) {
            Some(into) if merging.is_none() => {
                spans.push(Span::styled(format!("merged into {} (J undoes)", app.track_label(into)), theme.dim()));
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
    let s = &app.summary;
    let mut out = vec!["time share per emotion (share of face-frames whose dominant emotion it is)".to_string()];
    out.push(format!("  {:<12} {}", "class", shares_text(&s.class.share())));
    for (id, agg) in &s.faces {
        out.push(format!(
            "  {:<12} {}  ({} observations)",
            app.track_label(*id),
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
        let who = c.track_id.map_or("class".to_string(), |id| app.track_label(id));
        let dom = match (c.from, c.to) {
            (Some(a), Some(b)) if a != b => format!("  ({a} -> {b})"),
            _ => String::new(),
        };
        out.push(format!("  {}  {:<12} {} {:+.0} pts{dom}", clock_tenths(c.at_ms), who, c.emotion, c.delta * 100.0));
    }
    if s.changes.is_empty() {
        out.push("  none (too short)".into());
    }
    out
}

fn render_summary(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let block = panel_block(theme, " summary (j/k scroll) ".into(), app);
    let lines: Vec<Line> = summary_lines(app)
        .into_iter()
        .map(|l| if l.starts_with(' ') { Line::raw(l) } else { Line::styled(l, theme.accent()) })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block).scroll((app.summary_scroll, 0)), area);
}

/// The seat map: the camera's frame as a plan, each face's label at its mean place (the selected face
/// highlighted), and beside it the faces with their place and how often they faced the front.
fn render_seats(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
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
        app.face_list().iter().filter(|t| t.merged_into.is_none()).map(|t| (t.id, t.label())).collect();
    let selected = app.face_list().get(app.selected_face).map(|t| t.id);
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
    // Labels at their seat's place; one that would overlap another goes to the nearest free row, then along it.
    let (cw, ch) = (cells.width as usize, cells.height as usize);
    let mut taken = vec![vec![false; cw]; ch];
    let mut order: Vec<&Seat> = room.seats.iter().collect();
    order.sort_by(|a, b| a.x.total_cmp(&b.x));
    for seat in order {
        if cw == 0 || ch == 0 {
            break;
        }
        let label =
            faces.iter().find(|(id, _)| *id == seat.track_id).map_or(face_label(seat.track_id), |(_, l)| l.clone());
        let label = theme.truncate(&label, cw);
        let w = label.chars().count().clamp(1, cw);
        let want_x = ((seat.x * (cw - 1) as f32).round() as usize).saturating_sub(w / 2).min(cw - w);
        let want_y = ((seat.y * (ch - 1) as f32).round() as usize).min(ch - 1);
        let free = |taken: &Vec<Vec<bool>>, x: usize, y: usize| (x..x + w).all(|c| !taken[y][c]);
        let mut spot = None;
        let mut best = usize::MAX;
        for y in 0..ch {
            for x in 0..=cw - w {
                let cost = x.abs_diff(want_x) + 4 * y.abs_diff(want_y);
                if cost < best && free(&taken, x, y) {
                    best = cost;
                    spot = Some((x, y));
                }
            }
        }
        let Some((x, y)) = spot else { continue };
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
    if list_w < 12 {
        return;
    }
    let list = Rect {
        x: inner.x + plan.width + 1,
        y: inner.y,
        width: inner.width.saturating_sub(plan.width + 1),
        height: inner.height,
    };
    let mut lines = vec![Line::styled(format!("{:<12}{:>5}{:>5} facing", "face", "x", "y"), theme.dim())];
    let rows = (list.height as usize).saturating_sub(1).max(1);
    let first = app.selected_face.saturating_sub(rows - 1);
    for (k, (id, label)) in faces.iter().enumerate().skip(first).take(rows) {
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
        let _ = k;
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines), list);
}

fn render_annotations(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let title = " annotations: Enter jumps, e edits, t moves to cursor, x deletes ".to_string();
    let block = panel_block(theme, title, app);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = inner.height.max(1) as usize;
    let first = app.selected_annotation.saturating_sub(rows - 1);
    let mut lines = Vec::new();
    for (k, a) in app.annotations.iter().enumerate().skip(first).take(rows) {
        let selected = k == app.selected_annotation;
        let when = match a.end_ms {
            Some(e) => format!("{}-{}", clock_tenths(a.start_ms), clock_tenths(e)),
            None => clock_tenths(a.start_ms),
        };
        let kind = match a.kind {
            AnnotationKind::Marker => "marker",
            AnnotationKind::Note => "note",
        };
        let who = a.track_id.map(|id| format!("  [{}]", app.track_label(id))).unwrap_or_default();
        let style = if selected { theme.selected() } else { Style::default() };
        lines.push(Line::from(vec![
            Span::styled(format!("{}{when:<16} {kind:<7}", if selected { "> " } else { "  " }), style),
            Span::raw(a.label.clone()),
            Span::styled(who, theme.dim()),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "  no markers or notes yet: m adds a marker, n a note, v..n a note over a range",
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_footer(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let line = match &app.mode {
        Mode::Prompt { purpose, text } => {
            let what = match purpose {
                PromptFor::Marker(t) => format!("marker at {}", clock_tenths(*t)),
                PromptFor::Note(t, None) => format!("note at {}", clock_tenths(*t)),
                PromptFor::Note(t, Some(e)) => format!("note {}-{}", clock_tenths(*t), clock_tenths(*e)),
                PromptFor::EditAnnotation(_) => "annotation text".into(),
                PromptFor::NameTrack(id) => format!("name of Face {id}"),
            };
            let cursor = if theme.ascii { "_" } else { "█" };
            Line::from(vec![
                Span::styled(format!("{what}: "), theme.accent()),
                Span::raw(text.clone()),
                Span::raw(cursor),
                Span::styled("  Enter saves, Esc cancels", theme.dim()),
            ])
        }
        Mode::Confirm(Confirm::DeleteAnnotation(id)) => {
            let label = app.annotations.iter().find(|a| a.id == *id).map(|a| a.label.clone()).unwrap_or_default();
            Line::styled(format!("delete annotation '{label}'? y deletes, any other key keeps it"), theme.warn())
        }
        _ => match &app.notice {
            Some(n) => Line::styled(n.text.clone(), theme.notice(n.level)),
            None => {
                let (l, r) = theme.arrows();
                Line::styled(
                    format!(
                        "{l}{r} step  [ ] marks  +/- zoom  m n v annotate  r name  J merge  p seats  Tab panel  ? help  q back"
                    ),
                    theme.dim(),
                )
            }
        },
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The keys of the review screen, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("Left Right  h l", "cursor one bucket back / on (Shift, H L: ten)"),
    ("PgUp PgDn", "one screen back / on"),
    ("Home End  g G", "start / end of the session"),
    ("[  ]", "previous / next marker or note"),
    ("+  -", "zoom in / out (bucket length)"),
    ("z", "fit the whole session"),
    ("f", "show / hide one line per face"),
    ("Tab  c s a p", "lower panel: cursor, summary, annotations, seats"),
    ("Up Down  j k", "select a face / annotation, scroll the summary"),
    ("m", "marker at the cursor (type a label)"),
    ("n", "note at the cursor"),
    ("v ... n", "note over a range: v at the start, move, n"),
    ("e  t  x", "annotation: edit text, move to cursor, delete"),
    ("r", "name the selected face (e.g. P07)"),
    ("p", "seat map: each face's mean place in the frame"),
    ("J", "merge the selected face into another (same person); undo"),
    ("q  Esc", "back to the sessions (Esc also cancels a range)"),
    ("Ctrl-C", "quit"),
];

fn render_help(f: &mut Frame, area: Rect, theme: &Theme) {
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!(" {k:<16}"), theme.accent()), Span::raw(*what)]))
        .collect();
    let w = 76.min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, rect);
    let block = Block::bordered().border_set(theme.border_set()).title(" review keys (any key closes) ");
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
