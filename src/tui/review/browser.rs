//! The sessions browser: every stored session with its date, duration, source, faces, annotations and status;
//! open one, delete one after a `y` confirmation, or mark several (Space) and compare them (`C`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::fmt::clock;
use crate::store::{SessionRecord, SessionStatus, Store};
use crate::tui::notice::{Level, Notice};
use crate::tui::render::message;
use crate::tui::theme::Theme;

/// The keys of the session browser (the handler is [`Browser::key`]), for the manual page.
pub const KEYS: &[(&str, &str)] = &[
    ("Down Up  j k", "select a session"),
    ("Home End  g G", "first / last session"),
    ("Enter  o  Right", "open the session"),
    ("Space", "mark / unmark for comparison"),
    ("C", "compare the marked sessions (two or more)"),
    ("d  Delete", "delete the session (asks y first; not while it is recorded)"),
    ("r", "refresh the list"),
    ("q  Esc  Ctrl-C", "quit"),
];

/// What the browser asks of its caller after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserExit {
    /// Stay.
    Stay,
    /// Open this session.
    Open(String),
    /// Compare these sessions (marked with Space), in the order marked.
    Compare(Vec<String>),
    /// Quit the program.
    Quit,
}

/// The sessions browser's state.
pub struct Browser {
    store: Store,
    /// Sessions, newest first.
    pub sessions: Vec<SessionRecord>,
    /// Index of the selected session.
    pub selected: usize,
    /// The session waiting for a delete confirmation.
    pub confirm_delete: Option<String>,
    /// Sessions marked for comparing (Space), in the order marked.
    pub marked: Vec<String>,
    /// A one-line message and whether it is an error.
    pub notice: Option<Notice>,
}

impl Browser {
    /// Lists the store's sessions.
    ///
    /// Errors: the store's sessions folder cannot be listed.
    pub fn new(store: Store) -> anyhow::Result<Browser> {
        let mut b = Browser {
            store,
            sessions: Vec::new(),
            selected: 0,
            confirm_delete: None,
            marked: Vec::new(),
            notice: None,
        };
        b.refresh()?;
        Ok(b)
    }

    /// The store browsed.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Lists the sessions again (new ones, a recording's progress), keeping the selected one selected; true if
    /// anything changed.
    ///
    /// Errors: the store's sessions folder cannot be listed.
    pub fn refresh(&mut self) -> anyhow::Result<bool> {
        let keep = self.sessions.get(self.selected).map(|s| s.id.clone());
        let mut list = self.store.list_sessions()?;
        list.reverse();
        let changed = list.len() != self.sessions.len()
            || list.iter().zip(&self.sessions).any(|(a, b)| {
                a.id != b.id || a.frames != b.frames || a.status != b.status || a.annotations != b.annotations
            });
        self.sessions = list;
        let ids: Vec<&str> = self.sessions.iter().map(|s| s.id.as_str()).collect();
        self.marked.retain(|m| ids.contains(&m.as_str()));
        self.selected = keep
            .and_then(|id| self.sessions.iter().position(|s| s.id == id))
            .unwrap_or(self.selected)
            .min(self.sessions.len().saturating_sub(1));
        Ok(changed)
    }

    /// Shows a message in the footer.
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice::new(level, text));
    }

    /// Takes one key press.
    pub fn key(&mut self, k: KeyEvent) -> BrowserExit {
        if k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, KeyCode::Char('c' | 'C')) {
            return BrowserExit::Quit;
        }
        if let Some(id) = self.confirm_delete.take() {
            if matches!(k.code, KeyCode::Char('y' | 'Y')) {
                match self.store.delete_session(&id) {
                    Ok(()) => self.notify(Level::Success, format!("session {id} deleted")),
                    Err(e) => self.notify(Level::Error, format!("error: {e:#}")),
                }
                if let Err(e) = self.refresh() {
                    self.notify(Level::Error, format!("error: {e:#}"));
                }
            } else {
                self.notify(Level::Info, format!("session {id} kept"));
            }
            return BrowserExit::Stay;
        }
        let n = self.sessions.len();
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return BrowserExit::Quit,
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = n.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char('o') | KeyCode::Right => {
                if let Some(s) = self.sessions.get(self.selected) {
                    return BrowserExit::Open(s.id.clone());
                }
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                if let Some(s) = self.sessions.get(self.selected) {
                    if s.status == SessionStatus::Running {
                        self.notify(Level::Warning, format!("session {} is being recorded; stop it first", s.id));
                    } else {
                        self.confirm_delete = Some(s.id.clone());
                    }
                }
            }
            KeyCode::Char(' ') => {
                if let Some(s) = self.sessions.get(self.selected) {
                    match self.marked.iter().position(|m| *m == s.id) {
                        Some(i) => {
                            self.marked.remove(i);
                        }
                        None => self.marked.push(s.id.clone()),
                    }
                    self.selected = (self.selected + 1).min(n.saturating_sub(1));
                }
            }
            KeyCode::Char('C') => {
                if self.marked.len() >= 2 {
                    return BrowserExit::Compare(self.marked.clone());
                }
                self.notify(Level::Warning, "mark two or more sessions with Space to compare them");
            }
            KeyCode::Char('r') => match self.refresh() {
                Ok(_) => self.notify(Level::Info, "refreshed"),
                Err(e) => self.notify(Level::Error, format!("error: {e:#}")),
            },
            _ => {}
        }
        BrowserExit::Stay
    }
}

/// Draws the sessions browser.
pub fn draw(f: &mut Frame, b: &Browser, theme: &Theme) {
    let [title, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("emotrace sessions ", theme.accent()),
            Span::styled(format!("{} in {}", b.sessions.len(), b.store.root().display()), theme.dim()),
        ])),
        title,
    );
    let block = Block::bordered().border_set(theme.border_set());
    if b.sessions.is_empty() {
        let inner = block.inner(body);
        f.render_widget(block, body);
        message(f, inner, Line::styled("no sessions yet: emotrace live SOURCE records one", theme.dim()));
    } else {
        let header =
            Row::new(["session", "started", "length", "source", "faces", "notes", "status"]).style(theme.accent());
        let rows: Vec<Row> = b
            .sessions
            .iter()
            .map(|s| {
                // As the name is stored (escapes for bytes that are not UTF-8), with control and bidirectional
                // characters shown as escapes: ratatui drops control characters but passes a right-to-left
                // override, which would turn the rest of the row around.
                let source = std::path::Path::new(&s.source)
                    .file_name()
                    .map_or(s.source.clone(), |n| n.to_string_lossy().into_owned());
                let source = crate::text::terminal_safe(&source).into_owned();
                let status_style = match s.status {
                    SessionStatus::Running => theme.ok(),
                    SessionStatus::Completed => Style::default(),
                    SessionStatus::Damaged | SessionStatus::Failed => theme.error(),
                    SessionStatus::Interrupted => theme.warn(),
                };
                let mark = match b.marked.iter().position(|m| *m == s.id) {
                    Some(i) => format!("{}{} ", if theme.ascii { "*" } else { "●" }, i + 1),
                    None => "   ".to_string(),
                };
                Row::new(vec![
                    Span::styled(format!("{mark}{}", s.id), theme.accent()),
                    Span::raw(s.started().map_or("?".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())),
                    Span::raw(clock(s.duration_ms)),
                    Span::raw(source),
                    Span::raw(s.faces().to_string()),
                    Span::raw(s.annotations.to_string()),
                    Span::styled(s.status.name(), status_style),
                ])
            })
            .collect();
        let widths = [
            Constraint::Length(20),
            Constraint::Length(16),
            Constraint::Length(8),
            // The source takes what is left (4 cells at 80 columns), so that the status is never cut.
            Constraint::Min(4),
            Constraint::Length(5),
            Constraint::Length(5),
            // "interrupted" and one cell before the border.
            Constraint::Length(12),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .block(block)
            .row_highlight_style(theme.selected().add_modifier(ratatui::style::Modifier::REVERSED))
            .highlight_symbol(if theme.ascii { "> " } else { "▶ " });
        let mut state = TableState::default().with_selected(Some(b.selected));
        f.render_stateful_widget(table, body, &mut state);
    }
    let line = if let Some(id) = &b.confirm_delete {
        let s = b.sessions.iter().find(|s| &s.id == id);
        // A session whose record cannot be read is not described as empty: what it holds is unknown.
        let what = s
            .map(|s| match s.is_known() {
                true => format!("{} observations, {} annotations", s.observations, s.annotations),
                false => "unreadable: what it holds is unknown".to_string(),
            })
            .unwrap_or_default();
        Line::styled(format!("delete session {id} ({what}) for good? y deletes, any other key keeps it"), theme.warn())
    } else if let Some(n) = &b.notice {
        Line::styled(n.text.clone(), theme.notice(n.level))
    } else {
        let (u, d) = theme.up_down();
        Line::styled(
            format!("{u}{d} select  Enter open  Space mark  C compare marked  d delete  r refresh  q quit"),
            theme.dim(),
        )
    };
    f.render_widget(Paragraph::new(line), footer);
}
