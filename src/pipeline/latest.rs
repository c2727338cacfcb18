//! A one-frame mailbox for live sources: the producer never waits, the newest frame wins, and every frame
//! replaced before the consumer took it is counted as dropped.

use std::sync::{Condvar, Mutex};

/// Single-slot channel where `put` overwrites. Used between a live capture thread and the detector.
#[derive(Debug, Default)]
pub struct LatestSlot<T> {
    state: Mutex<SlotState<T>>,
    ready: Condvar,
}

#[derive(Debug)]
struct SlotState<T> {
    item: Option<T>,
    closed: bool,
    dropped: u64,
}

impl<T> Default for SlotState<T> {
    fn default() -> Self {
        Self { item: None, closed: false, dropped: 0 }
    }
}

impl<T> LatestSlot<T> {
    /// An empty, open slot.
    pub fn new() -> Self {
        Self { state: Mutex::new(SlotState::default()), ready: Condvar::new() }
    }

    /// Puts `item` in the slot, replacing (and counting as dropped) an item not yet taken.
    pub fn put(&self, item: T) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.item.replace(item).is_some() {
            s.dropped += 1;
        }
        self.ready.notify_one();
    }

    /// Counts `n` items as dropped that never reached the slot (a live source skipped them).
    pub fn add_dropped(&self, n: u64) {
        if n > 0 {
            self.state.lock().unwrap_or_else(|e| e.into_inner()).dropped += n;
        }
    }

    /// Marks the end of the stream; `take` returns `None` once the slot is empty.
    pub fn close(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.closed = true;
        self.ready.notify_all();
    }

    /// Waits for the next item; `None` when closed and empty.
    pub fn take(&self) -> Option<T> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(item) = s.item.take() {
                return Some(item);
            }
            if s.closed {
                return None;
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Number of items overwritten before being taken.
    pub fn dropped(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_item_wins_and_replacements_are_counted() {
        let slot = LatestSlot::new();
        slot.put(1);
        slot.put(2);
        slot.put(3);
        assert_eq!(slot.take(), Some(3));
        assert_eq!(slot.dropped(), 2);
        slot.close();
        assert_eq!(slot.take(), None);
    }
}
