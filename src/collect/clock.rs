//! The clock: waiting between samples, in short steps so the caller can show progress.

use std::thread;
use std::time::{Duration, Instant};

/// Sleeps for `total`, calling `tick` with the time elapsed about ten times a second.
pub fn wait(total: Duration, mut tick: impl FnMut(Duration)) {
    let start = Instant::now();
    loop {
        let elapsed = start.elapsed();
        tick(elapsed);
        if elapsed >= total {
            return;
        }
        thread::sleep((total - elapsed).min(Duration::from_millis(100)));
    }
}

/// Like `wait`, but `tick` returning false ends the wait at once (Ctrl-C, a verdict).
pub fn wait_while(total: Duration, mut tick: impl FnMut(Duration) -> bool) {
    let start = Instant::now();
    loop {
        let elapsed = start.elapsed();
        if !tick(elapsed) || elapsed >= total {
            return;
        }
        thread::sleep((total - elapsed).min(Duration::from_millis(100)));
    }
}

/// Seconds since the epoch, as data for snapshots and samples.
pub fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
