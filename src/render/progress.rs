//! A progress bar on stderr for anything that waits, drawn only when the caller says the
//! output is for a person (`Output::progress`): stdout a terminal, no --json. indicatif itself
//! hides it when stderr is not a terminal, so scripts and CI logs stay clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct WaitBar {
    bar: ProgressBar,
}

impl WaitBar {
    pub fn new(total: Duration, message: &str, shown: bool) -> WaitBar {
        let target = if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total.as_millis() as u64), target);
        if let Ok(style) =
            ProgressStyle::with_template("{wide_msg} [{bar:15}] {elapsed}/{duration}")
                .map(|s| s.progress_chars("=> "))
        {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        WaitBar { bar }
    }

    pub fn set(&self, elapsed: Duration) {
        self.bar.set_position(elapsed.as_millis() as u64);
    }

    /// Replaces the message beside the bar (the leading verdict as it forms).
    pub fn say(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
