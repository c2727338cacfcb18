//! Review of a long session: a synthetic hour with 30 faces at 30 FPS (3.24 million observations, written through
//! the store API by `tests/it/common/synthetic.rs`), reopened as a reviewer would, checked against the pattern it was
//! built with. How fast it opens is measured by `cargo bench --bench review_open`; here it is only printed.

use crate::common;

use std::time::Instant;

use common::synthetic::{build_session, Plan, HAPPY, NEUTRAL, SURPRISE};
use emotrace::analytics::segments::summarize;
use emotrace::classify::Emotion;
use emotrace::store::{AnnotationKind, SessionStatus, Store};

/// Session length, minutes (`EMOTRACE_SYNTH_MINUTES` overrides it).
const MINUTES: u32 = 60;
const FACES: u32 = 30;
const FPS: u32 = 30;

#[test]
fn an_hour_with_thirty_faces_reviews_from_its_timeline() {
    let minutes = std::env::var("EMOTRACE_SYNTH_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(MINUTES);
    let plan = Plan::new(minutes, FACES, FPS);
    let dir = tempfile::tempdir().unwrap();
    let built = Instant::now();
    let id = build_session(&Store::open(dir.path()).unwrap(), minutes, FACES, FPS);
    eprintln!("built {minutes} min x {FACES} faces x {FPS} FPS in {:.1} s", built.elapsed().as_secs_f64());

    // Reopened as a new review would: store, session, per-second timeline. The first open after recording also
    // replays sled's log; a second one starts from the snapshot that leaves.
    for which in ["first", "second"] {
        let opened = Instant::now();
        let r = Store::open(dir.path()).unwrap().open_session(&id).unwrap();
        let seconds = r.timeline().unwrap().seconds().len();
        eprintln!("{which} open + timeline ({seconds} s): {:.1} ms", opened.elapsed().as_secs_f64() * 1000.0);
    }
    let store = Store::open(dir.path()).unwrap();
    let r = store.open_session(&id).unwrap();
    let timeline = r.timeline().unwrap();

    let expected: Vec<u64> = (1..=FACES).map(|k| plan.observations_of(k)).collect();
    let rec = r.record();
    assert_eq!(rec.status, SessionStatus::Completed);
    assert_eq!(rec.frames, plan.frames());
    assert_eq!(rec.observations, expected.iter().sum::<u64>());
    if minutes == 60 {
        // 30 x 108,000, less the staggered entries (30 frames per face before it) and 15 even faces' minute away.
        assert_eq!(rec.observations, 3_240_000 - 30 * (0..30).sum::<u64>() - 15 * 60 * 30);
    }
    assert_eq!(rec.tracks, FACES);
    assert_eq!(rec.annotations, 3);
    assert_eq!(rec.duration_ms, plan.timestamp_ms(plan.frames() - 1));

    // The timeline's totals match the pattern.
    assert_eq!(timeline.span_ms(), plan.duration_ms());
    assert!(timeline.seconds().iter().all(|b| b.frames == FPS), "every second holds {FPS} frames");
    let whole = timeline.total(0, plan.duration_ms());
    assert_eq!(whole.frames as u64, plan.frames());
    let per_track: Vec<u64> = whole.tracks.iter().map(|(_, a)| a.frames as u64).collect();
    assert_eq!(whole.tracks.iter().map(|(id, _)| *id).collect::<Vec<_>>(), (1..=FACES).collect::<Vec<_>>());
    assert_eq!(per_track, expected);

    let (h0, h1) = plan.happy();
    let happy = timeline.total(h0, h1).class();
    assert_eq!(happy.share()[HAPPY], 1.0, "everyone is happy in the happy window");
    let before = timeline.total(0, h0).class();
    assert_eq!((before.share()[NEUTRAL], before.share()[HAPPY]), (1.0, 0.0));
    let after = timeline.total(h1, plan.surprise().0).class();
    assert_eq!(after.share()[HAPPY], 0.0);
    let (s0, s1) = plan.surprise();
    let surprised = timeline.total(s0, s1).class();
    assert!((surprised.share()[SURPRISE] - 0.5).abs() < 1e-6, "odd faces are surprised: {:?}", surprised.share());
    let (p0, p1) = plan.pause();
    assert!((timeline.total(p0, p1).mean_faces() - FACES as f32 / 2.0).abs() < 1e-6, "even faces are away");
    assert!((timeline.total(0, h0).class().mean()[HAPPY] - 1.0 / 15.0).abs() < 1e-3);

    // A two-second window (not on second boundaries, across the "joke" marker) reads exactly its observations.
    let (a, b) = (h0 - 1000 + 17, h0 + 1000 + 17);
    let (frames, obs) = r.window(a, b).unwrap();
    let in_window: Vec<u64> = (0..plan.frames()).filter(|&i| (a..b).contains(&plan.timestamp_ms(i))).collect();
    assert_eq!(in_window.len(), 2 * FPS as usize);
    assert_eq!(frames.iter().map(|f| f.frame_index).collect::<Vec<_>>(), in_window);
    let want: Vec<_> = in_window.iter().flat_map(|&i| plan.frame(i).observations).collect();
    assert_eq!(obs.len(), 2 * (FPS * FACES) as usize);
    assert!(obs == want, "the window's observations differ from those written");

    // Summaries: segments between the markers, the happy onset as the largest change.
    let notes = r.annotations().unwrap();
    assert!(notes.iter().all(|a| a.kind == AnnotationKind::Marker));
    let markers: Vec<(u64, String)> = notes.iter().map(|a| (a.start_ms, a.label.clone())).collect();
    let s = summarize(&timeline, &markers, 100);
    let seg: Vec<_> = s.segments.iter().map(|g| (g.start_ms, g.label.as_str(), g.dominant)).collect();
    assert_eq!(
        seg,
        vec![
            (0, "start", Some(Emotion::Neutral)),
            (h0, "joke", Some(Emotion::Happy)),
            (h1, "back to work", Some(Emotion::Neutral)),
            (s0, "demo", Some(Emotion::Neutral)),
        ]
    );
    assert_eq!(s.faces.len(), FACES as usize);
    let top = &s.changes[0];
    assert_eq!(top.emotion, Emotion::Happy, "{top:?}");
    assert!([h0, h1].contains(&top.at_ms) && top.delta.abs() > 0.6, "{top:?}");
    assert!(
        s.changes.iter().any(|c| c.at_ms == h0
            && c.track_id.is_none()
            && c.emotion == Emotion::Happy
            && c.delta > 0.6
            && c.to == Some(Emotion::Happy)),
        "the class turning happy at {h0} ms is among the largest changes: {:?}",
        s.changes
    );
}
