//! `emotrace man`: the manual page emotrace(1), generated from the command-line definition ([`crate::cli::Cli`]) by
//! `clap_mangen` so it never falls behind it, with the sections clap does not know: every subcommand's options,
//! the key bindings of the live and review screens (the tables their help overlays draw), the environment, the
//! files, the exit status and lawful use.

use anyhow::Context;
use clap::CommandFactory;
use roff::{bold, italic, roman, Roff};

use super::Outcome;
use crate::cli::{Cli, ManArgs};

/// The command line as the manual describes it: clap's implicit `help` subcommand is left out (`emotrace help X`
/// still works; `emotrace X --help` is the documented form), so no page refers to an emotrace-help(1) that
/// `man --dir` does not write.
fn command() -> clap::Command {
    Cli::command().disable_help_subcommand(true)
}

/// Writes the manual page emotrace(1) in roff to stdout (`emotrace man > emotrace.1; man ./emotrace.1`): name,
/// synopsis, global options, then every subcommand with its synopsis and options, key bindings, environment,
/// files, exit status, lawful use and the per-subcommand pages. With `args.dir`, writes `emotrace.1` (this page)
/// and one page per subcommand (`emotrace-live.1`, `emotrace-analyze.1`, ...) into that folder instead (created
/// if missing, mode 0755; pages 0644), and names them on stderr.
///
/// Errors: stdout, the folder or a page cannot be written; `args.dir` is a file.
pub fn man(args: &ManArgs) -> anyhow::Result<Outcome> {
    let page = one_page()?;
    match &args.dir {
        None => {
            super::output::print_stdout(&page)?;
            Ok(Outcome::Done)
        }
        Some(dir) => {
            use std::os::unix::fs::PermissionsExt;
            anyhow::ensure!(
                !dir.exists() || dir.is_dir(),
                "{}: not a folder (give --dir the folder the manual pages go to)",
                dir.display()
            );
            let created = !dir.exists();
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            // Manual pages are documentation, not data: readable by everyone (0644, and 0755 for a folder made
            // here), whatever the private umask everything else is written with.
            if created {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("{}: cannot set the folder's mode", dir.display()))?;
            }
            clap_mangen::generate_to(command(), dir)
                .with_context(|| format!("{}: cannot write the pages", dir.display()))?;
            // The main page is the full one, not clap's short list of subcommands.
            let main = dir.join("emotrace.1");
            std::fs::write(&main, &page).with_context(|| format!("{}: cannot write", main.display()))?;
            for entry in std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("emotrace") && name.ends_with(".1") {
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644))
                        .with_context(|| format!("{}: cannot set the page's mode", entry.path().display()))?;
                }
            }
            let note = format!("wrote the manual pages (emotrace.1, emotrace-SUBCOMMAND.1) to {}", dir.display());
            eprintln!("{}", emotrace::text::terminal_safe(&note));
            Ok(Outcome::Done)
        }
    }
}

/// emotrace(1) in roff.
///
/// Errors: none in practice (rendering writes to memory); an I/O error from `clap_mangen` is passed on.
pub fn one_page() -> anyhow::Result<String> {
    let cmd = command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = String::from_utf8(out)?;

    page.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page.push_str(&subcommand_section(&cmd, sub)?);
    }

    let mut r = Roff::new();
    r.control("SH", ["KEY BINDINGS"]);
    key_table(&mut r, "emotrace live", emotrace::tui::render::help::KEYS);
    key_table(&mut r, "emotrace review", emotrace::tui::review::render::KEYS);
    key_table(&mut r, "emotrace review: the session browser", emotrace::tui::review::browser::KEYS);
    r.control("PP", []).text([roman("The live and review screens show their keys with ?.")]);

    r.control("SH", ["ENVIRONMENT"]);
    for (var, what) in ENVIRONMENT {
        r.control("TP", []).text([bold(*var)]).text([roman(*what)]);
    }

    r.control("SH", ["FILES"]);
    for (file, what) in FILES {
        r.control("TP", []).text([italic(*file)]).text([roman(*what)]);
    }

    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in EXIT_STATUS {
        r.control("TP", []).text([bold(*code)]).text([roman(*what)]);
    }

    r.control("SH", ["LAWFUL USE"]);
    for para in emotrace::lawful_use::PARAGRAPHS {
        r.control("PP", []).text([roman(*para)]);
    }

    r.control("SH", ["SEE ALSO"]);
    let pages: Vec<String> =
        cmd.get_subcommands().filter(|s| !s.is_hide_set()).map(|s| format!("emotrace-{}(1)", s.get_name())).collect();
    r.text([roman(format!("{}; written by emotrace man --dir DIR.", pages.join(", ")))]);
    page.push_str(&r.to_roff());

    let mut out = Vec::new();
    man.render_version_section(&mut out)?;
    page.push_str(&strip_preamble(&String::from_utf8(out)?));
    Ok(page)
}

/// One subcommand as a subsection: `.SS "emotrace NAME"`, its description, synopsis and options (clap_mangen's
/// sections, their `.SH` headings turned into paragraphs).
fn subcommand_section(root: &clap::Command, sub: &clap::Command) -> anyhow::Result<String> {
    // The synopsis names the whole command ("emotrace live ..."), as typed.
    let sub = sub.clone().bin_name(format!("{} {}", root.get_name(), sub.get_name()));
    let man = clap_mangen::Man::new(sub.clone());
    let mut out = Vec::new();
    man.render_description_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    let body = strip_preamble(&String::from_utf8(out)?);
    let mut text = format!(".SS \"{} {}\"\n", root.get_name(), sub.get_name());
    for line in body.lines() {
        match line.strip_prefix(".SH ") {
            Some("DESCRIPTION") => {}
            Some("SYNOPSIS") => text.push_str(".PP\n"),
            Some("OPTIONS") => text.push_str(".PP\nOptions:\n"),
            Some(heading) => text.push_str(&format!(".PP\n{}:\n", heading.trim_matches('"'))),
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    Ok(text)
}

/// `.SS title` and one `.TP` entry per key of `keys` (key, what it does).
fn key_table(r: &mut Roff, title: &str, keys: &[(&str, &str)]) {
    r.control("SS", [title]);
    for (key, what) in keys {
        // Two spaces part the keys of one action ("q  Esc"); one space joins a pair ("Left Right").
        r.control("TP", []).text([bold(key.split("  ").collect::<Vec<_>>().join(", "))]).text([roman(*what)]);
    }
}

/// Drops the apostrophe preamble (`.ie \n(.g .ds Aq ...`) that every roff rendering starts with; the page keeps
/// the first one.
fn strip_preamble(roff: &str) -> String {
    roff.lines()
        .filter(|l| !l.starts_with(".ie \\n(.g .ds Aq") && !l.starts_with(".el .ds Aq"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The environment variables emotrace reads, with what each does.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("EMOTRACE_STORE", "The session store folder, as --store (which wins); empty means unset."),
    ("EMOTRACE_MODELS", "The models folder when the configuration's [models] dir is not set."),
    (
        "EMOTRACE_FFMPEG",
        "The ffmpeg program (ffprobe beside it) that reads the formats emotrace does not decode itself (HEVC, VP9, \
         AV1); else ffmpeg on PATH.",
    ),
    (
        "EMOTRACE_RTSP_USER, EMOTRACE_RTSP_PASSWORD",
        "RTSP credentials when the URL carries none (never on the command line).",
    ),
    (
        "EMOTRACE_API_TOKEN",
        "The Bearer token of live --listen, as --token (which wins); required when it listens beyond loopback.",
    ),
    (
        "EMOTRACE_LRS_USER, EMOTRACE_LRS_PASSWORD",
        "The Learning Record Store's Basic authentication for send (never on the command line).",
    ),
    ("XDG_DATA_HOME, XDG_CONFIG_HOME", "Where the default store and the configuration file live."),
    ("NO_COLOR", "When set and not empty, the screens use no colour."),
    (
        "CANDLE_NUM_THREADS",
        "Threads of the inference library's own pool; emotrace sets it to 1 when unset (it runs its own workers).",
    ),
];

/// The files emotrace reads and writes.
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/emotrace/config.toml",
        "The configuration (TOML; emotrace config --template prints every key with its default).",
    ),
    (
        "$XDG_DATA_HOME/emotrace/",
        "The session store: one folder per session (session.json and an embedded sled database), private to the \
         user (0700/0600). It holds boxes, probabilities, markers and names, never frames or face descriptors.",
    ),
];

/// Exit codes.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Done."),
    ("1", "An error: one line on stderr names the input and the reason; what was stored is kept."),
    ("2", "The command line is wrong (unknown option, missing value); the usage is printed."),
    ("130", "Stopped by SIGINT or SIGTERM (Ctrl-C, kill): the session is stored, marked interrupted."),
];
