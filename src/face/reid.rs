//! Re-identification within one session: a face that left and came back is joined to its earlier track.
//!
//! [`Reidentifier`] is the decision, free of threads and pixels: it is told which confirmed tracks each frame
//! shows ([`Reidentifier::seen`]) and given descriptors of a track's best chips ([`Reidentifier::add`]; see
//! [`super::descriptor`]). A track is decided once, when it has [`ReidConfig::samples`] descriptors (or fewer when
//! it has left, or the run ends): it is compared with every earlier face (a track and the tracks already joined to
//! it) all of whose tracks left before it was first seen, by the Euclidean distance between the means of their
//! descriptors (averaging a face's descriptors takes out much of what changes from frame to frame: on
//! `WolfgangLanger_Pexels.mp4`, frames 2 s or more apart are a median 0.46 apart one by one, 0.38 as means of
//! three); the nearest face under [`ReidConfig::threshold`] gets it ([`Join`]). Two tracks seen at the same
//! time are never one face: a face with a track that overlaps the new one in time is no candidate.
//!
//! Descriptors are kept in memory for the run only and never leave this type; what comes out is the decision
//! (which track joins which, and the distance that decided it).

use std::collections::BTreeMap;

use super::descriptor::{distance, Descriptor};

/// Tuning of the re-identification.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReidConfig {
    /// Largest distance between two faces' mean descriptors at which a new track joins an earlier face. dlib's
    /// rule for one pair of faces is 0.6; see [`DEFAULT_THRESHOLD`] for the figures that chose the default.
    pub threshold: f32,
    /// Descriptors taken per track before it is decided.
    pub samples: usize,
    /// A track not seen for this long (ms of video) is decided with the descriptors it has.
    pub gone_ms: u64,
}

/// Default [`ReidConfig::threshold`]: under the nearest pair of different people among the 56 faces of the shared
/// photos (`multi_face.jpg`, `sample1-6.jpg`, `solvay-1927-boxed.png`: 1,540 pairs, nearest 0.384, two small
/// black-and-white faces of the Solvay photo; nearest pair of the colour photos 0.439), so that none of them is
/// joined; dlib's own 0.6 would join 5% of them. The same man across `face_noface.mov` and `noface_face.mov` is
/// 0.06-0.34 apart (all joined); the same woman in `WolfgangLanger_Pexels.mp4`, crying with her hands over her face
/// and then laughing, is 0.13-0.57 apart as means of three frames 2 s or more apart (median 0.38: about half
/// joined). `tests/it/face_reid.rs` measures both.
pub const DEFAULT_THRESHOLD: f32 = 0.37;

impl Default for ReidConfig {
    fn default() -> Self {
        ReidConfig { threshold: DEFAULT_THRESHOLD, samples: 3, gone_ms: 1000 }
    }
}

/// A decision: track `from` is the same face as track `into` (the earlier face's first track), at `distance`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Join {
    /// The new track.
    pub from: u32,
    /// The earlier face's track (the one every track of that face is joined to).
    pub into: u32,
    /// Euclidean distance between the means of the two faces' descriptors (dlib's metric space).
    pub distance: f32,
    /// When it was decided, ms since session start.
    pub at_ms: u64,
}

/// What is known of one confirmed track.
#[derive(Clone, Debug, Default)]
struct TrackIdentity {
    first_ms: u64,
    last_ms: u64,
    descriptors: Vec<Descriptor>,
    decided: bool,
    /// The track this one was joined to.
    joined_to: Option<u32>,
    /// Its span has been told ([`Reidentifier::span`]); a descriptor may arrive first.
    known: bool,
}

/// The re-identification state of one run (see the module docs).
#[derive(Debug, Default)]
pub struct Reidentifier {
    cfg: ReidConfig,
    tracks: BTreeMap<u32, TrackIdentity>,
    now_ms: u64,
}

impl Reidentifier {
    /// An empty state with `cfg`.
    pub fn new(cfg: ReidConfig) -> Reidentifier {
        Reidentifier { cfg, tracks: BTreeMap::new(), now_ms: 0 }
    }

    /// The confirmed tracks `ids` are in the frame at `ts_ms` (ms since session start).
    pub fn seen(&mut self, ts_ms: u64, ids: &[u32]) {
        self.now(ts_ms);
        for &id in ids {
            self.span(id, ts_ms, ts_ms);
        }
    }

    /// The run has reached `ts_ms` (ms since session start).
    pub fn now(&mut self, ts_ms: u64) {
        self.now_ms = self.now_ms.max(ts_ms);
    }

    /// Track `id` was seen from `first_ms` to `last_ms` (ms since session start; widens what is known).
    pub fn span(&mut self, id: u32, first_ms: u64, last_ms: u64) {
        let t = self.tracks.entry(id).or_default();
        if !t.known {
            (t.first_ms, t.last_ms, t.known) = (first_ms, last_ms, true);
        }
        t.first_ms = t.first_ms.min(first_ms);
        t.last_ms = t.last_ms.max(last_ms);
    }

    /// A descriptor of track `id`'s face.
    pub fn add(&mut self, id: u32, d: Descriptor) {
        self.tracks.entry(id).or_default().descriptors.push(d);
    }

    /// Whether track `id` still wants descriptors (undecided, fewer than [`ReidConfig::samples`]).
    pub fn wants(&self, id: u32) -> bool {
        self.tracks.get(&id).is_none_or(|t| !t.decided && t.descriptors.len() < self.cfg.samples)
    }

    /// The face `id` belongs to: the track it was joined to, or itself.
    fn root(&self, id: u32) -> u32 {
        self.tracks.get(&id).and_then(|t| t.joined_to).unwrap_or(id)
    }

    /// Decides every track that is ready (enough descriptors, or gone for [`ReidConfig::gone_ms`], or every track
    /// with a descriptor when `end` is set, at the end of the run), in order of first appearance; returns the joins
    /// made.
    pub fn decide(&mut self, end: bool) -> Vec<Join> {
        let ready: Vec<u32> = {
            let mut v: Vec<(u64, u32)> = self
                .tracks
                .iter()
                // A track whose span is not known yet (its chip came before the news of its frames) waits.
                .filter(|(_, t)| !t.decided && !t.descriptors.is_empty() && t.known)
                .filter(|(_, t)| {
                    end || t.descriptors.len() >= self.cfg.samples
                        || self.now_ms.saturating_sub(t.last_ms) >= self.cfg.gone_ms
                })
                .map(|(&id, t)| (t.first_ms, id))
                .collect();
            v.sort_unstable();
            v.into_iter().map(|(_, id)| id).collect()
        };
        let mut joins = Vec::new();
        for id in ready {
            if let Some(j) = self.decide_one(id) {
                joins.push(j);
            }
        }
        joins
    }

    /// Decides track `id`: the nearest earlier face under the threshold, if any.
    fn decide_one(&mut self, id: u32) -> Option<Join> {
        let me = self.tracks.get(&id)?.clone();
        // Faces (by root) and their tracks, other than this one.
        let mut faces: BTreeMap<u32, Vec<&TrackIdentity>> = BTreeMap::new();
        for (&other, t) in &self.tracks {
            if other != id && t.decided {
                faces.entry(self.root(other)).or_default().push(t);
            }
        }
        let mut best: Option<(f32, u32)> = None;
        for (root, members) in &faces {
            // Every track of the face left before this one was first seen.
            if members.iter().any(|t| t.last_ms >= me.first_ms) {
                continue;
            }
            let theirs: Vec<&Descriptor> = members.iter().flat_map(|t| &t.descriptors).collect();
            if theirs.is_empty() {
                continue;
            }
            let d = distance(&mean(me.descriptors.iter()), &mean(theirs.into_iter()));
            if d < self.cfg.threshold && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, *root));
            }
        }
        let t = self.tracks.get_mut(&id)?;
        t.decided = true;
        let (distance, into) = best?;
        t.joined_to = Some(into);
        Some(Join { from: id, into, distance, at_ms: self.now_ms })
    }
}

/// The mean of descriptors (all zeros for none).
fn mean<'a>(ds: impl Iterator<Item = &'a Descriptor>) -> Descriptor {
    let mut sum = [0f32; 128];
    let mut n = 0;
    for d in ds {
        for (s, v) in sum.iter_mut().zip(d) {
            *s += v;
        }
        n += 1;
    }
    sum.map(|s| s / n.max(1) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A descriptor `x` along axis `axis` (distances between two such: |x1 - x2| on one axis, sqrt(x1² + x2²)
    /// across axes).
    fn d(axis: usize, x: f32) -> Descriptor {
        let mut v = [0f32; 128];
        v[axis] = x;
        v
    }

    fn run(r: &mut Reidentifier, ids: &[u32], from_ms: u64, to_ms: u64) {
        for ts in (from_ms..=to_ms).step_by(100) {
            r.seen(ts, ids);
        }
    }

    #[test]
    fn a_face_that_comes_back_joins_its_earlier_track_and_a_stranger_does_not() {
        let mut r = Reidentifier::new(ReidConfig::default());
        run(&mut r, &[1], 0, 2000);
        for x in [0.0, 0.1, 0.2] {
            r.add(1, d(0, x));
        }
        assert!(r.decide(false).is_empty(), "the first face joins nothing");
        assert!(!r.wants(1));
        // Track 2 comes back after a gap, near track 1; track 3, far from both, later.
        run(&mut r, &[2], 5000, 6000);
        for x in [0.05, 0.15, 0.3] {
            r.add(2, d(0, x));
        }
        let joins = r.decide(false);
        assert_eq!(joins.len(), 1);
        assert_eq!((joins[0].from, joins[0].into), (2, 1));
        assert!(joins[0].distance < 0.2);
        run(&mut r, &[3], 7000, 7500);
        r.add(3, d(1, 1.0));
        assert!(r.decide(true).is_empty());
        // A fourth track near the face again joins it at its first track, judged on all of its tracks.
        run(&mut r, &[4], 8000, 8200);
        r.add(4, d(0, 0.1));
        let j = r.decide(true);
        assert_eq!((j[0].from, j[0].into), (4, 1));
    }

    #[test]
    fn tracks_seen_together_are_never_one_face() {
        let mut r = Reidentifier::new(ReidConfig { samples: 1, ..ReidConfig::default() });
        // Twins: the same descriptor, but 2 appears while 1 is still in view.
        run(&mut r, &[1], 0, 1000);
        run(&mut r, &[1, 2], 1100, 1500);
        r.add(1, d(0, 0.0));
        r.add(2, d(0, 0.0));
        assert!(r.decide(false).is_empty());
        // 3 comes after both left: it joins one of them, and then a 4th seen with 3 cannot join that face.
        run(&mut r, &[3], 3000, 3500);
        run(&mut r, &[3, 4], 3600, 3800);
        r.add(3, d(0, 0.01));
        r.add(4, d(0, 0.01));
        let joins = r.decide(false);
        assert_eq!(joins.len(), 2, "{joins:?}");
        assert_ne!(joins[0].into, joins[1].into, "3 and 4 were seen together: {joins:?}");
    }

    #[test]
    fn a_track_that_leaves_early_is_decided_with_what_it_has() {
        let mut r = Reidentifier::new(ReidConfig::default());
        run(&mut r, &[1], 0, 1000);
        r.add(1, d(0, 0.0));
        assert!(r.wants(1));
        run(&mut r, &[], 1100, 1900);
        assert!(r.decide(false).is_empty());
        run(&mut r, &[], 2000, 2100);
        r.decide(false);
        assert!(!r.wants(1), "gone for a second: decided");
        run(&mut r, &[2], 3000, 3100);
        r.add(2, d(0, 0.1));
        assert_eq!(r.decide(true).len(), 1);
    }
}
