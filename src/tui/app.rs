//! State of the live screen, fed by [`LiveEvent`]s and keys; pure (no terminal), so it can be tested and
//! rendered onto any backend.
//!
//! Time on this screen is source time: the `timestamp_ms` of the frames (milliseconds since session start).
//! A face is "stale" (greyed) when the newest frame is more than `stale_seconds` past its last observation, and
//! is removed after `forget_seconds`; a video read faster than real time therefore behaves like a live one.

use std::collections::{BTreeMap, VecDeque};

use super::input::Action;
use super::{LiveEvent, LiveInfo, TuiConfig};
use crate::classify::{Emotion, Probs, NUM_EMOTIONS};
use crate::detect::BBox;
use crate::pipeline::{FrameResult, PipelineStats};

/// Most history samples kept per face, whatever the frame rate (about 2 minutes at 60 FPS).
const MAX_HISTORY: usize = 8192;

/// Facts about the newest frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameInfo {
    /// Index of the frame in its source (0-based).
    pub frame_index: u64,
    /// Milliseconds since session start.
    pub timestamp_ms: u64,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// Faces the detector found in it.
    pub detections: usize,
    /// Confirmed tracks in it.
    pub faces: usize,
    /// Its capture-to-result latency, milliseconds.
    pub latency_ms: f64,
}

/// One tracked face as the screen knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackView {
    /// Stable track id, shown as "Face {track_id}".
    pub track_id: u32,
    /// Source time of its first observation, milliseconds since session start.
    pub first_seen_ms: u64,
    /// Source time of its latest observation, milliseconds since session start.
    pub last_seen_ms: u64,
    /// Latest smoothed probabilities (FER2013 order).
    pub smoothed: Probs,
    /// Latest per-frame probabilities (FER2013 order).
    pub raw: Probs,
    /// Latest box, pixels of the source frame.
    pub bbox: BBox,
    /// Observations so far.
    pub observations: u64,
    /// Recent smoothed probabilities with their source time (ms), oldest first, covering `history_seconds`.
    pub history: VecDeque<(u64, Probs)>,
}

impl TrackView {
    /// The most probable smoothed class and its probability in `[0, 1]`.
    pub fn dominant(&self) -> (Emotion, f32) {
        let e = Emotion::argmax(&self.smoothed);
        (e, self.smoothed[e as usize])
    }

    /// Seconds between its first and latest observation.
    pub fn in_view_s(&self) -> f64 {
        self.last_seen_ms.saturating_sub(self.first_seen_ms) as f64 / 1000.0
    }

    /// Milliseconds since its latest observation, as of source time `now_ms`.
    pub fn unseen_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_seen_ms)
    }

    /// The probability of `emotion` in percent (0..=100) over the `span_ms` before `now_ms`, in `buckets`
    /// equal time slices, oldest first: the mean of the samples in each slice; a slice without samples repeats
    /// the previous sample if it is at most `gap_ms` older, else is `None` (face not in view).
    pub fn series(
        &self,
        emotion: Emotion,
        now_ms: u64,
        span_ms: u64,
        buckets: usize,
        gap_ms: u64,
    ) -> Vec<Option<u64>> {
        let mut out = vec![None; buckets];
        if buckets == 0 || span_ms == 0 {
            return out;
        }
        let k = emotion as usize;
        let start = now_ms as i128 - span_ms as i128;
        let edge = |i: usize| start + (span_ms as i128 * i as i128) / buckets as i128;
        let mut j = 0;
        let mut last: Option<(u64, f32)> = None;
        for (i, slot) in out.iter_mut().enumerate() {
            let (b0, b1) = (edge(i), edge(i + 1));
            let (mut sum, mut n) = (0.0f32, 0u32);
            while j < self.history.len() {
                let (t, p) = &self.history[j];
                let t = *t as i128;
                if t >= b1 && i + 1 < buckets {
                    break;
                }
                if t >= b0 {
                    sum += p[k];
                    n += 1;
                }
                last = Some((t as u64, p[k]));
                j += 1;
            }
            *slot = if n > 0 {
                Some(pct(sum / n as f32))
            } else {
                match last {
                    Some((t, v)) if b0 - (t as i128) <= gap_ms as i128 => Some(pct(v)),
                    _ => None,
                }
            };
        }
        out
    }
}

/// A probability in `[0, 1]` as whole percent.
fn pct(p: f32) -> u64 {
    (p.clamp(0.0, 1.0) * 100.0).round() as u64
}

/// Everything the engine has told the screen; copied whole when the display is paused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Faces on screen, by track id.
    pub tracks: BTreeMap<u32, TrackView>,
    /// Pipeline statistics as of the newest frame.
    pub stats: PipelineStats,
    /// The newest frame, `None` before the first.
    pub last_frame: Option<FrameInfo>,
    /// Frames received by the screen.
    pub frames_received: u64,
}

impl Snapshot {
    /// Source time of the newest frame, milliseconds since session start (0 before the first).
    pub fn now_ms(&self) -> u64 {
        self.last_frame.as_ref().map_or(0, |f| f.timestamp_ms)
    }
}

/// Which emotion the sparklines follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SparkSel {
    /// Each face's current dominant emotion.
    #[default]
    Dominant,
    /// The same emotion for every face.
    Emotion(Emotion),
}

impl SparkSel {
    /// The next choice: dominant, angry, ..., neutral, dominant.
    pub fn next(self) -> Self {
        match self {
            Self::Dominant => Self::Emotion(Emotion::ALL[0]),
            Self::Emotion(e) => match Emotion::from_index(e as usize + 1) {
                Some(n) => Self::Emotion(n),
                None => Self::Dominant,
            },
        }
    }

    /// The previous choice.
    pub fn prev(self) -> Self {
        match self {
            Self::Dominant => Self::Emotion(Emotion::ALL[NUM_EMOTIONS - 1]),
            Self::Emotion(e) if e as usize == 0 => Self::Dominant,
            Self::Emotion(e) => Self::Emotion(Emotion::ALL[e as usize - 1]),
        }
    }

    /// The emotion followed for a face whose dominant emotion is `dominant`.
    pub fn resolve(self, dominant: Emotion) -> Emotion {
        match self {
            Self::Dominant => dominant,
            Self::Emotion(e) => e,
        }
    }
}

/// State of the live screen.
#[derive(Clone, Debug)]
pub struct App {
    /// Static header facts.
    pub info: LiveInfo,
    /// Sparkline span, milliseconds of source time.
    pub history_ms: u64,
    /// Unseen time after which a face is greyed, milliseconds.
    pub stale_ms: u64,
    /// Unseen time after which a face is removed, milliseconds.
    pub forget_ms: u64,
    /// What the engine sent, kept current even while paused.
    pub live: Snapshot,
    /// The copy on display while paused.
    pub frozen: Option<Snapshot>,
    /// How the source ended: `None` while running, `Some(Err(message))` on failure.
    pub finished: Option<Result<(), String>>,
    /// Page of face panels on display (0-based); clamped when drawn.
    pub page: usize,
    /// Pages available at the last draw.
    pub pages: usize,
    /// Emotion the sparklines follow.
    pub spark: SparkSel,
    /// Whether the help overlay is shown.
    pub show_help: bool,
    /// Set when the user asked to quit.
    pub quit: bool,
}

impl App {
    /// An empty screen for `info` with the spans of `cfg`.
    pub fn new(info: LiveInfo, cfg: &TuiConfig) -> Self {
        let ms = |s: f64| (s.max(0.0) * 1000.0).round() as u64;
        let stale_ms = ms(cfg.stale_seconds);
        Self {
            info,
            history_ms: ms(cfg.history_seconds).max(1000),
            stale_ms,
            forget_ms: ms(cfg.forget_seconds).max(stale_ms),
            live: Snapshot::default(),
            frozen: None,
            finished: None,
            page: 0,
            pages: 1,
            spark: SparkSel::Dominant,
            show_help: false,
            quit: false,
        }
    }

    /// Takes one event from the engine.
    pub fn apply(&mut self, ev: LiveEvent) {
        match ev {
            LiveEvent::Frame(fr) => self.apply_frame(&fr),
            LiveEvent::Finished(r) => self.finished = Some(r),
        }
    }

    /// The engine went away; if it did not say how the source ended, that is shown as an error.
    pub fn disconnected(&mut self) {
        if self.finished.is_none() {
            self.finished = Some(Err("the engine stopped without reporting an end".into()));
        }
    }

    /// Takes one processed frame: updates the faces in it, their history, the statistics, and drops faces not
    /// seen for `forget_seconds`.
    pub fn apply_frame(&mut self, fr: &FrameResult) {
        let s = &mut self.live;
        let now = fr.timestamp_ms;
        for o in &fr.observations {
            let t = s.tracks.entry(o.track_id).or_insert_with(|| TrackView {
                track_id: o.track_id,
                first_seen_ms: o.timestamp_ms,
                last_seen_ms: o.timestamp_ms,
                smoothed: o.smoothed,
                raw: o.raw,
                bbox: o.bbox,
                observations: 0,
                history: VecDeque::new(),
            });
            t.last_seen_ms = t.last_seen_ms.max(o.timestamp_ms);
            t.smoothed = o.smoothed;
            t.raw = o.raw;
            t.bbox = o.bbox;
            t.observations += 1;
            t.history.push_back((o.timestamp_ms, o.smoothed));
        }
        let horizon = now.saturating_sub(self.history_ms + self.stale_ms);
        for t in s.tracks.values_mut() {
            while t.history.len() > MAX_HISTORY
                || t.history.front().is_some_and(|(ts, _)| *ts < horizon)
            {
                t.history.pop_front();
            }
        }
        let forget = self.forget_ms;
        s.tracks.retain(|_, t| t.unseen_ms(now) <= forget);
        s.stats = fr.stats.clone();
        s.frames_received += 1;
        s.last_frame = Some(FrameInfo {
            frame_index: fr.frame_index,
            timestamp_ms: fr.timestamp_ms,
            width: fr.width,
            height: fr.height,
            detections: fr.detections,
            faces: fr.observations.len(),
            latency_ms: fr.latency_ms,
        });
    }

    /// Takes one user action.
    pub fn handle(&mut self, a: Action) {
        match a {
            Action::Quit => {
                if self.show_help {
                    self.show_help = false;
                } else {
                    self.quit = true;
                }
            }
            Action::ForceQuit => self.quit = true,
            Action::TogglePause => {
                self.frozen = match self.frozen.take() {
                    Some(_) => None,
                    None => Some(self.live.clone()),
                }
            }
            Action::NextPage => self.page = (self.page + 1).min(self.pages.saturating_sub(1)),
            Action::PrevPage => self.page = self.page.saturating_sub(1),
            Action::NextEmotion => self.spark = self.spark.next(),
            Action::PrevEmotion => self.spark = self.spark.prev(),
            Action::ToggleHelp => self.show_help = !self.show_help,
        }
    }

    /// The state on display: the frozen copy while paused, else the live one.
    pub fn view(&self) -> &Snapshot {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// Whether the display is paused.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Whether a face is greyed (not seen for `stale_seconds` as of the newest frame on display).
    pub fn is_stale(&self, t: &TrackView) -> bool {
        t.unseen_ms(self.view().now_ms()) > self.stale_ms
    }

    /// Faces on display in panel order: those in view by track id, then the greyed ones by track id.
    pub fn ordered_tracks(&self) -> Vec<&TrackView> {
        let (mut fresh, stale): (Vec<_>, Vec<_>) =
            self.view().tracks.values().partition(|t| !self.is_stale(t));
        fresh.extend(stale);
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Observation;

    fn probs(k: usize, p: f32) -> Probs {
        let mut a = [(1.0 - p) / 6.0; NUM_EMOTIONS];
        a[k] = p;
        a
    }

    fn frame(t: u64, ids: &[u32]) -> FrameResult {
        FrameResult {
            frame_index: t / 40,
            timestamp_ms: t,
            width: 640,
            height: 360,
            detections: ids.len(),
            latency_ms: 30.0,
            observations: ids
                .iter()
                .map(|&id| Observation {
                    frame_index: t / 40,
                    timestamp_ms: t,
                    track_id: id,
                    bbox: BBox::new(10.0, 10.0, 80.0, 80.0),
                    score: 0.9,
                    raw: probs(3, 0.8),
                    smoothed: probs(3, 0.7),
                })
                .collect(),
            stats: PipelineStats::default(),
            image: None,
        }
    }

    #[test]
    fn faces_grey_then_go() {
        let mut app = App::new(LiveInfo::default(), &TuiConfig::default());
        for t in (0..=1000).step_by(40) {
            app.apply_frame(&frame(t, &[1, 2]));
        }
        app.apply_frame(&frame(4000, &[1]));
        let t2 = &app.view().tracks[&2];
        assert!(app.is_stale(t2));
        assert!(!app.is_stale(&app.view().tracks[&1]));
        assert_eq!(app.ordered_tracks()[0].track_id, 1);
        app.apply_frame(&frame(12_000, &[1]));
        assert!(!app.view().tracks.contains_key(&2));
        assert_eq!(app.view().tracks[&1].dominant().0, Emotion::Happy);
    }

    #[test]
    fn history_is_bounded_and_series_is_right_aligned() {
        let cfg = TuiConfig {
            history_seconds: 10.0,
            ..TuiConfig::default()
        };
        let mut app = App::new(LiveInfo::default(), &cfg);
        for t in (0..=30_000).step_by(100) {
            app.apply_frame(&frame(t, &[1]));
        }
        let tr = &app.view().tracks[&1];
        assert!(tr.history.front().unwrap().0 >= 30_000 - 12_000);
        let s = tr.series(Emotion::Happy, 30_000, 10_000, 20, 2000);
        assert!(s.iter().all(|v| *v == Some(70)), "{s:?}");
        // A face seen for 1 s only fills the right end.
        let mut app = App::new(LiveInfo::default(), &cfg);
        for t in (0..=1000).step_by(100) {
            app.apply_frame(&frame(t, &[1]));
        }
        let s = app.view().tracks[&1].series(Emotion::Happy, 1000, 10_000, 10, 500);
        assert_eq!(s[..8], [None; 8]);
        assert_eq!(s[9], Some(70));
    }

    #[test]
    fn pause_freezes_the_display_not_the_data() {
        let mut app = App::new(LiveInfo::default(), &TuiConfig::default());
        app.apply_frame(&frame(0, &[1]));
        app.handle(Action::TogglePause);
        app.apply_frame(&frame(40, &[1, 2]));
        assert_eq!(app.view().tracks.len(), 1);
        assert_eq!(app.live.tracks.len(), 2);
        app.handle(Action::TogglePause);
        assert_eq!(app.view().tracks.len(), 2);
    }

    #[test]
    fn spark_selection_cycles() {
        let mut s = SparkSel::Dominant;
        for _ in 0..=NUM_EMOTIONS {
            s = s.next();
        }
        assert_eq!(s, SparkSel::Dominant);
        assert_eq!(
            SparkSel::Dominant.prev(),
            SparkSel::Emotion(Emotion::Neutral)
        );
        assert_eq!(SparkSel::Emotion(Emotion::Angry).prev(), SparkSel::Dominant);
    }
}
