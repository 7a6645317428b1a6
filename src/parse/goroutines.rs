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
mod tests {
    use super::*;

    const GO119_DEBUG2: &str = include_str!("../../tests/fixtures/goroutines/go1.19-debug2.txt");
    const GO119_DEBUG1: &str = include_str!("../../tests/fixtures/goroutines/go1.19-debug1.txt");
    const GO122_LOGS: &str =
        include_str!("../../tests/fixtures/goroutines/go1.22-sigquit-in-logs.txt");

    const GO126_MUTEX_DEBUG2: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-mutex-pileup-debug2.txt");
    const GO126_MUTEX_DEBUG1: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-mutex-pileup-debug1.txt");
    const GO126_LABELS_DEBUG2: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-chan-leak-labels-debug2.txt");
    const GO126_LABELS_DEBUG1: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-chan-leak-labels-debug1.txt");
    const GO126_LEAKED_DEBUG2: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-debug2.txt");
    const GO126_LEAKED_DEBUG1: &str =
        include_str!("../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-debug1.txt");
    const GO126_LEAK_PROFILE: &str = include_str!(
        "../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-goroutineleak-debug1.txt"
    );
    const WRITTEN_MARKERS: &str =
        include_str!("../../tests/fixtures/goroutines/written-go1.24-1.27-header-markers.txt");

    fn parse(text: &str, similar: bool) -> GoroutineDump {
        parse_dump(text.as_bytes(), "fixture", similar).unwrap()
    }

    fn group<'a>(dump: &'a GoroutineDump, leaf: &str) -> &'a GoroutineGroup {
        dump.groups
            .iter()
            .find(|g| g.frames.iter().any(|f| f.function == leaf))
            .unwrap_or_else(|| panic!("no group with {leaf}"))
    }

    #[test]
    fn recorded_go119_debug2() {
        let dump = parse(GO119_DEBUG2, false);
        assert_eq!(dump.total, 64);
        assert!(dump.has_states);
        let waiting = group(&dump, "main.waitForever");
        assert_eq!(
            (waiting.count, waiting.state.as_str()),
            (50, "chan receive")
        );
        assert_eq!(waiting.frames[0].file, "/tmp/gor/main.go");
        assert_eq!(waiting.frames[0].line, 17);
        assert_eq!(waiting.created_by.as_ref().unwrap().function, "main.main");
        assert_eq!(waiting.wait_minutes, None, "no GC yet: no ages");
        assert_eq!(waiting.sample_ids.len(), 5);
        let mutex = group(&dump, "main.pileOnMutex");
        assert_eq!((mutex.count, mutex.state.as_str()), (7, "semacquire"));
        assert_eq!(mutex.frames[0].function, "sync.runtime_SemacquireMutex");
        let locked = group(&dump, "main.lockedSleeper");
        assert_eq!((locked.count, locked.locked_to_thread), (3, 3));
        assert_eq!(locked.state, "sleep");
        assert_eq!(dump.groups.iter().map(|g| g.count).sum::<u64>(), 64);
    }

    #[test]
    fn recorded_go119_debug1_counts() {
        let dump = parse(GO119_DEBUG1, false);
        assert_eq!(dump.total, 64);
        assert!(!dump.has_states);
        let waiting = group(&dump, "main.waitForever");
        assert_eq!(waiting.count, 50);
        assert_eq!(waiting.state, "");
        let mutex = group(&dump, "main.pileOnMutex");
        assert_eq!(mutex.count, 7);
        assert_eq!(mutex.frames.len(), 4);
        assert_eq!(mutex.frames[1].function, "sync.(*Mutex).lockSlow");
        assert_eq!(mutex.frames[1].line, 171);
    }

    #[test]
    fn sigquit_dump_in_logs_with_newer_formats() {
        let dump = parse(GO122_LOGS, false);
        // goroutines 0, 1, 17, 18, 19, 23, 31, 32, 40
        assert_eq!(dump.total, 9);
        let pool = dump
            .groups
            .iter()
            .find(|g| {
                g.frames
                    .first()
                    .is_some_and(|f| f.function == "example.com/api/internal/worker.(*Pool).wait")
            })
            .unwrap();
        assert_eq!(pool.count, 3, "(scan) is not part of the state");
        assert_eq!(pool.state, "chan receive");
        assert_eq!(pool.wait_minutes, Some((12, 47)));
        assert_eq!(pool.with_age, 2, "one of three has no age");
        assert_eq!(pool.frames[0].line, 51);
        assert_eq!(
            pool.created_by.as_ref().unwrap().function,
            "example.com/api/internal/worker.Start"
        );
        let io = group(&dump, "net.(*conn).Read");
        assert!(io.elided);
        assert_eq!((io.locked_to_thread, io.wait_minutes), (1, Some((3, 3))));
        assert_eq!(
            io.created_by.as_ref().unwrap().function,
            "net/http.(*Server).Serve"
        );
        let main = group(&dump, "main.main");
        assert_eq!(
            (main.state.as_str(), main.wait_minutes),
            ("chan receive", Some((42, 42)))
        );
        // Two mutex waiters differ only in a line number.
        let mutex: Vec<&GoroutineGroup> = dump
            .groups
            .iter()
            .filter(|g| g.state == "sync.Mutex.Lock")
            .collect();
        assert_eq!(mutex.len(), 2);
        let similar = parse(GO122_LOGS, true);
        let merged = similar
            .groups
            .iter()
            .find(|g| g.state == "sync.Mutex.Lock")
            .unwrap();
        assert_eq!((merged.count, merged.wait_minutes), (2, Some((5, 7))));
        let running = dump.groups.iter().find(|g| g.state == "running").unwrap();
        assert!(running.frames.is_empty());
    }

    #[test]
    fn kubectl_timestamps_are_read_through() {
        let stamped: String = GO122_LOGS
            .lines()
            .map(|l| format!("2026-11-23T03:23:20.123456789Z {l}\n"))
            .collect();
        let plain = parse(GO122_LOGS, false);
        let dump = parse(&stamped, false);
        assert_eq!(dump.total, plain.total);
        assert_eq!(dump.groups, plain.groups);
        let offset: String = GO122_LOGS
            .lines()
            .map(|l| format!("2026-11-23T03:23:20+01:00 {l}\n"))
            .collect();
        assert_eq!(parse(&offset, false).groups, plain.groups);
        let west: String = GO122_LOGS
            .lines()
            .map(|l| format!("2026-11-23T03:23:20-05:00 {l}\n"))
            .collect();
        assert_eq!(parse(&west, false).groups, plain.groups);
        // Lines that only start like a time are left alone, and never panic.
        for line in [
            "2026-11-23T03 goroutine 1 [running]:",
            "2026-11-23TZ x yyyyyyyyyyy",
        ] {
            assert_eq!(strip_log_timestamp(line.as_bytes()), line.as_bytes());
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "hello\nworld\n",
            "goroutine x [y]:\n",
            "\u{0}\u{1}\u{2}",
            "12 @ not-an-address\n",
        ] {
            assert!(
                parse_dump(text.as_bytes(), "input", false).is_err(),
                "{text:?}"
            );
        }
        // A header and nothing else is still one goroutine.
        assert_eq!(parse("goroutine 9 [select]:\n", false).total, 1);
        // Truncated mid-frame: what was read counts.
        let cut = &GO119_DEBUG2[..GO119_DEBUG2.len() / 2];
        assert!(parse(cut, false).total > 0);
    }

    #[test]
    fn limits_hold_before_memory_grows() {
        // A stack far deeper than Go prints keeps MAX_FRAMES frames and says it was cut.
        let mut deep = String::from("goroutine 1 [select]:\n");
        for i in 0..5000 {
            deep.push_str(&format!("main.f{i}(...)\n\t/src/main.go:{i} +0x1d\n"));
        }
        let dump = parse(&deep, false);
        assert_eq!(dump.groups[0].frames.len(), MAX_FRAMES);
        assert!(dump.groups[0].elided);
        // One endless line (no newline) is cut at MAX_LINE, and what follows still parses.
        let mut long = vec![b'x'; 3 * MAX_LINE];
        long.extend_from_slice(b"\ngoroutine 7 [chan receive]:\nmain.main()\n\t/m.go:3\n");
        let mut reader = long.as_slice();
        let mut line = Vec::new();
        let n = read_line_bounded(&mut reader, &mut line, MAX_LINE).unwrap();
        assert_eq!((n, line.len()), (3 * MAX_LINE + 1, MAX_LINE));
        let dump = parse_dump(long.as_slice(), "long", false).unwrap();
        assert_eq!((dump.total, dump.groups[0].frames.len()), (1, 1));
        // Past MAX_GROUPS distinct stacks, the rest are counted together.
        let mut many = String::new();
        for i in 0..MAX_GROUPS + 500 {
            many.push_str(&format!(
                "goroutine {i} [select]:\nmain.f{i}()\n\t/m.go:1\n\n"
            ));
        }
        let dump = parse(&many, false);
        assert_eq!(dump.groups.len(), MAX_GROUPS + 1);
        let overflow = dump.groups.last().unwrap();
        assert_eq!(
            (overflow.state.as_str(), overflow.count),
            (OVERFLOW_STATE, 500)
        );
        assert_eq!(dump.total, (MAX_GROUPS + 500) as u64);
    }

    /// One expected group of a recorded dump: the group holding `leaf`.
    struct Want {
        leaf: &'static str,
        count: u64,
        state: &'static str,
        leaked: bool,
        created_by: Option<&'static str>,
    }

    const STACKS_LEAK: &str = "/tests/targets/go/stacks_leak/main.go";

    #[test]
    fn recorded_go126_dumps() {
        let want = |leaf, count, state, leaked, created_by| Want {
            leaf,
            count,
            state,
            leaked,
            created_by,
        };
        let main = Some("main.main");
        // (fixture, total, has states, groups that must be there exactly)
        let cases: [(&str, &str, u64, bool, Vec<Want>); 7] = [
            (
                "mutex-pileup-debug2",
                GO126_MUTEX_DEBUG2,
                25,
                true,
                vec![
                    // Go ≥1.20 names the lock in the wait reason where 1.19 said semacquire;
                    // ≥1.21 says which goroutine created it (cut off: "main.main").
                    want("main.waitOnMutex", 20, "sync.Mutex.Lock", false, main),
                    want("main.churn", 1, "select", false, main),
                    want("main.main", 1, "sleep", false, None),
                    want("net.(*netFD).accept", 1, "IO wait", false, main),
                ],
            ),
            (
                "mutex-pileup-debug1",
                GO126_MUTEX_DEBUG1,
                25,
                false,
                vec![want("main.waitOnMutex", 20, "", false, None)],
            ),
            (
                "chan-leak-labels-debug2",
                GO126_LABELS_DEBUG2,
                35,
                true,
                vec![
                    // The labels are not part of the state.
                    want("main.leakOnChannel", 30, "chan receive", false, main),
                    want("main.main", 1, "sleep", false, None),
                    want("main.churn", 1, "select", false, main),
                ],
            ),
            (
                "chan-leak-labels-debug1",
                GO126_LABELS_DEBUG1,
                39,
                false,
                vec![
                    want("main.leakOnChannel", 30, "", false, None),
                    want("main.churn.func1", 4, "", false, None),
                ],
            ),
            (
                "chan-leak-detected-debug2",
                GO126_LEAKED_DEBUG2,
                39,
                true,
                vec![
                    want("main.leakOnChannel", 30, "chan receive", true, main),
                    want("main.churn.func1", 4, "sleep", false, None),
                    want("main.churn", 1, "sync.WaitGroup.Wait", false, main),
                ],
            ),
            (
                "chan-leak-detected-debug1",
                GO126_LEAKED_DEBUG1,
                35,
                false,
                vec![want("main.leakOnChannel", 30, "", false, None)],
            ),
            (
                "chan-leak-detected-goroutineleak-debug1",
                GO126_LEAK_PROFILE,
                30,
                false,
                vec![want("main.leakOnChannel", 30, "", false, None)],
            ),
        ];
        for (name, text, total, has_states, groups) in cases {
            let dump = parse(text, false);
            assert_eq!((dump.total, dump.has_states), (total, has_states), "{name}");
            assert_eq!(
                dump.groups.iter().map(|g| g.count).sum::<u64>(),
                total,
                "{name}: every goroutine is in one group"
            );
            for w in groups {
                let g = group(&dump, w.leaf);
                assert_eq!(
                    (g.count, g.state.as_str(), g.leaked),
                    (w.count, w.state, w.leaked),
                    "{name}: {}",
                    w.leaf
                );
                // churn.func1's creator is main.churn; only the ones named here are checked.
                if let Some(creator) = w.created_by {
                    let by = g.created_by.as_ref().expect("created by");
                    assert_eq!(by.function, creator, "{name}: {}", w.leaf);
                    assert!(by.file.ends_with(STACKS_LEAK), "{name}: {by:?}");
                }
                let leaf = g.frames.iter().find(|f| f.function == w.leaf).unwrap();
                assert!(leaf.line > 0, "{name}: {leaf:?}");
            }
        }
    }

    #[test]
    fn go126_mutex_frames_go_through_internal_sync() {
        // Go 1.24 moved the mutex into internal/sync; sync.(*Mutex).Lock is an inlined frame.
        let dump = parse(GO126_MUTEX_DEBUG2, false);
        let g = group(&dump, "main.waitOnMutex");
        let names: Vec<&str> = g.frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            names,
            [
                "internal/sync.runtime_SemacquireMutex",
                "internal/sync.(*Mutex).lockSlow",
                "internal/sync.(*Mutex).Lock",
                "sync.(*Mutex).Lock",
                "main.waitOnMutex",
            ]
        );
        assert_eq!(g.wait_minutes, None);
        assert_eq!(g.sample_ids.len(), 5);
    }

    #[test]
    fn header_markers_of_go124_to_go127() {
        let dump = parse(WRITTEN_MARKERS, false);
        assert_eq!(dump.total, 10);
        let pop = "example.com/api/internal/queue.(*Queue).Pop";
        // (leaf, count, state, leaked, ages, locked to thread)
        let cases = [
            // "(durable)", the bubble and the labels are read past: one group of two.
            (pop, 2, "chan receive", false, None, 0),
            ("time.Sleep", 1, "sleep", false, None, 0),
            (
                "sync.(*WaitGroup).Wait",
                1,
                "sync.WaitGroup.Wait",
                false,
                None,
                0,
            ),
            (
                "example.com/api/internal/server.(*Server).drain",
                1,
                "select",
                false,
                Some((7, 7)),
                1,
            ),
            (
                "example.com/api/internal/server.(*Server).wait",
                1,
                "leaked",
                true,
                None,
                0,
            ),
            ("testing.(*T).Run", 1, "chan receive", false, None, 0),
        ];
        for (leaf, count, state, leaked, ages, locked) in cases {
            let g = group(&dump, leaf);
            assert_eq!(
                (
                    g.count,
                    g.state.as_str(),
                    g.leaked,
                    g.wait_minutes,
                    g.locked_to_thread
                ),
                (count, state, leaked, ages, locked),
                "{leaf}"
            );
        }
        // A label value holding ", 5 minutes]:" is not an age and does not end the header.
        let drain = group(&dump, "example.com/api/internal/server.(*Server).drain");
        assert_eq!(drain.frames.len(), 1);
        // Three publishers on one stack: two the runtime proved leaked ((scan) or not), one
        // not. The proof keeps them apart.
        let publish: Vec<_> = dump
            .groups
            .iter()
            .filter(|g| g.frames[0].function.ends_with("(*Fanout).publish"))
            .map(|g| (g.count, g.leaked, g.wait_minutes))
            .collect();
        assert_eq!(
            publish,
            [(2, true, Some((12, 14))), (1, false, Some((14, 14)))]
        );
    }
}
