//! What part of a session the review screen shows: a window of time split into equal buckets (one per screen
//! column), the zoom level (bucket length), the cursor, and which lower panel is up.

/// Bucket lengths the zoom steps through, ms: [`crate::fmt::ROUND_STEPS_MS`] from one 25-FPS frame (40 ms) to
/// thirty minutes per column, without 250 ms and
/// 15 min (the steps the zoom has always taken).
pub const ZOOM_LEVELS_MS: [u64; 15] = crate::fmt::round_steps(40, 1_800_000, &[250, 900_000]);

/// The lower panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    /// Each face's values in the bucket under the cursor.
    Cursor,
    /// Time shares, segments between markers, largest changes.
    Summary,
    /// The markers and notes, to jump to, edit or delete.
    Annotations,
    /// The seat map: each face's mean place in the frame, to name faces by where they sat.
    Seats,
}

/// The visible window and the cursor. Times are ms since session start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// Index into [`ZOOM_LEVELS_MS`].
    pub zoom: usize,
    /// Start of the first visible bucket (a multiple of the bucket length).
    pub start_ms: u64,
    /// Start of the bucket under the cursor (a multiple of the bucket length).
    pub cursor_ms: u64,
    /// Visible buckets (screen columns).
    pub columns: usize,
    /// Session length, ms.
    pub span_ms: u64,
}

impl View {
    /// The whole session at the finest zoom that fits `columns`, cursor at the start.
    pub fn fit(span_ms: u64, columns: usize) -> View {
        let columns = columns.max(1);
        let zoom =
            ZOOM_LEVELS_MS.iter().position(|&b| b * columns as u64 >= span_ms).unwrap_or(ZOOM_LEVELS_MS.len() - 1);
        View { zoom, start_ms: 0, cursor_ms: 0, columns, span_ms }
    }

    /// Bucket length, ms.
    pub fn bucket_ms(&self) -> u64 {
        ZOOM_LEVELS_MS[self.zoom]
    }

    /// End of the visible window (exclusive), ms.
    pub fn end_ms(&self) -> u64 {
        self.start_ms + self.bucket_ms() * self.columns as u64
    }

    /// Start of the last bucket that holds session time.
    fn last_bucket_ms(&self) -> u64 {
        let b = self.bucket_ms();
        (self.span_ms.saturating_sub(1) / b) * b
    }

    /// The column of a time, if visible.
    pub fn column_of(&self, t_ms: u64) -> Option<usize> {
        if t_ms < self.start_ms || t_ms >= self.end_ms() {
            return None;
        }
        Some(((t_ms - self.start_ms) / self.bucket_ms()) as usize)
    }

    /// The cursor's column.
    pub fn cursor_column(&self) -> usize {
        self.column_of(self.cursor_ms).unwrap_or(0)
    }

    /// A new screen width: keeps the zoom and the cursor visible.
    pub fn resize(&mut self, columns: usize) {
        self.columns = columns.max(1);
        self.follow_cursor();
    }

    /// Moves the cursor to the bucket holding `t_ms` (clamped to the session) and scrolls to show it.
    pub fn set_cursor(&mut self, t_ms: u64) {
        let b = self.bucket_ms();
        self.cursor_ms = (t_ms.min(self.last_bucket_ms()) / b) * b;
        self.follow_cursor();
    }

    /// Moves the cursor by `steps` buckets (negative: back).
    pub fn step(&mut self, steps: i64) {
        let b = self.bucket_ms() as i64;
        let t = (self.cursor_ms as i64 + steps * b).max(0) as u64;
        self.set_cursor(t);
    }

    /// Zooms in (`finer`) or out one level, keeping the cursor's time and its place on screen.
    pub fn zoom(&mut self, finer: bool) {
        let col = self.cursor_column() as u64;
        let t = self.cursor_ms;
        self.zoom = if finer { self.zoom.saturating_sub(1) } else { (self.zoom + 1).min(ZOOM_LEVELS_MS.len() - 1) };
        let b = self.bucket_ms();
        self.cursor_ms = (t.min(self.last_bucket_ms()) / b) * b;
        self.start_ms = self.cursor_ms.saturating_sub(col * b);
        self.follow_cursor();
    }

    /// Scrolls so the cursor is on screen and the window does not run far past the session's end.
    fn follow_cursor(&mut self) {
        let b = self.bucket_ms();
        let cols = self.columns as u64;
        self.start_ms = (self.start_ms / b) * b;
        if self.cursor_ms < self.start_ms {
            self.start_ms = self.cursor_ms;
        } else if self.cursor_ms >= self.end_ms() {
            self.start_ms = self.cursor_ms + b - cols * b;
        }
        // Use the whole width when the session allows it.
        let max_start = (self.last_bucket_ms() + b).saturating_sub(cols * b);
        if self.start_ms > max_start {
            self.start_ms = max_start;
        }
        if self.cursor_ms < self.start_ms {
            self.start_ms = self.cursor_ms;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zoom_levels_are_a_range_of_the_round_steps() {
        let zoom = [
            40, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
            1_800_000,
        ];
        assert_eq!(ZOOM_LEVELS_MS, zoom);
    }

    #[test]
    fn the_whole_session_fits_and_the_cursor_stays_on_screen() {
        // One hour on 200 columns: 30 s buckets.
        let mut v = View::fit(3_600_000, 200);
        assert_eq!(v.bucket_ms(), 30_000);
        assert_eq!(v.end_ms(), 6_000_000);
        v.set_cursor(u64::MAX);
        assert_eq!(v.cursor_ms, 3_570_000);
        assert_eq!(v.column_of(v.cursor_ms), Some(119));
        v.zoom(true);
        assert_eq!((v.bucket_ms(), v.cursor_ms), (15_000, 3_570_000));
        assert!(v.column_of(v.cursor_ms).is_some());
        // Zoomed in to frames, stepping back from the end scrolls.
        for _ in 0..10 {
            v.zoom(true);
        }
        assert_eq!(v.bucket_ms(), 40);
        v.step(-1000);
        assert!(v.start_ms <= v.cursor_ms && v.cursor_ms < v.end_ms());
        v.set_cursor(0);
        assert_eq!((v.start_ms, v.cursor_ms), (0, 0));
        v.step(-5);
        assert_eq!(v.cursor_ms, 0);
        // A 19 s video on 80 columns: 500 ms buckets.
        assert_eq!(View::fit(19_000, 80).bucket_ms(), 500);
    }
}
