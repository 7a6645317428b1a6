//! One file per subcommand: wires collect, analyze and render together, nothing more.

pub mod completion_values;
pub mod fds;
pub mod generate;
pub mod heap;
pub mod limits;
mod man_page;
pub mod metrics;
pub mod runbook;
pub mod serve;
pub mod stacks;
pub mod targets;
pub mod triage;

use std::path::PathBuf;

use crate::render::Style;

/// How and where to write, decided once from the global flags.
#[derive(Debug, Clone)]
pub struct Output {
    pub json: bool,
    pub style: Style,
    /// Whether a progress bar may be drawn while waiting (see `config::show_progress`).
    pub progress: bool,
}

impl Output {
    /// The renderer every report goes through (see `render::format`).
    pub fn format(&self) -> crate::render::format::Format {
        if self.json {
            crate::render::format::Format::Json
        } else {
            crate::render::format::Format::Terminal(self.style)
        }
    }
}

/// What every command that reads a process needs to find it.
#[derive(Debug, Clone)]
pub struct ProcSource {
    pub pid: i32,
    pub proc_root: PathBuf,
}
