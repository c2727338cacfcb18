//! What a command that runs the engine needs around it: the tokio runtime, and signals (SIGINT, SIGTERM, SIGHUP)
//! turned into stop flags so that every session is finalized, as "interrupted", however the run is stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Builds the tokio runtime the engine runs on (two worker threads; the stages run on its blocking pool).
///
/// Errors: the runtime cannot start.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Stop flags set by SIGINT, SIGTERM or SIGHUP (SIGHUP: the SSH link dropped): every flag [`Signals::watch`]ed,
/// before or after the signal, is set, and [`Signals::interrupted`] turns true.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    interrupted: Arc<AtomicBool>,
    flags: Arc<Mutex<Vec<Arc<AtomicBool>>>>,
}

impl Signals {
    /// Installs the handlers. Must be called inside the tokio runtime.
    ///
    /// Errors: the handlers cannot be installed.
    pub fn install() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        let signals = Signals::default();
        for kind in [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()] {
            let mut s = signal(kind)?;
            let signals = signals.clone();
            tokio::spawn(async move {
                if s.recv().await.is_some() {
                    signals.interrupt();
                }
            });
        }
        Ok(signals)
    }

    /// Sets `flag` when a signal arrives (at once if one already has).
    pub fn watch(&self, flag: Arc<AtomicBool>) {
        let mut flags = self.flags.lock().unwrap_or_else(|e| e.into_inner());
        if self.interrupted() {
            flag.store(true, Ordering::SeqCst);
        }
        flags.push(flag);
    }

    /// Acts as a signal would: marks the run interrupted and sets every watched flag (a hung-up terminal).
    pub fn interrupt(&self) {
        let flags = self.flags.lock().unwrap_or_else(|e| e.into_inner());
        self.interrupted.store(true, Ordering::SeqCst);
        for f in flags.iter() {
            f.store(true, Ordering::SeqCst);
        }
    }

    /// Whether a signal arrived (or [`Signals::interrupt`] was called).
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// The flag behind [`Signals::interrupted`], for code that sets it itself.
    pub fn interrupted_flag(&self) -> Arc<AtomicBool> {
        self.interrupted.clone()
    }
}
