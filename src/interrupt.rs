//! SIGINT, SIGTERM and SIGHUP: a run that is told to stop writes its partial report and
//! exits with 130, 143 or 129, and every plugin's process group goes with it.
//!
//! The signals are taken by a thread of their own running a small runtime that does
//! nothing else, so whether the doctor notices a signal does not depend on the run's
//! runtime being free: a check stuck on its thread cannot swallow Ctrl-C. (Blocking the
//! signals and waiting in `sigwait` would need no runtime, but child processes inherit a
//! blocked mask, and plugins must see signals as usual.)
//!
//! A command that writes a partial report (`check`, `demo`) says so with [`handle`]; the
//! signal then only asks it to stop, and it has [`GRACE`] to write the report before the
//! process exits anyway. Any other command, and a second signal, exit at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::sync::Notify;

/// How long a run that was told to stop may take to write its report.
pub const GRACE: Duration = Duration::from_secs(1);

static RECEIVED: AtomicI32 = AtomicI32::new(0);
static HANDLED: AtomicBool = AtomicBool::new(false);
static NOTIFY: Notify = Notify::const_new();

/// The exit status for a run ended by `signal` (128 + its number).
pub fn exit_code(signal: Signal) -> u8 {
    match signal {
        Signal::SIGHUP => 129,
        Signal::SIGTERM => 143,
        _ => 130,
    }
}

/// Start the thread that takes SIGINT, SIGTERM and SIGHUP; returns once the handlers are
/// in place. Call first thing in `main`.
pub fn install() -> std::io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let streams = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                );
                let (mut int, mut term, mut hup) = match streams {
                    (Ok(i), Ok(t), Ok(h)) => (i, t, h),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                loop {
                    let signal = tokio::select! {
                        _ = int.recv() => Signal::SIGINT,
                        _ = term.recv() => Signal::SIGTERM,
                        _ = hup.recv() => Signal::SIGHUP,
                    };
                    received_now(signal);
                }
            });
        })?;
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .map_err(|_| std::io::Error::other("the signal thread did not start"))?
}

/// What a signal does: ask a run that writes a partial report to stop (and end it anyway
/// after [`GRACE`]); end anything else, or a second signal, at once.
fn received_now(signal: Signal) {
    let first = RECEIVED
        .compare_exchange(0, signal as i32, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if !first || !HANDLED.load(Ordering::SeqCst) {
        stop_now(signal);
    }
    NOTIFY.notify_waiters();
    // The run writes its report; if it cannot within the grace period, it does not get to
    // keep the process alive.
    std::thread::spawn(move || {
        std::thread::sleep(GRACE);
        eprintln!(
            "error: {} received and the partial report could not be written within {} s",
            signal.as_str(),
            GRACE.as_secs()
        );
        stop_now(signal);
    });
}

/// Kill the plugins and exit with the signal's status.
fn stop_now(signal: Signal) -> ! {
    crate::check::exec::kill_all_groups();
    std::process::exit(i32::from(exit_code(signal)));
}

/// The running command writes a partial report when a signal arrives.
pub fn handle() {
    HANDLED.store(true, Ordering::SeqCst);
}

/// The signal received, if any.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// Resolves when a signal has been received (at once if one already was). Needs no
/// runtime driver: the signal thread wakes it directly.
pub async fn wait() -> Signal {
    loop {
        let notified = NOTIFY.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(s) = received() {
            return s;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_has_its_documented_status() {
        assert_eq!(exit_code(Signal::SIGINT), 130);
        assert_eq!(exit_code(Signal::SIGTERM), 143);
        assert_eq!(exit_code(Signal::SIGHUP), 129);
    }
}
