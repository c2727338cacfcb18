//! Command-line conventions: shell completions and the manual page from the real binary, `sessions` newest first,
//! configuration values printed as written, and broken configuration files reported in our words (the file, the
//! line, the key, what is wrong).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;

/// The subcommands a user types, as the README's command table lists them.
const SUBCOMMANDS: [&str; 15] = [
    "live",
    "analyze",
    "sessions",
    "export",
    "annotate",
    "review",
    "report",
    "compare",
    "probe",
    "devices",
    "eval",
    "config",
    "send",
    "completions",
    "man",
];

/// `emotrace ARGS...` with no store or config, asserting success; stdout.
fn stdout_of(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(out.status.success(), "emotrace {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Bash loads the completion script and completes `words` (the last one being typed); the candidates.
fn bash_completes(script: &Path, store: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let probe = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_TYPE=9; _clap_complete_emotrace emotrace {} {}; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        quoted.last().unwrap(),
        quoted[words.len() - 2],
    );
    let out = Command::new("bash").args(["--norc", "-c", &probe]).env("EMOTRACE_STORE", store).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn completions_for_bash_zsh_and_fish_ask_the_binary_for_subcommands_options_and_session_ids() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("COMPLETE") && script.contains("emotrace"), "{shell}: not a registration:\n{script}");
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let stored = run_json(&store, &["analyze", recording("single_face.jpg").to_str().unwrap(), "--json"]);
    let id = stored["session"].as_str().unwrap();
    // bash itself loads the script and completes, asking the binary at each Tab.
    let file = dir.path().join("emotrace.bash");
    std::fs::write(&file, stdout_of(&["completions", "bash"])).unwrap();
    assert!(bash_completes(&file, &store, &["emotrace", "an"]).contains(&"analyze".to_string()));
    assert!(bash_completes(&file, &store, &["emotrace", "analyze", "--jo"]).contains(&"--jobs".to_string()));
    for words in [&["emotrace", "review", ""][..], &["emotrace", "report", ""], &["emotrace", "export", ""]] {
        let offered = bash_completes(&file, &store, words);
        assert!(offered.iter().any(|c| c == id), "{words:?}: {offered:?} lacks the stored session {id}");
    }
    // fish's protocol gives the session's status and source as help beside the id.
    let out = Command::new(bin())
        .args(["--", "emotrace", "compare", ""])
        .env("COMPLETE", "fish")
        .env("EMOTRACE_STORE", &store)
        .output()
        .unwrap();
    let offered = String::from_utf8_lossy(&out.stdout);
    assert!(offered.lines().any(|l| l.starts_with(id) && l.contains("single_face.jpg")), "{offered}");
    // An unreadable store offers no session and says nothing (a Tab must never print an error into the prompt):
    // only review's options are left to offer.
    let none = dir.path().join("no-store");
    let offered = bash_completes(&file, &none, &["emotrace", "review", ""]);
    assert!(!offered.is_empty() && offered.iter().all(|c| c.starts_with("--")), "{offered:?}");
}

#[test]
fn the_manual_page_is_roff_naming_every_subcommand_and_pages_can_be_written_per_subcommand() {
    let page = stdout_of(&["man"]);
    // Headings as roff reads them (`.SH "SEE ALSO"` is `.SH SEE ALSO`).
    let unquoted = page.replace('"', "");
    assert!(page.contains(".TH emotrace 1"), "no roff title: {}", &page[..page.len().min(300)]);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SEE ALSO"] {
        assert!(unquoted.contains(section), "no {section}");
    }
    for sub in SUBCOMMANDS {
        assert!(page.contains(&format!("emotrace\\-{sub}(1)")), "the page does not list '{sub}'");
        // Issue 26, item 6: one page with every subcommand's options, not a list of other pages.
        assert!(unquoted.contains(&format!(".SS emotrace {sub}\n")), "no section for '{sub}'");
    }
    for section in [".SH COMMANDS", ".SH KEY BINDINGS", ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH LAWFUL USE"] {
        assert!(unquoted.contains(section), "no {section}");
    }
    // Options of subcommands, keys of both screens (from the tables the help overlays draw), the exit codes.
    for text in
        ["\\-\\-jobs", "\\-\\-realtime", "\\-\\-format", "merge the selected face", "name the selected face", "130"]
    {
        assert!(page.contains(text), "the page lacks {text}");
    }
    assert!(page.contains("Article 5(1)(f)"), "no lawful-use text");
    // clap's implicit help subcommand has no page: none is referred to (it was 'emotrace-help(1)').
    assert!(!page.contains("emotrace\\-help"), "the page refers to emotrace-help(1)");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin()).args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for sub in SUBCOMMANDS {
        let p = dir.path().join(format!("emotrace-{sub}.1"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(text.contains(&format!(".TH emotrace-{sub} 1")), "{}", p.display());
    }
    // Every page the main page refers to is written, and no other.
    let written = std::fs::read_to_string(dir.path().join("emotrace.1")).unwrap();
    assert_eq!(written, page, "emotrace.1 in --dir is not the page on stdout");
    assert!(!dir.path().join("emotrace-help.1").exists(), "emotrace-help.1 written");
    let analyze = std::fs::read_to_string(dir.path().join("emotrace-analyze.1")).unwrap();
    assert!(analyze.contains("\\-\\-jobs"), "the analyze page lacks --jobs");
    // Issue 25, item 14: manual pages are readable by everyone (they were written 0600 under the private umask).
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("emotrace.1")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "emotrace.1 is {mode:o}");
    // A file where the folder should be: one line naming it (it said "cannot create: File exists").
    let file = dir.path().join("emotrace.1");
    let out = Command::new(bin()).args(["man", "--dir"]).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a folder") && stderr.trim_end().lines().count() == 1, "{stderr}");
    // man(1) itself renders it, when man is installed.
    if let Ok(out) = Command::new("man").arg(dir.path().join("emotrace.1")).env("MANPAGER", "cat").output() {
        if out.status.success() {
            let shown = String::from_utf8_lossy(&out.stdout);
            for sub in SUBCOMMANDS {
                assert!(shown.contains(&format!("emotrace {sub}")), "man shows no 'emotrace {sub}'");
            }
        }
    }
}

#[test]
fn sessions_are_listed_newest_first_as_in_review() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = run_json(&store, &["analyze", recording("single_face.jpg").to_str().unwrap(), "--json"]);
    let second = run_json(&store, &["analyze", recording("multi_face.jpg").to_str().unwrap(), "--json"]);
    let ids: Vec<String> = sessions(&store).iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, [second["session"].as_str().unwrap(), first["session"].as_str().unwrap()]);
    let out = run(&store, &["sessions"]);
    let table = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains("multi_face.jpg") && rows[1].contains("single_face.jpg"), "{table}");
}

/// `emotrace --config FILE config` with `text` in FILE; its output.
fn config_with(dir: &Path, name: &str, text: &str) -> std::process::Output {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    Command::new(bin()).arg("--config").arg(&file).arg("config").output().unwrap()
}

#[test]
fn configuration_values_are_printed_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "[detect]\nmin_face_px = 24.2\n[detect.seeta]\npyramid_scale_factor = 0.85\n[track]\niou_threshold = 0.35\n";
    let out = config_with(dir.path(), "mine.toml", text);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8(out.stdout).unwrap();
    for line in ["min_face_px = 24.2", "pyramid_scale_factor = 0.85", "iou_threshold = 0.35", "nms_iou = 0.3"] {
        assert!(shown.lines().any(|l| l == line), "'{line}' not printed as written:\n{shown}");
    }
    // Every number printed is the shortest form of its value (no 0.800000011920929).
    for l in shown.lines() {
        assert!(!l.contains("0000000") && !l.contains("9999999"), "{l}");
    }
    // What `config` prints is itself a configuration file that gives the same configuration.
    let again = config_with(dir.path(), "again.toml", &shown);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), shown);
}

#[test]
fn a_broken_config_file_names_the_file_the_line_the_key_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // (file text, words the one line must hold)
    let cases: [(&str, &[&str]); 6] = [
        ("[detect\nscale = 0.5\n", &["line 1, column 8", "invalid TOML", "table header"]),
        ("# lab settings\n[detect]\nscael = 0.5\n", &["line 3", "`detect.scael`", "unknown key", "scale"]),
        ("[detect.yunet]\n\nscore_threshold = \"high\"\n", &["line 3", "`detect.yunet.score_threshold`", "wrong type"]),
        ("[classify]\nmodel = \"gpt\"\n", &["line 2", "`classify.model`", "unknown value `gpt`", "ensemble"]),
        ("[tui]\nui_fps = 5\n[room]\nseats = 30\n", &["line 3", "`room`", "unknown key", "tui"]),
        ("detect.yunet.nms_iou = 0.4\n[track]\nmin_hits = -2\n", &["line 3", "`track.min_hits`"]),
    ];
    for (i, (text, words)) in cases.iter().enumerate() {
        let name = format!("broken-{i}.toml");
        let out = config_with(dir.path(), &name, text);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{text}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
        assert!(err.contains(&name), "{text}: the file is not named: {err}");
        for w in *words {
            assert!(err.contains(w), "{text}: '{w}' missing from: {err}");
        }
        for loader in ["TOML source string", "figment", "default profile", "for key"] {
            assert!(!err.contains(loader), "{text}: the loader's wording '{loader}' leaked: {err}");
        }
        assert!(out.stdout.is_empty());
    }
}
