//! State of the live screen, fed by [`LiveEvent`]s and keys; pure (no terminal), so it can be tested and
//! rendered onto any backend.
//!
//! Time on this screen is source time: the `timestamp_ms` of the frames (milliseconds since session start).
//! A face is "stale" (greyed) when the newest frame is more than `stale_s` past its last observation, and
//! is removed after `forget_s`; a video read faster than real time therefore behaves like a live one.
//!
//! Keys reach the state through [`App::key`] (or [`App::handle`] for an already mapped [`Action`]); those that
//! ask the engine for something return the [`LiveCommand`] to send. Track names are kept here too, so a panel
//! shows a name as soon as it is typed.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::input::{self, Action, PromptKey};
use super::textinput::{Edit, TextInput};
use super::{Level, LiveCommand, LiveEvent, LiveInfo, Notice, TuiConfig};
use crate::classify::{Emotion, Probs, NUM_EMOTIONS};
use crate::detect::BBox;
use crate::pipeline::{FrameResult, PipelineStats};

/// Most history samples kept per face, whatever the frame rate (about 2 minutes at 60 FPS).
const MAX_HISTORY: usize = 8192;
/// Most frames kept for the class strip's recent shares, whatever the frame rate.
const MAX_CLASS_FRAMES: usize = 1 << 16;

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
    /// Recent smoothed probabilities with their source time (ms), oldest first, covering `history_s`.
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
        crate::fmt::ms_to_s(self.last_seen_ms.saturating_sub(self.first_seen_ms))
    }

    /// Milliseconds since its latest observation, as of source time `now_ms`.
    pub fn unseen_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_seen_ms)
    }

    /// The probability of `emotion` in percent (0..=100) over the `span_ms` before `now_ms`, in `buckets`
    /// equal time slices, oldest first: the mean of the samples in each slice; a slice without samples repeats
    /// the previous sample if it is at most `gap_ms` older, else is `None` (face not in view).
    pub fn series(&self, emotion: Emotion, now_ms: u64, span_ms: u64, buckets: usize, gap_ms: u64) -> Vec<Option<u64>> {
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
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Faces on screen, by track id.
    pub tracks: BTreeMap<u32, TrackView>,
    /// Pipeline statistics as of the newest frame.
    pub stats: PipelineStats,
    /// The newest frame, `None` before the first.
    pub last_frame: Option<FrameInfo>,
    /// Frames received by the screen.
    pub frames_received: u64,
    /// The newest frame's picture, when the engine sent one (for the preview).
    pub image: Option<Arc<crate::capture::Picture>>,
    /// Per frame with faces within `class_window_s` of the newest: its source time (ms) and how many faces had
    /// each dominant emotion (FER2013 order); oldest first.
    pub class_frames: VecDeque<(u64, [u32; NUM_EMOTIONS])>,
}

impl Snapshot {
    /// Source time of the newest frame, milliseconds since session start (0 before the first).
    pub fn now_ms(&self) -> u64 {
        self.last_frame.as_ref().map_or(0, |f| f.timestamp_ms)
    }

    /// Face-frames per dominant emotion over the recent window, and their total.
    pub fn class_recent(&self) -> ([u64; NUM_EMOTIONS], u64) {
        let mut out = [0u64; NUM_EMOTIONS];
        for (_, c) in &self.class_frames {
            for (o, n) in out.iter_mut().zip(c) {
                *o += u64::from(*n);
            }
        }
        let total = out.iter().sum();
        (out, total)
    }
}

/// What the text prompt is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// A marker label; `at_ms` is the source time (ms) of the frame on display when `m` was pressed.
    Marker {
        /// Milliseconds since session start.
        at_ms: u64,
    },
    /// A name for track `track_id`.
    Name {
        /// The track being named.
        track_id: u32,
    },
}

/// The inline text prompt in the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// What it is for.
    pub kind: PromptKind,
    /// What was typed so far.
    pub text: TextInput,
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

/// Paging of the face panels: the page on display and what the panels' area allowed at the last layout. Worked
/// out before each draw ([`crate::tui::render::prepare`]), so drawing changes nothing; the paging keys read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PanelPaging {
    /// Page on display (0-based), below `pages`.
    pub page: usize,
    /// Pages available.
    pub pages: usize,
    /// Panels per page (0 when none fitted).
    pub per_page: usize,
}

impl Default for PanelPaging {
    fn default() -> Self {
        Self { page: 0, pages: 1, per_page: 0 }
    }
}

impl PanelPaging {
    /// The paging of `total` faces at `per_page` panels a page, staying on `page` where it still exists (else
    /// the last page).
    pub fn new(total: usize, per_page: usize, page: usize) -> Self {
        let pages = if per_page == 0 { 1 } else { total.div_ceil(per_page).max(1) };
        Self { page: page.min(pages - 1), pages, per_page }
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
    /// A network source being reconnected: the attempt under way.
    pub reconnecting: Option<u32>,
    /// Times a network source was lost so far.
    pub source_gaps: usize,
    /// Paging of the face panels, worked out before each draw ([`crate::tui::render::prepare`]).
    pub paging: PanelPaging,
    /// Emotion the sparklines follow.
    pub spark: SparkSel,
    /// Whether the help overlay is shown.
    pub show_help: bool,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// Whether observations are being stored, as last asked with `r` (starts from [`LiveInfo::recording`]).
    pub recording: bool,
    /// Names given to tracks with `l`, by track id.
    pub names: BTreeMap<u32, String>,
    /// Tracks re-identification joined to an earlier face: track id -> that face's first track id.
    pub joined: BTreeMap<u32, u32>,
    /// The face picked with the arrow keys or Tab; when `None` or gone, the first face of the page is selected.
    pub selected: Option<u32>,
    /// The open text prompt, if any; while open, keys go to it.
    pub prompt: Option<Prompt>,
    /// The message in the status line, if any.
    pub notice: Option<Notice>,
    /// Labels of the quick markers of keys `1`..`9`.
    pub marker_labels: Vec<String>,
    /// Span of the class strip's recent shares, milliseconds of source time.
    pub class_window_ms: u64,
    /// Whether the frame preview is shown.
    pub show_preview: bool,
    /// Whether each panel shows sparklines of all 7 emotions (where it is tall enough).
    pub all_emotions: bool,
}

impl App {
    /// An empty screen for `info` with the spans of `cfg`.
    pub fn new(info: LiveInfo, cfg: &TuiConfig) -> Self {
        let ms = crate::fmt::secs_to_ms;
        let stale_ms = ms(cfg.stale_s);
        let info_recording = info.recording;
        let first_run = info.first_run;
        Self {
            info,
            history_ms: ms(cfg.history_s).max(1000),
            stale_ms,
            forget_ms: ms(cfg.forget_s).max(stale_ms),
            live: Snapshot::default(),
            frozen: None,
            finished: None,
            paging: PanelPaging::default(),
            spark: SparkSel::Dominant,
            show_help: false,
            quit: false,
            recording: info_recording,
            names: BTreeMap::new(),
            joined: BTreeMap::new(),
            selected: None,
            prompt: None,
            notice: first_run.then(|| Notice::new(Level::Warning, crate::lawful_use::FIRST_RUN)),
            reconnecting: None,
            source_gaps: 0,
            marker_labels: cfg.marker_labels.iter().take(9).cloned().collect(),
            class_window_ms: ms(cfg.class_window_s).max(1000),
            show_preview: cfg.preview,
            all_emotions: false,
        }
    }

    /// Takes one event from the engine.
    pub fn apply(&mut self, ev: LiveEvent) {
        match ev {
            LiveEvent::Frame(fr) => self.apply_frame(&fr),
            LiveEvent::Notice(level, text) => self.notify(level, text),
            LiveEvent::Finished(r) => self.finished = Some(r),
            LiveEvent::Joined { from, into } => {
                let (new, earlier) = (self.label(from), self.label(into));
                self.joined.insert(from, into);
                self.notify(Level::Info, format!("{new} is {earlier} again (re-identified; J in review undoes)"));
            }
            LiveEvent::Link { reconnecting, gaps } => {
                self.reconnecting = reconnecting;
                self.source_gaps = gaps;
            }
        }
    }

    /// The engine went away; if it did not say how the source ended, that is shown as an error.
    pub fn disconnected(&mut self) {
        if self.finished.is_none() {
            self.finished = Some(Err("the engine stopped without reporting an end".into()));
        }
    }

    /// Takes one processed frame: updates the faces in it, their history, the statistics, and drops faces not
    /// seen for `forget_s`.
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
            while t.history.len() > MAX_HISTORY || t.history.front().is_some_and(|(ts, _)| *ts < horizon) {
                t.history.pop_front();
            }
        }
        let forget = self.forget_ms;
        s.tracks.retain(|_, t| t.unseen_ms(now) <= forget);
        if !fr.observations.is_empty() {
            let mut counts = [0u32; NUM_EMOTIONS];
            for o in &fr.observations {
                counts[Emotion::argmax(&o.smoothed) as usize] += 1;
            }
            s.class_frames.push_back((now, counts));
        }
        let class_horizon = now.saturating_sub(self.class_window_ms);
        while s.class_frames.len() > MAX_CLASS_FRAMES
            || s.class_frames.front().is_some_and(|(ts, _)| *ts < class_horizon)
        {
            s.class_frames.pop_front();
        }
        if fr.image.is_some() {
            s.image = fr.image.clone();
        }
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

    /// Takes one key press: to the prompt while it is open, else as an [`Action`]. Returns the request to send
    /// to the engine, if the key asks for one.
    pub fn key(&mut self, k: KeyEvent) -> Option<LiveCommand> {
        if self.prompt.is_some() {
            self.prompt_key(input::map_prompt_key(k)?)
        } else {
            self.handle(input::map_key(k)?)
        }
    }

    /// Takes one key of the open prompt; returns the request to send when the prompt is submitted.
    pub fn prompt_key(&mut self, k: PromptKey) -> Option<LiveCommand> {
        let p = self.prompt.as_mut()?;
        match p.text.key(k) {
            Edit::Typing => None,
            Edit::Cancel => {
                self.prompt = None;
                None
            }
            Edit::ForceQuit => {
                self.prompt = None;
                self.quit = true;
                None
            }
            Edit::Submit(text) => {
                let p = self.prompt.take()?;
                match p.kind {
                    PromptKind::Marker { at_ms } => Some(self.marker(at_ms, text)),
                    PromptKind::Name { track_id } => {
                        if text.is_empty() {
                            return None;
                        }
                        self.names.insert(track_id, text.clone());
                        self.notify(Level::Success, format!("face {track_id} named '{text}'"));
                        Some(LiveCommand::NameTrack { track_id, name: text })
                    }
                }
            }
        }
    }

    /// A marker request at `at_ms` with `label`, with a notice saying it was sent.
    fn marker(&mut self, at_ms: u64, label: String) -> LiveCommand {
        let when = crate::fmt::clock(at_ms);
        self.notify(Level::Info, format!("marker '{label}' sent at {when}"));
        LiveCommand::Marker { at_ms, label }
    }

    /// Takes one user action; returns the request to send to the engine, if it asks for one.
    pub fn handle(&mut self, a: Action) -> Option<LiveCommand> {
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
            Action::NextPage => {
                self.paging.page = (self.paging.page + 1).min(self.paging.pages.saturating_sub(1));
                self.select_page_start();
            }
            Action::PrevPage => {
                self.paging.page = self.paging.page.saturating_sub(1);
                self.select_page_start();
            }
            Action::SelectNext => self.select_step(1),
            Action::SelectPrev => self.select_step(-1),
            Action::NextEmotion => self.spark = self.spark.next(),
            Action::PrevEmotion => self.spark = self.spark.prev(),
            Action::ToggleAllEmotions => self.all_emotions = !self.all_emotions,
            Action::TogglePreview => self.show_preview = !self.show_preview,
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::StartMarker => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Marker { at_ms: self.view().now_ms() },
                    text: TextInput::default(),
                })
            }
            Action::QuickMarker(n) => match self.marker_labels.get(n as usize).cloned() {
                Some(label) => return Some(self.marker(self.view().now_ms(), label)),
                None => self
                    .notify(Level::Warning, format!("no marker label for key {} (config: tui.marker_labels)", n + 1)),
            },
            Action::NameFace => match self.selected_id() {
                Some(track_id) => {
                    self.prompt = Some(Prompt {
                        kind: PromptKind::Name { track_id },
                        text: TextInput::new(self.names.get(&track_id).cloned().unwrap_or_default()),
                    })
                }
                None => self.notify(Level::Warning, "no face to name"),
            },
            Action::ToggleRecording => {
                self.recording = !self.recording;
                let what = if self.recording { "start" } else { "stop" };
                self.notify(Level::Info, format!("asked to {what} recording"));
                return Some(LiveCommand::SetRecording(self.recording));
            }
        }
        None
    }

    /// Shows `text` in the status line for [`super::notice::NOTICE_FOR`], drawn as its `level` says.
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice::new(level, text));
    }

    /// Removes the notice once it has been shown long enough as of `now`; true when one was removed.
    pub fn expire_notice(&mut self, now: Instant) -> bool {
        super::notice::expire(&mut self.notice, now)
    }

    /// The label of face `t`: its name when named, else "Face {id}"; a track re-identification joined to an
    /// earlier face has that face's label.
    pub fn label(&self, track_id: u32) -> String {
        if let Some(&into) = self.joined.get(&track_id) {
            return self.label(into);
        }
        match self.names.get(&track_id) {
            Some(n) => n.clone(),
            None => crate::fmt::face_label(track_id),
        }
    }

    /// The selected face: the one picked if still on display, else the first face of the current page.
    pub fn selected_id(&self) -> Option<u32> {
        let ids: Vec<u32> = self.ordered_tracks().iter().map(|t| t.track_id).collect();
        if let Some(id) = self.selected.filter(|id| ids.contains(id)) {
            return Some(id);
        }
        ids.get(self.paging.page * self.paging.per_page).or(ids.first()).copied()
    }

    /// Moves the selection `delta` faces along the panel order (wrapping), and the page with it.
    fn select_step(&mut self, delta: isize) {
        let ids: Vec<u32> = self.ordered_tracks().iter().map(|t| t.track_id).collect();
        if ids.is_empty() {
            return;
        }
        let cur = self.selected_id().and_then(|id| ids.iter().position(|&x| x == id));
        let n = ids.len() as isize;
        let next = match cur {
            Some(i) => (i as isize + delta).rem_euclid(n) as usize,
            None => 0,
        };
        self.selected = Some(ids[next]);
        if let Some(page) = next.checked_div(self.paging.per_page) {
            self.paging.page = page;
        }
    }

    /// Selects the first face of the current page (after paging).
    fn select_page_start(&mut self) {
        let ids: Vec<u32> = self.ordered_tracks().iter().map(|t| t.track_id).collect();
        if let Some(&id) = ids.get(self.paging.page * self.paging.per_page) {
            self.selected = Some(id);
        }
    }

    /// Faces in view (not greyed) per dominant emotion, and their total.
    pub fn class_now(&self) -> ([u64; NUM_EMOTIONS], u64) {
        let mut out = [0u64; NUM_EMOTIONS];
        for t in self.view().tracks.values().filter(|t| !self.is_stale(t)) {
            out[t.dominant().0 as usize] += 1;
        }
        let total = out.iter().sum();
        (out, total)
    }

    /// The state on display: the frozen copy while paused, else the live one.
    pub fn view(&self) -> &Snapshot {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// Whether the display is paused.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Whether a face is greyed (not seen for `stale_s` as of the newest frame on display).
    pub fn is_stale(&self, t: &TrackView) -> bool {
        t.unseen_ms(self.view().now_ms()) > self.stale_ms
    }

    /// Faces on display in panel order: those in view by track id, then the greyed ones by track id.
    pub fn ordered_tracks(&self) -> Vec<&TrackView> {
        let (mut fresh, stale): (Vec<_>, Vec<_>) = self.view().tracks.values().partition(|t| !self.is_stale(t));
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
            detected: true,
            faces: ids.len(),
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
                    landmarks: None,
                    predicted: false,
                    classified: true,
                })
                .collect(),
            backfill: Vec::new(),
            stats: PipelineStats::default(),
            image: None,
        }
    }

    #[test]
    fn a_face_that_comes_back_keeps_its_earlier_label() {
        let mut app = App::new(LiveInfo::default(), &TuiConfig::default());
        app.apply_frame(&frame(0, &[1]));
        app.names.insert(1, "P07".into());
        app.apply_frame(&frame(5000, &[4]));
        assert_eq!(app.label(4), "Face 4");
        app.apply(LiveEvent::Joined { from: 4, into: 1 });
        assert_eq!(app.label(4), "P07");
        let notice = app.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
        assert!(notice.contains("Face 4 is P07 again"), "{notice}");
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
        let cfg = TuiConfig { history_s: 10.0, ..TuiConfig::default() };
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
        assert_eq!(SparkSel::Dominant.prev(), SparkSel::Emotion(Emotion::Neutral));
        assert_eq!(SparkSel::Emotion(Emotion::Angry).prev(), SparkSel::Dominant);
    }

    #[test]
    fn class_window_is_pruned_by_source_time() {
        let cfg = TuiConfig { class_window_s: 10.0, ..TuiConfig::default() };
        let mut app = App::new(LiveInfo::default(), &cfg);
        for t in (0..=30_000).step_by(100) {
            app.apply_frame(&frame(t, &[1, 2]));
        }
        let (counts, total) = app.view().class_recent();
        assert_eq!(total, 2 * 101);
        assert_eq!(counts[Emotion::Happy as usize], total);
        assert_eq!(app.class_now(), ([0, 0, 0, 2, 0, 0, 0], 2));
    }

    #[test]
    fn notices_expire_and_commands_come_back() {
        let mut app = App::new(LiveInfo { recording: true, ..LiveInfo::default() }, &TuiConfig::default());
        app.apply_frame(&frame(1200, &[4]));
        assert_eq!(app.handle(Action::ToggleRecording), Some(LiveCommand::SetRecording(false)));
        assert!(!app.recording);
        assert!(app.notice.is_some());
        assert!(!app.expire_notice(Instant::now()));
        assert!(app.expire_notice(Instant::now() + crate::tui::notice::NOTICE_FOR));
        assert!(app.notice.is_none());
        assert_eq!(
            app.handle(Action::QuickMarker(1)),
            Some(LiveCommand::Marker { at_ms: 1200, label: "break".into() })
        );
        // Naming with no face says so.
        let mut empty = App::new(LiveInfo::default(), &TuiConfig::default());
        assert_eq!(empty.handle(Action::NameFace), None);
        assert!(empty.prompt.is_none() && empty.notice.as_ref().unwrap().level == Level::Warning);
    }
}
