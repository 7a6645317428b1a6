//! Cutting a large dump into parts at goroutine boundaries, scanning the parts on their own
//! threads, and merging their groups into what one pass over the whole dump would give.
//! Reads only the source it is given, with positioned reads.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Read};

use memchr::memchr;

use super::lines::{line_view, parse_counted_header, parse_header};
use super::parser::Parsed;
use super::scan::scan;
use super::{MAX_GROUPS, MAX_LINE, SAMPLE_IDS};
use crate::model::stacks::GoroutineGroup;

/// Smallest part worth a thread of its own.
const MIN_PART: u64 = 4 << 20;
/// Threads at most: each holds a read buffer and its own groups.
const MAX_PARTS: usize = 8;
/// How far past a cut point to look for a goroutine header before giving the cut up.
const SEARCH: usize = 1 << 20;

/// Bytes that can be read at any offset, by several threads at once.
pub(super) trait Source: Sync {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl Source for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let rest = usize::try_from(offset).map_or(&[][..], |at| self.get(at..).unwrap_or(&[]));
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

impl Source for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
}

/// How many parts a dump of `len` bytes is worth on this machine.
pub(super) fn parts_for(len: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let worth = usize::try_from(len / MIN_PART).unwrap_or(usize::MAX);
    cores.min(worth).clamp(1, MAX_PARTS)
}

/// Scans `source` (`len` bytes when it was opened) in up to `parts` parts. The last part reads
/// on to the end, wherever that now is.
pub(super) fn scan_in_parts<S: Source + ?Sized>(
    source: &S,
    len: u64,
    parts: usize,
    similar: bool,
) -> io::Result<Parsed> {
    let mut cuts = vec![0];
    for k in 1..parts.max(1) as u64 {
        let from = len / parts as u64 * k;
        if let Some(cut) = next_header(source, from.max(*cuts.last().expect("one cut")))? {
            if cut > *cuts.last().expect("one cut") && cut < len {
                cuts.push(cut);
            }
        }
    }
    cuts.push(u64::MAX);
    if cuts.len() == 2 {
        return scan(&mut Part::new(source, 0, u64::MAX), similar);
    }
    let results: Vec<io::Result<Parsed>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                scope.spawn(move || scan(&mut Part::new(source, from, to), similar))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let parsed = results.into_iter().collect::<io::Result<Vec<_>>>()?;
    match merge(parsed, similar) {
        Some(merged) => Ok(merged),
        // Which stacks got a group of their own depended on the whole dump's order: read it
        // in one pass.
        None => scan(&mut Part::new(source, 0, u64::MAX), similar),
    }
}

/// The first line start at or after `from` where the line reader would start a goroutine or
/// record afresh whatever came before: a header line.
fn next_header<S: Source + ?Sized>(source: &S, from: u64) -> io::Result<Option<u64>> {
    if from == 0 {
        return Ok(Some(0));
    }
    // From the byte before, so that a header starting exactly at `from` is found.
    let start = from - 1;
    let mut window = vec![0; SEARCH];
    let mut filled = 0;
    while filled < window.len() {
        match source.read_at(&mut window[filled..], start + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    let window = &window[..filled];
    let Some(first) = memchr(b'\n', window) else {
        return Ok(None);
    };
    let mut at = first + 1;
    // Only whole lines are judged; a line running past the window gives the search up.
    while let Some(nl) = memchr(b'\n', &window[at..]) {
        let view = line_view(&window[at..at + nl.min(MAX_LINE)]);
        if parse_header(view).is_some() || parse_counted_header(view).is_some() {
            return Ok(Some(start + at as u64));
        }
        at += nl + 1;
    }
    Ok(None)
}

/// Bytes `from..to` of a source, as a reader.
struct Part<'a, S: ?Sized> {
    source: &'a S,
    at: u64,
    to: u64,
}

impl<'a, S: Source + ?Sized> Part<'a, S> {
    fn new(source: &'a S, from: u64, to: u64) -> Self {
        Part {
            source,
            at: from,
            to,
        }
    }
}

impl<S: Source + ?Sized> Read for Part<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = usize::try_from(self.to - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = self.source.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The groups of consecutive parts, as one pass would have made them: in order of first
/// appearance, members' figures summed, the first sample ids kept. None when a part's groups
/// depend on what came before it (the group table overflowed, or a group was made from
/// names that are not UTF-8 and so never takes a second member).
fn merge(parts: Vec<Parsed>, similar: bool) -> Option<Parsed> {
    if parts.iter().any(|p| p.overflowed || p.lossy) {
        return None;
    }
    let mut merged = Parsed {
        groups: Vec::new(),
        total: 0,
        saw_full: false,
        overflowed: false,
        lossy: false,
    };
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for part in parts {
        merged.total += part.total;
        merged.saw_full |= part.saw_full;
        for group in part.groups {
            let candidates = index.entry(key_hash(&group, similar)).or_default();
            let found = candidates
                .iter()
                .copied()
                .find(|&i| same_key(&merged.groups[i], &group, similar));
            match found {
                Some(i) => absorb(&mut merged.groups[i], group),
                None if merged.groups.len() >= MAX_GROUPS => return None,
                None => {
                    candidates.push(merged.groups.len());
                    merged.groups.push(group);
                }
            }
        }
    }
    Some(merged)
}

/// The parser's group key (parser.rs `same_group`), between two finished groups.
fn same_key(a: &GoroutineGroup, b: &GoroutineGroup, similar: bool) -> bool {
    let same_frame = |x: &crate::model::stacks::GoFrame, y: &crate::model::stacks::GoFrame| {
        x.function == y.function && x.file == y.file && (similar || x.line == y.line)
    };
    a.state == b.state
        && a.leaked == b.leaked
        && a.frames.len() == b.frames.len()
        && a.frames
            .iter()
            .zip(&b.frames)
            .all(|(x, y)| same_frame(x, y))
        && match (&a.created_by, &b.created_by) {
            (Some(x), Some(y)) => same_frame(x, y),
            (None, None) => true,
            _ => false,
        }
}

fn key_hash(group: &GoroutineGroup, similar: bool) -> u64 {
    let mut h = DefaultHasher::new();
    group.state.hash(&mut h);
    group.leaked.hash(&mut h);
    for f in group.frames.iter().chain(group.created_by.iter()) {
        f.function.hash(&mut h);
        f.file.hash(&mut h);
        if !similar {
            f.line.hash(&mut h);
        }
    }
    h.finish()
}

/// Adds a later part's members to the group they share with an earlier part.
fn absorb(into: &mut GoroutineGroup, later: GoroutineGroup) {
    into.count += later.count;
    into.with_age += later.with_age;
    into.locked_to_thread += later.locked_to_thread;
    into.wait_minutes = match (into.wait_minutes, later.wait_minutes) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (one, other) => one.or(other),
    };
    let room = SAMPLE_IDS.saturating_sub(into.sample_ids.len());
    into.sample_ids
        .extend(later.sample_ids.into_iter().take(room));
}
