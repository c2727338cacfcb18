//! The report's plots as SVG text, drawn with `plotters` (SVG backend; text is written as `<text>` elements, so
//! no font is needed to make the file, and the browser's sans-serif shows it).
//!
//! All time axes run from 0 to [`SessionOverview::span_ms`] (shown in seconds, `m:ss` or `h:mm:ss`); the wide plots
//! share their left label width so their time axes line up one above the other.

use crate::fmt::{ms_to_s, secs_to_ms};
use std::ops::Range;

use anyhow::anyhow;
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{axis_time, emotion_rgb, SessionOverview};
use crate::analytics::session_view::Face;
use crate::analytics::valence;
use crate::classify::{Emotion, NUM_EMOTIONS};
use crate::store::timeline::Bucket;
use crate::store::AnnotationKind;

/// Width of the wide plots (class timeline, faces in view), px.
pub const WIDE: u32 = 1100;
/// Width of one face's small plot, px.
pub const SMALL: u32 = 540;
/// Left label area of the wide plots, px (the same for both, so the time axes line up).
pub(crate) const WIDE_Y_AREA: u32 = 64;
/// Right margin of every plot, px.
const RIGHT: u32 = 20;
/// Height of one row of marker labels above the timeline, px.
const FLAG_ROW: u32 = 19;
/// Rows of marker labels at most; more labels than fit share the emptiest row.
const FLAG_ROWS: usize = 5;
/// Longest label drawn on a plot, characters (the summary tables hold the full text).
const FLAG_CHARS: usize = 32;
/// Estimated width of one character at the label size, px (for laying labels out; browsers vary).
const CHAR_PX: f64 = 7.2;

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
pub(crate) const MUTED: RGBColor = RGBColor(110, 110, 110);
const NOTE: RGBColor = RGBColor(214, 120, 0);
const FACES: RGBColor = RGBColor(60, 70, 120);

pub(crate) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<TimeAxis, RangedCoordf64>>;

/// The session's time axis, seconds: a linear f64 axis whose ticks fall on round times (1 s, 5 min, ...)
/// instead of plotters' decimal steps (which give ticks like 8:20).
pub(crate) struct TimeAxis {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// Time-axis ticks, seconds, at the finest round step ([`crate::fmt::tick_step_ms`]) that gives at most `most`
/// of them over `[0, span_s]`; only 0 and `span_s` when no round step is long enough.
fn time_ticks(span_s: f64, most: usize) -> Vec<f64> {
    let span_ms = secs_to_ms(span_s);
    let step = crate::fmt::tick_step_ms(span_ms.div_ceil(most.max(1) as u64), 1).map_or(span_s.max(1.0), ms_to_s);
    (0..).map(|i| i as f64 * step).take_while(|t| *t <= span_s + 1e-9).collect()
}

pub(crate) fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a plot: {e}")
}

fn rgb(e: Emotion) -> RGBColor {
    let (r, g, b) = emotion_rgb(e);
    RGBColor(r, g, b)
}

/// The polygons of a stacked area chart: per emotion (FER2013 order, bottom to top), the band between the sum
/// of the emotions below it and that sum plus its own value, over each run of consecutive buckets that have
/// values (`None`: nothing to show, a gap). Points sit at bucket centres (x in seconds), the first and last of a
/// run stretched to the run's edges. Emotions that are zero over a whole run get no polygon.
pub fn stacked_bands(values: &[Option<[f32; NUM_EMOTIONS]>], bucket_s: f64) -> Vec<(Emotion, Vec<(f64, f64)>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < values.len() {
        if values[i].is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < values.len() && values[i].is_some() {
            i += 1;
        }
        let run: Vec<[f32; NUM_EMOTIONS]> = values[start..i].iter().flatten().copied().collect();
        let mut xs: Vec<f64> = vec![start as f64 * bucket_s];
        xs.extend((start..i).map(|k| (k as f64 + 0.5) * bucket_s));
        xs.push(i as f64 * bucket_s);
        let at = |k: usize| &run[k.saturating_sub(1).min(run.len() - 1)];
        for (e, emotion) in Emotion::ALL.iter().enumerate() {
            if run.iter().all(|v| v[e] <= 0.0) {
                continue;
            }
            let below = |k: usize| at(k)[..e].iter().sum::<f32>() as f64;
            let mut poly: Vec<(f64, f64)> =
                xs.iter().enumerate().map(|(k, &x)| (x, (below(k) + at(k)[e] as f64).min(1.0))).collect();
            poly.extend(xs.iter().enumerate().rev().map(|(k, &x)| (x, below(k).min(1.0))));
            out.push((*emotion, poly));
        }
    }
    out
}

/// A marker or note label placed above the timeline.
struct Flag {
    /// Start and end of the annotation, s.
    at_s: f64,
    end_s: Option<f64>,
    text: String,
    kind: AnnotationKind,
    row: usize,
    /// Whether the text reads leftwards from the line (near the right edge).
    leftwards: bool,
}

/// `s` cut to `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn text_px(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_PX + 4.0
}

/// Lays out the labels of every marker and note in rows so that they do not overlap (as far as [`FLAG_ROWS`]
/// allows); `left..right` is the plotting area in px, `span_s` the time axis.
fn layout_flags(data: &SessionOverview, left: f64, right: f64, span_s: f64) -> Vec<Flag> {
    let px = |s: f64| left + (s / span_s.max(1e-9)) * (right - left);
    let mut row_end: Vec<f64> = Vec::new();
    let mut flags = Vec::new();
    for a in &data.session.annotations {
        let at_s = ms_to_s(a.start_ms);
        let text = clip(&a.label, FLAG_CHARS);
        let text = if text.is_empty() { "·".to_string() } else { text };
        let w = text_px(&text);
        let x = px(at_s);
        let leftwards = x + 4.0 + w > right + RIGHT as f64;
        let (from, to) = if leftwards { (x - 4.0 - w, x) } else { (x, x + 4.0 + w) };
        let row = match row_end.iter().position(|&end| end + 8.0 <= from) {
            Some(r) => r,
            None if row_end.len() < FLAG_ROWS => {
                row_end.push(f64::MIN);
                row_end.len() - 1
            }
            None => (0..row_end.len()).min_by(|&p, &q| row_end[p].total_cmp(&row_end[q])).unwrap_or(0),
        };
        row_end[row] = row_end[row].max(to);
        flags.push(Flag { at_s, end_s: a.end_ms.map(ms_to_s), text, kind: a.kind, row, leftwards });
    }
    flags
}

/// A chart over the session's time axis on `root`, with `y` as its value range.
pub(crate) fn time_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    span_s: f64,
    y: Range<f64>,
    top: u32,
    y_area: u32,
    x_labels: usize,
) -> anyhow::Result<Chart<'a, 'b>> {
    ChartBuilder::on(root)
        .margin_top(top)
        .margin_right(RIGHT)
        .margin_left(4)
        .margin_bottom(4)
        .x_label_area_size(40)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            TimeAxis { linear: (0.0..span_s.max(0.001)).into(), ticks: time_ticks(span_s, x_labels) },
            y,
        )
        .map_err(err)
}

/// The report's mesh on `chart`: grid lines across only (light), muted axes, labels in the report's font; the
/// caller adds its labels and descriptions and draws it. Any backend and any x axis (the report's [`TimeAxis`],
/// the compare page's plain axis).
pub(crate) fn report_mesh<'a, 'b, DB: DrawingBackend, X: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
) -> MeshStyle<'a, 'b, X, RangedCoordf64, DB> {
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(MUTED)
        .label_style((FONT, 15).into_font().color(&INK))
        .axis_desc_style((FONT, 15).into_font().color(&MUTED));
    mesh
}

/// Draws the axes and grid: time below (in `x_labels` ticks), values left as `y_fmt` gives them.
pub(crate) fn draw_axes(
    chart: &mut Chart<'_, '_>,
    span_ms: u64,
    x_labels: usize,
    y_labels: usize,
    y_fmt: &dyn Fn(&f64) -> String,
    y_desc: &str,
) -> anyhow::Result<()> {
    let x_fmt = |x: &f64| axis_time(secs_to_ms(*x), span_ms);
    report_mesh(chart)
        .x_labels(x_labels)
        .y_labels(y_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(y_fmt)
        .x_desc("time since start")
        .y_desc(y_desc)
        .draw()
        .map_err(err)
}

/// Shaded spans of the notes with a range, and lines for markers (`marker_px` wide) and instant notes.
fn draw_annotations(
    chart: &mut Chart<'_, '_>,
    data: &SessionOverview,
    y: Range<f64>,
    marker_px: u32,
) -> anyhow::Result<()> {
    for a in data.session.notes() {
        if let Some(end) = a.end_ms {
            let (x0, x1) = (ms_to_s(a.start_ms), ms_to_s(end.max(a.start_ms)));
            chart.draw_series([Rectangle::new([(x0, y.start), (x1, y.end)], NOTE.mix(0.16).filled())]).map_err(err)?;
            for x in [x0, x1] {
                chart
                    .draw_series([PathElement::new(vec![(x, y.start), (x, y.end)], NOTE.mix(0.6).stroke_width(1))])
                    .map_err(err)?;
            }
        } else {
            let x = ms_to_s(a.start_ms);
            chart
                .draw_series([DashedPathElement::new(
                    [(x, y.start), (x, y.end)],
                    5,
                    4,
                    NOTE.stroke_width(marker_px.max(1)),
                )])
                .map_err(err)?;
        }
    }
    for a in data.session.markers() {
        let x = ms_to_s(a.start_ms);
        chart
            .draw_series([PathElement::new(vec![(x, y.start), (x, y.end)], INK.stroke_width(marker_px))])
            .map_err(err)?;
    }
    Ok(())
}

/// The stacked bands of `values` (see [`stacked_bands`]).
fn draw_bands(chart: &mut Chart<'_, '_>, values: &[Option<[f32; NUM_EMOTIONS]>], bucket_s: f64) -> anyhow::Result<()> {
    for (e, poly) in stacked_bands(values, bucket_s) {
        chart.draw_series([Polygon::new(poly, rgb(e).filled())]).map_err(err)?;
    }
    Ok(())
}

/// "No faces" across the middle of an empty plot.
pub(crate) fn draw_empty(chart: &mut Chart<'_, '_>, span_s: f64, y: &Range<f64>, text: &str) -> anyhow::Result<()> {
    let style = TextStyle::from((FONT, 15).into_font()).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series([Text::new(text.to_string(), (span_s / 2.0, (y.start + y.end) / 2.0), style)]).map_err(err)?;
    Ok(())
}

/// Runs `draw` on an SVG canvas of `size` and returns the SVG text.
pub(crate) fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The class emotion timeline: per bucket, the share of face-frames whose dominant emotion is each of the
/// seven (stacked, FER2013 order from the bottom, `[0, 1]` shown as %), gaps where no face was seen; every
/// marker as a vertical line with its label above the plot, notes with a range as shaded spans, instant notes as
/// dashed lines.
///
/// Errors: the plot cannot be drawn.
pub fn class_timeline(data: &SessionOverview) -> anyhow::Result<String> {
    let span_ms = data.span_ms();
    let span_s = ms_to_s(span_ms);
    let left = (4 + WIDE_Y_AREA) as f64;
    let right = (WIDE - RIGHT) as f64;
    let flags = layout_flags(data, left, right, span_s);
    let rows = flags.iter().map(|f| f.row + 1).max().unwrap_or(0) as u32;
    let top = 12 + rows * FLAG_ROW;
    let height = 330 + rows * FLAG_ROW;
    let values: Vec<Option<[f32; NUM_EMOTIONS]>> = data
        .buckets
        .iter()
        .map(|b| {
            let c = b.class();
            (c.frames > 0).then(|| c.share())
        })
        .collect();
    svg((WIDE, height), |root| {
        let y = 0.0..1.0;
        let mut chart = time_chart(root, span_s, y.clone(), top, WIDE_Y_AREA, 12)?;
        draw_axes(&mut chart, span_ms, 12, 6, &|v| format!("{:.0}%", v * 100.0), "share of face-frames")?;
        draw_bands(&mut chart, &values, ms_to_s(data.bucket_ms))?;
        if values.iter().all(Option::is_none) {
            draw_empty(&mut chart, span_s, &y, "no faces in this session")?;
        }
        draw_annotations(&mut chart, data, y.clone(), 2)?;
        // Labels above the plot, each joined to its line by a thin stem.
        let font = (FONT, 16).into_font();
        let plot_top = chart.backend_coord(&(0.0, 1.0)).1;
        for f in &flags {
            let (x, _) = chart.backend_coord(&(f.at_s, 1.0));
            let row_y = 4 + (f.row as u32 * FLAG_ROW) as i32;
            let color = if f.kind == AnnotationKind::Note { NOTE } else { INK };
            root.draw(&PathElement::new(vec![(x, row_y), (x, plot_top)], color.mix(0.5).stroke_width(1)))
                .map_err(err)?;
            let w = text_px(&f.text) as i32;
            let (bx0, tx, anchor) =
                if f.leftwards { (x - 4 - w, x - 4, HPos::Right) } else { (x + 1, x + 4, HPos::Left) };
            root.draw(&Rectangle::new([(bx0, row_y), (bx0 + w + 3, row_y + FLAG_ROW as i32 - 2)], WHITE.filled()))
                .map_err(err)?;
            let style = TextStyle::from(font.clone()).color(&color).pos(Pos::new(anchor, VPos::Top));
            root.draw(&Text::new(f.text.clone(), (tx, row_y + 1), style)).map_err(err)?;
            if let Some(end) = f.end_s {
                let (x1, _) = chart.backend_coord(&(end, 1.0));
                root.draw(&PathElement::new(vec![(x1, row_y + 8), (x1, plot_top)], NOTE.mix(0.5).stroke_width(1)))
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Faces in view: mean number of tracked faces per processed frame in each bucket, on the same time axis as
/// [`class_timeline`] (gaps where no frame was processed), with the markers and notes.
///
/// Errors: the plot cannot be drawn.
pub fn faces_in_view(data: &SessionOverview) -> anyhow::Result<String> {
    let span_ms = data.span_ms();
    let span_s = ms_to_s(span_ms);
    let bucket_s = ms_to_s(data.bucket_ms);
    let max = data.buckets.iter().map(Bucket::mean_faces).fold(0.0f32, f32::max).max(1.0) as f64;
    let y = 0.0..(max * 1.15);
    svg((WIDE, 190), |root| {
        let mut chart = time_chart(root, span_s, y.clone(), 12, WIDE_Y_AREA, 12)?;
        let int_fmt = |v: &f64| if v.fract().abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") };
        draw_axes(&mut chart, span_ms, 12, 4, &int_fmt, "faces per frame")?;
        draw_annotations(&mut chart, data, y.clone(), 1)?;
        let mut i = 0;
        let b = &data.buckets;
        while i < b.len() {
            if b[i].frames == 0 {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i].frames > 0 {
                i += 1;
            }
            let mut points: Vec<(f64, f64)> = vec![(start as f64 * bucket_s, b[start].mean_faces() as f64)];
            points.extend((start..i).map(|k| ((k as f64 + 0.5) * bucket_s, b[k].mean_faces() as f64)));
            points.push((i as f64 * bucket_s, b[i - 1].mean_faces() as f64));
            chart
                .draw_series(AreaSeries::new(points, 0.0, FACES.mix(0.15)).border_style(FACES.stroke_width(2)))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// One face's small plot: its mean smoothed probabilities per bucket, stacked (FER2013 order from the bottom,
/// summing to 100%), blank where the face was not in view; markers as thin lines; the session's time axis.
///
/// Errors: the plot cannot be drawn.
pub fn face(data: &SessionOverview, face: &Face) -> anyhow::Result<String> {
    let span_ms = data.span_ms();
    let span_s = ms_to_s(span_ms);
    let values: Vec<Option<[f32; NUM_EMOTIONS]>> =
        data.buckets.iter().map(|b| b.track(face.id).filter(|a| a.frames > 0).map(|a| a.mean())).collect();
    svg((SMALL, 200), |root| {
        let y = 0.0..1.0;
        let mut chart = time_chart(root, span_s, y.clone(), 8, 48, 6)?;
        draw_axes(&mut chart, span_ms, 6, 3, &|v| format!("{:.0}%", v * 100.0), "mean prob.")?;
        draw_bands(&mut chart, &values, ms_to_s(data.bucket_ms))?;
        if values.iter().all(Option::is_none) {
            draw_empty(&mut chart, span_s, &y, "not in view")?;
        }
        draw_annotations(&mut chart, data, y, 1)?;
        Ok(())
    })
}

/// Colour of the valence line.
pub const VALENCE: RGBColor = RGBColor(200, 90, 20);
/// Colour of the facing-the-front line.
pub const FACING: RGBColor = RGBColor(30, 120, 90);

/// Draws `values` (one per step of `step_s` seconds, `None` = gap) as lines through the step centres, one line
/// per run without gaps (a lone value as a short flat stroke across its step). Any backend and any f64 x axis
/// (the report's [`TimeAxis`], the compare page's plain axis).
pub(crate) fn draw_runs<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    values: &[Option<f64>],
    step_s: f64,
    style: ShapeStyle,
) -> anyhow::Result<()> {
    let mut i = 0;
    while i < values.len() {
        if values[i].is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut points = Vec::new();
        while let Some(Some(v)) = values.get(i) {
            points.push(((i as f64 + 0.5) * step_s, *v));
            i += 1;
        }
        if points.len() == 1 {
            points = vec![(start as f64 * step_s, points[0].1), ((start + 1) as f64 * step_s, points[0].1)];
        }
        chart.draw_series(LineSeries::new(points, style)).map_err(err)?;
    }
    Ok(())
}

/// The class valence (see [`crate::analytics::valence`]) per bucket, from -1 to 1 with the zero line, gaps where
/// no face was seen, markers and notes; the session's time axis.
///
/// Errors: the plot cannot be drawn.
pub fn valence_timeline(data: &SessionOverview) -> anyhow::Result<String> {
    let span_ms = data.span_ms();
    let span_s = ms_to_s(span_ms);
    let values: Vec<Option<f64>> = data.buckets.iter().map(|b| valence::of_agg(&b.class()).map(|v| v as f64)).collect();
    svg((WIDE, 200), |root| {
        let y = -1.0..1.0;
        let mut chart = time_chart(root, span_s, y.clone(), 12, WIDE_Y_AREA, 12)?;
        draw_axes(&mut chart, span_ms, 12, 5, &|v| format!("{v:+.1}"), "valence")?;
        chart.draw_series([PathElement::new(vec![(0.0, 0.0), (span_s, 0.0)], MUTED.stroke_width(1))]).map_err(err)?;
        draw_annotations(&mut chart, data, y.clone(), 1)?;
        draw_runs(&mut chart, &values, ms_to_s(data.bucket_ms), VALENCE.stroke_width(2))?;
        if values.iter().all(Option::is_none) {
            draw_empty(&mut chart, span_s, &y, "no faces in this session")?;
        }
        Ok(())
    })
}

/// Facing the front (share of judged face-frames, a thin line) and presence (faces in view against the session's
/// usual count, a wide pale line drawn under it, so both show where they meet, e.g. both at 100%) per bucket of [`SessionOverview::room_bucket_ms`]; gaps where nothing could be judged.
///
/// Errors: the plot cannot be drawn.
pub fn facing_timeline(data: &SessionOverview) -> anyhow::Result<String> {
    let span_ms = data.span_ms();
    let span_s = ms_to_s(span_ms);
    let (facing, presence) = data.room_series();
    let top = presence.iter().flatten().fold(1.0f64, |a, &b| a.max(b)).min(3.0) * 1.05;
    svg((WIDE, 200), |root| {
        let y = 0.0..top;
        let mut chart = time_chart(root, span_s, y.clone(), 12, WIDE_Y_AREA, 12)?;
        draw_axes(&mut chart, span_ms, 12, 5, &|v| format!("{:.0}%", v * 100.0), "share")?;
        draw_annotations(&mut chart, data, y.clone(), 1)?;
        let step_s = ms_to_s(data.room_bucket_ms());
        draw_runs(&mut chart, &presence, step_s, FACES.mix(0.35).stroke_width(7))?;
        draw_runs(&mut chart, &facing, step_s, FACING.stroke_width(2))?;
        if facing.iter().all(Option::is_none) {
            draw_empty(&mut chart, span_s, &y, "facing unknown: no landmarks in this session")?;
        }
        Ok(())
    })
}

/// The part of the camera's frame the seat map shows: the faces' extent with a margin of a tenth of the frame
/// (fractions of the frame, `[x0, y0, x1, y1]`), so a class sitting in a band of the picture fills the plot instead
/// of a corner of it; widened or heightened (within the frame) so that its height is 30% to 75% of its width in
/// pixels of the `frame` (`[width, height]`), which keeps the plot neither a strip nor a tower.
fn seat_region(seats: &[(String, crate::analytics::room::Seat)], frame: [f32; 2]) -> [f32; 4] {
    let mut r = [1.0f32, 1.0, 0.0, 0.0];
    for (_, s) in seats {
        r = [
            r[0].min(s.x - s.w / 2.0),
            r[1].min(s.y - s.h / 2.0),
            r[2].max(s.x + s.w / 2.0),
            r[3].max(s.y + s.h / 2.0),
        ];
    }
    if r[0] >= r[2] || r[1] >= r[3] {
        return [0.0, 0.0, 1.0, 1.0];
    }
    let m = 0.1;
    let mut r = [(r[0] - m).max(0.0), (r[1] - m).max(0.0), (r[2] + m).min(1.0), (r[3] + m).min(1.0)];
    // Grows [lo, hi] to `len` around its centre, within [0, 1].
    let grow = |lo: f32, hi: f32, len: f32| {
        let len = len.min(1.0);
        let lo = ((lo + hi) / 2.0 - len / 2.0).clamp(0.0, 1.0 - len);
        (lo, lo + len)
    };
    let (fw, fh) = if frame[0] > 0.0 && frame[1] > 0.0 { (frame[0], frame[1]) } else { (16.0, 9.0) };
    let (w_px, h_px) = ((r[2] - r[0]) * fw, (r[3] - r[1]) * fh);
    if h_px > 0.75 * w_px {
        (r[0], r[2]) = grow(r[0], r[2], h_px / 0.75 / fw);
    } else if h_px < 0.3 * w_px {
        (r[1], r[3]) = grow(r[1], r[3], 0.3 * w_px / fh);
    }
    r
}

/// A seat's label as drawn: a face still called by its number (`Face 12`) shows the number alone, a name is kept
/// (cut to 18 characters).
fn seat_label(name: &str) -> String {
    match name.strip_prefix("Face ") {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => n.to_string(),
        _ => clip(name, 18),
    }
}

/// A box in plot pixels, `[x0, y0, x1, y1]`.
type PxBox = [f64; 4];

fn overlap(a: &PxBox, b: &PxBox) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h
}

/// Places each label (`size`: its width and height, px) beside its face's box (`boxes`, px): above, below, right,
/// left, then further above or below, taking the first place that overlaps no label placed before it and no
/// other face's box, else the place that overlaps least. Returns each label's box, in the order given.
fn place_labels(boxes: &[PxBox], sizes: &[(f64, f64)], area: PxBox) -> Vec<PxBox> {
    let mut placed: Vec<PxBox> = Vec::with_capacity(boxes.len());
    for (i, (b, &(w, h))) in boxes.iter().zip(sizes).enumerate() {
        let cx = (b[0] + b[2]) / 2.0;
        let cy = (b[1] + b[3]) / 2.0;
        let candidates = [
            [cx - w / 2.0, b[1] - h - 1.0],
            [cx - w / 2.0, b[3] + 1.0],
            [b[2] + 2.0, cy - h / 2.0],
            [b[0] - w - 2.0, cy - h / 2.0],
            [cx - w / 2.0, b[1] - 2.0 * h - 2.0],
            [cx - w / 2.0, b[3] + h + 2.0],
            [b[2] + 2.0, b[1] - h],
            [b[0] - w - 2.0, b[3]],
        ];
        let cost = |c: &[f64; 2]| {
            let r = [c[0], c[1], c[0] + w, c[1] + h];
            let outside = if r[0] < area[0] || r[1] < area[1] || r[2] > area[2] || r[3] > area[3] { 1e9 } else { 0.0 };
            let labels: f64 = placed.iter().map(|p| overlap(&r, p)).sum();
            let faces: f64 = boxes.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, o)| overlap(&r, o)).sum();
            outside + labels * 4.0 + faces
        };
        let best = candidates
            .iter()
            .map(|c| (cost(c), c))
            .fold(None, |best: Option<(f64, &[f64; 2])>, (k, c)| match best {
                Some((bk, _)) if bk <= k => best,
                _ => Some((k, c)),
            })
            .map(|(_, c)| *c)
            .unwrap_or([cx, cy]);
        placed.push([best[0], best[1], best[0] + w, best[1] + h]);
    }
    placed
}

/// The seat map: the part of the camera's frame where faces were (see `seat_region`) as a plan, each face's mean box
/// (see [`crate::analytics::room::Seat`]) drawn at its place with its label beside it, placed so that labels do
/// not cover each other (`place_labels`), so faces can be named by where they sat. `width` px wide, the
/// region's aspect ratio.
///
/// Errors: the plot cannot be drawn.
pub fn seat_map(
    seats: &[(String, crate::analytics::room::Seat)],
    frame: [f32; 2],
    width: u32,
) -> anyhow::Result<String> {
    let region = seat_region(seats, frame);
    let (fw, fh) = if frame[0] > 0.0 && frame[1] > 0.0 { (frame[0], frame[1]) } else { (16.0, 9.0) };
    let aspect = ((region[3] - region[1]) * fh) / ((region[2] - region[0]) * fw);
    let (w, h) = (width, ((width as f32 * aspect) as u32).clamp(160, width * 2));
    let pad = 6i32;
    let (pw, ph) = (w as i32 - 2 * pad, h as i32 - 2 * pad);
    let to_px = |x: f32, y: f32| {
        (
            pad as f64 + ((x - region[0]) / (region[2] - region[0])) as f64 * pw as f64,
            pad as f64 + ((y - region[1]) / (region[3] - region[1])) as f64 * ph as f64,
        )
    };
    let boxes: Vec<PxBox> = seats
        .iter()
        .map(|(_, s)| {
            let (x0, y0) = to_px(s.x - s.w / 2.0, s.y - s.h / 2.0);
            let (x1, y1) = to_px(s.x + s.w / 2.0, s.y + s.h / 2.0);
            [x0, y0, x1, y1]
        })
        .collect();
    let labels: Vec<String> = seats.iter().map(|(n, _)| seat_label(n)).collect();
    let sizes: Vec<(f64, f64)> = labels.iter().map(|l| (text_px(l), 16.0)).collect();
    let area = [pad as f64, pad as f64, (pad + pw) as f64, (pad + ph) as f64];
    let places = place_labels(&boxes, &sizes, area);
    svg((w, h + 22), |root| {
        root.draw(&Rectangle::new([(pad, pad), (pad + pw, pad + ph)], RGBColor(246, 246, 246).filled()))
            .map_err(err)?;
        root.draw(&Rectangle::new([(pad, pad), (pad + pw, pad + ph)], MUTED.stroke_width(1))).map_err(err)?;
        let caption = TextStyle::from((FONT, 13).into_font()).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Top));
        let shown = if region == [0.0, 0.0, 1.0, 1.0] {
            format!("the camera's frame ({fw:.0} x {fh:.0} px)")
        } else {
            format!(
                "x {:.0}-{:.0}, y {:.0}-{:.0} px of the camera's {fw:.0} x {fh:.0} px frame (where faces were)",
                region[0] * fw,
                region[2] * fw,
                region[1] * fh,
                region[3] * fh
            )
        };
        root.draw(&Text::new(
            format!("{shown}; the camera looks at the room from here"),
            (w as i32 / 2, h as i32 + 4),
            caption,
        ))
        .map_err(err)?;
        for b in &boxes {
            let r = [(b[0] as i32, b[1] as i32), (b[2] as i32, b[3] as i32)];
            root.draw(&Rectangle::new(r, FACES.mix(0.12).filled())).map_err(err)?;
            root.draw(&Rectangle::new(r, FACES.stroke_width(2))).map_err(err)?;
        }
        let label = TextStyle::from((FONT, 13).into_font()).color(&INK).pos(Pos::new(HPos::Center, VPos::Center));
        for (text, p) in labels.iter().zip(&places) {
            let c = (((p[0] + p[2]) / 2.0) as i32, ((p[1] + p[3]) / 2.0) as i32);
            root.draw(&Text::new(text.clone(), c, label.clone())).map_err(err)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{sample, sample_data};
    use crate::store::Store;

    #[test]
    fn bands_stack_to_the_total_and_leave_gaps_where_nothing_was_seen() {
        let mut a = [0.0; NUM_EMOTIONS];
        a[3] = 0.25;
        a[6] = 0.75;
        let values = [Some(a), Some(a), None, Some(a)];
        let bands = stacked_bands(&values, 2.0);
        // Two runs, two emotions each.
        assert_eq!(
            bands.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
            [Emotion::Happy, Emotion::Neutral, Emotion::Happy, Emotion::Neutral]
        );
        let (_, happy) = &bands[0];
        // Run 0..2: edges 0 and 4 s, centres 1 and 3 s; upper edge then lower edge back.
        assert_eq!(happy.iter().map(|p| p.0).collect::<Vec<_>>(), [0.0, 1.0, 3.0, 4.0, 4.0, 3.0, 1.0, 0.0]);
        assert!(happy[..4].iter().all(|p| (p.1 - 0.25).abs() < 1e-6));
        assert!(happy[4..].iter().all(|p| p.1 == 0.0));
        let (_, neutral) = &bands[1];
        assert!(neutral[..4].iter().all(|p| (p.1 - 1.0).abs() < 1e-6));
        assert!(neutral[4..].iter().all(|p| (p.1 - 0.25).abs() < 1e-6));
        assert_eq!(bands[2].1[0].0, 6.0);
        assert!(stacked_bands(&[None, None], 1.0).is_empty());
    }

    #[test]
    fn seat_labels_of_a_crowded_class_do_not_cover_each_other() {
        // Two rows of 15 faces 40 px apart with every third row-pair offset, as the classroom clip's 29 faces sit
        // (the report printed "Face 30" over "Face 28").
        let mut boxes = Vec::new();
        for row in 0..2 {
            for i in 0..15 {
                let x = 20.0 + i as f64 * 40.0 + if row == 1 { 14.0 } else { 0.0 };
                let y = 60.0 + row as f64 * 42.0 + (i % 3) as f64 * 6.0;
                boxes.push([x, y, x + 22.0, y + 22.0]);
            }
        }
        let names: Vec<String> = (1..=30).map(|i| seat_label(&format!("Face {i}"))).collect();
        assert_eq!(names[27], "28");
        assert_eq!(seat_label("Zoë Müller"), "Zoë Müller");
        assert_eq!(seat_label("Face of the class, the long name"), "Face of the class…");
        let sizes: Vec<(f64, f64)> = names.iter().map(|l| (text_px(l), 16.0)).collect();
        let placed = place_labels(&boxes, &sizes, [0.0, 0.0, 700.0, 200.0]);
        for (i, a) in placed.iter().enumerate() {
            for (j, b) in placed.iter().enumerate().skip(i + 1) {
                assert_eq!(overlap(a, b), 0.0, "labels {} and {} overlap: {a:?} {b:?}", names[i], names[j]);
            }
            assert!(a[0] >= 0.0 && a[2] <= 700.0 && a[1] >= 0.0 && a[3] <= 200.0, "{a:?} outside");
        }
    }

    #[test]
    fn the_seat_map_shows_where_the_faces_were_with_a_margin() {
        use crate::analytics::room::Seat;
        let seat =
            |x: f32, y: f32| Seat { track_id: 1, x, y, w: 0.04, h: 0.06, observations: 1, facing: Default::default() };
        let seats = vec![("Face 1".to_string(), seat(0.3, 0.4)), ("Face 2".to_string(), seat(0.6, 0.45))];
        // 1280 x 720: x 0.18-0.72 is 691 px, y 0.27-0.58 is 223 px: within 30-75%, kept.
        let r = seat_region(&seats, [1280.0, 720.0]);
        assert!((r[0] - 0.18).abs() < 1e-5 && (r[2] - 0.72).abs() < 1e-5, "{r:?}");
        assert!((r[1] - 0.27).abs() < 1e-5 && (r[3] - 0.58).abs() < 1e-5, "{r:?}");
        // Faces in a column (a photo of people standing one above the other): widened to 75% around them.
        let column = vec![("Face 1".to_string(), seat(0.5, 0.3)), ("Face 2".to_string(), seat(0.5, 0.6))];
        let r = seat_region(&column, [1000.0, 1000.0]);
        let (w, h) = ((r[2] - r[0]) * 1000.0, (r[3] - r[1]) * 1000.0);
        assert!((h / w - 0.75).abs() < 1e-3 && (r[0] + r[2] - 1.0).abs() < 1e-5, "{r:?}");
        assert_eq!(seat_region(&[], [1280.0, 720.0]), [0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn labels_that_would_overlap_go_to_other_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let id = sample(&store, "P07", "a marker with a long label, cut on the plot");
        let mut reader = store.open_session(&id).unwrap();
        reader.annotate(AnnotationKind::Marker, 10_200, None, "close by", None).unwrap();
        reader.annotate(AnnotationKind::Marker, 19_900, None, "at the end", None).unwrap();
        let data = SessionOverview::load(&reader).unwrap();
        let flags = layout_flags(&data, 68.0, 1080.0, 20.0);
        let by_text = |t: &str| flags.iter().find(|f| f.text == t).unwrap();
        assert_eq!(by_text("noisy corridor").row, 0);
        let long = flags.iter().find(|f| f.text.starts_with("a marker")).unwrap();
        assert!(long.text.ends_with('…') && long.text.chars().count() == FLAG_CHARS, "{}", long.text);
        assert_eq!(long.row, 0, "after the note's label");
        assert_eq!(by_text("close by").row, 1);
        assert!(by_text("at the end").leftwards);
    }

    #[test]
    fn the_plots_are_svg_with_the_marker_labels_and_escaped_text() {
        let data = sample_data("P07", "<b>joke</b> & laugh");
        let timeline = class_timeline(&data).unwrap();
        assert!(timeline.starts_with("<svg") && timeline.trim_end().ends_with("</svg>"), "{timeline}");
        assert!(timeline.contains("&lt;b&gt;joke&lt;/b&gt; &amp; laugh"), "{timeline}");
        assert!(!timeline.contains("<b>"));
        assert!(timeline.contains("noisy corridor"));
        // Happy (240,190,30) and neutral are in the class bands; the note's span is shaded.
        assert!(timeline.contains("#F0BE1E") || timeline.contains("#f0be1e"), "{timeline}");
        assert!(timeline.matches("<polygon").count() >= 4);
        let faces = faces_in_view(&data).unwrap();
        assert!(faces.contains("faces per frame") && faces.contains("<polyline"), "{faces}");
        for f in &data.session.faces {
            let s = face(&data, f).unwrap();
            assert!(s.contains("<polygon"), "{}: {s}", f.label);
        }
    }
}
