//! Reports of several targets (`fds 1,42,77`, `limits --name …`): each one's report, or the
//! line saying why it could not be read, in the order the targets were named.

use std::io::{self, Write};

use crate::render::text::{paint, sanitize};
use crate::render::Style;

/// One target of several: its report, or why it could not be read.
pub enum Entry<'a, R> {
    Report(&'a R),
    Error {
        pid: i32,
        kind: &'a str,
        line: &'a str,
    },
}

/// Every entry, a blank line between two, a report by `write_report` and a failure as
/// `PID N why`; the caller writes the summary after.
pub fn write_entries<R, W: Write>(
    entries: &[Entry<'_, R>],
    style: Style,
    out: &mut W,
    mut write_report: impl FnMut(&R, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match entry {
            Entry::Report(report) => write_report(report, out)?,
            Entry::Error { pid, line, .. } => wrapln!(
                out,
                style.width,
                "{} {}",
                paint(&format!("PID {pid}"), 1, style.color),
                sanitize(line)
            )?,
        }
    }
    writeln!(out)
}
