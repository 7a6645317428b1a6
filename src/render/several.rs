//! Reports of several targets (`fds 1,42,77`, `limits --name …`): each one's report, or the
//! line saying why it could not be read, in the order the targets were named.

use std::io::{self, Write};

use crate::render::sink::Sink;
use crate::render::text::sanitize;

/// One target of several: its report, or why it could not be read.
pub enum Entry<'a, R> {
    Report(&'a R),
    Error {
        pid: i32,
        kind: &'a str,
        line: &'a str,
    },
}

/// Several targets' reports, in the order the targets were named, and what they add up to.
pub struct Several<'a, R, S> {
    pub entries: &'a [Entry<'a, R>],
    pub summary: &'a S,
}

impl<R, S> Several<'_, R, S> {
    /// How many targets could not be read.
    pub fn failed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e, Entry::Error { .. }))
            .count()
    }
}

/// Every entry, a blank line between two, a report by `write_report` and a failure as
/// `PID N why`; the caller writes the summary after.
pub fn write_entries<R>(
    entries: &[Entry<'_, R>],
    sink: &mut Sink<'_>,
    mut write_report: impl FnMut(&R, &mut Sink<'_>) -> io::Result<()>,
) -> io::Result<()> {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            writeln!(sink)?;
        }
        match entry {
            Entry::Report(report) => write_report(report, sink)?,
            Entry::Error { pid, line, .. } => {
                let pid = sink.paint(&format!("PID {pid}"), 1);
                proseln!(sink, "{pid} {}", sanitize(line))?
            }
        }
    }
    writeln!(sink)
}
