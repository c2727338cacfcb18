//! The room as a teacher sees it: facing the front over time and where each face sat (the seat map), read from a
//! stored session's observations in one pass.
//!
//! The per-second timeline holds emotions only, so these figures come from the observations themselves
//! ([`StoredSession::for_each_observation`]): about a second per million observations, done when a report,
//! the compare page, or review's seat map or compare view asks for them.
//!
//! Seat positions are derived numbers (mean box centre and size as fractions of the frame); no pixels.

use std::collections::BTreeMap;

use serde::Serialize;

use super::attention::{self, FacingCount};
use crate::pipeline::Observation;
use crate::store::timeline::{Timeline, SECOND_MS};
use crate::store::StoredSession;

/// One face's place in the frame, averaged over the session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Seat {
    /// Track id (merged tracks folded into the one they were merged into).
    pub track_id: u32,
    /// Mean box centre, fractions of the frame width and height, in `[0, 1]` (0, 0 = top left).
    pub x: f32,
    /// See `x`.
    pub y: f32,
    /// Mean box width and height, fractions of the frame width and height.
    pub w: f32,
    /// See `w`.
    pub h: f32,
    /// Observations averaged.
    pub observations: u64,
    /// Facing the front over the session (that face's judged face-frames).
    pub facing: FacingCount,
}

#[derive(Clone, Copy, Debug, Default)]
struct SeatSum {
    n: u64,
    cx: f64,
    cy: f64,
    w: f64,
    h: f64,
    facing: FacingCount,
}

/// Facing the front per second and the seat map of one session.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Room {
    /// Per second of session time (index = second): face-frames judged and judged facing the front.
    #[serde(skip)]
    pub facing: Vec<FacingCount>,
    /// Frame size the seat positions are relative to, pixels: the recorded frame size, or (older sessions) the
    /// extent of all face boxes.
    pub frame: [f32; 2],
    /// Each face's seat, by track id.
    pub seats: Vec<Seat>,
}

/// Accumulates a [`Room`] from observations.
#[derive(Clone, Debug, Default)]
pub struct RoomBuilder {
    facing: Vec<FacingCount>,
    seats: BTreeMap<u32, SeatSum>,
    extent: [f32; 2],
}

impl RoomBuilder {
    /// Adds one observation, counted for `track_id` (its track after merges).
    pub fn add(&mut self, o: &Observation, track_id: u32) {
        let s = (o.timestamp_ms / SECOND_MS) as usize;
        if self.facing.len() <= s {
            self.facing.resize(s + 1, FacingCount::default());
        }
        self.facing[s].add(o);
        let (cx, cy) = o.bbox.center();
        let seat = self.seats.entry(track_id).or_default();
        seat.n += 1;
        seat.cx += cx as f64;
        seat.cy += cy as f64;
        seat.w += o.bbox.w as f64;
        seat.h += o.bbox.h as f64;
        seat.facing.add(o);
        self.extent[0] = self.extent[0].max(o.bbox.x + o.bbox.w);
        self.extent[1] = self.extent[1].max(o.bbox.y + o.bbox.h);
    }

    /// The room, with positions relative to `frame_size` (pixels) or, without one, to the boxes' extent.
    pub fn build(self, frame_size: Option<[u32; 2]>) -> Room {
        let frame = frame_size.map_or(self.extent, |[w, h]| [w as f32, h as f32]);
        let (fw, fh) = (frame[0].max(1.0) as f64, frame[1].max(1.0) as f64);
        let seats = self
            .seats
            .into_iter()
            .filter(|(_, s)| s.n > 0)
            .map(|(track_id, s)| {
                let n = s.n as f64;
                Seat {
                    track_id,
                    x: (s.cx / n / fw).clamp(0.0, 1.0) as f32,
                    y: (s.cy / n / fh).clamp(0.0, 1.0) as f32,
                    w: (s.w / n / fw) as f32,
                    h: (s.h / n / fh) as f32,
                    observations: s.n,
                    facing: s.facing,
                }
            })
            .collect();
        Room { facing: self.facing, frame, seats }
    }
}

impl Room {
    /// Reads a session's observations once; merged tracks count for the track they were merged into.
    ///
    /// Errors: a damaged record.
    pub fn load(reader: &StoredSession, timeline: &Timeline) -> anyhow::Result<Room> {
        let mut b = RoomBuilder::default();
        reader.for_each_observation(|o| b.add(o, timeline.resolve(o.track_id)))?;
        Ok(b.build(reader.record().frame_size))
    }

    /// Facing the front over `[start_ms, end_ms)`, whole seconds (as [`Timeline::total`]).
    pub fn facing_between(&self, start_ms: u64, end_ms: u64) -> FacingCount {
        attention::total(&self.facing, (start_ms / SECOND_MS) as usize, end_ms.div_ceil(SECOND_MS) as usize)
    }

    /// Facing the front in `n` buckets of `bucket_ms` (whole seconds) from 0.
    pub fn facing_buckets(&self, bucket_ms: u64, n: usize) -> Vec<FacingCount> {
        let k = bucket_ms.div_ceil(SECOND_MS).max(1) as usize;
        (0..n).map(|i| attention::total(&self.facing, i * k, (i + 1) * k)).collect()
    }

    /// The whole session's facing count.
    pub fn facing_total(&self) -> FacingCount {
        attention::total(&self.facing, 0, self.facing.len())
    }

    /// One face's seat.
    pub fn seat(&self, track_id: u32) -> Option<&Seat> {
        self.seats.iter().find(|s| s.track_id == track_id)
    }
}
