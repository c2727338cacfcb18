//! What the terminal can show, from `TERM` (through its terminfo entry), `COLORTERM` and the locale, and a
//! writer that brings the screen's colour codes down to what the terminal understands.
//!
//! - `TERM=dumb` (or a terminal without cursor movement) cannot hold a full-screen view: the screens refuse
//!   with one line instead of drawing a broken one.
//! - crossterm writes every colour as a 256-colour code (`ESC[38;5;9m`), which 8- and 16-colour terminals
//!   (`xterm`, `linux`, `screen`) misread; [`Downgrade`] rewrites those codes as the named ANSI colours
//!   (`ESC[91m`), and drops colour entirely for a terminal without colours (`vt100`).
//! - A locale whose character set is not UTF-8 (`LANG=C`, `LC_ALL=POSIX`, `en_US.ISO-8859-1`) gets ASCII
//!   drawing. No locale variable at all is taken as UTF-8, as nearly every terminal is.

use std::io::{self, Write};

/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// None: bold, dim and reverse only.
    Mono,
    /// The 8 ANSI colours (`ESC[31m`).
    Ansi8,
    /// The 16 ANSI colours, bright ones included (`ESC[91m`).
    Ansi16,
    /// 256 colours or more (`ESC[38;5;Nm`, `ESC[38;2;R;G;Bm`): written as they are.
    Full,
}

/// What the terminal named by the environment can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermCaps {
    /// Whether it can hold a full-screen view (false for `TERM=dumb`).
    pub screen: bool,
    /// Colours it shows.
    pub depth: ColorDepth,
    /// Whether the locale's character set is UTF-8 (box and block characters can be drawn).
    pub utf8: bool,
}

impl TermCaps {
    /// From this process's environment: `TERM`, `COLORTERM`, `LC_ALL`, `LC_CTYPE`, `LANG`.
    pub fn from_env() -> TermCaps {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL").or_else(|| var("LC_CTYPE")).or_else(|| var("LANG"));
        TermCaps::detect(var("TERM").as_deref(), var("COLORTERM").as_deref(), locale.as_deref())
    }

    /// From the given values (`None`: unset). The colour count comes from the terminfo entry of `term`
    /// (`max_colors`); without an entry, from the name (`*-256color`, `vt*`, ...).
    pub fn detect(term: Option<&str>, colorterm: Option<&str>, locale: Option<&str>) -> TermCaps {
        let utf8 = locale.is_none_or(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        let Some(term) = term else {
            // No TERM: nothing to go by; draw as before.
            return TermCaps { screen: true, depth: ColorDepth::Full, utf8 };
        };
        if term == "dumb" {
            return TermCaps { screen: false, depth: ColorDepth::Mono, utf8 };
        }
        let truecolor = colorterm.is_some_and(|c| matches!(c, "truecolor" | "24bit"));
        let from_db = terminfo::Database::from_name(term).ok().map(|db| {
            let colors = db.get::<terminfo::capability::MaxColors>().map_or(0, |c| c.0);
            let cursor = db.get::<terminfo::capability::CursorAddress>().is_some();
            (colors, cursor)
        });
        let (colors, screen) = match from_db {
            Some(found) => found,
            None if term.contains("256color") || term.contains("direct") => (256, true),
            None if term.starts_with("vt") => (0, true),
            None => (8, true),
        };
        let depth = match colors {
            _ if truecolor => ColorDepth::Full,
            c if c >= 256 => ColorDepth::Full,
            c if c >= 16 => ColorDepth::Ansi16,
            c if c >= 8 => ColorDepth::Ansi8,
            _ => ColorDepth::Mono,
        };
        TermCaps { screen, depth, utf8 }
    }

    /// The one-line refusal for a terminal that cannot hold a full-screen view, naming `TERM`.
    pub fn refusal(what: &str) -> String {
        let term = std::env::var("TERM").unwrap_or_default();
        format!(
            "the terminal (TERM={}) cannot show the {what} screen: run it in a terminal with cursor movement \
             (xterm, tmux, screen), or use `emotrace analyze`, `export` or `report`",
            crate::text::terminal_safe(&term)
        )
    }
}

/// The 16 ANSI colours as RGB (xterm's defaults), to map 256-colour and RGB codes to the nearest one.
const ANSI16: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// RGB of a 256-colour palette entry.
fn palette_rgb(n: u8) -> (u8, u8, u8) {
    match n {
        0..=15 => ANSI16[n as usize],
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (n - 232) * 10;
            (g, g, g)
        }
    }
}

/// The nearest of the first `count` ANSI colours to an RGB colour.
fn nearest(rgb: (u8, u8, u8), count: usize) -> u8 {
    let d = |c: &(u8, u8, u8)| {
        let sq = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        sq(c.0, rgb.0) + sq(c.1, rgb.1) + sq(c.2, rgb.2)
    };
    (0..count).min_by_key(|&i| d(&ANSI16[i])).unwrap_or(7) as u8
}

/// Rewrites the parameters of one SGR sequence (`ESC[...m`) for `depth`; `None` when nothing is left.
fn rewrite_sgr(params: &str, depth: ColorDepth) -> Option<String> {
    let p: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let kind = p[i];
        if matches!(kind, "38" | "48" | "58") {
            // Extended colour: 5;N (palette index) or 2;R;G;B.
            let (colour, used) = match p.get(i + 1) {
                Some(&"5") => (p.get(i + 2).and_then(|n| n.parse::<u8>().ok()).map(|n| (Some(n), palette_rgb(n))), 3),
                Some(&"2") => {
                    let c: Vec<u8> =
                        p[(i + 2).min(p.len())..(i + 5).min(p.len())].iter().filter_map(|v| v.parse().ok()).collect();
                    ((c.len() == 3).then(|| (None, (c[0], c[1], c[2]))), 5)
                }
                _ => (None, 1),
            };
            i += used;
            let Some((index, rgb)) = colour else { continue };
            if kind == "58" || depth == ColorDepth::Mono {
                continue; // underline colours, and any colour on a monochrome terminal
            }
            let count = if depth == ColorDepth::Ansi8 { 8 } else { 16 };
            let c = match index {
                Some(n) if (n as usize) < count => n,
                // Bright colours on an 8-colour terminal: their dark twin, but dark grey as light grey (black
                // would vanish on a black background).
                Some(8) => 7,
                Some(n) if n < 16 => n - 8,
                _ => nearest(rgb, count),
            };
            let base = match (kind, c >= 8) {
                ("38", false) => 30,
                ("38", true) => 90 - 8,
                (_, false) => 40,
                (_, true) => 100 - 8,
            };
            out.push((base + c as u32).to_string());
            continue;
        }
        let colour = matches!(kind.parse::<u32>(), Ok(30..=37 | 39 | 40..=47 | 49 | 90..=97 | 100..=107));
        if !(colour && depth == ColorDepth::Mono) {
            out.push(kind.to_string());
        }
        i += 1;
    }
    (!out.is_empty()).then(|| out.join(";"))
}

/// A writer that passes everything through except colour codes, which it rewrites for a terminal of
/// `depth` colours (see the module documentation). Sequences split across writes are held until complete.
pub struct Downgrade<W: Write> {
    inner: W,
    depth: ColorDepth,
    /// An escape sequence begun in an earlier write.
    pending: Vec<u8>,
}

impl<W: Write> Downgrade<W> {
    /// Wraps `inner` for a terminal of `depth` colours ([`ColorDepth::Full`] passes everything as it is).
    pub fn new(inner: W, depth: ColorDepth) -> Self {
        Downgrade { inner, depth, pending: Vec::new() }
    }

    /// Rewrites `buf` (which starts after any pending bytes) into `out`; keeps an incomplete trailing escape
    /// sequence in `pending`.
    fn convert(&mut self, buf: &[u8], out: &mut Vec<u8>) {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        let mut i = 0;
        while i < data.len() {
            if data[i] != 0x1b {
                let next = data[i..].iter().position(|&b| b == 0x1b).map_or(data.len(), |p| i + p);
                out.extend_from_slice(&data[i..next]);
                i = next;
                continue;
            }
            if i + 1 >= data.len() {
                self.pending.extend_from_slice(&data[i..]);
                return;
            }
            if data[i + 1] != b'[' {
                out.push(data[i]);
                i += 1;
                continue;
            }
            // CSI: parameters and intermediates up to a final byte in 0x40..=0x7e.
            let end = data[i + 2..].iter().position(|b| (0x40..=0x7e).contains(b)).map(|p| i + 2 + p);
            let Some(end) = end else {
                self.pending.extend_from_slice(&data[i..]);
                return;
            };
            let params = &data[i + 2..end];
            if data[end] == b'm' && params.iter().all(|b| b.is_ascii_digit() || *b == b';') {
                let text = String::from_utf8_lossy(params);
                if let Some(p) = rewrite_sgr(&text, self.depth) {
                    out.extend_from_slice(b"\x1b[");
                    out.extend_from_slice(p.as_bytes());
                    out.push(b'm');
                }
            } else {
                out.extend_from_slice(&data[i..=end]);
            }
            i = end + 1;
        }
    }
}

impl<W: Write> Write for Downgrade<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.depth == ColorDepth::Full {
            return self.inner.write(buf);
        }
        let mut out = Vec::with_capacity(buf.len());
        self.convert(buf, &mut out);
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(depth: ColorDepth, parts: &[&[u8]]) -> String {
        let mut w = Downgrade::new(Vec::new(), depth);
        for p in parts {
            w.write_all(p).unwrap();
        }
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn colour_codes_are_brought_down_to_what_the_terminal_shows() {
        let s: &[u8] = b"\x1b[38;5;9mred\x1b[48;5;1m\x1b[1;38;5;214mX\x1b[39m\x1b[2J";
        assert_eq!(through(ColorDepth::Full, &[s]), String::from_utf8_lossy(s));
        assert_eq!(through(ColorDepth::Ansi16, &[s]), "\x1b[91mred\x1b[41m\x1b[1;33mX\x1b[39m\x1b[2J");
        assert_eq!(through(ColorDepth::Ansi8, &[s]), "\x1b[31mred\x1b[41m\x1b[1;33mX\x1b[39m\x1b[2J");
        assert_eq!(through(ColorDepth::Mono, &[s]), "red\x1b[1mX\x1b[2J");
        // Dark grey (ratatui's DarkGray) stays visible on an 8-colour terminal.
        assert_eq!(through(ColorDepth::Ansi8, &[b"\x1b[38;5;8;49m"]), "\x1b[37;49m");
        assert_eq!(through(ColorDepth::Ansi16, &[b"\x1b[38;5;8;49m"]), "\x1b[90;49m");
        // A sequence split across writes.
        assert_eq!(
            through(ColorDepth::Ansi16, &[b"a\x1b[38;", b"5;12mb\x1b", b"[38;2;0;0;0mc"]),
            "a\x1b[94mb\x1b[30mc"
        );
    }

    #[test]
    fn term_and_locale_decide_colours_screen_and_characters() {
        let full = TermCaps::detect(Some("xterm-256color"), None, Some("C.UTF-8"));
        assert_eq!(full, TermCaps { screen: true, depth: ColorDepth::Full, utf8: true });
        assert!(!TermCaps::detect(Some("dumb"), None, None).screen);
        let xterm = TermCaps::detect(Some("xterm"), None, Some("en_US.ISO-8859-1"));
        assert!(xterm.depth <= ColorDepth::Ansi16 && xterm.depth >= ColorDepth::Ansi8 && !xterm.utf8, "{xterm:?}");
        assert_eq!(TermCaps::detect(Some("vt100"), None, Some("C")).depth, ColorDepth::Mono);
        assert_eq!(TermCaps::detect(Some("xterm"), Some("truecolor"), None).depth, ColorDepth::Full);
        assert!(TermCaps::detect(Some("linux"), None, Some("POSIX")).depth < ColorDepth::Full);
    }
}
