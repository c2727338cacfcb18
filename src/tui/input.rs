//! Keys of the live screen.
//!
//! | key | action |
//! | --- | --- |
//! | `q`, `Esc` | quit (or close the help) |
//! | `Ctrl-C` | quit |
//! | `space`, `p` | pause / resume the display (data keeps arriving) |
//! | `→`, `PgDn`, `n`, `Tab` | next page of faces |
//! | `←`, `PgUp`, `b`, `BackTab` | previous page of faces |
//! | `e` / `E` | sparklines follow the next / previous emotion (dominant, angry, ..., neutral) |
//! | `?`, `h`, `F1` | help |

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Quit the screen, or close the help overlay when it is open.
    Quit,
    /// Quit the screen whatever is shown (Ctrl-C).
    ForceQuit,
    /// Pause or resume the display.
    TogglePause,
    /// Show the next page of face panels.
    NextPage,
    /// Show the previous page of face panels.
    PrevPage,
    /// Sparklines follow the next emotion.
    NextEmotion,
    /// Sparklines follow the previous emotion.
    PrevEmotion,
    /// Show or hide the help overlay.
    ToggleHelp,
}

/// The action of a key press, `None` for keys without one.
pub fn map_key(k: KeyEvent) -> Option<Action> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c') | KeyCode::Char('C') if ctrl => Action::ForceQuit,
        _ if ctrl => return None,
        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char(' ') | KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Right | KeyCode::PageDown | KeyCode::Char('n') | KeyCode::Tab => Action::NextPage,
        KeyCode::Left | KeyCode::PageUp | KeyCode::Char('b') | KeyCode::BackTab => Action::PrevPage,
        KeyCode::Char('e') => Action::NextEmotion,
        KeyCode::Char('E') => Action::PrevEmotion,
        KeyCode::Char('?') | KeyCode::Char('h') | KeyCode::F(1) => Action::ToggleHelp,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quit_keys() {
        assert_eq!(
            map_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::ForceQuit)
        );
        assert_eq!(
            map_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(
            map_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)),
            Some(Action::NextEmotion)
        );
    }
}
