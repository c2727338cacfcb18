//! Untrusted text made safe: for a terminal line ([`terminal_safe`]) and for the store ([`clean_label`]).
//!
//! File names, camera names, labels from the configuration and anything read back from a store may hold
//! control characters: an escape sequence in a file name can set the terminal's title or clear the screen, a
//! newline splits a table row. Everything emotrace prints that it did not write itself goes through
//! [`terminal_safe`]; everything stored as a label or name goes through [`clean_label`] (in the store layer, so
//! every way in is covered).
//!
//! Numbers emotrace writes back as text (`emotrace config`, a session's stored configuration) are written as the
//! user wrote them: [`f32_as_written`].

use std::borrow::Cow;

/// Characters that reorder or hide text (Unicode bidirectional controls and zero-width marks), which a
/// terminal or spreadsheet would show misleadingly.
fn is_format_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `s` with every control character (C0, DEL, C1, including newline and tab) and every bidirectional control
/// written as a visible escape (`\e`, `\n`, `\t`, `\r`, or `\u{..}`), so it prints on one line and changes
/// nothing on the terminal. Borrowed when there was nothing to escape.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_format_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_format_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A label or name as the store keeps it: control and bidirectional characters removed, runs of white space
/// (tabs, newlines) made one space, leading and trailing white space trimmed. Every label and name is stored
/// this way, whether typed, from `[tui] marker_labels`, or from an API call.
pub fn clean_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .map(|w| w.chars().filter(|c| !is_format_control(*c)).collect::<String>())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// Serializes an `f32` setting as the shortest decimal that reads back as the same `f32` (`0.8`, not
/// `0.800000011920929`): formats such as TOML and a JSON value hold only `f64`, and the `f32` widened to `f64`
/// prints every digit of the widened value. Use as `#[serde(serialize_with = "crate::text::f32_as_written")]`;
/// reading it back into an `f32` gives the same value.
///
/// Errors: the serializer's own.
pub fn f32_as_written<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    // Rust prints an f32 as its shortest round-trip decimal; that decimal read as f64 is what the user wrote.
    let written = v.to_string().parse::<f64>().unwrap_or(f64::from(*v));
    s.serialize_f64(written)
}

/// A file path as text, losslessly: its bytes as UTF-8 where they are, and each byte that is not part of valid
/// UTF-8 (a Latin-1 name from an old camera or a USB stick, say) as `\xNN`, two lower-case hex digits
/// (`caf\xe9.jpg`). Session records, `analyze --json` and messages name files this way; [`text_path`] reads it
/// back. A name that itself contains the text `\x80` .. `\xff` (a backslash, `x` and two hex digits from 80) would
/// read back as that byte: not expected in practice.
pub fn path_text(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The path that [`path_text`] wrote as `text`: each `\xNN` from `\x80` to `\xff` becomes that byte again.
pub fn text_path(text: &str) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes.get(i..i + 4).filter(|e| e[0] == b'\\' && e[1] == b'x').and_then(|e| {
            std::str::from_utf8(&e[2..]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).filter(|b| *b >= 0x80)
        });
        match escaped {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    std::path::PathBuf::from(std::ffi::OsString::from_vec(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_are_not_utf8_are_written_with_escapes_and_read_back() {
        use std::os::unix::ffi::OsStrExt;
        let latin1 = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/tmp/caf\xe9 \xff\xfe.jpg"));
        assert_eq!(path_text(latin1), "/tmp/caf\\xe9 \\xff\\xfe.jpg");
        assert_eq!(text_path(&path_text(latin1)), latin1);
        for plain in ["/tmp/café.jpg", "a\\b.mp4", "x\\x41.jpg", "\\x4", "end\\"] {
            let p = std::path::Path::new(plain);
            assert_eq!(path_text(p), plain);
            assert_eq!(text_path(plain), p);
        }
    }

    #[test]
    fn escapes_are_shown_not_obeyed_and_labels_are_cleaned() {
        let name = "\x1b]0;pwned\x07\x1b[2Jy\n.jpg";
        let safe = terminal_safe(name);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
        assert_eq!(safe, "\\e]0;pwned\\u{7}\\e[2Jy\\n.jpg");
        assert!(matches!(terminal_safe("plain é"), Cow::Borrowed(_)));
        assert_eq!(clean_label(" =1+1"), "=1+1");
        assert_eq!(clean_label("a\x1b[31m\tb\n\u{202E}c "), "a [31m b c");
        assert_eq!(clean_label(" \t\n"), "");
    }
}
