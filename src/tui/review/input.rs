//! Keys of the session under review, in normal mode: [`action_for`] maps a key press to a [`ReviewAction`]
//! (pure, no terminal), and [`super::ReviewApp`] performs it. The prompt, confirmation, merge and help modes
//! take their keys in [`super::app`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::view::Panel;

/// What a key asks for in normal mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewAction {
    /// Cancel the range being marked, or (without one) go back to the sessions browser.
    Back,
    /// Show the help overlay.
    Help,
    /// Move the cursor by this many columns (negative: back).
    Step(i64),
    /// Move the cursor one screen width back (`false`) or forward (`true`).
    Page(bool),
    /// Cursor to the session's start.
    Start,
    /// Cursor to the session's end.
    End,
    /// Zoom in (`true`) or out (`false`).
    Zoom(bool),
    /// Fit the whole session on screen.
    Fit,
    /// Cursor to the next (`true`) or previous (`false`) marker or note.
    JumpMarker(bool),
    /// Show or hide one line per face under the class timeline.
    ToggleFaces,
    /// Show the next lower panel.
    CyclePanel,
    /// Show this lower panel.
    ShowPanel(Panel),
    /// Move the selection in the lower panel (a face, an annotation, or the summary's scroll) by this many.
    Select(i64),
    /// Open the marker prompt at the cursor.
    Marker,
    /// Start a range at the cursor (a note over it follows with [`ReviewAction::Note`]).
    StartRange,
    /// Open the note prompt at the cursor, or over the range being marked.
    Note,
    /// Cursor to the selected annotation.
    GoToAnnotation,
    /// Open the prompt that changes the selected annotation's text.
    EditAnnotation,
    /// Move the selected annotation to the cursor.
    MoveAnnotation,
    /// Ask whether to delete the selected annotation.
    DeleteAnnotation,
    /// Open the prompt that names the selected face.
    NameFace,
    /// Merge the selected face into another (choose which), or undo its merge.
    MergeFace,
}

/// The action of a key press in normal mode with `panel` shown, `None` for keys without one. The annotation
/// keys (`Enter`, `e`, `t`, `x`, `Delete`) act only in the annotations panel; `Shift` with `←`/`→` (or `h`/`l`)
/// moves ten columns. `Ctrl-C` is taken before this, in every mode.
pub fn action_for(k: KeyEvent, panel: Panel) -> Option<ReviewAction> {
    use ReviewAction as A;
    let far = if k.modifiers.contains(KeyModifiers::SHIFT) { 10 } else { 1 };
    let annotations = panel == Panel::Annotations;
    Some(match k.code {
        KeyCode::Char('q') | KeyCode::Esc => A::Back,
        KeyCode::Char('?') | KeyCode::F(1) => A::Help,
        KeyCode::Left | KeyCode::Char('h') => A::Step(-far),
        KeyCode::Right | KeyCode::Char('l') => A::Step(far),
        KeyCode::Char('H') => A::Step(-10),
        KeyCode::Char('L') => A::Step(10),
        KeyCode::PageUp => A::Page(false),
        KeyCode::PageDown => A::Page(true),
        KeyCode::Home | KeyCode::Char('g') => A::Start,
        KeyCode::End | KeyCode::Char('G') => A::End,
        KeyCode::Char('+') | KeyCode::Char('=') => A::Zoom(true),
        KeyCode::Char('-') | KeyCode::Char('_') => A::Zoom(false),
        KeyCode::Char('z') => A::Fit,
        KeyCode::Char(']') => A::JumpMarker(true),
        KeyCode::Char('[') => A::JumpMarker(false),
        KeyCode::Char('f') => A::ToggleFaces,
        KeyCode::Tab => A::CyclePanel,
        KeyCode::Char('c') => A::ShowPanel(Panel::Cursor),
        KeyCode::Char('s') => A::ShowPanel(Panel::Summary),
        KeyCode::Char('a') => A::ShowPanel(Panel::Annotations),
        KeyCode::Char('p') => A::ShowPanel(Panel::Seats),
        KeyCode::Down | KeyCode::Char('j') => A::Select(1),
        KeyCode::Up | KeyCode::Char('k') => A::Select(-1),
        KeyCode::Char('m') => A::Marker,
        KeyCode::Char('v') => A::StartRange,
        KeyCode::Char('n') => A::Note,
        KeyCode::Enter if annotations => A::GoToAnnotation,
        KeyCode::Char('e') if annotations => A::EditAnnotation,
        KeyCode::Char('t') if annotations => A::MoveAnnotation,
        KeyCode::Char('x') | KeyCode::Delete if annotations => A::DeleteAnnotation,
        KeyCode::Char('r') => A::NameFace,
        KeyCode::Char('J') => A::MergeFace,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The action of `code`, pressed alone, with `panel` shown.
    fn act(code: KeyCode, panel: Panel) -> Option<ReviewAction> {
        action_for(KeyEvent::new(code, KeyModifiers::NONE), panel)
    }

    #[test]
    fn moving_keys() {
        assert_eq!(act(KeyCode::Left, Panel::Cursor), Some(ReviewAction::Step(-1)));
        assert_eq!(act(KeyCode::Char('l'), Panel::Cursor), Some(ReviewAction::Step(1)));
        let shift_right = KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT);
        assert_eq!(action_for(shift_right, Panel::Cursor), Some(ReviewAction::Step(10)));
        assert_eq!(act(KeyCode::Char('H'), Panel::Summary), Some(ReviewAction::Step(-10)));
        assert_eq!(act(KeyCode::PageDown, Panel::Cursor), Some(ReviewAction::Page(true)));
        assert_eq!(act(KeyCode::Char('G'), Panel::Cursor), Some(ReviewAction::End));
        assert_eq!(act(KeyCode::Char('='), Panel::Cursor), Some(ReviewAction::Zoom(true)));
        assert_eq!(act(KeyCode::Char(']'), Panel::Cursor), Some(ReviewAction::JumpMarker(true)));
    }

    #[test]
    fn panel_and_edit_keys() {
        assert_eq!(act(KeyCode::Esc, Panel::Cursor), Some(ReviewAction::Back));
        assert_eq!(act(KeyCode::Tab, Panel::Seats), Some(ReviewAction::CyclePanel));
        assert_eq!(act(KeyCode::Char('p'), Panel::Cursor), Some(ReviewAction::ShowPanel(Panel::Seats)));
        assert_eq!(act(KeyCode::Char('m'), Panel::Cursor), Some(ReviewAction::Marker));
        assert_eq!(act(KeyCode::Char('J'), Panel::Cursor), Some(ReviewAction::MergeFace));
        assert_eq!(act(KeyCode::Char('y'), Panel::Cursor), None);
    }

    #[test]
    fn annotation_keys_only_in_their_panel() {
        for (code, action) in [
            (KeyCode::Enter, ReviewAction::GoToAnnotation),
            (KeyCode::Char('e'), ReviewAction::EditAnnotation),
            (KeyCode::Char('t'), ReviewAction::MoveAnnotation),
            (KeyCode::Char('x'), ReviewAction::DeleteAnnotation),
            (KeyCode::Delete, ReviewAction::DeleteAnnotation),
        ] {
            assert_eq!(act(code, Panel::Annotations), Some(action));
            assert_eq!(act(code, Panel::Cursor), None);
        }
    }
}
