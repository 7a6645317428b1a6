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
