//! Writers of reports: tables for people, JSON for scripts, a progress bar while waiting.
//! Everything writes to an `impl Write`; nothing here collects or decides.

#[macro_use]
pub mod sink;

pub mod error_json;
pub mod fds_json;
pub mod fds_list;
pub mod fds_table;
pub mod findings;
pub mod flame;
pub mod format;
pub mod heap_json;
pub mod heap_table;
pub mod heap_text;
pub mod limits_json;
pub mod limits_table;
pub mod openmetrics;
pub mod peers;
pub mod progress;
pub mod runbook;
pub mod several;
pub mod stacks_json;
pub mod stacks_table;
pub mod table;
pub mod text;
pub mod triage_json;
pub mod triage_table;
pub mod triage_text;
pub mod wrap;

/// The JSON shape's version; bump it when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// How text output may look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
    /// The columns prose and tables fit in; `None` (stdout not a terminal, no COLUMNS): no
    /// wrapping, one line per finding for grep.
    pub width: Option<usize>,
}

#[cfg(test)]
mod snapshots;
