//! Ctrl-C while sampling: the first one asks for a verdict on what was taken so far; the
//! handler is one-shot (SA_RESETHAND), so a second Ctrl-C quits at once as usual.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Catches the next SIGINT instead of dying of it.
pub fn catch_next() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; the struct
    // is zeroed (an empty mask) before the fields that matter are set.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as usize;
        action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Gives SIGINT back its default action (quit), when the window ended without one.
pub fn release() {
    // SAFETY: restoring the default disposition of a signal has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}
