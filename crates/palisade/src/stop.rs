//! A stop request shared by long-running commands: set by SIGTERM or Ctrl-C, polled by the work
//! (which then cleans up and returns), and able to cut a sleep short.
//!
//! `palisade db build` runs as a Kubernetes sidecar, where SIGTERM is how a pod is stopped.
//! Without a handler the process would die mid-write and leave temporary files on the volume;
//! with one, the build notices the request between records or download chunks, removes what it
//! wrote and exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Whether a stop was requested, and a way to wait for one.
#[derive(Debug, Default)]
pub struct Stop {
    requested: AtomicBool,
    /// Set together with `requested`, under the lock, so a sleeper cannot miss the wake-up.
    flag: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// A stop that only [`Stop::request`] sets.
    pub fn new() -> Arc<Self> {
        Arc::new(Stop::default())
    }

    /// A stop set by the first SIGTERM or SIGINT (Ctrl-C). A second signal ends the process at
    /// once, for a user who does not want to wait for the cleanup.
    ///
    /// If the handlers cannot be installed, a warning says so and signals keep their default
    /// effect (ending the process without cleanup).
    pub fn on_signals() -> Arc<Self> {
        let stop = Stop::new();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let spawned = std::thread::Builder::new().name("signals".into()).spawn({
            let stop = Arc::clone(&stop);
            move || watch_signals(&stop, &ready_tx)
        });
        let outcome = match spawned {
            Ok(_) => ready_rx
                .recv()
                .unwrap_or_else(|_| Err("the signal thread ended early".into())),
            Err(e) => Err(format!("cannot start the signal thread: {e}")),
        };
        if let Err(e) = outcome {
            tracing::warn!(
                "cannot handle SIGTERM and Ctrl-C ({e}); they will end palisade without cleaning up"
            );
        }
        stop
    }

    /// Asks the work to stop and wakes any sleeper.
    pub fn request(&self) {
        let mut flag = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        *flag = true;
        self.requested.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration` or until a stop is requested; returns whether one was.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now().checked_add(duration);
        // A poisoned lock only guards a bool; its value is still meaningful.
        let mut flag = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        while !*flag {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                // So far away that it cannot be represented: wait in long steps.
                None => Duration::from_secs(86_400),
            };
            if left.is_zero() {
                break;
            }
            flag = match self.wake.wait_timeout(flag, left) {
                Ok((f, _)) => f,
                Err(p) => p.into_inner().0,
            };
        }
        *flag
    }
}

/// Runs on its own thread: installs the handlers, reports whether that worked, then waits.
fn watch_signals(stop: &Stop, ready: &std::sync::mpsc::Sender<Result<(), String>>) {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot start the signal runtime: {e}")));
            return;
        }
    };
    runtime.block_on(async {
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("received {name}; stopping");
        eprintln!("received {name}; stopping (send it again to stop at once)");
        stop.request();
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        eprintln!("received a second signal; stopping at once");
        std::process::exit(130);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_ends_early_on_request() {
        let stop = Stop::new();
        assert!(!stop.sleep(Duration::from_millis(10)));
        let s = Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s.request();
        });
        let started = Instant::now();
        assert!(stop.sleep(Duration::from_secs(60)));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(stop.requested());
        assert!(stop.sleep(Duration::MAX), "returns at once once requested");
        t.join().expect("thread");
    }
}
