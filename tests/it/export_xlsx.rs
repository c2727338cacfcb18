//! `export --format xlsx` (issue 26, item 1) read by the programs spreadsheet users have: openpyxl reads typed
//! cells, a frozen bold header row on every sheet, names with accents as they were and no formula anywhere (a label
//! `=1+1` stays text); LibreOffice Calc opens it headless, converts its sheets to CSV with the names intact and the
//! label as text, and saves it again as xlsx without a formula.
//!
//! The CSV export (issue 26, item 1) through LibreOffice's command line as the README documents it
//! (`--infilter=CSV:44,34,76`, UTF-8): with `--bom` both files start with the mark, A1 is `session_id` (the mark is
//! not read into it), names keep their accents, and a label `=1+1` stays text.
//!
//! openpyxl runs in the test venv (see `export_tools`). LibreOffice (`soffice`, Debian's `libreoffice-calc-nogui`)
//! is optional here: without it that part is skipped with a note, unless `EMOTRACE_REQUIRE_SOFFICE` is set, as CI
//! sets it (CI installs it).

use crate::common::*;
use crate::export_tools::run_py;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `soffice`, or `None` (after a note) when LibreOffice is not installed and not required.
fn soffice() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("soffice")).find(|p| p.is_file()));
    if found.is_none() {
        assert!(
            std::env::var_os("EMOTRACE_REQUIRE_SOFFICE").is_none(),
            "soffice missing: install libreoffice-calc-nogui"
        );
        eprintln!("skipped: LibreOffice (soffice) is not installed (Debian: libreoffice-calc-nogui)");
    }
    found
}

/// `soffice --headless [--infilter=INFILTER] --convert-to TO FILE --outdir DIR` with a profile of its own (tests
/// run in parallel, and a shared profile is locked by the first instance).
fn convert(soffice: &Path, infilter: Option<&str>, to: &str, file: &Path, dir: &Path) {
    let profile = format!("file://{}", dir.join("lo-profile").display());
    let out = Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile}"))
        .arg("--headless")
        .args(infilter.map(|f| format!("--infilter={f}")))
        .args(["--convert-to", to, "--outdir"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("run soffice");
    assert!(out.status.success(), "soffice {to}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let stem = file.file_stem().unwrap().to_str().unwrap();
    let ext = to.split(':').next().unwrap();
    let made = std::fs::read_dir(dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(stem));
    assert!(made, "soffice wrote no {stem}*.{ext}: {}", String::from_utf8_lossy(&out.stdout));
}

/// Analyses `recordings/single_face.mp4` into a new store and annotates it as a spreadsheet user's data would be
/// (the face named `Zoë Müller`, a marker `=1+1` at 1 s, a note `@SUM(A1:A2) über` from 0.5 to 1.5 s), then
/// exports it with `export ID ARGS --out DIR/FILE`. Returns (the folder, the store, the session id, DIR/FILE).
fn annotated_export(args: &[&str], file: &str) -> (tempfile::TempDir, PathBuf, String, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let report = run_json(&store, &["analyze", recording("single_face.mp4").to_str().unwrap(), "--json"]);
    let id = report["session"].as_str().unwrap().to_string();
    let path = dir.path().join(file);
    let mut export = vec!["export", &id];
    export.extend(args);
    export.extend(["--out", path.to_str().unwrap()]);
    for args in [
        vec!["annotate", &id, "--name", "1", "Zoë Müller"],
        vec!["annotate", &id, "--marker", "=1+1", "--at", "1"],
        vec!["annotate", &id, "--note", "@SUM(A1:A2) über", "--from", "0.5", "--to", "1.5"],
        export,
    ] {
        let out = run(&store, &args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    (dir, store, id, path)
}

#[test]
fn the_xlsx_export_has_typed_cells_and_names_as_text_in_openpyxl_and_libreoffice() {
    let (dir, store, id, xlsx) = annotated_export(&["--format", "xlsx"], "s.xlsx");
    // Binary: not onto a terminal, but through a pipe the same bytes' workbook (zip).
    let piped = run(&store, &["export", &id, "--format", "xlsx"]);
    assert!(piped.status.success() && piped.stdout.starts_with(b"PK"));
    let listed = sessions(&store)[0].clone();
    let observations = listed["observations"].as_u64().unwrap();

    let Some(py) = python() else { return };
    let check =
        |file: &Path| -> serde_json::Value { serde_json::from_str(&run_py(&py, "check_xlsx.py", &[file])).unwrap() };
    let v = check(&xlsx);
    assert_eq!(v["sheets"], serde_json::json!(["observations", "faces", "markers and notes", "session"]), "{v}");
    for sheet in ["observations", "faces", "markers and notes", "session"] {
        assert_eq!(v["frozen"][sheet], "A2", "{sheet}: {v}");
        assert_eq!(v["bold_header"][sheet], true, "{sheet}: {v}");
    }
    assert_eq!(v["rows"]["observations"], observations, "{v}");
    assert_eq!(v["headers"]["observations"][4], "track_name");
    assert_eq!(v["formulas"], serde_json::json!([]), "{v}");
    let types = &v["types"];
    for (column, ty) in [
        ("timestamp_ms", "int"),
        ("frame_index", "int"),
        ("x", "int"),
        ("happy", "float"),
        ("frame_rate", "int"),
        ("classified", "bool"),
        ("track_name", "str"),
        ("dominant_emotion", "str"),
    ] {
        assert_eq!(types[column], ty, "{column}: {v}");
    }
    assert_eq!(v["first"]["track_name"], "Zoë Müller", "{v}");
    assert_eq!(v["first"]["frame_rate"], 30, "{v}");
    assert_eq!(v["faces"], serde_json::json!([[1, "Zoë Müller", true]]), "{v}");
    assert_eq!(
        v["annotations"],
        serde_json::json!([["marker", 1000, null, "=1+1"], ["note", 500, 1500, "@SUM(A1:A2) über"]]),
        "{v}"
    );
    assert_eq!(v["session"]["id"], id.as_str(), "{v}");
    assert_eq!(v["session"]["frame_rate"], 30, "{v}");
    let processed = &listed["stats"]["frames_processed"];
    assert!(processed.as_u64() > Some(0) && v["session"]["stats.frames_processed"] == *processed, "figures: {v}");
    let happy = v["session"]["emotion_shares.happy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&happy), "{v}");

    // LibreOffice: every sheet to CSV (UTF-8), and the workbook saved again as xlsx.
    let Some(soffice) = soffice() else { return };
    let csv_dir = dir.path().join("csv");
    // Filter options: comma, double quote, UTF-8 (76), first line 1, ..., sheet -1 = every sheet, one file each.
    convert(
        &soffice,
        None,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        &xlsx,
        &csv_dir,
    );
    let obs = std::fs::read_to_string(csv_dir.join("s-observations.csv")).unwrap();
    assert_eq!(obs.lines().count() as u64, observations + 1);
    assert!(obs.lines().nth(1).unwrap().contains(",Zoë Müller,"), "{}", obs.lines().nth(1).unwrap());
    let notes = std::fs::read_to_string(csv_dir.join("s-markers and notes.csv")).unwrap();
    assert!(notes.contains(",=1+1,") && notes.contains("@SUM(A1:A2) über"), "a formula would show its value: {notes}");
    let again = dir.path().join("again");
    convert(&soffice, None, "xlsx", &xlsx, &again);
    let v = check(&again.join("s.xlsx"));
    // LibreOffice writes a boolean cell (`classified`, `named`) as the formula =TRUE() or =FALSE(); no other formula.
    let formulas = v["formulas"].as_array().unwrap();
    assert!(formulas.iter().all(|f| f == "=TRUE()" || f == "=FALSE()"), "{v}");
    assert_eq!(v["faces"][0][1], "Zoë Müller", "{v}");
    assert_eq!(v["annotations"][0][3], "=1+1", "{v}");
    assert_eq!(v["types"]["happy"], "float", "{v}");
}

#[test]
fn the_csv_export_with_a_bom_reads_as_utf8_in_libreoffice_with_the_documented_filter() {
    let (dir, _store, id, csv) = annotated_export(&["--format", "csv", "--bom"], "s.csv");
    let annotations = dir.path().join("s.annotations.csv");
    for file in [&csv, &annotations] {
        assert!(std::fs::read(file).unwrap().starts_with(b"\xEF\xBB\xBF"), "{}: no byte-order mark", file.display());
    }

    let Some(py) = python() else { return };
    let Some(soffice) = soffice() else { return };
    // The README's command: comma, double quote, 76 = UTF-8.
    let lo = dir.path().join("lo");
    let cells = |file: &Path| -> serde_json::Value {
        convert(&soffice, Some("CSV:44,34,76"), "xlsx", file, &lo);
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let v: serde_json::Value = serde_json::from_str(&run_py(
            &py,
            "check_xlsx.py",
            &[Path::new("--cells"), &lo.join(format!("{stem}.xlsx"))],
        ))
        .unwrap();
        assert_eq!(v["formulas"], serde_json::json!([]), "{}: {v}", file.display());
        v["cells"].clone()
    };
    let obs = cells(&csv);
    assert_eq!(obs[0][0], "session_id", "the mark is not read into A1");
    assert_eq!(obs[0][4], "track_name");
    assert_eq!(obs[1][0], id.as_str());
    assert_eq!(obs[1][4], "Zoë Müller", "accents as UTF-8");
    let notes = cells(&annotations);
    assert_eq!(notes[0][0], "id", "the mark is not read into A1");
    let labels: Vec<&serde_json::Value> = notes.as_array().unwrap()[1..].iter().map(|r| &r[4]).collect();
    // The CSV's leading ' keeps both labels text (no formula, counted above); Calc shows it as typed.
    assert_eq!(labels, ["'=1+1", "'@SUM(A1:A2) über"], "{notes}");
}
