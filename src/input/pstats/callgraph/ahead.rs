//! Walks run ahead on spare cores. A walk that passes its budget is redone at a coarser
//! threshold, and a walk that keeps within it may be followed by more walks (placements,
//! passes), each of which may pass the budget in turn. What follows a walk *if* it passes its
//! budget can start beside it, before its outcome is known; that walk can have a walk beside
//! it too, and so on. [`Cores`] lets only as many of these walk at once as there are cores (a
//! thread waiting for the walk beside it gives its core to whatever that walk starts beside
//! itself), and [`Stop`] ends every walk that a kept walk made useless, however deeply nested.
//!
//! Which walk is kept is decided exactly as on one thread: a walk beside another only ever
//! computes what the one thread would compute next if that walk passed its budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A stop signal for one walk run ahead, which also holds when any signal it runs under
/// holds: a walk beside a walk beside one that was kept is as useless as the walk beside it.
pub(super) struct Stop<'a> {
    flag: AtomicBool,
    outer: Option<&'a Stop<'a>>,
}

impl<'a> Stop<'a> {
    /// A signal not yet given, that also holds once `outer` does.
    pub(super) fn under(outer: Option<&'a Stop<'a>>) -> Self {
        Stop {
            flag: AtomicBool::new(false),
            outer,
        }
    }

    /// Whether this signal or one it runs under was given.
    pub(super) fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || self.outer.is_some_and(Stop::is_set)
    }
}

/// Whether a walk run ahead was told to stop (a walk it depends on kept within its budget).
pub(super) fn stopped(stop: Option<&Stop>) -> bool {
    stop.is_some_and(Stop::is_set)
}

/// The cores walks may use: a thread takes one before it walks and gives it back when it
/// waits for a walk beside it, or is done. Threads that wait for a core look again whenever
/// one is given back or a stop signal is given ([`Cores::stop`]).
pub(super) struct Cores {
    free: Mutex<usize>,
    changed: Condvar,
}

impl Cores {
    /// `threads` cores, one of them already taken by the thread that asks.
    pub(super) fn new(threads: usize) -> Self {
        Cores {
            free: Mutex::new(threads.saturating_sub(1)),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free core and takes it; false, without one, once `stop` is given first.
    pub(super) fn take(&self, stop: Option<&Stop>) -> bool {
        let mut free = self.lock();
        loop {
            if stopped(stop) {
                return false;
            }
            if *free > 0 {
                *free -= 1;
                return true;
            }
            // The timeout is only a safety net: giving a core or a stop signal wakes waiters.
            free = self
                .changed
                .wait_timeout(free, Duration::from_millis(5))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Gives a core back.
    pub(super) fn give(&self) {
        *self.lock() += 1;
        self.changed.notify_all();
    }

    /// Gives `stop`, and wakes the threads waiting for a core so that those it stops see it.
    pub(super) fn stop(&self, stop: &Stop) {
        stop.flag.store(true, Ordering::Relaxed);
        let _free = self.lock();
        self.changed.notify_all();
    }

    /// Gives `stop` if the thread unwinds while this is held: a walk that panics holds its
    /// core for good, and the walks beside it, waiting for a core, would otherwise keep the
    /// scope they run in (and so the panic) from ever ending.
    pub(super) fn stop_on_panic<'s>(&'s self, stop: &'s Stop<'s>) -> impl Drop + 's {
        StopOnPanic { cores: self, stop }
    }
}

struct StopOnPanic<'s> {
    cores: &'s Cores,
    stop: &'s Stop<'s>,
}

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.cores.stop(self.stop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_holds_under_every_signal_it_runs_under() {
        let outer = Stop::under(None);
        let middle = Stop::under(Some(&outer));
        let inner = Stop::under(Some(&middle));
        assert!(!inner.is_set());
        let cores = Cores::new(2);
        cores.stop(&outer);
        assert!(inner.is_set() && middle.is_set());
        assert!(!Stop::under(None).is_set());
    }

    #[test]
    fn a_panic_beside_waiting_walks_stops_them_instead_of_hanging() {
        let cores = Cores::new(1);
        let stop = Stop::under(None);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|scope| {
                scope.spawn(|| assert!(!cores.take(Some(&stop)), "stopped, not given a core"));
                let _guard = cores.stop_on_panic(&stop);
                panic!("a walk's bug");
            })
        }));
        assert!(outcome.is_err(), "the panic comes through");
        assert!(stop.is_set());
    }

    #[test]
    fn a_thread_waiting_for_a_core_gets_the_one_given_back_or_leaves_when_stopped() {
        let cores = Cores::new(2);
        assert!(cores.take(None), "one of two cores is free");
        let stop = Stop::under(None);
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| cores.take(Some(&stop)));
            std::thread::sleep(Duration::from_millis(20));
            cores.give();
            assert!(waiting.join().unwrap(), "the core given back is taken");
            let leaving = scope.spawn(|| cores.take(Some(&stop)));
            std::thread::sleep(Duration::from_millis(20));
            cores.stop(&stop);
            assert!(
                !leaving.join().unwrap(),
                "no core is free, so the stop ends the wait"
            );
        });
    }
}
