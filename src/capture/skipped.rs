//! Frames and images a file source could not read and left out, so that one bad frame loses one frame (or one
//! group of pictures), not the rest of the file.
//!
//! A video frame that does not decode makes the reader restart at the next key frame (the frames between are
//! skipped); a file cut short is read up to its last whole frame (the missing ones are skipped); an image of a
//! folder that does not decode is skipped. Each skip is counted here with its reason; the count reaches the
//! session record (`skipped`), `analyze`'s output and the report, and `analyze` warns about it on stderr.

use std::sync::{Arc, Mutex};

use super::SourceKind;

/// How many reasons are kept (the count goes on past it).
pub const MAX_NOTES: usize = 10;

/// Frames (or images) a source skipped because they could not be read or decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// Frames (images, for a folder) left out in all.
    pub frames: u64,
    /// The first [`MAX_NOTES`] reasons, one line each, naming the frame (1-based, as `probe` counts) or the file:
    /// `"frames 46-60 of 472: H.264 decode error (...)"`, `"b.jpg: truncated image (...)"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Skipped {
    /// Whether nothing was skipped.
    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// Counts `frames` more frames left out, for `reason` (kept while fewer than [`MAX_NOTES`] are).
    pub fn add(&mut self, frames: u64, reason: String) {
        self.frames += frames;
        if self.notes.len() < MAX_NOTES {
            self.notes.push(reason);
        }
    }

    /// This count followed by `later` (a resumed run's): frames added, reasons kept up to [`MAX_NOTES`].
    pub fn then(&self, later: &Skipped) -> Skipped {
        let mut out = self.clone();
        out.frames += later.frames;
        out.notes.extend(later.notes.iter().take(MAX_NOTES.saturating_sub(out.notes.len())).cloned());
        out
    }

    /// One line for a person: `"12 frames were unreadable and skipped (first: frames 46-57 of 472: ...)"`, counting
    /// images instead of frames for a folder of photos (`kind`, the source's kind when known).
    pub fn summary(&self, kind: Option<SourceKind>) -> String {
        let noun = if kind == Some(SourceKind::ImageFolder) { "image" } else { "frame" };
        let what = if self.frames == 1 { format!("1 {noun} was") } else { format!("{} {noun}s were", self.frames) };
        match self.notes.first() {
            Some(first) if self.notes.len() > 1 => format!("{what} unreadable and skipped (first: {first})"),
            Some(first) => format!("{what} unreadable and skipped ({first})"),
            None => format!("{what} unreadable and skipped"),
        }
    }
}

/// The count a source keeps and the pipeline, the recorder and `analyze` read while it runs.
pub type SharedSkipped = Arc<Mutex<Skipped>>;

/// Adds to a shared count (a poisoned lock is taken over: the count is plain data).
pub fn note(shared: &SharedSkipped, frames: u64, reason: String) {
    shared.lock().unwrap_or_else(|p| p.into_inner()).add(frames, reason);
}

/// A copy of a shared count.
pub fn snapshot(shared: &SharedSkipped) -> Skipped {
    shared.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_goes_on_past_the_kept_reasons() {
        let mut s = Skipped::default();
        assert!(s.is_empty());
        for i in 0..(MAX_NOTES as u64 + 5) {
            s.add(2, format!("frame {i}"));
        }
        assert_eq!(s.frames, 2 * (MAX_NOTES as u64 + 5));
        assert_eq!(s.notes.len(), MAX_NOTES);
        assert!(s
            .summary(Some(SourceKind::Video))
            .starts_with("30 frames were unreadable and skipped (first: frame 0"));
        let mut one = Skipped::default();
        one.add(1, "a.jpg: truncated".into());
        assert_eq!(one.summary(Some(SourceKind::ImageFolder)), "1 image was unreadable and skipped (a.jpg: truncated)");
    }
}
