//! The line reader: one line at a time, one goroutine at a time in a reused scratch buffer,
//! grouped when it closes. It is the reference the block scanner (scan.rs) must agree with, and
//! the path every goroutine takes whose stack the scanner has not seen yet.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;
use std::ops::Range;

use super::lines::{
    find, function_name, parse_counted_header, parse_header, parse_location, parse_u32,
    strip_log_timestamp, trim,
};
use super::{MAX_FRAMES, MAX_GROUPS, MAX_LINE, MAX_SCRATCH, OVERFLOW_STATE, SAMPLE_IDS};
use crate::model::stacks::{GoFrame, GoroutineGroup};

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

/// What one reader (or one part of a dump) found: the groups in order of first appearance.
pub(super) struct Parsed {
    pub groups: Vec<GoroutineGroup>,
    pub total: u64,
    pub saw_full: bool,
    /// Some goroutine went to the overflow group: which stacks got groups of their own
    /// depended on the order of the whole dump.
    pub overflowed: bool,
    /// Some group was made from names that are not UTF-8. Its names were replaced lossily,
    /// so no later goroutine ever matches it: each such goroutine is a group of its own.
    pub lossy: bool,
}

pub(super) struct DumpParser {
    similar: bool,
    mode: Mode,
    current: Current,
    groups: Vec<GoroutineGroup>,
    index: HashMap<u64, Vec<usize>>,
    /// Where goroutines go once MAX_GROUPS stacks are kept.
    overflow: Option<usize>,
    total: u64,
    saw_full: bool,
    lossy: bool,
}

impl DumpParser {
    /// `similar` groups stacks that differ only in line numbers.
    pub(super) fn new(similar: bool) -> DumpParser {
        DumpParser {
            similar,
            mode: Mode::Outside,
            current: Current::default(),
            groups: Vec::new(),
            index: HashMap::new(),
            overflow: None,
            total: 0,
            saw_full: false,
            lossy: false,
        }
    }

    /// One line, without its newline.
    pub(super) fn feed(&mut self, line: &[u8]) {
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

    /// Whether a `goroutine N [state]:` block is open: the only kind the scanner caches.
    pub(super) fn in_full_block(&self) -> bool {
        self.mode == Mode::Full
    }

    /// What, besides the frame lines, decides how an open block parses and groups: its wait
    /// reason (which also sits first in the scratch buffer, so its length moves where
    /// MAX_SCRATCH cuts the frames) and the leaked mark. Valid until the next header.
    pub(super) fn block_key(&self) -> (&[u8], bool) {
        let cur = &self.current;
        (cur.text(&cur.state), cur.leaked)
    }

    /// Ends the goroutine being read and adds it to its group. Returns that group when every
    /// later goroutine parsing the same way is certain to land in it too.
    pub(super) fn close(&mut self) -> Option<usize> {
        if self.mode == Mode::Outside {
            return None;
        }
        // A `?debug=1` record may list no frame at all: `1 @ 0x4912a1` is a goroutine that was
        // created and has not run yet, whose only PC (runtime.goexit) Go does not print. It
        // is in the profile's total, so it is counted, in a group without frames.
        let cur = &self.current;
        let hash = self.key_hash();
        let candidates = self.index.entry(hash).or_default();
        let found = candidates
            .iter()
            .copied()
            .find(|&i| same_group(&self.groups[i], cur, self.similar));
        // Groups are only ever added, and a full table stays full: a goroutine that found (or
        // failed to find) a group finds the same one again later.
        let (at, reusable) = match found {
            Some(i) => (i, true),
            None if self.groups.len() >= MAX_GROUPS => {
                let at = *self.overflow.get_or_insert_with(|| {
                    self.groups.push(overflow_group());
                    self.groups.len() - 1
                });
                (at, true)
            }
            None => {
                let (group, exact) = new_group(cur);
                candidates.push(self.groups.len());
                self.groups.push(group);
                self.lossy |= !exact;
                (self.groups.len() - 1, exact)
            }
        };
        self.close_into(at);
        reusable.then_some(at)
    }

    /// Ends the goroutine being read as a member of group `at`, found without looking at its
    /// frames (the scanner saw the same bytes go there before).
    pub(super) fn close_into(&mut self, at: usize) {
        self.mode = Mode::Outside;
        let cur = &self.current;
        self.total += cur.count;
        let group = &mut self.groups[at];
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

    pub(super) fn finish(mut self) -> Parsed {
        self.close();
        Parsed {
            overflowed: self.overflow.is_some(),
            groups: self.groups,
            total: self.total,
            saw_full: self.saw_full,
            lossy: self.lossy,
        }
    }
}

/// The straightforward parse, one bounded line at a time: the reference for the scanner.
pub(super) fn parse_by_line(mut reader: impl BufRead, similar: bool) -> std::io::Result<Parsed> {
    let mut parser = DumpParser::new(similar);
    let mut line = Vec::with_capacity(512);
    while read_line_bounded(&mut reader, &mut line, MAX_LINE)? > 0 {
        parser.feed(&line);
    }
    Ok(parser.finish())
}

/// Reads one line into `line` (without its newline), keeping at most `max` bytes of it and
/// skipping the rest. Returns the bytes consumed, 0 at the end.
pub(super) fn read_line_bounded(
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
        let (chunk, used, done) = match memchr::memchr(b'\n', buf) {
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

/// The group `cur` starts, and whether its names are `cur`'s bytes exactly (they were UTF-8).
fn new_group(cur: &Current) -> (GoroutineGroup, bool) {
    let exact = std::cell::Cell::new(true);
    let text = |range: &Range<usize>| {
        let bytes = cur.text(range);
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => {
                exact.set(false);
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    };
    let owned = |f: &RawFrame| GoFrame {
        function: text(&f.function),
        file: text(&f.file),
        line: f.line,
    };
    let group = GoroutineGroup {
        count: 0,
        state: text(&cur.state),
        wait_minutes: None,
        with_age: 0,
        locked_to_thread: 0,
        leaked: cur.leaked,
        frames: cur.frames.iter().map(owned).collect(),
        elided: cur.elided,
        created_by: cur.created_by.as_ref().map(owned),
        sample_ids: Vec::new(),
    };
    (group, exact.get())
}
