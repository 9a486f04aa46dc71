//! `tempfile` removes the temporary `-o` file when it is dropped, which a signal skips: Ctrl-C
//! while a large graph is written would leave `.importflame-XXXX.tmp` next to the output. While
//! a temporary file exists, SIGINT, SIGTERM and SIGHUP first unlink it (async-signal-safe),
//! then the signal's default action runs again, so the process still dies of the signal and
//! the shell sees an interrupt. Plain `libc::signal` is enough here (no new dependency: libc is
//! already built for tempfile); the `ctrlc` crate would add a thread and a pipe for the same.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The temporary file to remove, as a C string; null when there is none. Whoever swaps the
/// pointer out (the handler, or the guard's drop) owns it, so it is freed exactly once.
static TEMP: AtomicPtr<libc::c_char> = AtomicPtr::new(ptr::null_mut());

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(signal: libc::c_int) {
    let path = TEMP.swap(ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: unlink, signal and raise are async-signal-safe; `path` came from
    // `CString::into_raw` and nobody else can free it once swapped out here.
    unsafe {
        if !path.is_null() {
            libc::unlink(path);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

fn install() {
    for signal in SIGNALS {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installing a handler that only calls async-signal-safe functions; a
        // signal the parent set to be ignored (`nohup`, background jobs) stays ignored.
        unsafe {
            if libc::signal(signal, handler) == libc::SIG_IGN {
                libc::signal(signal, libc::SIG_IGN);
            }
        }
    }
}

/// While alive, a terminating signal removes the file at the path last [`set`] first.
///
/// [`set`]: RemoveOnSignal::set
pub struct RemoveOnSignal;

impl RemoveOnSignal {
    /// Installs the handlers (once per process).
    pub fn new() -> RemoveOnSignal {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(install);
        RemoveOnSignal
    }

    /// The file to remove from now on.
    pub fn set(&self, path: &Path) {
        if let Ok(path) = CString::new(path.as_os_str().as_bytes()) {
            free(TEMP.swap(path.into_raw(), Ordering::SeqCst));
        }
    }
}

impl Drop for RemoveOnSignal {
    fn drop(&mut self) {
        free(TEMP.swap(ptr::null_mut(), Ordering::SeqCst));
    }
}

fn free(path: *mut libc::c_char) {
    if !path.is_null() {
        // SAFETY: `path` came from `CString::into_raw` and was swapped out of TEMP, so
        // this is its only owner.
        drop(unsafe { CString::from_raw(path) });
    }
}
