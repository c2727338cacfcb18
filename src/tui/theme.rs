//! Colours and symbols: full colour with Unicode drawing, or monochrome (`NO_COLOR`, `color = false`), or
//! ASCII-only drawing (`ascii = true`) for weak terminals and odd fonts.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;

use super::{Level, TuiConfig};
use crate::analytics::palette::{self, TermColor};
use crate::classify::Emotion;

/// How the screen draws: whether it uses colours, and which characters.
#[derive(Clone, Debug)]
pub struct Theme {
    /// Whether colours are used (false: bold, dim and reverse only).
    pub color: bool,
    /// Whether only ASCII characters are drawn.
    pub ascii: bool,
}

/// ASCII borders: `+--+`, `|`.
const ASCII_BORDER: symbols::border::Set<'static> = symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// ASCII borders of the selected panel: `#==#`, `#`.
const ASCII_SELECTED_BORDER: symbols::border::Set<'static> = symbols::border::Set {
    top_left: "#",
    top_right: "#",
    bottom_left: "#",
    bottom_right: "#",
    vertical_left: "#",
    vertical_right: "#",
    horizontal_top: "=",
    horizontal_bottom: "=",
};

/// ASCII sparkline levels, lowest to highest: ` . : - = + * # #`.
const ASCII_BARS: symbols::bar::Set<'static> = symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "*",
    five_eighths: "+",
    half: "=",
    three_eighths: "-",
    one_quarter: ":",
    one_eighth: ".",
    empty: " ",
};

/// Left-aligned partial blocks, 1/8 to 7/8 of a cell.
const EIGHTHS: [&str; 7] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"];

impl Theme {
    /// The theme the configuration asks for and the terminal allows: colours are off when `NO_COLOR` is set to
    /// a non-empty value or `TERM` names a terminal without colours; drawing is ASCII when the locale's
    /// character set is not UTF-8 (see [`super::caps::TermCaps`]).
    pub fn from_config(cfg: &TuiConfig) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let caps = super::caps::TermCaps::from_env();
        Self {
            color: cfg.color && !no_color && caps.depth > super::caps::ColorDepth::Mono,
            ascii: cfg.ascii || !caps.utf8,
        }
    }

    /// A theme with explicit settings (tests, previews).
    pub fn new(color: bool, ascii: bool) -> Self {
        Self { color, ascii }
    }

    /// `style` with foreground `c`, or unchanged in monochrome.
    pub fn fg(&self, style: Style, c: Color) -> Style {
        if self.color {
            style.fg(c)
        } else {
            style
        }
    }

    /// The colour of an emotion's bars and sparkline ([`crate::analytics::palette`]).
    pub fn emotion_color(&self, e: Emotion) -> Color {
        match palette::swatch(e).term {
            TermColor::Red => Color::Red,
            TermColor::Green => Color::Green,
            TermColor::Magenta => Color::Magenta,
            TermColor::Yellow => Color::Yellow,
            TermColor::Blue => Color::Blue,
            TermColor::Cyan => Color::Cyan,
            TermColor::Gray => Color::Gray,
        }
    }

    /// Style of an emotion's bars and sparkline.
    pub fn emotion(&self, e: Emotion) -> Style {
        self.fg(Style::default(), self.emotion_color(e))
    }

    /// Style of secondary text (labels, units).
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    /// Style of a face panel whose face has not been seen for a while.
    pub fn stale(&self) -> Style {
        self.dim()
    }

    /// Style of the title line and key names.
    pub fn accent(&self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    /// Style of warnings (dropped frames, recording flag).
    pub fn warn(&self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Yellow)
    }

    /// Style of errors.
    pub fn error(&self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Red)
    }

    /// Style of good news (source running, recording on).
    pub fn ok(&self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Green)
    }

    /// Style of a notice of `level`: information in the accent colour, success in green, warnings in yellow,
    /// errors in red.
    pub fn notice(&self, level: Level) -> Style {
        match level {
            Level::Info => self.accent(),
            Level::Success => self.ok(),
            Level::Warning => self.warn(),
            Level::Error => self.error(),
        }
    }

    /// Border characters for blocks.
    pub fn border_set(&self) -> symbols::border::Set<'static> {
        if self.ascii {
            ASCII_BORDER
        } else {
            symbols::border::ROUNDED
        }
    }

    /// Sparkline level characters.
    pub fn bar_set(&self) -> symbols::bar::Set<'static> {
        if self.ascii {
            ASCII_BARS
        } else {
            symbols::bar::NINE_LEVELS
        }
    }

    /// Separator between header fields.
    pub fn sep(&self) -> &'static str {
        if self.ascii {
            " | "
        } else {
            " │ "
        }
    }

    /// Separator between words of one field.
    pub fn dot(&self) -> &'static str {
        if self.ascii {
            " - "
        } else {
            " · "
        }
    }

    /// The recording mark.
    pub fn rec_mark(&self) -> &'static str {
        if self.ascii {
            "*"
        } else {
            "●"
        }
    }

    /// Left and right arrows, for key hints.
    pub fn arrows(&self) -> (&'static str, &'static str) {
        if self.ascii {
            ("<-", "->")
        } else {
            ("←", "→")
        }
    }

    /// Up and down arrows, for key hints.
    pub fn up_down(&self) -> (&'static str, &'static str) {
        if self.ascii {
            ("Up", "Down")
        } else {
            ("↑", "↓")
        }
    }

    /// Border characters of the selected face panel: thick lines, or `#` and `=` in ASCII.
    pub fn selected_border_set(&self) -> symbols::border::Set<'static> {
        if self.ascii {
            ASCII_SELECTED_BORDER
        } else {
            symbols::border::THICK
        }
    }

    /// Style of the selected face panel's border.
    pub fn selected(&self) -> Style {
        self.fg(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    /// Ellipsis for truncated text.
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "~"
        } else {
            "…"
        }
    }

    /// A horizontal bar `width` cells long, filled to `fraction` (clamped to `[0, 1]`): full blocks and one
    /// partial block, or `#` in ASCII; padded with spaces to `width`.
    pub fn hbar(&self, fraction: f32, width: usize) -> String {
        let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
        let mut s = String::with_capacity(width * 3);
        if self.ascii {
            let n = (f * width as f32).round() as usize;
            s.extend(std::iter::repeat_n('#', n.min(width)));
            s.extend(std::iter::repeat_n(' ', width - n.min(width)));
        } else {
            let eighths = (f * width as f32 * 8.0).round() as usize;
            let full = (eighths / 8).min(width);
            s.extend(std::iter::repeat_n('█', full));
            let mut used = full;
            let rem = eighths % 8;
            if rem > 0 && used < width {
                s.push_str(EIGHTHS[rem - 1]);
                used += 1;
            }
            s.extend(std::iter::repeat_n(' ', width - used));
        }
        s
    }

    /// `text` cut to at most `max` characters, with an ellipsis when cut.
    pub fn truncate(&self, text: &str, max: usize) -> String {
        if text.chars().count() <= max {
            return text.to_string();
        }
        let ell = self.ellipsis();
        let keep = max.saturating_sub(ell.chars().count());
        let mut s: String = text.chars().take(keep).collect();
        if max > 0 {
            s.push_str(ell);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_have_the_asked_width() {
        for ascii in [false, true] {
            let t = Theme::new(true, ascii);
            for f in [0.0, 0.03, 0.5, 0.77, 1.0, 2.0, f32::NAN] {
                assert_eq!(t.hbar(f, 10).chars().count(), 10, "{f} {ascii}");
            }
        }
        assert_eq!(Theme::new(false, true).hbar(0.5, 4), "##  ");
        assert_eq!(Theme::new(false, false).hbar(1.0, 3), "███");
    }

    #[test]
    fn truncation_marks_the_cut() {
        let t = Theme::new(false, true);
        assert_eq!(t.truncate("abcdef", 4), "abc~");
        assert_eq!(t.truncate("abc", 4), "abc");
    }
}
