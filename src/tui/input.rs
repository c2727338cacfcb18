//! Keys of the live screen.
//!
//! | key | action |
//! | --- | --- |
//! | `q`, `Esc` | quit (or close the help) |
//! | `Ctrl-C` | quit |
//! | `space`, `p` | pause / resume the display (data keeps arriving) |
//! | `↓`, `Tab` / `↑`, `BackTab` | select the next / previous face (highlighted border) |
//! | `→`, `PgDn`, `n` | next page of faces |
//! | `←`, `PgUp`, `b` | previous page of faces |
//! | `e` / `E` | sparklines follow the next / previous emotion (dominant, angry, ..., neutral) |
//! | `a` | sparklines of all 7 emotions (where the panel is tall enough) / one emotion |
//! | `v` | show / hide the frame preview |
//! | `m` | marker: type a short label in the footer, `Enter` sends it, `Esc` cancels |
//! | `1`..`9` | marker with the predefined label of that number (`marker_labels`) at once |
//! | `l` | name the selected face ("P07") through the same prompt |
//! | `r` | start / stop recording (the session stays open) |
//! | `?`, `h`, `F1` | help |
//!
//! While the prompt is open, keys go to it ([`map_prompt_key`]): printable characters are typed, `Backspace`
//! deletes, `Ctrl-U` clears, `Enter` sends, `Esc` cancels, `Ctrl-C` quits.

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
    /// Select the next face.
    SelectNext,
    /// Select the previous face.
    SelectPrev,
    /// Sparklines follow the next emotion.
    NextEmotion,
    /// Sparklines follow the previous emotion.
    PrevEmotion,
    /// Sparklines of all 7 emotions, or of one.
    ToggleAllEmotions,
    /// Show or hide the frame preview.
    TogglePreview,
    /// Open the marker prompt.
    StartMarker,
    /// Send a marker with predefined label number `n` (0-based: key `1` is 0) at once.
    QuickMarker(u8),
    /// Open the prompt that names the selected face.
    NameFace,
    /// Start or stop recording.
    ToggleRecording,
    /// Show or hide the help overlay.
    ToggleHelp,
}

/// What a key does while the text prompt is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKey {
    /// Type this character.
    Insert(char),
    /// Delete the last character.
    Backspace,
    /// Delete everything typed.
    Clear,
    /// Send what was typed.
    Submit,
    /// Close the prompt without sending.
    Cancel,
    /// Quit the screen (Ctrl-C).
    ForceQuit,
}

/// The action of a key press, `None` for keys without one.
pub fn map_key(k: KeyEvent) -> Option<Action> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c') | KeyCode::Char('C') if ctrl => Action::ForceQuit,
        _ if ctrl => return None,
        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char(' ') | KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Right | KeyCode::PageDown | KeyCode::Char('n') => Action::NextPage,
        KeyCode::Left | KeyCode::PageUp | KeyCode::Char('b') => Action::PrevPage,
        KeyCode::Down | KeyCode::Tab => Action::SelectNext,
        KeyCode::Up | KeyCode::BackTab => Action::SelectPrev,
        KeyCode::Char('e') => Action::NextEmotion,
        KeyCode::Char('E') => Action::PrevEmotion,
        KeyCode::Char('a') => Action::ToggleAllEmotions,
        KeyCode::Char('v') => Action::TogglePreview,
        KeyCode::Char('m') => Action::StartMarker,
        KeyCode::Char(c @ '1'..='9') => Action::QuickMarker(c as u8 - b'1'),
        KeyCode::Char('l') => Action::NameFace,
        KeyCode::Char('r') => Action::ToggleRecording,
        KeyCode::Char('?') | KeyCode::Char('h') | KeyCode::F(1) => Action::ToggleHelp,
        _ => return None,
    })
}

/// What a key press does in the text prompt, `None` for keys that do nothing there.
pub fn map_prompt_key(k: KeyEvent) -> Option<PromptKey> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c') | KeyCode::Char('C') if ctrl => PromptKey::ForceQuit,
        KeyCode::Char('u') | KeyCode::Char('U') if ctrl => PromptKey::Clear,
        _ if ctrl => return None,
        KeyCode::Enter => PromptKey::Submit,
        KeyCode::Esc => PromptKey::Cancel,
        KeyCode::Backspace => PromptKey::Backspace,
        KeyCode::Char(c) if !c.is_control() => PromptKey::Insert(c),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn quit_keys() {
        assert_eq!(map_key(key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(map_key(key(KeyCode::Esc)), Some(Action::Quit));
        assert_eq!(map_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::ForceQuit));
        assert_eq!(map_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)), None);
        assert_eq!(map_key(key(KeyCode::Char('e'))), Some(Action::NextEmotion));
    }

    #[test]
    fn lab_keys() {
        assert_eq!(map_key(key(KeyCode::Char('1'))), Some(Action::QuickMarker(0)));
        assert_eq!(map_key(key(KeyCode::Char('9'))), Some(Action::QuickMarker(8)));
        assert_eq!(map_key(key(KeyCode::Char('0'))), None);
        assert_eq!(map_key(key(KeyCode::Tab)), Some(Action::SelectNext));
        assert_eq!(map_key(key(KeyCode::Up)), Some(Action::SelectPrev));
        assert_eq!(map_key(key(KeyCode::Char('m'))), Some(Action::StartMarker));
        assert_eq!(map_prompt_key(key(KeyCode::Char('q'))), Some(PromptKey::Insert('q')));
        assert_eq!(map_prompt_key(key(KeyCode::Esc)), Some(PromptKey::Cancel));
        assert_eq!(
            map_prompt_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(PromptKey::ForceQuit)
        );
    }
}
