//! How each emotion is shown: the one palette of the live and review screens and the HTML report.
//!
//! Each class has one [`Swatch`]: a basic terminal colour for the screens, the same hue as an RGB tone that reads
//! well on the report's white page, and a letter that stands for it where no colour is drawn.

use crate::classify::{Emotion, NUM_EMOTIONS};

/// One of the basic terminal colours (the eight every colour terminal has), as the screens draw them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermColor {
    /// Red.
    Red,
    /// Green.
    Green,
    /// Magenta.
    Magenta,
    /// Yellow.
    Yellow,
    /// Blue.
    Blue,
    /// Cyan.
    Cyan,
    /// Grey (the terminal's light grey).
    Gray,
}

/// How one emotion is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swatch {
    /// Its colour on the screens (bars, sparklines, timeline rows).
    pub term: TermColor,
    /// Its colour in the report, `(r, g, b)`: the screen's hue in a tone that reads well on white.
    pub rgb: (u8, u8, u8),
    /// One lower-case letter for it in monochrome face lines of the review screen.
    pub letter: &'static str,
}

/// The palette, in [`Emotion::ALL`] order: red angry, green disgust, magenta fear, yellow happy, blue sad, cyan
/// surprise, grey neutral.
pub const PALETTE: [Swatch; NUM_EMOTIONS] = [
    Swatch { term: TermColor::Red, rgb: (214, 39, 40), letter: "a" },
    Swatch { term: TermColor::Green, rgb: (44, 160, 44), letter: "d" },
    Swatch { term: TermColor::Magenta, rgb: (166, 86, 196), letter: "f" },
    Swatch { term: TermColor::Yellow, rgb: (240, 190, 30), letter: "h" },
    Swatch { term: TermColor::Blue, rgb: (31, 119, 180), letter: "s" },
    Swatch { term: TermColor::Cyan, rgb: (23, 190, 207), letter: "u" },
    Swatch { term: TermColor::Gray, rgb: (170, 170, 170), letter: "n" },
];

/// How `e` is shown.
pub fn swatch(e: Emotion) -> Swatch {
    PALETTE[e as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_emotion_has_its_own_colour_and_letter() {
        for (i, a) in PALETTE.iter().enumerate() {
            for b in &PALETTE[i + 1..] {
                assert!(a.term != b.term && a.rgb != b.rgb && a.letter != b.letter, "{a:?} {b:?}");
            }
        }
        for e in Emotion::ALL {
            let l = swatch(e).letter;
            assert!(l.len() == 1 && l.chars().all(|c| c.is_ascii_lowercase()), "{e}");
        }
        assert_eq!(swatch(Emotion::Sad).term, TermColor::Blue);
    }
}
