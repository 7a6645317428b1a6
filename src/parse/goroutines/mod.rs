//! Streaming parser of Go goroutine dumps: `/debug/pprof/goroutine?debug=2`, SIGQUIT and panic
//! output (with surrounding log lines ignored), and `?debug=1` count-per-stack dumps.
//!
//! Goroutines are grouped as they are read, so memory follows the number of distinct stacks,
//! not the size of the dump: each goroutine's frames live in a reused scratch buffer until
//! its group is found (or created, the only time frames are copied).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;
use std::ops::Range;

use thiserror::Error;

use crate::model::stacks::{GoFrame, GoroutineDump, GoroutineGroup};

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

const SAMPLE_IDS: usize = 5;
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
pub const OVERFLOW_STATE: &str = "(more distinct stacks than steady groups)";
const ELIDED: &[u8] = b"...additional frames elided...";

/// A frame in the scratch buffer: function and file as ranges into it.
#[derive(Clone)]
struct RawFrame {
    function: Range<usize>,
    file: Range<usize>,
    line: u32,
}

#[derive(Default)]
struct Current {
    id: u64,
    count: u64,
    state: Range<usize>,
    age: Option<u32>,
    locked: bool,
    leaked: bool,
    elided: bool,
    scratch: Vec<u8>,
    frames: Vec<RawFrame>,
    /// A function line waiting for its `\tfile:line` line.
    pending: Option<Range<usize>>,
    pending_created_by: bool,
    created_by: Option<RawFrame>,
}

impl Current {
    fn reset(&mut self) {
        self.scratch.clear();
        self.frames.clear();
        self.pending = None;
        self.pending_created_by = false;
        self.created_by = None;
        self.age = None;
        self.locked = false;
        self.leaked = false;
        self.elided = false;
        self.count = 1;
        self.state = 0..0;
    }

    fn push(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.scratch.len();
        self.scratch.extend_from_slice(bytes);
        start..self.scratch.len()
    }

    /// Whether one more frame of `bytes` fits the limits; marks the stack elided if not.
    fn room_for(&mut self, bytes: usize) -> bool {
        if self.frames.len() >= MAX_FRAMES || self.scratch.len() + bytes > MAX_SCRATCH {
            self.elided = true;
            return false;
        }
        true
    }

    fn text(&self, range: &Range<usize>) -> &[u8] {
        &self.scratch[range.clone()]
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Mode {
    Outside,
    /// Inside a `goroutine N [state]:` block.
    Full,
    /// Inside a `?debug=1` record: `COUNT @ addrs` then `#\t…` frame lines.
    Counted,
}

pub struct DumpParser {
    similar: bool,
    mode: Mode,
    current: Current,
    groups: Vec<GoroutineGroup>,
    index: HashMap<u64, Vec<usize>>,
    /// Where goroutines go once MAX_GROUPS stacks are kept.
    overflow: Option<usize>,
    total: u64,
    saw_full: bool,
}

impl DumpParser {
    /// `similar` groups stacks that differ only in line numbers.
    pub fn new(similar: bool) -> DumpParser {
        DumpParser {
            similar,
            mode: Mode::Outside,
            current: Current::default(),
            groups: Vec::new(),
            index: HashMap::new(),
            overflow: None,
            total: 0,
            saw_full: false,
        }
    }

    /// One line, without its newline.
    pub fn feed(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = strip_log_timestamp(line);
        if let Some((id, state)) = parse_header(line) {
            self.close();
            self.current.reset();
            self.current.id = id;
            self.read_state(state);
            self.mode = Mode::Full;
            self.saw_full = true;
            return;
        }
        if let Some(count) = parse_counted_header(line) {
            self.close();
            self.current.reset();
            self.current.count = count;
            self.current.id = 0;
            self.mode = Mode::Counted;
            return;
        }
        match self.mode {
            Mode::Outside => {}
            Mode::Full => self.feed_full(line),
            Mode::Counted => self.feed_counted(line),
        }
    }

    /// Reads what Go prints between the brackets of a goroutine header (runtime.goroutineheader,
    /// Go 1.19–1.27): `WAIT REASON[ (leaked)][ (scan)][ (durable)][, N minutes][, locked to
    /// thread][, synctest bubble N][ labels:{"k": "v", …}]`.
    fn read_state(&mut self, state: &[u8]) {
        // pprof labels come last (Go 1.27, or 1.26 with GODEBUG=tracebacklabels=1) and their
        // quoted values may hold anything printable, commas and "5 minutes" included: cut them
        // off before splitting. They are left out of the group on purpose: labels are often
        // per request, and one leak would split into a group per request.
        let state = match find(state, b" labels:{") {
            Some(at) => &state[..at],
            None => state,
        };
        let mut first = true;
        for part in state.split(|&b| b == b',') {
            let part = trim(part);
            if first {
                self.current.state = self.read_reason(part);
                first = false;
            } else if let Some(minutes) = part.strip_suffix(b" minutes").and_then(parse_u32) {
                self.current.age = Some(minutes);
            } else if part == b"locked to thread" {
                self.current.locked = true;
            }
            // "synctest bubble N" (Go 1.24+) only happens inside a test: read past.
        }
    }

    /// The wait reason less the markers Go appends to it. `(scan)` is a GC detail of the
    /// moment. `(durable)` (Go 1.24+ synctest: blocked in a bubble, only in tests; some reasons
    /// carry it in their own name, "chan receive (durable)") is dropped so the reason reads
    /// as outside a bubble. `(leaked)` (Go 1.26+) is kept as a flag: it is the runtime's proof.
    fn read_reason(&mut self, mut reason: &[u8]) -> Range<usize> {
        loop {
            if let Some(rest) = reason.strip_suffix(b" (scan)") {
                reason = rest;
            } else if let Some(rest) = reason.strip_suffix(b" (durable)") {
                reason = rest;
            } else if let Some(rest) = reason.strip_suffix(b" (leaked)") {
                self.current.leaked = true;
                reason = rest;
            } else {
                return self.current.push(reason);
            }
        }
    }

    fn feed_full(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.close();
            return;
        }
        if let Some(location) = line.strip_prefix(b"\t") {
            let (file, number) = parse_location(location);
            if self.current.pending.is_none() || !self.current.room_for(file.len()) {
                self.current.pending = None;
                return;
            }
            let file = self.current.push(file);
            if let Some(function) = self.current.pending.take() {
                let frame = RawFrame {
                    function,
                    file,
                    line: number,
                };
                if std::mem::take(&mut self.current.pending_created_by) {
                    self.current.created_by = Some(frame);
                } else {
                    self.current.frames.push(frame);
                }
            }
            return;
        }
        if line.starts_with(ELIDED) {
            self.current.elided = true;
            return;
        }
        if let Some(creator) = line.strip_prefix(b"created by ") {
            // Go 1.21+: "created by main.start in goroutine 1".
            let creator = match find(creator, b" in goroutine ") {
                Some(at) => &creator[..at],
                None => creator,
            };
            self.current.pending = self
                .current
                .room_for(creator.len())
                .then(|| self.current.push(creator));
            self.current.pending_created_by = true;
            return;
        }
        let function = function_name(line);
        self.current.pending = self
            .current
            .room_for(function.len())
            .then(|| self.current.push(function));
        self.current.pending_created_by = false;
    }

    fn feed_counted(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.close();
            return;
        }
        // "#\t0x674d1a\tmain.f+0x1a\t/src/main.go:27"
        let Some(rest) = line.strip_prefix(b"#\t") else {
            return;
        };
        // Go pads the columns with extra tabs.
        let mut fields = rest.split(|&b| b == b'\t').filter(|f| !f.is_empty());
        let (_addr, Some(function), Some(location)) = (fields.next(), fields.next(), fields.next())
        else {
            return;
        };
        let function = match function.iter().rposition(|&b| b == b'+') {
            Some(at) => &function[..at],
            None => function,
        };
        let (file, number) = parse_location(location);
        if !self.current.room_for(function.len() + file.len()) {
            return;
        }
        let function = self.current.push(function);
        let file = self.current.push(file);
        self.current.frames.push(RawFrame {
            function,
            file,
            line: number,
        });
    }

    /// Ends the goroutine being read and adds it to its group.
    fn close(&mut self) {
        let mode = std::mem::replace(&mut self.mode, Mode::Outside);
        if mode == Mode::Outside {
            return;
        }
        // A `?debug=1` record may list no frame at all: `1 @ 0x4912a1` is a goroutine that was
        // created and has not run yet, whose only PC (runtime.goexit) Go does not print. It
        // is in the profile's total, so it is counted, in a group without frames.
        let cur = &self.current;
        self.total += cur.count;
        let hash = self.key_hash();
        let candidates = self.index.entry(hash).or_default();
        let found = candidates
            .iter()
            .copied()
            .find(|&i| same_group(&self.groups[i], cur, self.similar));
        let group = match found {
            Some(i) => &mut self.groups[i],
            None if self.groups.len() >= MAX_GROUPS => {
                let at = *self.overflow.get_or_insert_with(|| {
                    self.groups.push(overflow_group());
                    self.groups.len() - 1
                });
                &mut self.groups[at]
            }
            None => {
                candidates.push(self.groups.len());
                self.groups.push(new_group(cur));
                self.groups.last_mut().expect("just pushed")
            }
        };
        group.count += cur.count;
        if let Some(age) = cur.age {
            group.with_age += cur.count;
            group.wait_minutes = Some(match group.wait_minutes {
                Some((lo, hi)) => (lo.min(age), hi.max(age)),
                None => (age, age),
            });
        }
        if cur.locked {
            group.locked_to_thread += cur.count;
        }
        if cur.id != 0 && group.sample_ids.len() < SAMPLE_IDS {
            group.sample_ids.push(cur.id);
        }
    }

    fn key_hash(&self) -> u64 {
        let cur = &self.current;
        let mut h = DefaultHasher::new();
        cur.text(&cur.state).hash(&mut h);
        for f in cur.frames.iter().chain(cur.created_by.iter()) {
            cur.text(&f.function).hash(&mut h);
            cur.text(&f.file).hash(&mut h);
            if !self.similar {
                f.line.hash(&mut h);
            }
        }
        cur.created_by.is_some().hash(&mut h);
        cur.leaked.hash(&mut h);
        h.finish()
    }

    pub fn finish(mut self, what: &str) -> Result<GoroutineDump, DumpError> {
        self.close();
        if self.groups.is_empty() {
            return Err(DumpError::NoGoroutines {
                what: what.to_string(),
            });
        }
        Ok(GoroutineDump {
            total: self.total,
            groups: self.groups,
            has_states: self.saw_full,
        })
    }
}

/// Parses a whole dump from a reader, line by line.
pub fn parse_dump(
    mut reader: impl BufRead,
    what: &str,
    similar: bool,
) -> Result<GoroutineDump, DumpError> {
    let mut parser = DumpParser::new(similar);
    let mut line = Vec::with_capacity(512);
    loop {
        let n = read_line_bounded(&mut reader, &mut line, MAX_LINE).map_err(|source| {
            DumpError::Read {
                what: what.to_string(),
                source,
            }
        })?;
        if n == 0 {
            break;
        }
        parser.feed(&line);
    }
    parser.finish(what)
}

/// Reads one line into `line` (without its newline), keeping at most `max` bytes of it and
/// skipping the rest. Returns the bytes consumed, 0 at the end.
fn read_line_bounded(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    line.clear();
    let mut consumed = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buf.is_empty() {
            return Ok(consumed);
        }
        let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..at], at + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = max.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        consumed += used;
        if done {
            return Ok(consumed);
        }
    }
}

fn overflow_group() -> GoroutineGroup {
    GoroutineGroup {
        count: 0,
        state: OVERFLOW_STATE.to_string(),
        wait_minutes: None,
        with_age: 0,
        locked_to_thread: 0,
        leaked: false,
        frames: Vec::new(),
        elided: true,
        created_by: None,
        sample_ids: Vec::new(),
    }
}

fn same_group(group: &GoroutineGroup, cur: &Current, similar: bool) -> bool {
    let same_frame = |g: &GoFrame, f: &RawFrame| {
        g.function.as_bytes() == cur.text(&f.function)
            && g.file.as_bytes() == cur.text(&f.file)
            && (similar || g.line == f.line)
    };
    group.state.as_bytes() == cur.text(&cur.state)
        && group.leaked == cur.leaked
        && group.frames.len() == cur.frames.len()
        && group
            .frames
            .iter()
            .zip(&cur.frames)
            .all(|(g, f)| same_frame(g, f))
        && match (&group.created_by, &cur.created_by) {
            (Some(g), Some(f)) => same_frame(g, f),
            (None, None) => true,
            _ => false,
        }
}

fn new_group(cur: &Current) -> GoroutineGroup {
    let owned = |f: &RawFrame| GoFrame {
        function: String::from_utf8_lossy(cur.text(&f.function)).into_owned(),
        file: String::from_utf8_lossy(cur.text(&f.file)).into_owned(),
        line: f.line,
    };
    GoroutineGroup {
        count: 0,
        state: String::from_utf8_lossy(cur.text(&cur.state)).into_owned(),
        wait_minutes: None,
        with_age: 0,
        locked_to_thread: 0,
        leaked: cur.leaked,
        frames: cur.frames.iter().map(owned).collect(),
        elided: cur.elided,
        created_by: cur.created_by.as_ref().map(owned),
        sample_ids: Vec::new(),
    }
}

/// `kubectl logs --timestamps` puts an RFC 3339 time and a space before every line, the
/// dump's included: `2026-11-23T03:23:20.123456789Z goroutine 1 [running]:`.
fn strip_log_timestamp(line: &[u8]) -> &[u8] {
    let looks_like_time = line.len() > 20
        && line[..4].iter().all(u8::is_ascii_digit)
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b'T';
    if !looks_like_time {
        return line;
    }
    // The zone follows the seconds (index 19 on): `Z`, `+01:00` or `-05:00`.
    match line.iter().position(|&b| b == b' ') {
        Some(space)
            if space > 19
                && (line[..space].ends_with(b"Z")
                    || line[19..space].iter().any(|&b| b == b'+' || b == b'-')) =>
        {
            &line[space + 1..]
        }
        _ => line,
    }
}

/// `goroutine 5 [chan receive, 8 minutes]:` (Go ≥1.23 may add `gp=… m=…` before the bracket).
fn parse_header(line: &[u8]) -> Option<(u64, &[u8])> {
    let rest = line.strip_prefix(b"goroutine ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = parse_u64(&rest[..digits])?;
    let rest = &rest[digits..];
    let open = rest.iter().position(|&b| b == b'[')?;
    let body = rest[open + 1..].strip_suffix(b"]:")?;
    Some((id, body))
}

/// `118 @ 0x43b296 0x44a8d2 …`
fn parse_counted_header(line: &[u8]) -> Option<u64> {
    let at = find(line, b" @ ")?;
    let count = parse_u64(&line[..at])?;
    line[at + 3..].starts_with(b"0x").then_some(count)
}

/// `main.(*T).m(0xc000010000, {0x1, 0x2})` → `main.(*T).m`.
fn function_name(line: &[u8]) -> &[u8] {
    if line.ends_with(b")") {
        if let Some(open) = line.iter().rposition(|&b| b == b'(') {
            if open > 0 {
                return &line[..open];
            }
        }
    }
    line
}

/// `/src/main.go:27 +0x1d` → (`/src/main.go`, 27).
fn parse_location(location: &[u8]) -> (&[u8], u32) {
    let location = match find(location, b" +0x") {
        Some(at) => &location[..at],
        None => trim(location),
    };
    match location.iter().rposition(|&b| b == b':') {
        Some(colon) => (
            &location[..colon],
            parse_u32(&location[colon + 1..]).unwrap_or(0),
        ),
        None => (location, 0),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
}

fn parse_u32(bytes: &[u8]) -> Option<u32> {
    parse_u64(bytes).and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests;
