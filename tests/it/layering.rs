//! The house's dependency rule, checked from the source: the engine modules form a one-way chain and none of
//! them reaches a front end.
//!
//! Every `crate::NAME` path in `src/` (in `use` lines, grouped `use crate::{a, b}` lines and inline paths such
//! as `crate::store::timeline::TrackAgg::default()`) is read as "the file's top-level module depends on
//! `NAME`". The engine, in the order a frame travels:
//!
//! `capture` < `detect` < `track` < `classify` < `face` < `pipeline` < `store` < `analytics` < `config`
//!
//! An engine module may depend only on modules before it in that chain, and on the leaf helpers (`nn`, `text`,
//! `fmt`), which depend on nothing in the crate. The library's front ends (`tui`, `report`, `api`) may depend on the
//! engine but not on each other; the binary's modules (`commands`, `cli`) may depend on anything; nothing in the
//! engine may depend on them. Separately, no two sibling modules at any depth may import each other (a circle).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The engine chain, lowest first.
const ENGINE: [&str; 9] =
    ["capture", "detect", "track", "classify", "face", "pipeline", "store", "analytics", "config"];
/// Helpers that any module may use and that use nothing of the crate.
const LEAVES: [&str; 4] = ["nn", "text", "fmt", "lawful_use"];
/// The library's front ends: each renders the engine's views and knows nothing of the other.
const FRONT_ENDS: [&str; 3] = ["tui", "report", "api"];
/// The binary's modules (command line, subcommands), which may use anything.
const BINARY: [&str; 2] = ["commands", "cli"];

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

/// The items of a brace group, `group` being the text after its `{`: split at commas outside nested braces, up
/// to the closing brace, trimmed.
fn group_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (j, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(group[start..j].trim());
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..j].trim());
                start = j + 1;
            }
            _ => {}
        }
    }
    items
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
                out.extend(group_items(group).into_iter().map(ident));
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
            } else if FRONT_ENDS.contains(&module.as_str()) {
                !FRONT_ENDS.contains(&dep.as_str())
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
fn engine_modules_form_a_one_way_chain_and_front_ends_stay_apart() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(bad.is_empty(), "dependencies against the house rule (see tests/it/layering.rs):\n{}", bad.join("\n"));
    // The rule covers every top-level module: a new one must be placed in the chain, among the leaves, or
    // among the front ends.
    let known: Vec<&str> = ENGINE.iter().chain(&LEAVES).chain(&FRONT_ENDS).chain(&BINARY).copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        if let Some(m) = module_of(&src, f) {
            assert!(known.contains(&m.as_str()), "{}: module {m} is not placed in tests/it/layering.rs", f.display());
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
    // A circle, an engine module reaching a front end and one front end reaching the other are all caught.
    let dir = std::env::temp_dir().join(format!("emotrace-layering-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("store")).unwrap();
    std::fs::create_dir_all(dir.join("capture")).unwrap();
    std::fs::create_dir_all(dir.join("report")).unwrap();
    std::fs::write(
        dir.join("report/compare.rs"),
        "use crate::tui::review::render::level_char;
",
    )
    .unwrap();
    std::fs::write(dir.join("store/session.rs"), "use crate::analytics::timeline::Bucket;\n").unwrap();
    std::fs::write(dir.join("capture/mod.rs"), "use crate::tui::Theme;\nuse crate::text::clean_label;\n").unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod tui;\n").unwrap();
    let bad = violations(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(bad[0].ends_with("capture depends on tui"), "{bad:?}");
    assert!(bad[1].ends_with("report depends on tui"), "{bad:?}");
    assert!(bad[2].ends_with("store depends on analytics"), "{bad:?}");
}

/// A file's module path: `src/tui/review/app.rs` -> `["tui", "review", "app"]`, `src/store/session/mod.rs` ->
/// `["store", "session"]`; the crate roots give `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_str().unwrap().to_string()).collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap();
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Every module path a file's code names, absolute (`crate::a::b`, `super::c` and `self::d` resolved from the
/// file's module `here`; brace groups expanded), as segment lists.
fn paths_named(text: &str, here: &[String]) -> Vec<Vec<String>> {
    fn expand(rest: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut segs = prefix;
        let mut rest = rest;
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                for item in group_items(group) {
                    expand(item, segs.clone(), out);
                }
                return;
            }
            let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if ident.is_empty() {
                break;
            }
            segs.push(ident.clone());
            rest = &rest[ident.len()..];
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        out.push(segs);
    }
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("::") {
            let before = &code[..i];
            let word: String =
                before.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
            let word: String = word.chars().rev().collect();
            let start = i - word.len();
            if start > 0 && code[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
                continue;
            }
            let base: Vec<String> = match word.as_str() {
                "crate" => Vec::new(),
                "self" => here.to_vec(),
                "super" => {
                    // `super` is the parent of the file's module (`mod.rs` is its folder's module).
                    let mut p = here.to_vec();
                    p.pop();
                    p
                }
                _ => continue,
            };
            expand(&code[i + 2..], base, &mut out);
        }
    }
    out
}

/// Import circles between sibling modules: `a` names `b` (or anything inside it) and `b` names `a`, where `a`
/// and `b` are children of one module (`tui::review::app` and `tui::review::render`, `store::record` and
/// `store::session`). A parent naming its children, or a child naming its parent, is not a circle.
fn circles(src: &Path) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(src, f)).collect();
    // (parent, child a, child b): a names b.
    let mut edges: BTreeMap<(Vec<String>, String, String), String> = BTreeMap::new();
    for file in &files {
        let here = module_path(src, file);
        let text = std::fs::read_to_string(file).unwrap();
        for path in paths_named(&text, &here) {
            // The deepest module the path names.
            let Some(target) = (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p)) else {
                continue;
            };
            // The common parent of `here` and `target`, and the children of it that each lies in.
            let common = here.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= here.len() || common >= target.len() {
                continue;
            }
            let key = (here[..common].to_vec(), here[common].clone(), target[common].clone());
            edges.entry(key).or_insert_with(|| file.display().to_string());
        }
    }
    let mut out = Vec::new();
    for ((parent, a, b), file) in &edges {
        if a < b {
            if let Some(back) = edges.get(&(parent.clone(), b.clone(), a.clone())) {
                out.push(format!("{}: {a} <-> {b} ({file} and {back})", parent.join("::")));
            }
        }
    }
    out
}

#[test]
fn no_import_circle_between_sibling_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = circles(&src);
    assert!(found.is_empty(), "import circles (see tests/it/layering.rs):\n{}", found.join("\n"));
}

#[test]
fn the_circle_checker_sees_super_and_grouped_paths() {
    let dir = std::env::temp_dir().join(format!("emotrace-circles-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tui/review/render")).unwrap();
    std::fs::create_dir_all(dir.join("store/session")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod tui;\npub mod store;\n").unwrap();
    std::fs::write(dir.join("tui/mod.rs"), "pub mod review;\n").unwrap();
    std::fs::write(dir.join("tui/review/mod.rs"), "pub mod app;\npub mod render;\nuse self::app::App;\n").unwrap();
    std::fs::write(dir.join("tui/review/app.rs"), "use super::render::{LABEL_W, MIN_SIZE};\n").unwrap();
    std::fs::write(dir.join("tui/review/render/mod.rs"), "mod seats;\n").unwrap();
    std::fs::write(dir.join("tui/review/render/seats.rs"), "use crate::tui::review::{app::App, view};\n").unwrap();
    std::fs::write(dir.join("store/mod.rs"), "pub mod record;\npub mod session;\n").unwrap();
    std::fs::write(dir.join("store/record.rs"), "let p = dir.join(super::session::SESSION_JSON);\n").unwrap();
    std::fs::write(dir.join("store/session/mod.rs"), "use super::record::SessionRecord;\n").unwrap();
    let found = circles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("store: record <-> session"), "{found:?}");
    assert!(found[1].starts_with("tui::review: app <-> render"), "{found:?}");
}
