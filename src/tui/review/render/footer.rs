//! The footer: keys, the prompt, a confirmation or a notice.

use crate::fmt::clock_tenths;
use crate::tui::review::app::{Confirm, Mode, PromptFor, ReviewApp};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn render(f: &mut Frame, area: Rect, app: &ReviewApp, theme: &Theme) {
    let line = match &app.mode {
        Mode::Prompt { purpose, text } => {
            let what = match purpose {
                PromptFor::Marker(t) => format!("marker at {}", clock_tenths(*t)),
                PromptFor::Note(t, None) => format!("note at {}", clock_tenths(*t)),
                PromptFor::Note(t, Some(e)) => format!("note {}-{}", clock_tenths(*t), clock_tenths(*e)),
                PromptFor::EditAnnotation(_) => "annotation text".into(),
                PromptFor::NameTrack(id) => format!("name of Face {id}"),
            };
            let cursor = if theme.ascii { "_" } else { "█" };
            Line::from(vec![
                Span::styled(format!("{what}: "), theme.accent()),
                Span::raw(text.as_str().to_string()),
                Span::raw(cursor),
                Span::styled("  Enter saves, Esc cancels", theme.dim()),
            ])
        }
        Mode::Confirm(Confirm::DeleteAnnotation(id)) => {
            let label =
                app.session.annotations.iter().find(|a| a.id == *id).map(|a| a.label.clone()).unwrap_or_default();
            Line::styled(format!("delete annotation '{label}'? y deletes, any other key keeps it"), theme.warn())
        }
        _ => match &app.notice {
            Some(n) => Line::styled(n.text.clone(), theme.notice(n.level)),
            None => {
                let (l, r) = theme.arrows();
                Line::styled(
                    format!(
                        "{l}{r} step  [ ] marks  +/- zoom  m n v annotate  r name  J merge  p seats  Tab panel  ? help  q back"
                    ),
                    theme.dim(),
                )
            }
        },
    };
    f.render_widget(Paragraph::new(line), area);
}
