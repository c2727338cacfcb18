//! A one-line text input: what the live screen's prompt (marker label, face name) and the review screen's
//! prompts (marker, note, annotation text, face name) type into. Keys reach it as [`PromptKey`]s
//! ([`super::input::map_prompt_key`]).

use super::input::PromptKey;

/// Longest text a prompt takes, characters.
pub const MAX_CHARS: usize = 120;

/// What a key did to a [`TextInput`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text changed, or nothing happened: the prompt stays open.
    Typing,
    /// Enter: the text typed, trimmed.
    Submit(String),
    /// Esc: close without using the text.
    Cancel,
    /// Ctrl-C: close and quit the screen.
    ForceQuit,
}

/// Text typed so far (at most [`MAX_CHARS`] characters are typed into it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
}

impl TextInput {
    /// An input holding `text` (a name or label being edited) to start with.
    pub fn new(text: impl Into<String>) -> TextInput {
        TextInput { text: text.into() }
    }

    /// What was typed so far.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Takes one key: types, erases or clears, or says that the prompt is submitted, cancelled or quit.
    pub fn key(&mut self, k: PromptKey) -> Edit {
        match k {
            PromptKey::Insert(c) => {
                if self.text.chars().count() < MAX_CHARS {
                    self.text.push(c);
                }
            }
            PromptKey::Backspace => {
                self.text.pop();
            }
            PromptKey::Clear => self.text.clear(),
            PromptKey::Cancel => return Edit::Cancel,
            PromptKey::ForceQuit => return Edit::ForceQuit,
            PromptKey::Submit => return Edit::Submit(self.text.trim().to_string()),
        }
        Edit::Typing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_stops_at_the_limit_and_submit_trims() {
        let mut t = TextInput::new("ab");
        assert_eq!(t.key(PromptKey::Backspace), Edit::Typing);
        for _ in 0..MAX_CHARS + 5 {
            t.key(PromptKey::Insert('x'));
        }
        assert_eq!(t.as_str().chars().count(), MAX_CHARS);
        t.key(PromptKey::Clear);
        t.key(PromptKey::Insert(' '));
        t.key(PromptKey::Insert('é'));
        assert_eq!(t.key(PromptKey::Submit), Edit::Submit("é".into()));
        assert_eq!(t.key(PromptKey::Cancel), Edit::Cancel);
    }
}
