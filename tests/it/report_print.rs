//! Reports on paper and on screen (issue 26, items 2 and 3), from real sessions: the 720p classroom clip (29
//! faces) and a photo. Printed to PDF by headless Chromium, the report and the compare page keep every table
//! column on the page (read back with pdftotext) and a 10 s clip prints in a few pages; the seat map's labels do
//! not cover each other; a photo gets a table of its faces instead of time plots.
//!
//! Chromium and pdftotext (poppler-utils) are needed for the printing test: without them it is skipped with a
//! line, unless `EMOTRACE_REQUIRE_CHROMIUM` is set (CI installs both).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// The classroom clip and a short recording analysed into one store: (store, classroom session, other session).
fn sessions() -> Option<&'static (PathBuf, String, String)> {
    static ONCE: OnceLock<Option<(PathBuf, String, String)>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let clip = classroom_clip("classroom_720p.mp4")?;
        let store = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report_print-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let class = run_json(&store, &["analyze", clip.to_str().unwrap(), "--json"]);
        let other = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
        let id = |v: &serde_json::Value| v["session"].as_str().unwrap().to_string();
        Some((store, id(&class), id(&other)))
    })
    .as_ref()
}

/// Runs `emotrace --store STORE ARGS... --out DIR/NAME` and reads the page.
fn page(store: &Path, dir: &Path, name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = dir.join(name);
    let o = run(store, &[args, &["--out", out.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    (out, text)
}

/// A Chromium on PATH (Debian's `chromium`, or Chrome), when present.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// `html` printed to PDF by headless Chromium (A4, the page's own print CSS), read back by `pdftotext -layout`:
/// the text, pages separated by form feeds.
fn printed(browser: &str, html: &Path) -> String {
    let pdf = html.with_extension("pdf");
    let o = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", html.with_extension("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(pdf.is_file(), "{browser} wrote no PDF: {}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-").output().unwrap();
    assert!(o.status.success(), "pdftotext: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The text of an HTML fragment: tags dropped, the entities the report writes decoded, whitespace runs as one space.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The data rows of `<table id="ID">` in `page`, each as its cells' text.
fn rows(page: &str, id: &str) -> Vec<Vec<String>> {
    let start = page.find(&format!("<table id=\"{id}\">")).unwrap_or_else(|| panic!("no table {id}"));
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(1)
        .filter(|r| r.contains("<td"))
        .map(|r| r.split("<td").skip(1).map(|c| text_of(&format!("<td{c}"))).collect())
        .collect()
}

/// Asserts that every data row of table `id` is printed whole: its cells after the first (which may wrap onto a
/// second line) appear in order on one line of the PDF's text. A column cut off at the page's right edge, the
/// fault this guards against, leaves its cells out.
fn assert_rows_printed(page: &str, pdf_text: &str, id: &str) {
    let lines: Vec<String> = pdf_text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let rows = rows(page, id);
    assert!(!rows.is_empty(), "table {id} has no rows");
    for row in rows {
        let tail = row[1..].join(" ");
        assert!(lines.iter().any(|l| l.contains(&tail)), "table {id}: no printed line has the row\n  {tail}");
    }
}

/// Asserts that the header row of table `id` is printed whole, on one line: every column's heading is on the page.
fn assert_header_printed(page: &str, pdf_text: &str, id: &str) {
    let start = page.find(&format!("<table id=\"{id}\">")).unwrap_or_else(|| panic!("no table {id}"));
    let head = &page[start..start + page[start..].find("</tr>").unwrap()];
    let cells: Vec<String> = head.split("<th").skip(1).map(|c| text_of(&format!("<th{c}"))).collect();
    let header = cells.join(" ");
    let found = pdf_text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").contains(&header));
    assert!(found, "table {id}: no printed line has the header\n  {header}");
}

/// How far right the page's table cells reach, and the window's width, in CSS pixels, as headless Chromium lays
/// out `html` in a window `width` pixels wide: a copy of the page with a script that measures every cell once it
/// has loaded, read back from Chromium's `--dump-dom`. A table wider than the window, or one whose last columns
/// hide behind its scroll bar, reaches past the window's width.
fn widest_cell_on_screen(browser: &str, html: &Path, width: u32) -> (f64, f64) {
    const MEASURE: &str = "<script>window.addEventListener('load', () => { let right = 0; \
        for (const c of document.querySelectorAll('td, th')) right = Math.max(right, c.getBoundingClientRect().right); \
        document.body.setAttribute('data-widest', right + ' ' + window.innerWidth); });</script>";
    let page = std::fs::read_to_string(html).unwrap();
    let copy = html.with_extension("measured.html");
    std::fs::write(&copy, page.replace("</body>", &format!("{MEASURE}</body>"))).unwrap();
    let o = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--window-size={width},900"))
        .arg(format!("--user-data-dir={}", html.with_extension("screen-profile").display()))
        .arg(format!("file://{}", copy.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let start = dom
        .find("data-widest=\"")
        .unwrap_or_else(|| panic!("{browser} measured nothing: {}", &dom[..dom.len().min(300)]));
    let value = &dom[start + 13..];
    let mut parts = value[..value.find('"').unwrap()].split(' ').map(|v| v.parse::<f64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

/// The text of a printed page with its lines joined (a sentence may wrap anywhere).
fn joined(pdf_text: &str) -> String {
    pdf_text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn printed_reports_keep_every_column_on_the_page_and_fit_a_few_pages() {
    let Some((store, class, other)) = sessions() else { return };
    let Some(browser) = chromium().filter(|_| Command::new("pdftotext").arg("-v").output().is_ok()) else {
        assert!(
            std::env::var_os("EMOTRACE_REQUIRE_CHROMIUM").is_none(),
            "EMOTRACE_REQUIRE_CHROMIUM is set but chromium or pdftotext is missing"
        );
        eprintln!("skipped: chromium and pdftotext (poppler-utils) are needed to print the report");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, report_page) = page(store, dir.path(), "class.html", &["report", class]);
    let text = printed(browser, &report);
    // The shares table: 29-30 faces and the class, 12 columns (face-frames, 7 emotions, dominant, valence, facing).
    assert_rows_printed(&report_page, &text, "shares");
    // The changes table's emotion cell carries a colour swatch, which pdftotext may set a line lower: its header.
    assert_header_printed(&report_page, &text, "changes");
    // A 10 s clip of 29 faces: 30 face plots three to a row, the tables, the trust text (it printed 14-15 pages).
    let pages = text.matches('\u{c}').count();
    assert!((2..=7).contains(&pages), "the classroom report prints as {pages} pages");
    // Issue 26, item 8: where the tool may be used, on paper too.
    assert!(joined(&text).contains("Article 5(1)(f)"), "the printed report has no lawful-use text");
    assert!(report_page.contains("<h3 id=\"lawful-use\">Lawful use</h3>"), "the report's lawful-use section");
    let (compare, compare_page) = page(store, dir.path(), "compare.html", &["compare", class, other]);
    let text = printed(browser, &compare);
    assert_rows_printed(&compare_page, &text, "overview");
    assert!(joined(&text).contains("Article 5(1)(f)"), "the printed compare page has no lawful-use text");
    // On screen, 1280 pixels wide (a laptop): every column of every table in the window, none behind a scroll bar
    // (the compare page's sessions table was wider than 1280 px and hid its neutral column).
    for html in [&report, &compare] {
        let (right, window) = widest_cell_on_screen(browser, html, 1280);
        eprintln!("{}: the widest table cell reaches {right} px of a {window} px window", html.display());
        assert!(right <= window, "{}: a table cell reaches {right} px in a {window} px window", html.display());
    }
}

/// The seat map's label texts and their centres, as the SVG places them.
fn seat_labels(page: &str) -> Vec<(String, f64, f64)> {
    let start = page.find("<figure id=\"seat-map\">").expect("no seat map");
    let map = &page[start..start + page[start..].find("</figure>").unwrap()];
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
    };
    map.split("<text")
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>').unwrap()];
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            // The caption under the map is not a label.
            (!body.contains("camera")).then(|| (text_of(body), attr(tag, "x"), attr(tag, "y")))
        })
        .collect()
}

#[test]
fn the_seat_map_labels_every_face_without_covering_another_label() {
    let Some((store, class, _)) = sessions() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, report_page) = page(store, dir.path(), "class.html", &["report", class]);
    let labels = seat_labels(&report_page);
    let faces = rows(&report_page, "shares").len() - 1;
    assert_eq!(labels.len(), faces, "one label per face: {labels:?}");
    // Text boxes as the SVG draws them (13 px font: at most 8 px per character, 14 px high), centred on (x, y).
    let boxes: Vec<[f64; 4]> = labels
        .iter()
        .map(|(t, x, y)| {
            let w = t.chars().count() as f64 * 8.0;
            [x - w / 2.0, y - 7.0, x + w / 2.0, y + 7.0]
        })
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            let apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
            assert!(apart, "labels {:?} and {:?} overlap", labels[i], labels[j]);
        }
    }
    // Face captions keep each part on one line ("in view 0 s–19.6 s" wrapped inside a time).
    assert!(report_page.contains("<span class=\"nw\">in view "), "captions without unbreakable parts");
}

#[test]
fn a_photo_gets_a_table_of_its_faces_not_time_plots() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let photo = run_json(&store, &["analyze", recording("multi_face.jpg").to_str().unwrap(), "--json"]);
    let id = photo["session"].as_str().unwrap();
    let (_, report_page) = page(&store, dir.path(), "photo.html", &["report", id]);
    for timeline in ["class-timeline", "valence", "facing", "faces-in-view"] {
        assert!(!report_page.contains(&format!("<figure id=\"{timeline}\">")), "a photo's report has {timeline}");
    }
    assert!(!report_page.contains("class=\"face\""), "a photo's report has per-face time plots");
    let faces = rows(&report_page, "photo-faces");
    assert_eq!(faces.len() as u64, photo["tracks"].as_u64().unwrap(), "one row per face");
    for row in &faces {
        // face, the 7 probabilities, emotion, valence, facing.
        assert_eq!(row.len(), 11, "{row:?}");
        let sum: f64 = row[1..8].iter().map(|c| c.trim_end_matches('%').parse::<f64>().unwrap()).sum();
        assert!((sum - 100.0).abs() < 0.5, "probabilities of {} sum to {sum}%", row[0]);
        let best = (1..8)
            .max_by(|&a, &b| {
                row[a]
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .unwrap()
                    .total_cmp(&row[b].trim_end_matches('%').parse::<f64>().unwrap())
            })
            .unwrap();
        let header = ["", "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];
        assert_eq!(row[8], header[best], "{row:?}");
    }
    assert!(report_page.contains("<figure id=\"seat-map\">"), "a photo keeps its seat map");
}
