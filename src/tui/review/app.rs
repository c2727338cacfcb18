//! The review screen's state: one stored session ([`SessionView`]), the window on it, the cursor, the mode and
//! the edits a reviewer makes. Pure logic over a [`StoredSession`]; layout and drawing are in [`super::render`]
//! (`render::prepare` makes a frame's data ready through this state's methods, then `render::draw` only reads).

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::{action_for, ReviewAction};
pub use super::view::Panel;
use super::view::View;
use crate::analytics::room::Room;
use crate::analytics::session_view::SessionView;
use crate::fmt::{clock_tenths, face_label};
use crate::store::timeline::Bucket;
use crate::store::{AnnotationKind, StoredSession};
use crate::tui::input::map_prompt_key;
use crate::tui::notice::{Level, Notice};
use crate::tui::textinput::{Edit, TextInput};

/// What an open text prompt will do with its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptFor {
    /// A marker at this time.
    Marker(u64),
    /// A note at `start` (over `[start, end]` when `end` is set).
    Note(u64, Option<u64>),
    /// New text for an annotation.
    EditAnnotation(u64),
    /// A name for a track.
    NameTrack(u32),
}

/// A question the user answers with `y` / `n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Delete this annotation.
    DeleteAnnotation(u64),
}

/// The mode keys go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Moving around.
    Normal,
    /// Typing text.
    Prompt {
        /// What the text is for.
        purpose: PromptFor,
        /// Typed so far.
        text: TextInput,
    },
    /// Waiting for `y` / `n`.
    Confirm(Confirm),
    /// Choosing the track that track `from` is merged into (↑/↓, Enter).
    MergeInto {
        /// The track being merged away.
        from: u32,
    },
    /// The help overlay.
    Help,
}

/// What the screen asks of its caller after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Stay.
    Stay,
    /// Back to the sessions browser.
    Back,
    /// Quit the program.
    Quit,
}

/// One stored session under review.
pub struct ReviewApp {
    reader: StoredSession,
    /// The session as displayed: record, tracks, faces, annotations, per-second timeline and summary.
    pub session: SessionView,
    /// Visible window, zoom and cursor; `None` until the first [`Self::set_columns`] tells the width.
    pub view: Option<View>,
    /// Whether one line per face is drawn under the class timeline.
    pub show_faces: bool,
    /// The lower panel shown.
    pub panel: Panel,
    /// Index of the selected face in [`SessionView::face_list`].
    pub selected_face: usize,
    /// Index of the selected annotation in the session's annotations.
    pub selected_annotation: usize,
    /// First line of the summary panel shown.
    pub summary_scroll: u16,
    /// Start of a range being marked (`v`), ms.
    pub range_start: Option<u64>,
    /// What keys go to.
    pub mode: Mode,
    /// A one-line message and whether it is an error.
    pub notice: Option<Notice>,
    buckets: Vec<Bucket>,
    buckets_for: Option<(u64, u64, usize)>,
    room: Option<Room>,
    room_error: Option<String>,
}

impl ReviewApp {
    /// Loads a session for review: its record, tracks, annotations and per-second timeline (not its
    /// observations, so a long session opens as fast as a short one).
    ///
    /// Errors: a damaged record in the session's database.
    pub fn open(reader: StoredSession) -> anyhow::Result<ReviewApp> {
        Ok(ReviewApp {
            session: SessionView::load(&reader)?,
            reader,
            view: None,
            show_faces: true,
            panel: Panel::Cursor,
            selected_face: 0,
            selected_annotation: 0,
            summary_scroll: 0,
            range_start: None,
            mode: Mode::Normal,
            notice: None,
            buckets: Vec::new(),
            buckets_for: None,
            room: None,
            room_error: None,
        })
    }

    /// Re-reads what an edit changed (see [`SessionView::reload`]); after a merge also the timeline, and the
    /// buckets and seat map on screen are read again.
    fn reload(&mut self, merges_changed: bool) -> anyhow::Result<()> {
        if merges_changed {
            self.buckets_for = None;
            self.room = None;
            self.room_error = None;
        }
        self.session.reload(&self.reader, merges_changed)?;
        self.selected_annotation = self.selected_annotation.min(self.session.annotations.len().saturating_sub(1));
        self.selected_face = self.selected_face.min(self.session.face_list().len().saturating_sub(1));
        Ok(())
    }

    /// Sets the number of timeline columns (from the screen width); the first call fits the whole session.
    pub fn set_columns(&mut self, columns: usize) {
        let span = self.session.covered_ms();
        match &mut self.view {
            Some(v) if v.columns != columns => v.resize(columns),
            Some(_) => {}
            None => self.view = Some(View::fit(span, columns)),
        }
    }

    /// The view (fitted to 80 columns if no [`Self::set_columns`] has set the width yet).
    pub fn view(&self) -> View {
        self.view.unwrap_or_else(|| View::fit(self.session.covered_ms(), 80))
    }

    /// The buckets made ready ([`Self::buckets`]) for the current view, or `None` when the view has moved since
    /// (or their read failed).
    pub fn prepared_buckets(&self) -> Option<&[Bucket]> {
        let v = self.view();
        (self.buckets_for == Some((v.start_ms, v.bucket_ms(), v.columns))).then_some(self.buckets.as_slice())
    }

    /// The seat map [`Self::prepare_room`] loaded, or the error its read gave (`Ok(None)`: not loaded yet).
    pub fn prepared_room(&self) -> Result<Option<&Room>, &str> {
        match (&self.room, &self.room_error) {
            (Some(r), _) => Ok(Some(r)),
            (None, Some(e)) => Err(e),
            (None, None) => Ok(None),
        }
    }

    /// The visible buckets, one per column, by the session's bucket rule ([`SessionView::buckets`]), read once
    /// per window.
    ///
    /// Errors: a damaged record in the session's database.
    pub fn buckets(&mut self) -> anyhow::Result<&[Bucket]> {
        let v = self.view();
        let key = (v.start_ms, v.bucket_ms(), v.columns);
        if self.buckets_for != Some(key) {
            self.buckets = self.session.buckets(&self.reader, v.start_ms, v.bucket_ms(), v.columns)?.buckets;
            self.buckets_for = Some(key);
        }
        Ok(&self.buckets)
    }

    /// Facing the front and the seat map, read from the observations the first time they are asked for (and
    /// again after a merge).
    ///
    /// Errors: a damaged record in the session's database.
    pub fn room(&mut self) -> anyhow::Result<&Room> {
        if self.room.is_none() {
            self.room = Some(self.session.room(&self.reader)?);
        }
        Ok(self.room.as_ref().expect("loaded above"))
    }

    /// Loads the seat map if it is not loaded, keeping the error of a failed read for the seat panel to show.
    pub fn prepare_room(&mut self) {
        self.room_error = self.room().err().map(|e| format!("error: {e:#}"));
    }

    /// Shows a message in the footer for [`crate::tui::notice::NOTICE_FOR`].
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice::new(level, text));
    }

    /// Drops an expired notice; true if one was dropped (the screen needs a redraw).
    pub fn expire_notice(&mut self, now: Instant) -> bool {
        crate::tui::notice::expire(&mut self.notice, now)
    }

    /// Reports an edit's outcome in the footer, after reloading what it changed.
    fn report(&mut self, what: &str, r: crate::store::Result<()>, merges_changed: bool) {
        match r.map_err(anyhow::Error::from).and_then(|_| self.reload(merges_changed)) {
            Ok(()) => self.notify(Level::Success, format!("{what} (saved)")),
            Err(e) => self.notify(Level::Error, format!("error: {e:#}")),
        }
    }

    /// Takes one key press.
    pub fn key(&mut self, k: KeyEvent) -> Exit {
        if k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, KeyCode::Char('c' | 'C')) {
            return Exit::Quit;
        }
        match self.mode.clone() {
            Mode::Prompt { purpose, mut text } => {
                match map_prompt_key(k).map(|k| text.key(k)) {
                    Some(Edit::Cancel) => {
                        self.mode = Mode::Normal;
                        return Exit::Stay;
                    }
                    Some(Edit::ForceQuit) => return Exit::Quit,
                    Some(Edit::Submit(typed)) => {
                        self.mode = Mode::Normal;
                        self.submit(purpose, &typed);
                        return Exit::Stay;
                    }
                    Some(Edit::Typing) | None => {}
                }
                self.mode = Mode::Prompt { purpose, text };
                Exit::Stay
            }
            Mode::Confirm(c) => {
                self.mode = Mode::Normal;
                if matches!(k.code, KeyCode::Char('y' | 'Y')) {
                    match c {
                        Confirm::DeleteAnnotation(id) => {
                            let r = self.reader.delete_annotation(id);
                            self.report("annotation deleted", r, false);
                        }
                    }
                } else {
                    self.notify(Level::Info, "kept");
                }
                Exit::Stay
            }
            Mode::MergeInto { from } => {
                self.merge_key(from, k);
                Exit::Stay
            }
            Mode::Help => {
                self.mode = Mode::Normal;
                Exit::Stay
            }
            Mode::Normal => self.normal_key(k),
        }
    }

    fn submit(&mut self, purpose: PromptFor, text: &str) {
        match purpose {
            PromptFor::Marker(t) => {
                let r = self.reader.annotate(AnnotationKind::Marker, t, None, text, None).map(|_| ());
                self.report(&format!("marker '{text}' at {}", clock_tenths(t)), r, false);
            }
            PromptFor::Note(t, end) => {
                if text.is_empty() {
                    self.notify(Level::Warning, "empty note not stored");
                    return;
                }
                let r = self.reader.annotate(AnnotationKind::Note, t, end, text, None).map(|_| ());
                let at = match end {
                    Some(e) => format!("{}-{}", clock_tenths(t), clock_tenths(e)),
                    None => clock_tenths(t),
                };
                self.report(&format!("note at {at}"), r, false);
            }
            PromptFor::EditAnnotation(id) => {
                let Some(mut a) = self.session.annotations.iter().find(|a| a.id == id).cloned() else { return };
                a.label = text.to_string();
                let r = self.reader.update_annotation(&a);
                self.report("annotation changed", r, false);
            }
            PromptFor::NameTrack(id) => {
                let r = self.reader.name_track(id, text);
                let what = if text.is_empty() {
                    format!("{} unnamed", face_label(id))
                } else {
                    format!("{} named {text}", face_label(id))
                };
                self.report(&what, r, false);
            }
        }
    }

    fn merge_key(&mut self, from: u32, k: KeyEvent) {
        let targets: Vec<u32> = self.session.merge_targets(from);
        match k.code {
            KeyCode::Down | KeyCode::Tab => {
                self.selected_face = (self.selected_face + 1).min(targets.len().saturating_sub(1));
            }
            KeyCode::Up | KeyCode::BackTab => self.selected_face = self.selected_face.saturating_sub(1),
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                if let Some(&into) = targets.get(self.selected_face) {
                    let r = self.reader.merge_tracks(from, into);
                    let what =
                        format!("{} merged into {}", self.session.track_label(from), self.session.track_label(into));
                    self.report(&what, r, true);
                }
                self.selected_face = 0;
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                self.mode = Mode::Normal;
                self.selected_face = 0;
            }
            _ => {}
        }
    }

    fn normal_key(&mut self, k: KeyEvent) -> Exit {
        match action_for(k, self.panel) {
            Some(action) => self.apply(action),
            None => {
                // An unbound key fixes the view as a bound one does (before the first prepare: 80 columns).
                self.view = Some(self.view());
                Exit::Stay
            }
        }
    }

    /// Performs what a key asked for in normal mode (see [`action_for`]); an edit goes to the store before
    /// this returns.
    pub fn apply(&mut self, action: ReviewAction) -> Exit {
        use ReviewAction as A;
        let mut v = self.view();
        match action {
            A::Back => {
                if self.range_start.take().is_some() {
                    self.notify(Level::Info, "range cancelled");
                    return Exit::Stay;
                }
                return Exit::Back;
            }
            A::Help => self.mode = Mode::Help,
            A::Step(n) => v.step(n),
            A::Page(forward) => v.step(if forward { v.columns as i64 } else { -(v.columns as i64) }),
            A::Start => v.set_cursor(0),
            A::End => v.set_cursor(u64::MAX),
            A::Zoom(finer) => v.zoom(finer),
            A::Fit => v = View::fit(self.session.covered_ms(), v.columns),
            A::JumpMarker(forward) => self.jump_marker(&mut v, forward),
            A::ToggleFaces => self.show_faces = !self.show_faces,
            A::CyclePanel => {
                self.panel = match self.panel {
                    Panel::Cursor => Panel::Summary,
                    Panel::Summary => Panel::Annotations,
                    Panel::Annotations => Panel::Seats,
                    Panel::Seats => Panel::Cursor,
                }
            }
            A::ShowPanel(p) => self.panel = p,
            A::Select(d) => self.select(d),
            A::Marker => {
                self.mode = Mode::Prompt { purpose: PromptFor::Marker(v.cursor_ms), text: TextInput::default() };
            }
            A::StartRange => {
                self.range_start = Some(v.cursor_ms);
                self.notify(
                    Level::Info,
                    format!("range from {}: move the cursor, then n for a note", clock_tenths(v.cursor_ms)),
                );
            }
            A::Note => self.open_note(&v),
            A::GoToAnnotation => {
                if let Some(a) = self.session.annotations.get(self.selected_annotation) {
                    v.set_cursor(a.start_ms);
                }
            }
            A::EditAnnotation => {
                if let Some(a) = self.session.annotations.get(self.selected_annotation) {
                    self.mode = Mode::Prompt {
                        purpose: PromptFor::EditAnnotation(a.id),
                        text: TextInput::new(a.label.clone()),
                    };
                }
            }
            A::MoveAnnotation => self.move_annotation(v.cursor_ms),
            A::DeleteAnnotation => {
                if let Some(a) = self.session.annotations.get(self.selected_annotation) {
                    self.mode = Mode::Confirm(Confirm::DeleteAnnotation(a.id));
                }
            }
            A::NameFace => self.name_face(),
            A::MergeFace => self.merge_face(),
        }
        self.view = Some(v);
        Exit::Stay
    }

    /// Opens the note prompt at the cursor, or over the range being marked (which it ends).
    fn open_note(&mut self, v: &View) {
        let purpose = match self.range_start.take() {
            Some(s) => {
                let e = v.cursor_ms + v.bucket_ms();
                let (a, b) = if s <= v.cursor_ms { (s, e) } else { (v.cursor_ms, s + v.bucket_ms()) };
                PromptFor::Note(a, Some(b.min(self.session.covered_ms())))
            }
            None => PromptFor::Note(v.cursor_ms, None),
        };
        self.mode = Mode::Prompt { purpose, text: TextInput::default() };
    }

    /// Moves the selected annotation (keeping its length) to `cursor_ms`.
    fn move_annotation(&mut self, cursor_ms: u64) {
        if let Some(mut a) = self.session.annotations.get(self.selected_annotation).cloned() {
            let len = a.end_ms.map(|e| e - a.start_ms);
            a.start_ms = cursor_ms;
            a.end_ms = len.map(|l| cursor_ms + l);
            let r = self.reader.update_annotation(&a);
            self.report(&format!("annotation moved to {}", clock_tenths(cursor_ms)), r, false);
        }
    }

    /// Opens the prompt that names the selected face (showing the cursor panel unless the seat map is up).
    fn name_face(&mut self) {
        if let Some(t) = self.session.face_list().get(self.selected_face) {
            let purpose = PromptFor::NameTrack(t.id);
            self.mode = Mode::Prompt { purpose, text: TextInput::new(t.name.clone().unwrap_or_default()) };
            if self.panel != Panel::Seats {
                self.panel = Panel::Cursor;
            }
        }
    }

    /// Undoes the selected face's merge, or starts choosing the face to merge it into.
    fn merge_face(&mut self) {
        if let Some(t) = self.session.face_list().get(self.selected_face).map(|t| (*t).clone()) {
            self.panel = Panel::Cursor;
            if t.merged_into.is_some() {
                let r = self.reader.unmerge_track(t.id);
                self.report(&format!("{} is its own face again", t.label()), r, true);
            } else if self.session.merge_targets(t.id).is_empty() {
                self.notify(Level::Warning, "there is no other face to merge with");
            } else {
                self.selected_face = 0;
                self.mode = Mode::MergeInto { from: t.id };
            }
        }
    }

    fn select(&mut self, d: i64) {
        match self.panel {
            Panel::Cursor | Panel::Seats => {
                let n = self.session.face_list().len();
                self.selected_face = (self.selected_face as i64 + d).clamp(0, n.saturating_sub(1) as i64) as usize;
            }
            Panel::Annotations => {
                let n = self.session.annotations.len();
                self.selected_annotation =
                    (self.selected_annotation as i64 + d).clamp(0, n.saturating_sub(1) as i64) as usize;
            }
            Panel::Summary => self.summary_scroll = (self.summary_scroll as i64 + d).max(0) as u16,
        }
    }

    fn jump_marker(&mut self, v: &mut View, forward: bool) {
        let b = v.bucket_ms();
        let target = if forward {
            self.session.annotations.iter().map(|a| a.start_ms).filter(|&t| t >= v.cursor_ms + b).min()
        } else {
            self.session.annotations.iter().map(|a| a.start_ms).filter(|&t| t < v.cursor_ms).max()
        };
        match target {
            Some(t) => {
                v.set_cursor(t);
                if let Some(i) = self.session.annotations.iter().position(|a| a.start_ms == t) {
                    self.selected_annotation = i;
                }
            }
            None => self.notify(
                Level::Info,
                if forward { "no marker after the cursor" } else { "no marker before the cursor" },
            ),
        }
    }
}
