//! Go goroutine dumps to groups: `/debug/pprof/goroutine?debug=2`, SIGQUIT and panic output
//! (with surrounding log lines ignored), and `?debug=1` count-per-stack dumps. Bytes in,
//! groups out; the only I/O is reading the reader or file it is given.
//!
//! Goroutines are grouped as they are read, so memory follows the number of distinct stacks,
//! not the size of the dump. Most goroutines of a large dump repeat a stack already seen, byte
//! for byte: the scanner (scan.rs) recognises those from their frame bytes and reads only
//! their headers, and the line reader (parser.rs) parses the rest. Large inputs are cut at
//! goroutine boundaries and scanned on every core (split.rs).

mod lines;
mod parser;
mod scan;
mod split;

use std::fs::File;
use std::io::BufRead;

use thiserror::Error;

use crate::model::stacks::GoroutineDump;
use parser::Parsed;

#[derive(Debug, Error)]
pub enum DumpError {
    #[error("{what} holds no goroutines — pass a Go goroutine dump (/debug/pprof/goroutine?debug=2 or ?debug=1, or the SIGQUIT/panic output from the logs)")]
    NoGoroutines { what: String },

    #[error("reading {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// Go prints at most 100 frames of a goroutine (then `...additional frames elided...`) and
/// `?debug=1` records at most a few dozen: past this, frames are dropped and the stack
/// marked elided rather than grown without bound.
const MAX_FRAMES: usize = 1024;
/// Bytes of names kept for one goroutine; past it, further frames are dropped as elided.
const MAX_SCRATCH: usize = 1 << 20;
/// Longer lines are cut here: no Go frame or header is this long, and a dump without a
/// newline must not become one line held in memory.
const MAX_LINE: usize = 64 << 10;
/// Distinct stacks kept as groups; goroutines on stacks past it are counted in one group
/// (state [`OVERFLOW_STATE`]), so a hostile dump cannot grow memory per goroutine.
const MAX_GROUPS: usize = 100_000;
/// Goroutine ids kept per group, to find them in the raw dump.
const SAMPLE_IDS: usize = 5;
pub const OVERFLOW_STATE: &str = "(more distinct stacks than steady groups)";

/// Parses a whole dump from a reader, on one thread (a reader cannot be cut into parts).
pub fn parse_dump(
    mut reader: impl BufRead,
    what: &str,
    similar: bool,
) -> Result<GoroutineDump, DumpError> {
    let parsed = scan::scan(&mut reader, similar).map_err(|source| read_error(what, source))?;
    into_dump(parsed, what)
}

/// Parses a dump held in memory, on every core when it is large.
pub fn parse_dump_bytes(
    bytes: &[u8],
    what: &str,
    similar: bool,
) -> Result<GoroutineDump, DumpError> {
    let parsed = split::scan_in_parts(
        bytes,
        bytes.len() as u64,
        split::parts_for(bytes.len() as u64),
        similar,
    )
    .map_err(|source| read_error(what, source))?;
    into_dump(parsed, what)
}

/// Parses a dump file, on every core when it is large: each part is read with positioned reads
/// through its own bounded buffer, so memory stays flat in the file's size. A file that grows
/// while it is read is read to its end, as a stream would be.
pub fn parse_dump_file(file: &File, what: &str, similar: bool) -> Result<GoroutineDump, DumpError> {
    let len = file
        .metadata()
        .map_err(|source| read_error(what, source))?
        .len();
    let parsed = split::scan_in_parts(file, len, split::parts_for(len), similar)
        .map_err(|source| read_error(what, source))?;
    into_dump(parsed, what)
}

/// The straightforward parse, one line at a time with no shortcut: what the fast paths above
/// must agree with, group for group. For tests and the fuzz target.
#[doc(hidden)]
pub fn parse_dump_by_line(
    reader: impl BufRead,
    what: &str,
    similar: bool,
) -> Result<GoroutineDump, DumpError> {
    let parsed =
        parser::parse_by_line(reader, similar).map_err(|source| read_error(what, source))?;
    into_dump(parsed, what)
}

/// [`parse_dump_bytes`] cut into `parts` parts whatever the size, so that tests and the fuzz
/// target exercise the cutting and merging on small inputs.
#[doc(hidden)]
pub fn parse_dump_in_parts(
    bytes: &[u8],
    parts: usize,
    what: &str,
    similar: bool,
) -> Result<GoroutineDump, DumpError> {
    let parsed = split::scan_in_parts(bytes, bytes.len() as u64, parts, similar)
        .map_err(|source| read_error(what, source))?;
    into_dump(parsed, what)
}

fn read_error(what: &str, source: std::io::Error) -> DumpError {
    DumpError::Read {
        what: what.to_string(),
        source,
    }
}

fn into_dump(parsed: Parsed, what: &str) -> Result<GoroutineDump, DumpError> {
    if parsed.groups.is_empty() {
        return Err(DumpError::NoGoroutines {
            what: what.to_string(),
        });
    }
    Ok(GoroutineDump {
        total: parsed.total,
        groups: parsed.groups,
        has_states: parsed.saw_full,
    })
}

#[cfg(test)]
mod tests;
