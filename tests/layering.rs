//! The house's dependency rule, checked from the source: the engine modules form a one-way chain and none of
//! them reaches a front end.
//!
//! Every `crate::NAME` path in `src/` (in `use` lines, grouped `use crate::{a, b}` lines and inline paths such
//! as `crate::store::timeline::TrackAgg::default()`) is read as "the file's top-level module depends on
//! `NAME`". The engine, in the order a frame travels:
//!
//! `capture` < `detect` < `track` < `classify` < `pipeline` < `store` < `analytics` < `config`
//!
//! An engine module may depend only on modules before it in that chain, and on the leaf helpers (`nn`, `text`,
//! `fmt`), which depend on nothing in the crate. Front ends (`tui`, `report`, `commands`, `cli`) may depend
//! on anything; nothing in the engine may depend on them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The engine chain, lowest first.
const ENGINE: [&str; 8] = ["capture", "detect", "track", "classify", "pipeline", "store", "analytics", "config"];
/// Helpers that any module may use and that use nothing of the crate.
const LEAVES: [&str; 3] = ["nn", "text", "fmt"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/store/session.rs` -> `store`), `None` for the crate roots.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The top-level modules named right after `crate::` in `text` (grouped `crate::{a::x, b}` gives `a`, `b`).
fn crate_deps(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before_ok = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
            rest = &rest[i + "crate::".len()..];
            if !before_ok {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // Top-level names of the group: split at commas outside nested braces.
                let mut depth = 0;
                let mut start = 0;
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            out.insert(ident(group[start..j].trim()));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.insert(ident(group[start..j].trim()));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|d| !d.is_empty());
    out
}

/// Every `(file, module, dependency)` that breaks the rule.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let rank = |m: &str| ENGINE.iter().position(|e| *e == m);
    let mut bad = Vec::new();
    for file in files {
        let Some(module) = module_of(src, &file) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for dep in crate_deps(&text) {
            if dep == module {
                continue;
            }
            let ok = if LEAVES.contains(&module.as_str()) {
                false
            } else if let Some(r) = rank(&module) {
                LEAVES.contains(&dep.as_str()) || rank(&dep).is_some_and(|d| d < r)
            } else {
                true
            };
            if !ok {
                bad.push(format!("{}: {module} depends on {dep}", file.display()));
            }
        }
    }
    bad
}

#[test]
fn engine_modules_form_a_one_way_chain_and_know_no_front_end() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(bad.is_empty(), "dependencies against the house rule (see tests/layering.rs):\n{}", bad.join("\n"));
    // The rule covers every top-level module: a new one must be placed in the chain, among the leaves, or
    // among the front ends.
    let known: Vec<&str> = ENGINE.iter().chain(&LEAVES).copied().chain(["tui", "report", "commands", "cli"]).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        if let Some(m) = module_of(&src, f) {
            assert!(known.contains(&m.as_str()), "{}: module {m} is not placed in tests/layering.rs", f.display());
        }
    }
}

#[test]
fn the_checker_sees_plain_grouped_and_inline_paths() {
    let deps = crate_deps(
        "use crate::store::FrameRecord;\nuse crate::{tui::Theme, classify::{Emotion, Probs}};\n\
         let a = crate::report::x(); // crate::cli is only a comment\n$crate::ignored\n",
    );
    assert_eq!(deps, BTreeSet::from(["store", "tui", "classify", "report"].map(String::from)));
    // A circle and a front-end import are both caught.
    let dir = std::env::temp_dir().join(format!("emotrace-layering-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("store")).unwrap();
    std::fs::create_dir_all(dir.join("capture")).unwrap();
    std::fs::write(dir.join("store/session.rs"), "use crate::analytics::timeline::Bucket;\n").unwrap();
    std::fs::write(dir.join("capture/mod.rs"), "use crate::tui::Theme;\nuse crate::text::clean_label;\n").unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod tui;\n").unwrap();
    let bad = violations(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].ends_with("capture depends on tui"), "{bad:?}");
    assert!(bad[1].ends_with("store depends on analytics"), "{bad:?}");
}
