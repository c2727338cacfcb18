//! The report page: one HTML5 document with an inline style sheet and inline SVG, nothing loaded from
//! elsewhere (no scripts, fonts, images or links), so it opens offline and can be mailed as one file.
//!
//! Every text that comes from the session (source path, models, track names, marker and note labels, the error
//! line, the configuration) is HTML-escaped here; text inside the SVG plots is escaped by plotters' SVG backend.

use std::borrow::Cow;
use std::fmt::Write;

use super::{axis_time, emotion_css, emotion_rgb, plots, SessionOverview};
use crate::analytics::{attention, valence};
use crate::classify::Emotion;
use crate::fmt::{clock, seconds, step};
use crate::store::timeline::TrackAgg;
use crate::store::AnnotationKind;

pub(crate) const STYLE: &str = r#"
body{margin:0;background:#f3f3f1;color:#222;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1140px;margin:0 auto;padding:24px 20px 40px;background:#fff}
h1{font-size:26px;margin:0 0 2px}
h2{font-size:20px;margin:34px 0 8px;padding-bottom:4px;border-bottom:1px solid #ddd}
h3{font-size:16px;margin:22px 0 6px}
.sub{color:#555;margin:0 0 14px;overflow-wrap:anywhere}
.note{color:#555;font-size:14px;margin:4px 0 8px}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,1fr);gap:3px 18px;margin:0}
dl.meta dt{color:#666}
dl.meta dd{margin:0;overflow-wrap:anywhere}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(138px,1fr));gap:10px}
.fig{border:1px solid #ddd;border-radius:6px;padding:8px 12px}
.fig .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.fig .k{color:#555;font-size:13px}
.fig .d{color:#777;font-size:12px}
svg{display:block;max-width:100%;height:auto}
figure{margin:0}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0;font-size:14px}
.sw{display:inline-block;width:13px;height:13px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:16px 20px}
.face figcaption{font-size:14px;margin:0 0 2px}
.face figcaption b{font-size:15px}
table{border-collapse:collapse;font-size:14px;margin:6px 0 14px}
th,td{padding:4px 9px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{font-weight:600;background:#fafafa}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wrap{overflow-x:auto}
details pre{font-size:12px;background:#f7f7f7;padding:8px;overflow-x:auto}
footer{color:#777;font-size:13px;margin-top:30px}
.nw{white-space:nowrap}
td.src{overflow-wrap:anywhere;min-width:8em}
@page{size:A4;margin:12mm 10mm}
@media print{
body{background:#fff;font-size:10px}
main{max-width:none;padding:0}
h1{font-size:18px}
h2{font-size:14px;margin:14px 0 4px}
h3{font-size:12px;margin:10px 0 3px}
h2,h3{break-after:avoid}
h2+p,h3+p,.note{break-after:avoid}
.note{font-size:9px}
figure,.fig,tr,dl.meta,.legend{break-inside:avoid}
.legend{break-after:avoid}
#seat-map svg{max-height:110mm;width:auto}
.figures{grid-template-columns:repeat(6,1fr);gap:4px}
.fig{padding:3px 6px}
.fig .v{font-size:14px}
.wrap{overflow:visible}
table{width:100%;font-size:8px;margin:3px 0 8px}
th,td{padding:1px 3px}
.grid{grid-template-columns:repeat(3,minmax(0,1fr));gap:6px 10px}
.face figcaption{font-size:7.5px}
.face figcaption b{font-size:8.5px}
footer{font-size:8px;margin-top:10px}
}
"#;

/// `s` escaped for HTML text and attribute values.
fn esc(s: &str) -> Cow<'_, str> {
    html_escape::encode_safe(s)
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn emotion_name(e: Option<Emotion>) -> &'static str {
    e.map_or("–", Emotion::name)
}

/// A coloured square and the emotion's name.
fn swatch(e: Emotion) -> String {
    format!(r#"<span class="sw" style="background:{}"></span>{}"#, emotion_css(e), e.name())
}

fn legend() -> String {
    let items: Vec<String> = Emotion::ALL.iter().map(|&e| format!("<span>{}</span>", swatch(e))).collect();
    format!(r#"<div class="legend">{}</div>"#, items.join(""))
}

/// The whole page.
///
/// Errors: a plot cannot be drawn.
pub fn page(data: &SessionOverview) -> anyhow::Result<String> {
    let r = &data.session.record;
    let mut h = String::with_capacity(256 * 1024);
    write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>emotrace report: session {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&r.id)
    )?;
    write!(h, "<h1>Session {}</h1>\n<p class=\"sub\">{}</p>\n", esc(&r.id), esc(&r.source))?;
    session_section(&mut h, data)?;
    pipeline_section(&mut h, data)?;
    if is_photo(data) {
        // One picture has no time axis: no timelines, and each face's probabilities in a table.
        seats_section(&mut h, data)?;
        photo_faces_section(&mut h, data)?;
        h.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
        annotations_table(&mut h, data)?;
        h.push_str("</section>\n");
    } else {
        timeline_section(&mut h, data)?;
        seats_section(&mut h, data)?;
        faces_section(&mut h, data)?;
        summary_section(&mut h, data)?;
    }
    trust_section(&mut h, &data.session.record.models)?;
    h.push_str(&page_end());
    Ok(h)
}

fn meta_row(h: &mut String, key: &str, value: &str) -> std::fmt::Result {
    write!(h, "<dt>{key}</dt><dd>{value}</dd>")
}

/// Session metadata: id, times, source, models, status, counts.
fn session_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    let r = &data.session.record;
    h.push_str("<section id=\"session\">\n<h2>Session</h2>\n<dl class=\"meta\">\n");
    meta_row(h, "id", &esc(&r.id))?;
    let mut status = r.status.name().to_string();
    if let Some(e) = &r.error {
        status.push_str(&format!(": {}", esc(e)));
    }
    meta_row(h, "status", &status)?;
    meta_row(h, "started", &r.started_at.format("%Y-%m-%d %H:%M:%S %:z").to_string())?;
    let ended = r.ended_at.map_or("–".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string());
    meta_row(h, "ended", &ended)?;
    meta_row(h, "duration", &clock(r.duration_ms))?;
    let kind = r.source_kind.map_or("unknown".to_string(), |k| format!("{k:?}").to_lowercase());
    meta_row(h, "source", &format!("{} ({kind})", esc(&r.source)))?;
    if let Some(decoder) = &r.decoder {
        meta_row(h, "decoder", &esc(decoder))?;
    }
    if !r.source_gaps.is_empty() {
        meta_row(h, "source gaps", &esc(&crate::capture::rtsp::gaps_summary(&r.source_gaps)))?;
    }
    if !r.skipped.is_empty() {
        meta_row(h, "skipped", &esc(&r.skipped.summary(r.source_kind)))?;
    }
    meta_row(h, "models", &esc(&r.models))?;
    let schedule = r.schedule.map_or_else(
        || "not recorded (sessions before it was kept: files were detected and classified on every frame)".into(),
        |s| s.describe(),
    );
    meta_row(h, "schedule", &esc(&schedule))?;
    meta_row(h, "frames", &format!("{} processed, {} with a face observed", r.frames, r.frames_with_faces))?;
    if r.detected_frames > 0 {
        let hits = format!("ran on {} frames, found a face on {}", r.detected_frames, r.frames_with_detections);
        meta_row(h, "detector", &hits)?;
    }
    let merged = if r.merged_tracks > 0 { format!(", {} merged into others", r.merged_tracks) } else { String::new() };
    let auto: Vec<f32> =
        data.session.tracks.iter().filter(|t| t.merged_into.is_some()).filter_map(|t| t.auto_merge_distance).collect();
    meta_row(h, "faces", &format!("{} (tracks: {}{merged})", r.faces(), r.tracks))?;
    let reid_on = r.config.get("reid").and_then(|c| c.get("enabled")).and_then(|v| v.as_bool()).unwrap_or(false);
    if reid_on || !auto.is_empty() {
        let joined = match auto.iter().copied().reduce(f32::min).zip(auto.iter().copied().reduce(f32::max)) {
            Some((lo, hi)) => format!(
                "{} {} joined automatically to a face seen earlier (descriptor distance {lo:.2} to {hi:.2}; undo in \
                 review)",
                auto.len(),
                if auto.len() == 1 { "track" } else { "tracks" }
            ),
            None => "no track joined automatically".to_string(),
        };
        let text = format!(
            "{joined}. The face descriptors that decide it exist in memory during the run only: none is stored, \
             exported or logged, and faces are never compared across sessions."
        );
        meta_row(h, "re-identification", &esc(&text))?;
    }
    meta_row(h, "observations", &format!("{} face-frames", r.observations))?;
    meta_row(h, "markers", &data.session.markers().count().to_string())?;
    meta_row(h, "notes", &data.session.notes().count().to_string())?;
    h.push_str("</dl>\n");
    let config = serde_json::to_string_pretty(&r.config).unwrap_or_default();
    write!(h, "<details><summary>Configuration in force</summary><pre>{}</pre></details>\n</section>\n", esc(&config))?;
    Ok(())
}

fn figure(h: &mut String, key: &str, value: &str, detail: &str) -> std::fmt::Result {
    writeln!(h, "<div class=\"fig\"><div class=\"k\">{key}</div><div class=\"v\">{value}</div><div class=\"d\">{detail}</div></div>")
}

/// Pipeline figures: FPS in and processed, detection rate, dropped frames, latency p50/p95.
fn pipeline_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    let s = &data.session.record.stats;
    h.push_str("<section id=\"pipeline\">\n<h2>Pipeline</h2>\n<div class=\"figures\">\n");
    let mean_fps = if s.elapsed_s > 0.0 { s.frames_processed as f64 / s.elapsed_s } else { 0.0 };
    figure(h, "input FPS", &format!("{:.1}", s.input_fps), &format!("{} frames read", s.frames_in))?;
    figure(h, "processed FPS", &format!("{:.1}", s.processed_fps), &format!("{mean_fps:.1} mean over the run"))?;
    figure(
        h,
        "frames with a face",
        &pct(s.detection_rate()),
        &format!("{} of {} frames (detected or tracked)", s.frames_with_faces, s.frames_processed),
    )?;
    let r = &data.session.record;
    if r.detected_frames > 0 {
        let ran = r.detected_frames as f64 / r.frames.max(1) as f64;
        let detail = format!("{} frames, a face found on {}", r.detected_frames, r.frames_with_detections);
        figure(h, "detector ran on", &pct(ran), &detail)?;
    }
    let drop_share = if s.frames_in > 0 { s.frames_dropped as f64 / s.frames_in as f64 } else { 0.0 };
    figure(h, "dropped frames", &s.frames_dropped.to_string(), &format!("{} of frames read", pct(drop_share)))?;
    if !r.source_gaps.is_empty() {
        let lost = crate::capture::rtsp::lost_ms(&r.source_gaps);
        let times =
            if r.source_gaps.len() == 1 { "once".to_string() } else { format!("{} times", r.source_gaps.len()) };
        figure(h, "stream lost", &times, &format!("{} without frames (reconnected)", seconds(lost)))?;
    }
    figure(h, "latency p50", &format!("{:.0} ms", s.latency_p50_ms), "capture to result")?;
    figure(h, "latency p95", &format!("{:.0} ms", s.latency_p95_ms), "capture to result")?;
    figure(h, "run time", &seconds(crate::fmt::secs_to_ms(s.elapsed_s)), "wall clock")?;
    h.push_str(
        "</div>\n<p class=\"note\">FPS and latency are the pipeline's figures at the end of the run (over its \
         recent window); counts are for the whole run. A file is processed frame by frame, so nothing is dropped \
         and its latency is mostly queueing; a camera (or <code>--realtime</code>) drops frames when processing \
         falls behind.</p>\n</section>\n",
    );
    Ok(())
}

/// The class timeline with markers and notes, and faces in view under it.
fn timeline_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    write!(
        h,
        "<section id=\"timeline\">\n<h2>Class emotion timeline</h2>\n<p class=\"note\">Share of face-frames whose \
         dominant emotion (smoothed) is each class, all faces together, in buckets of {}; blank where no face was \
         in view. Black lines: markers; orange: notes (shaded: a note over a range).</p>\n{}\n",
        step(data.bucket_ms),
        legend()
    )?;
    write!(h, "<figure id=\"class-timeline\">\n{}\n</figure>\n", plots::class_timeline(data)?)?;
    let facing = data.room.facing_total();
    write!(
        h,
        "<h3>Valence</h3>\n<p class=\"note\">How positive the class looks: the intensity of happy minus that of the \
         strongest of sad, angry, fear and disgust (Noldus FaceReader's definition), from the mean smoothed \
         probabilities of all faces in each bucket; -1 to +1, 0 = neither. Whole session: <b>{}</b>.</p>\n\
         <figure id=\"valence\">\n{}\n</figure>\n",
        valence::fmt(valence::of_agg(&data.session.summary.class)),
        plots::valence_timeline(data)?
    )?;
    write!(
        h,
        "<h3>Facing the front and presence</h3>\n<p class=\"note\"><span class=\"sw\" style=\"background:#1e785a\">\
         </span>Facing the front: share of faces whose head is turned less than {:.0}° from the camera (head yaw \
         estimated from five facial landmarks), the thin line. <span class=\"sw\" style=\"background:#3c4678;\
         opacity:0.35\"></span>Presence, the wide pale line under it: faces in view against the session's usual count ({:.1}). Whole session: facing the front <b>{}</b> of {} \
         judged face-frames. This is not attention or engagement: a pupil can face the front and think of \
         something else, or look down at notes while listening; faces turned to a board beside the camera count \
         as not facing; faces the detector misses are not judged.</p>\n<figure id=\"facing\">\n{}\n</figure>\n",
        attention::FACING_MAX_YAW_DEG,
        data.usual_faces,
        attention::fmt_share(facing.share()),
        facing.judged,
        plots::facing_timeline(data)?
    )?;
    write!(
        h,
        "<h3>Faces in view</h3>\n<p class=\"note\">Mean number of tracked faces per processed frame.</p>\n\
         <figure id=\"faces-in-view\">\n{}\n</figure>\n</section>\n",
        plots::faces_in_view(data)?
    )?;
    Ok(())
}

/// The seat map: each face's mean place in the camera's frame, with its name.
fn seats_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    h.push_str(
        "<section id=\"seats\">\n<h2>Who sat where</h2>\n<p class=\"note\">Each face's mean box in the camera's \
         frame over the session, with its name or number, so faces can be named by where they sat (name them in \
         <code>emotrace review</code> with <kbd>r</kbd>). Positions are numbers kept by emotrace; no picture of \
         anyone is stored.</p>\n",
    );
    let seats: Vec<(String, crate::analytics::room::Seat)> =
        data.room.seats.iter().map(|s| (data.session.track_label(s.track_id), s.clone())).collect();
    if seats.is_empty() {
        h.push_str("<p>No face was tracked in this session.</p>\n</section>\n");
        return Ok(());
    }
    write!(h, "<figure id=\"seat-map\">\n{}\n</figure>\n</section>\n", plots::seat_map(&seats, data.room.frame, 720)?)?;
    Ok(())
}

/// The model, its measured accuracy, and what the numbers are not.
fn trust_section(h: &mut String, models: &str) -> anyhow::Result<()> {
    write!(h, "<section id=\"trust\">\n<h2>How far to trust it</h2>\n{}</section>\n", trust_html(models))?;
    Ok(())
}

/// The "how far to trust it" statement (shared by the report and the compare page): the models in use, their
/// accuracy measured on FER2013's public test, the classes confused most, what expressions are not, and where the
/// tool may be used (the EU AI Act's articles).
pub fn trust_html(models: &str) -> String {
    format!(
        "<p>Models: {}.</p>\n<p>Measured on FER2013's public test set (3,589 face photos, 7 classes) with \
         <code>emotrace eval</code>: the ensemble (default) labels <b>68.0%</b> correctly (macro-F1 0.666); fer \
         alone 65.3% (0.620), human alone 65.4% (0.643). It is best on happy (87% found) and surprise (83%), \
         worst on fear (43%). Most confused: fear taken for sad (20% of fear faces), sad taken for neutral (15%), \
         neutral taken for sad (15%), fear taken for neutral (14%). In a classroom (other light, angles, younger \
         faces) expect it to do worse.</p>\n<p><b>Expressions are not inner states.</b> The labels say what a \
         face looks like to a model trained on posed and web photos, not what anyone feels, thinks or learns; \
         a frown can be concentration. Nothing here is a diagnosis or a grade of any pupil; use it to find \
         moments of the lecture worth a second look, for the class as a whole.</p>\n{}",
        esc(models),
        lawful_use_html()
    )
}

/// Where the tool may be used: the paragraphs of [`crate::lawful_use::PARAGRAPHS`] under their heading.
fn lawful_use_html() -> String {
    let paras: String =
        crate::lawful_use::PARAGRAPHS.iter().map(|p| format!("<p>{}</p>\n", esc(p))).collect::<Vec<_>>().concat();
    format!("<h3 id=\"lawful-use\">Lawful use</h3>\n{paras}")
}

/// One small plot per face.
fn faces_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    write!(
        h,
        "<section id=\"faces\">\n<h2>Faces</h2>\n<p class=\"note\">Each face's mean smoothed probabilities per bucket \
         (stacked to 100%) on the session's time axis; blank where the face was not in view.</p>\n{}\n",
        legend()
    )?;
    if data.session.faces.is_empty() {
        h.push_str("<p>No face was tracked in this session.</p>\n");
    }
    h.push_str("<div class=\"grid\">\n");
    for f in &data.session.faces {
        let agg = data.session.summary.faces.iter().find(|(id, _)| *id == f.id).map(|(_, a)| *a).unwrap_or_default();
        let facing = data.room.seat(f.id).map(|s| s.facing).unwrap_or_default();
        // Each part stays on one line ("in view 0 s–19.6 s" used to wrap inside a time); the caption wraps
        // between parts.
        let mut parts = vec![
            format!("<b>{}</b>", esc(&f.label)),
            format!("mostly {}", emotion_name(agg.dominant_emotion())),
            format!("valence {}", valence::fmt(valence::of_agg(&agg))),
            format!("facing the front {}", attention::fmt_share(facing.share())),
            format!("in view {}–{}", axis_time(f.first_ms, data.span_ms()), axis_time(f.last_ms, data.span_ms())),
            format!("{} face-frames", f.observations),
        ];
        if !f.merged.is_empty() {
            let merged: Vec<String> =
                f.merged.iter().map(|&id| esc(&data.session.track_label(id)).into_owned()).collect();
            parts.push(format!("merged: {}", merged.join(", ")));
        }
        let caption: Vec<String> = parts.iter().map(|p| format!("<span class=\"nw\">{p}</span>")).collect();
        let caption = caption.join(" · ");
        write!(
            h,
            "<figure class=\"face\" id=\"face-{}\"><figcaption>{caption}</figcaption>\n{}\n</figure>\n",
            f.id,
            plots::face(data, f)?
        )?;
    }
    h.push_str("</div>\n</section>\n");
    Ok(())
}

/// Whether the session is one picture (a photo: one processed frame), which gets tables instead of time plots.
fn is_photo(data: &SessionOverview) -> bool {
    data.session.record.frames <= 1
}

/// A photo's faces (table `photo-faces`): each face's probabilities of the 7 classes (smoothing has nothing to
/// smooth over one frame), its emotion, valence and whether it faces the front.
fn photo_faces_section(h: &mut String, data: &SessionOverview) -> std::fmt::Result {
    h.push_str(
        "<section id=\"faces\">\n<h2>Faces</h2>\n<p class=\"note\">One picture: each face's probability of each \
         emotion (FER2013's 7 classes; they sum to 100%), the emotion with the highest, valence and whether the face \
         is turned to the camera.</p>\n",
    );
    if data.session.faces.is_empty() {
        h.push_str("<p>No face was found in this picture.</p>\n</section>\n");
        return Ok(());
    }
    let facing = data.room.facing_total();
    writeln!(
        h,
        "<p>All faces: facing the front <b>{}</b> of {} judged (head turned less than {:.0}° from the camera).</p>",
        attention::fmt_share(facing.share()),
        facing.judged,
        attention::FACING_MAX_YAW_DEG
    )?;
    h.push_str("<div class=\"wrap\"><table id=\"photo-faces\">\n<tr><th>face</th>");
    for e in Emotion::ALL {
        write!(h, "<th class=\"n\">{}</th>", e.name())?;
    }
    h.push_str("<th>emotion</th><th class=\"n\">valence</th><th class=\"n\">facing the front</th></tr>\n");
    for f in &data.session.faces {
        let agg = data.session.summary.faces.iter().find(|(id, _)| *id == f.id).map(|(_, a)| *a).unwrap_or_default();
        let facing = data.room.seat(f.id).map(|s| s.facing).unwrap_or_default();
        let n = agg.frames.max(1) as f32;
        write!(h, "<tr><td>{}</td>", esc(&f.label))?;
        for (i, &e) in Emotion::ALL.iter().enumerate() {
            h.push_str(&share_cell(e, agg.prob_sum[i] / n));
        }
        let mean: crate::classify::Probs = std::array::from_fn(|i| agg.prob_sum[i] / n);
        writeln!(
            h,
            "<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            Emotion::argmax(&mean).name(),
            valence::fmt(valence::of_agg(&agg)),
            attention::fmt_share(facing.share())
        )?;
    }
    h.push_str("</table></div>\n</section>\n");
    Ok(())
}

/// A share cell, tinted with the emotion's colour in proportion to the share.
fn share_cell(e: Emotion, share: f32) -> String {
    let (r, g, b) = emotion_rgb(e);
    format!(
        "<td class=\"n\" style=\"background:rgba({r},{g},{b},{:.2})\">{}</td>",
        (share * 0.6).clamp(0.0, 0.6),
        pct(share as f64)
    )
}

fn share_row(h: &mut String, who: &str, agg: &TrackAgg, facing: Option<f32>) -> std::fmt::Result {
    write!(h, "<tr><td>{who}</td><td class=\"n\">{}</td>", agg.frames)?;
    let share = agg.share();
    for (i, &e) in Emotion::ALL.iter().enumerate() {
        h.push_str(&share_cell(e, share[i]));
    }
    writeln!(
        h,
        "<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
        emotion_name(agg.dominant_emotion()),
        valence::fmt(valence::of_agg(agg)),
        attention::fmt_share(facing)
    )
}

/// Time share per emotion (class and each face), segments between markers, the largest changes, annotations.
fn summary_section(h: &mut String, data: &SessionOverview) -> anyhow::Result<()> {
    h.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<h3>Time share per emotion</h3>\n");
    shares_table(h, data)?;
    segments_table(h, data)?;
    changes_table(h, data)?;
    annotations_table(h, data)?;
    h.push_str("</section>\n");
    Ok(())
}

/// The time share per emotion of the class and of each face, with dominant emotion, valence and facing the
/// front (table `shares`).
fn shares_table(h: &mut String, data: &SessionOverview) -> std::fmt::Result {
    let s = &data.session.summary;
    h.push_str(
        "<p class=\"note\">Share of each face's face-frames (and of all faces together) whose dominant emotion is \
         each class.</p>\n<div class=\"wrap\"><table id=\"shares\">\n<tr><th>who</th><th class=\"n\">face-frames</th>",
    );
    for e in Emotion::ALL {
        write!(h, "<th class=\"n\">{}</th>", swatch(e))?;
    }
    h.push_str("<th>dominant</th><th class=\"n\">valence</th><th class=\"n\">facing the front</th></tr>\n");
    share_row(h, "<b>class (all faces)</b>", &s.class, data.room.facing_total().share())?;
    for (id, agg) in &s.faces {
        let facing = data.room.seat(*id).and_then(|s| s.facing.share());
        share_row(h, &esc(&data.session.track_label(*id)), agg, facing)?;
    }
    h.push_str("</table></div>\n");
    Ok(())
}

/// The segments between markers: when, how long, dominant emotion and its share, valence, facing the front
/// (table `segments`).
fn segments_table(h: &mut String, data: &SessionOverview) -> std::fmt::Result {
    let span = data.span_ms();
    h.push_str(
        "<h3>Segments between markers</h3>\n<div class=\"wrap\"><table id=\"segments\">\n<tr><th>#</th><th>opened \
         by</th><th class=\"n\">from</th><th class=\"n\">to</th><th class=\"n\">length</th><th>dominant</th>\
         <th class=\"n\">its share</th><th class=\"n\">valence</th><th class=\"n\">facing the front</th>\
         <th class=\"n\">face-frames</th></tr>\n",
    );
    for (i, seg) in data.session.summary.segments.iter().enumerate() {
        let share = seg.dominant.map_or(0.0, |e| seg.class.share()[e as usize]);
        let (val, facing) = data.segment_figures(seg);
        writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}\
             </td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            i + 1,
            esc(&seg.label),
            axis_time(seg.start_ms, span),
            axis_time(seg.end_ms, span),
            clock(seg.end_ms.saturating_sub(seg.start_ms)),
            seg.dominant.map_or("–".to_string(), swatch),
            pct(share as f64),
            valence::fmt(val),
            attention::fmt_share(facing),
            seg.class.frames
        )?;
    }
    h.push_str("</table></div>\n");
    Ok(())
}

/// The largest changes of one emotion between consecutive windows, for the class and each face (table
/// `changes`).
fn changes_table(h: &mut String, data: &SessionOverview) -> std::fmt::Result {
    let s = &data.session.summary;
    let span = data.span_ms();
    write!(
        h,
        "<h3>Largest changes</h3>\n<p class=\"note\">Largest changes of one emotion's mean smoothed probability \
         between consecutive windows of {}, for the class and for each face.</p>\n<div class=\"wrap\">\
         <table id=\"changes\">\n<tr><th class=\"n\">at</th><th>who</th><th>emotion</th><th class=\"n\">change</th>\
         <th>dominant before → after</th></tr>\n",
        step(s.change_window_ms)
    )?;
    if s.changes.is_empty() {
        h.push_str("<tr><td colspan=\"5\">none (too short, or no face)</td></tr>\n");
    }
    for c in &s.changes {
        let who = c.track_id.map_or("<b>class</b>".to_string(), |id| esc(&data.session.track_label(id)).into_owned());
        writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{who}</td><td>{}</td><td class=\"n\">{:+.0} pp</td><td>{} → {}</td></tr>",
            axis_time(c.at_ms, span),
            swatch(c.emotion),
            c.delta * 100.0,
            emotion_name(c.from),
            emotion_name(c.to)
        )?;
    }
    h.push_str("</table></div>\n");
    Ok(())
}

/// The markers and notes, by start time (table `annotations`).
fn annotations_table(h: &mut String, data: &SessionOverview) -> std::fmt::Result {
    let span = data.span_ms();
    h.push_str(
        "<h3>Markers and notes</h3>\n<div class=\"wrap\"><table id=\"annotations\">\n<tr><th>kind</th>\
         <th class=\"n\">at</th><th class=\"n\">until</th><th>label</th><th>face</th></tr>\n",
    );
    if data.session.annotations.is_empty() {
        h.push_str("<tr><td colspan=\"5\">none</td></tr>\n");
    }
    for a in &data.session.annotations {
        let kind = if a.kind == AnnotationKind::Marker { "marker" } else { "note" };
        let until = a.end_ms.map_or(String::new(), |e| axis_time(e, span));
        let face = a.track_id.map_or(String::new(), |id| esc(&data.session.track_label(id)).into_owned());
        writeln!(
            h,
            "<tr><td>{kind}</td><td class=\"n\">{}</td><td class=\"n\">{until}</td><td>{}</td><td>{face}</td></tr>",
            axis_time(a.start_ms, span),
            esc(&a.label)
        )?;
    }
    h.push_str("</table></div>\n");
    Ok(())
}

/// The end of a report page (report and compare): the footer (version, time made, what the file holds), then
/// the closing tags.
pub(crate) fn page_end() -> String {
    format!(
        "<footer>Made by emotrace {} on {}. Derived numbers only: no image of anyone is in this file.</footer>\n\
         </main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_data;

    #[test]
    fn the_page_is_one_document_with_inline_svg_and_escaped_text() {
        let data = sample_data("<script>alert(1)</script>", "joke \"2\"");
        let page = page(&data).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
        assert_eq!(page.matches("<html").count(), 1);
        // Class timeline, valence, facing, faces in view, seat map, two faces (track 3 is merged into 2).
        assert_eq!(page.matches("<svg").count(), 7);
        assert!(page.contains("Expressions are not inner states") && page.contains("macro-F1 0.666"));
        assert!(page.contains("facing the front <b>25%</b> of 200"), "whole session");
        for section in ["seats", "trust"] {
            assert!(page.contains(&format!("<section id=\"{section}\">")), "{section}");
        }
        assert!(!page.contains("<script"), "no script, and the name is escaped");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "in the tables");
        assert!(page.contains("&lt;class&gt;.mp4"), "the source path");
        assert!(!page.contains("<link") && !page.contains("<img") && !page.contains("@import"));
        let external = page.matches("http").count();
        assert_eq!(external, page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
        for section in ["session", "pipeline", "timeline", "faces", "summary"] {
            assert!(page.contains(&format!("<section id=\"{section}\">")), "{section}");
        }
        assert!(page.contains("merged: Face 3"));
        assert!(page.contains("joke &quot;2&quot;"));
        assert!(page.contains("<div class=\"v\">9.5</div>"), "processed FPS");
        assert!(page.contains("<dd>200 processed, 200 with a face observed</dd>"));
    }
}
