//! One-line messages shown for a few seconds: the live screen's status line and the review screens' footers.
//!
//! A notice carries its [`Level`], set by whoever writes it (the screen itself, or the engine through
//! [`super::LiveEvent::Notice`]), so how it is drawn never depends on its wording.

use std::time::{Duration, Instant};

/// How long a notice stays up, in the live screen's status line and the review screens' footers (wall clock).
pub const NOTICE_FOR: Duration = Duration::from_secs(5);

/// How a notice is meant: drawn in the matching style ([`super::Theme::notice`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Plain information ("range cancelled", "refreshed").
    Info,
    /// Something asked for was done ("marker 'quiz' stored at 0:12").
    Success,
    /// A request that could not be carried out, nothing broken ("no face to name").
    Warning,
    /// A failure ("store error: ...").
    Error,
}

/// A one-line message with its level and the time it was shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// How it is meant.
    pub level: Level,
    /// The message (only its first line is drawn).
    pub text: String,
    /// When it was shown (wall clock).
    pub since: Instant,
}

impl Notice {
    /// A notice shown now.
    pub fn new(level: Level, text: impl Into<String>) -> Notice {
        Notice { level, text: text.into(), since: Instant::now() }
    }

    /// Whether it has been shown for at least [`NOTICE_FOR`] as of `now`.
    pub fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.since) >= NOTICE_FOR
    }
}

/// Drops the notice in `slot` once it has been shown for [`NOTICE_FOR`] as of `now`; true when one was dropped
/// (the screen needs a redraw).
pub fn expire(slot: &mut Option<Notice>, now: Instant) -> bool {
    let old = slot.as_ref().is_some_and(|n| n.expired(now));
    if old {
        *slot = None;
    }
    old
}
