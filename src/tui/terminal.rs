//! Taking the terminal (raw mode, alternate screen, hidden cursor) and giving it back on every exit path: a
//! [`TerminalGuard`] restores it when dropped (return or error), and a panic hook, installed once, restores it
//! before the panic message is printed, whichever thread panics.

use std::io::{self, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use super::caps::{Downgrade, TermCaps};

/// The terminal the screens draw on: crossterm on stdout, colour codes brought down to what `TERM` shows.
pub type Screen = Terminal<CrosstermBackend<Downgrade<io::Stdout>>>;

/// Whether this process currently holds the terminal (raw mode on).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether a thread panicked while the terminal was held.
static PANICKED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// The terminal, in raw mode on the alternate screen, until dropped.
pub struct TerminalGuard {
    /// The ratatui terminal to draw on.
    pub terminal: Screen,
}

impl TerminalGuard {
    /// Gives the terminal back now (also done on drop).
    pub fn restore(&mut self) {
        restore();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Installs the restoring panic hook (once per process), then enters raw mode and the alternate screen and
/// hides the cursor.
///
/// Errors: stdout is not a terminal or cannot be written; the terminal is left as it was.
pub fn init() -> io::Result<TerminalGuard> {
    install_panic_hook();
    PANICKED.store(false, Ordering::SeqCst);
    ACTIVE.store(true, Ordering::SeqCst);
    let depth = TermCaps::from_env().depth;
    let setup = || -> io::Result<Screen> {
        enable_raw_mode()?;
        // Clear with a plain escape: `Terminal::clear` would ask the terminal for the cursor position, which
        // some terminals (and pseudo-terminals without an emulator) never answer.
        execute!(stdout(), EnterAlternateScreen, Hide, Clear(ClearType::All))?;
        Terminal::new(CrosstermBackend::new(Downgrade::new(stdout(), depth)))
    };
    match setup() {
        Ok(terminal) => Ok(TerminalGuard { terminal }),
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

/// Leaves the alternate screen, shows the cursor and leaves raw mode, if this process holds the terminal;
/// safe to call more than once. Errors are ignored: there is nothing better to do with them on the way out.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(stdout(), LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
    }
}

/// Whether a thread panicked while the terminal was held (the terminal is already restored then).
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Chains a hook in front of the current panic hook that restores the terminal first.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) {
                PANICKED.store(true, Ordering::SeqCst);
                restore();
            }
            previous(info);
        }));
    });
}

/// True when the controlling terminal has hung up (the SSH link or the terminal window is gone): stdin reports
/// POLLHUP, POLLERR or POLLNVAL. crossterm's reader can spin forever on such a terminal, so screens check this
/// from another thread and leave without waiting for the drawing thread.
pub fn hung_up() -> bool {
    let mut fds = libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut fds, 1, 0) };
    n > 0 && fds.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}
