//! `emotrace compare`: several stored sessions side by side on one self-contained HTML page (inline SVG, no
//! scripts), e.g. the same lecture in week 1, 2 and 3.
//!
//! Per session: the class emotion shares, valence and facing the front over the whole session; both over lecture
//! time, absolute (time since start) and normalised to the session's length (0-100%), one line per session; and
//! the segments opened by markers whose label several sessions share ("quiz" in week 1 and week 2), with their
//! valence, facing the front and dominant emotion. It renders analytics' [`CompareView`], as review's compare
//! screen does: the same definitions, the same numbers.

use crate::fmt::ms_to_s;
use std::fmt::Write;

use plotters::prelude::*;

use super::emotion_rgb;
use super::html::{page_end, trust_html};
use super::plots::{self, err, svg, MUTED};
use crate::analytics::attention;
use crate::analytics::session_view::{CompareView, SessionOverview};
use crate::analytics::valence;
use crate::classify::Emotion;
use crate::fmt::clock;

/// Session line colours, in the order sessions are given (repeats after eight).
pub const SESSION_RGB: [(u8, u8, u8); 8] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (148, 103, 189),
    (255, 127, 14),
    (23, 190, 207),
    (140, 86, 75),
    (127, 127, 127),
];

fn rgb(i: usize) -> RGBColor {
    let (r, g, b) = SESSION_RGB[i % SESSION_RGB.len()];
    RGBColor(r, g, b)
}

fn css(i: usize) -> String {
    let (r, g, b) = SESSION_RGB[i % SESSION_RGB.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_safe(s)
}

/// A session's name on the page: its start date and time, and its id.
fn session_name(d: &SessionOverview) -> String {
    format!("{} ({})", d.session.record.started_at.format("%Y-%m-%d %H:%M"), d.session.record.id)
}

/// One line per session over an x axis of `x_max`: `(values, step)` per session, `None` = gap.
fn lines_plot(
    series: &[(Vec<Option<f64>>, f64)],
    x_max: f64,
    x_fmt: &dyn Fn(&f64) -> String,
    x_desc: &str,
    y: std::ops::Range<f64>,
    y_fmt: &dyn Fn(&f64) -> String,
    y_desc: &str,
) -> anyhow::Result<String> {
    svg((plots::WIDE, 240), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin_top(12)
            .margin_right(20)
            .margin_left(4)
            .margin_bottom(4)
            .x_label_area_size(40)
            .y_label_area_size(plots::WIDE_Y_AREA)
            .build_cartesian_2d(0.0..x_max.max(0.001), y.clone())
            .map_err(err)?;
        plots::report_mesh(&mut chart)
            .x_labels(10)
            .y_labels(5)
            .x_label_formatter(x_fmt)
            .y_label_formatter(y_fmt)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(err)?;
        if y.start < 0.0 {
            chart
                .draw_series([PathElement::new(vec![(0.0, 0.0), (x_max, 0.0)], MUTED.stroke_width(1))])
                .map_err(err)?;
        }
        for (i, (values, step)) in series.iter().enumerate() {
            plots::draw_runs(&mut chart, values, *step, rgb(i).stroke_width(2))?;
        }
        Ok(())
    })
}

/// Valence per bucket (see [`valence::of_agg`]) and its bucket width, seconds.
fn valence_series(d: &SessionOverview) -> (Vec<Option<f64>>, f64) {
    (d.buckets.iter().map(|b| valence::of_agg(&b.class()).map(|v| v as f64)).collect(), ms_to_s(d.bucket_ms))
}

/// Facing the front per bucket and its bucket width, seconds.
fn facing_series(d: &SessionOverview) -> (Vec<Option<f64>>, f64) {
    (d.room_series().0, ms_to_s(d.room_bucket_ms()))
}

/// The four plots: valence and facing, absolute and normalised.
fn plots_html(h: &mut String, data: &CompareView) -> anyhow::Result<()> {
    let longest_s = ms_to_s(data.sessions.iter().map(|d| d.span_ms()).max().unwrap_or(1));
    let minutes = longest_s > 180.0;
    let (unit, div) = if minutes { ("min", 60.0) } else { ("s", 1.0) };
    let abs_fmt = move |x: &f64| format!("{:.0}", x / div);
    let pct_fmt = |x: &f64| format!("{x:.0}%");
    let val_fmt = |v: &f64| format!("{v:+.1}");
    let share_fmt = |v: &f64| format!("{:.0}%", v * 100.0);
    for (title, id, series, y, y_fmt, y_desc) in [
        (
            "Valence",
            "valence",
            data.sessions.iter().map(valence_series).collect::<Vec<_>>(),
            -1.0..1.0,
            &val_fmt as &dyn Fn(&f64) -> String,
            "valence",
        ),
        (
            "Facing the front",
            "facing",
            data.sessions.iter().map(facing_series).collect(),
            0.0..1.0,
            &share_fmt,
            "facing",
        ),
    ] {
        let absolute =
            lines_plot(&series, longest_s, &abs_fmt, &format!("time since start, {unit}"), y.clone(), y_fmt, y_desc)?;
        let normalised: Vec<(Vec<Option<f64>>, f64)> = series
            .iter()
            .zip(&data.sessions)
            .map(|((v, step), d)| (v.clone(), step * 100.0 / ms_to_s(d.span_ms()).max(0.001)))
            .collect();
        let relative = lines_plot(&normalised, 100.0, &pct_fmt, "share of the session's length", y, y_fmt, y_desc)?;
        write!(
            h,
            "<h3>{title} over lecture time</h3>\n<figure id=\"{id}-absolute\">\n{absolute}\n</figure>\n\
             <h3>{title}, normalised to each session's length</h3>\n<figure id=\"{id}-normalised\">\n{relative}\n</figure>\n"
        )?;
    }
    Ok(())
}

/// The whole compare page.
///
/// Errors: a plot cannot be drawn.
pub fn page(data: &CompareView) -> anyhow::Result<String> {
    let mut h = String::with_capacity(256 * 1024);
    page_head(&mut h, data)?;
    overview_section(&mut h, data)?;
    over_time_section(&mut h, data)?;
    shared_markers_section(&mut h, data)?;
    let mut models: Vec<&str> = data.sessions.iter().map(|d| d.session.record.models.as_str()).collect();
    models.dedup();
    write!(h, "<section id=\"trust\">\n<h2>How far to trust it</h2>\n{}</section>\n", trust_html(&models.join("; ")))?;
    h.push_str(&page_end());
    Ok(h)
}

/// The page's head, title and the lines that define valence and facing the front.
fn page_head(h: &mut String, data: &CompareView) -> std::fmt::Result {
    write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>emotrace: {} sessions compared</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n\
         <h1>{} sessions compared</h1>\n<p class=\"sub\">Valence: happy minus the strongest of sad, angry, fear and \
         disgust (Noldus FaceReader's definition), from the mean smoothed probabilities, -1 to +1. Facing the front: \
         share of faces turned less than {:.0}° from the camera; not attention.</p>\n",
        data.sessions.len(),
        super::html::STYLE,
        data.sessions.len(),
        attention::FACING_MAX_YAW_DEG
    )
}

/// The sessions side by side (table `overview`): source, length, faces, valence, facing the front and the
/// share of each emotion.
fn overview_section(h: &mut String, data: &CompareView) -> std::fmt::Result {
    h.push_str("<section id=\"sessions\">\n<h2>Sessions</h2>\n<div class=\"wrap\"><table id=\"overview\">\n<tr><th>session</th><th>source</th><th class=\"n\">length</th><th class=\"n\">faces</th><th class=\"n\">valence</th><th class=\"n\">facing<br>the front</th>");
    for e in Emotion::ALL {
        write!(h, "<th class=\"n\">{}</th>", e.name())?;
    }
    h.push_str("</tr>\n");
    for (i, d) in data.sessions.iter().enumerate() {
        let class = &d.session.summary.class;
        let source: String = std::path::Path::new(&d.session.record.source)
            .file_name()
            .map_or(d.session.record.source.clone(), |s| s.to_string_lossy().into_owned());
        write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span>{}</td><td class=\"src\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            css(i),
            esc(&session_name(d)),
            esc(&source),
            clock(d.session.record.duration_ms),
            d.session.faces.len(),
            valence::fmt(valence::of_agg(class)),
            attention::fmt_share(d.room.facing_total().share())
        )?;
        let share = class.share();
        for (k, &e) in Emotion::ALL.iter().enumerate() {
            let (r, g, b) = emotion_rgb(e);
            write!(
                h,
                "<td class=\"n\" style=\"background:rgba({r},{g},{b},{:.2})\">{:.1}%</td>",
                (share[k] * 0.6).clamp(0.0, 0.6),
                share[k] * 100.0
            )?;
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n<p class=\"note\">Emotion columns: share of face-frames whose dominant (smoothed) emotion is each class, all faces together.</p>\n</section>\n");
    Ok(())
}

/// The plots of valence and facing the front over the lecture, with the sessions' legend.
///
/// Errors: a plot cannot be drawn.
fn over_time_section(h: &mut String, data: &CompareView) -> anyhow::Result<()> {
    h.push_str("<section id=\"over-time\">\n<h2>Over the lecture</h2>\n<div class=\"legend\">");
    for (i, d) in data.sessions.iter().enumerate() {
        write!(h, "<span><span class=\"sw\" style=\"background:{}\"></span>{}</span>", css(i), esc(&session_name(d)))?;
    }
    h.push_str("</div>\n");
    plots_html(h, data)?;
    h.push_str("</section>\n");
    Ok(())
}

/// The segments opened by a marker label two or more sessions share (table `shared-markers`).
fn shared_markers_section(h: &mut String, data: &CompareView) -> std::fmt::Result {
    h.push_str("<section id=\"markers\">\n<h2>Segments with the same marker</h2>\n<p class=\"note\">Segments opened by markers whose label two or more sessions share (case and surrounding spaces ignored), from the marker to the next one; several segments with one label in a session are taken together.</p>\n");
    let shared = data.shared_labels();
    if shared.is_empty() {
        h.push_str("<p>No marker label appears in more than one of these sessions.</p>\n");
    } else {
        h.push_str("<div class=\"wrap\"><table id=\"shared-markers\">\n<tr><th>marker</th>");
        for (i, d) in data.sessions.iter().enumerate() {
            write!(h, "<th><span class=\"sw\" style=\"background:{}\"></span>{}</th>", css(i), esc(&session_name(d)))?;
        }
        h.push_str("</tr>\n");
        for (label, row) in &shared {
            write!(h, "<tr><td><b>{}</b></td>", esc(label))?;
            for f in row {
                match f {
                    Some(f) => write!(
                        h,
                        "<td>valence {} · facing {} · mostly {} · {}</td>",
                        valence::fmt(valence::of_agg(&f.class)),
                        attention::fmt_share(f.facing.share()),
                        f.class.dominant_emotion().map_or("–", Emotion::name),
                        clock(f.length_ms)
                    )?,
                    None => h.push_str("<td>–</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
    }
    h.push_str("</section>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;
    use crate::store::Store;

    #[test]
    fn three_sessions_with_a_shared_marker_label_line_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ids = [sample(&store, "P07", "quiz"), sample(&store, "P07", "Quiz "), sample(&store, "P07", "break")];
        assert!(ids[0] != ids[1] && ids[1] != ids[2]);
        let data = CompareView::load(&store, &ids).unwrap();
        let shared = data.shared_labels();
        assert_eq!(shared.len(), 1, "'quiz' in two sessions; 'break' in one");
        let (label, row) = &shared[0];
        assert_eq!(label, "quiz");
        assert!(row[2].is_none());
        let quiz = row[0].as_ref().unwrap();
        // 10-20 s: face 1 happy throughout, face 3 (merged into 2) surprise from 12 s; face 1 not facing.
        assert_eq!(quiz.length_ms, 10_000);
        assert_eq!(quiz.class.dominant_emotion(), Some(Emotion::Happy));
        assert_eq!(quiz.facing.share(), Some(0.0));
        assert!(valence::of_agg(&quiz.class).unwrap() > 0.3);
        let page = page(&data).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
        // Valence and facing, absolute and normalised.
        assert_eq!(page.matches("<svg").count(), 4);
        assert!(page.contains("<table id=\"shared-markers\">") && page.contains("<b>quiz</b>"));
        assert!(page.contains("Expressions are not inner states"));
        for id in &ids {
            assert!(page.contains(id.as_str()), "{id}");
        }
    }
}
