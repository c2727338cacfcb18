//! Stage 1: frames from the source, with their gray version (a video's luma plane), handed to the tracking stage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::InFlight;
use crate::capture::{self, Input};

/// How the capture stage paces and repeats its input.
#[derive(Clone, Copy, Debug)]
pub struct CaptureOptions {
    /// Release frames at their timestamps (a file played as a camera would deliver it).
    pub pace: bool,
    /// Reopen the input at its end; timestamps keep increasing.
    pub looped: bool,
    /// Nominal frame rate, for the gap between the last frame and the first of the next loop.
    pub fps: f64,
    /// Frames before this index are skipped (a resumed session): the source seeks to the key frame before it
    /// ([`capture::FrameSource::seek`]) and the frames decoded before it are not handed on or counted.
    pub start_frame: u64,
}

/// Reads frames until the end (or `stop`), converting each to gray and handing it on with `out` (which returns
/// false when the next stage has gone). Counts every frame read in `frames_in`.
///
/// Errors: a decode error part-way (names the input), or the input cannot be reopened to loop it.
pub fn run(
    mut source: Box<dyn capture::FrameSource>,
    input: &Input,
    opts: CaptureOptions,
    stop: &AtomicBool,
    frames_in: &AtomicU64,
    out: impl Fn(InFlight) -> bool,
) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let frame_ms = 1000.0 / opts.fps.max(1.0);
    // One image played in a loop (a still scene as a camera would see it) is one scene, not a new one per loop.
    let still_loop = opts.looped && source.info().frame_count == Some(1);
    let live = source.info().is_live();
    let (mut index_offset, mut ts_offset) = (0u64, 0u64);
    let (mut last_index, mut last_ts) = (0u64, 0u64);
    if opts.start_frame > 0 {
        source.seek(opts.start_frame)?;
    }
    let mut pace_origin = None;
    while !stop.load(Ordering::SeqCst) {
        let Some(mut frame) = source.next_frame()? else {
            if !opts.looped || frames_in.load(Ordering::SeqCst) == 0 {
                break;
            }
            index_offset = last_index + 1;
            ts_offset = last_ts + frame_ms.round() as u64;
            source = capture::open(input).context("reopening the input to loop it")?;
            continue;
        };
        if frame.index < opts.start_frame && index_offset == 0 {
            continue;
        }
        frame.index += index_offset;
        frame.timestamp_ms += ts_offset;
        // A live source that keeps only its newest pictures skips indices when this stage falls behind.
        let skipped_before = match frames_in.load(Ordering::SeqCst) {
            0 => 0,
            _ if live => frame.index.saturating_sub(last_index + 1),
            _ => 0,
        };
        (last_index, last_ts) = (frame.index, frame.timestamp_ms);
        if opts.pace {
            // Paced from the first frame handed on (a resumed run starts part-way into the file).
            let origin = *pace_origin.get_or_insert(frame.timestamp_ms);
            let due = t0 + Duration::from_millis(frame.timestamp_ms.saturating_sub(origin));
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            frame.captured_at = Instant::now();
        }
        let gray = Arc::new(frame.image.gray());
        frames_in.fetch_add(1 + skipped_before, Ordering::SeqCst);
        let item = InFlight {
            index: frame.index,
            timestamp_ms: frame.timestamp_ms,
            captured_at: frame.captured_at,
            image: Arc::new(frame.image),
            gray,
            faces: Vec::new(),
            detections: 0,
            detected: false,
            scene_start: frame.scene_start && !still_loop,
            skipped_before,
        };
        if !out(item) {
            break;
        }
    }
    Ok(())
}
