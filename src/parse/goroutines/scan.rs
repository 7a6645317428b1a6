//! The block scanner: reads a dump through one bounded buffer and, for each `goroutine N
//! [state]:` block, looks its frame lines up as bytes among the blocks seen before. A block
//! seen before joins that block's group with only its header read; any other goes through
//! the line reader and is remembered. Pure over the reader it is given.
//!
//! Only the header differs between goroutines parked on the same stack (id, state, age), and a
//! dump of a leak is mostly such repeats, so most frame bytes are compared, not parsed.

use std::collections::HashMap;
use std::io::{self, Read};

use memchr::memchr;

use super::lines::{ends_block, line_view, parse_header};
use super::parser::{DumpParser, Parsed};
use super::MAX_LINE;

/// The read buffer. A goroutine block longer than this is read line by line instead: Go's
/// longest (100 frames of long generic names) is a few tens of KiB.
const BUFFER: usize = 1 << 20;
/// Bytes of distinct blocks remembered, and how many. Frames that print pointer arguments
/// repeat less; past either bound nothing new is remembered and such stacks are parsed
/// every time, as the line reader would.
const MAX_CACHED_BYTES: usize = 4 << 20;
const MAX_CACHED_BLOCKS: usize = 1 << 16;

/// Parses everything `reader` yields.
pub(super) fn scan(reader: &mut impl Read, similar: bool) -> io::Result<Parsed> {
    let mut parser = DumpParser::new(similar);
    Scanner::new().run(reader, &mut parser)?;
    Ok(parser.finish())
}

struct Scanner {
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`, and `start` is always at a line start.
    start: usize,
    end: usize,
    eof: bool,
    /// Inside a line longer than MAX_LINE whose kept part was fed: skip to its newline.
    skipping: bool,
    cache: BlockCache,
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            buf: vec![0; BUFFER],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
            cache: BlockCache::default(),
        }
    }

    fn run(&mut self, reader: &mut impl Read, parser: &mut DumpParser) -> io::Result<()> {
        loop {
            self.consume(parser);
            if self.eof {
                // The last line, without its newline.
                if self.start < self.end && !self.skipping {
                    parser.feed(cut(&self.buf[self.start..self.end]));
                }
                return Ok(());
            }
            self.refill(reader)?;
        }
    }

    /// Moves the unread tail to the front and fills the buffer after it (short reads, from a
    /// pipe, would have `consume` scan an unfinished block again after each). `consume`
    /// leaves less than a full buffer unread (longer lines and blocks go line by line), so
    /// there is always room.
    fn refill(&mut self, reader: &mut impl Read) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while self.end < self.buf.len() {
            match reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Feeds every complete line and block in the buffer; stops at one that needs more bytes.
    fn consume(&mut self, parser: &mut DumpParser) {
        while self.start < self.end {
            let rest = &self.buf[self.start..self.end];
            let Some(nl) = memchr(b'\n', rest) else {
                if self.skipping {
                    self.start = self.end;
                } else if rest.len() >= MAX_LINE {
                    // The reader keeps MAX_LINE bytes of a line, whatever follows.
                    parser.feed(&rest[..MAX_LINE]);
                    self.skipping = true;
                    self.start = self.end;
                }
                return;
            };
            if std::mem::take(&mut self.skipping) {
                self.start += nl + 1;
                continue;
            }
            let line = &rest[..nl];
            if line.starts_with(b"goroutine ") && parse_header(line_view(line)).is_some() {
                let body = self.start + nl + 1;
                match block_len(&self.buf[body..self.end], self.eof) {
                    Some(len) => {
                        let header = cut(line);
                        self.cache
                            .read_block(parser, header, &self.buf[body..body + len]);
                        self.start = body + len;
                        continue;
                    }
                    // Wait for the rest of the block, unless it is longer than the buffer.
                    None if self.start > 0 || self.end < self.buf.len() => return,
                    None => {}
                }
            }
            parser.feed(cut(line));
            self.start += nl + 1;
        }
    }
}

/// The length of the frame lines that open `after`: up to the first line that ends the block
/// for the line reader, or to the end of the input. None when the buffer ends first.
fn block_len(after: &[u8], eof: bool) -> Option<usize> {
    let mut at = 0;
    loop {
        if at == after.len() {
            return eof.then_some(at);
        }
        match memchr(b'\n', &after[at..]) {
            Some(nl) if ends_block(&after[at..at + nl]) => return Some(at),
            Some(nl) => at += nl + 1,
            None if !eof => return None,
            None if ends_block(&after[at..]) => return Some(at),
            None => return Some(after.len()),
        }
    }
}

/// A line as the line reader keeps it.
fn cut(line: &[u8]) -> &[u8] {
    &line[..line.len().min(MAX_LINE)]
}

/// Blocks seen before, by their bytes: the frame lines, with the wait reason and leaked mark
/// that also decide the group (and, through the reason's length, where MAX_SCRATCH cuts a
/// very long stack). Equal bytes parse equally, so a match is exact: the hash only finds
/// candidates, and the bytes are compared.
#[derive(Default)]
struct BlockCache {
    hasher: ahash::RandomState,
    index: HashMap<u64, Vec<usize>>,
    blocks: Vec<Cached>,
    bytes: Vec<u8>,
}

struct Cached {
    /// Reason, then frame lines, in `bytes`.
    at: usize,
    reason_len: usize,
    frames_len: usize,
    leaked: bool,
    group: usize,
}

impl BlockCache {
    fn read_block(&mut self, parser: &mut DumpParser, header: &[u8], frames: &[u8]) {
        parser.feed(header);
        debug_assert!(parser.in_full_block());
        let (reason, leaked) = parser.block_key();
        let hash = self.hasher.hash_one((reason, leaked, frames));
        if let Some(group) = self.find(hash, reason, leaked, frames) {
            parser.close_into(group);
            return;
        }
        let mut at = 0;
        while at < frames.len() {
            let end = memchr(b'\n', &frames[at..]).map_or(frames.len(), |nl| at + nl);
            parser.feed(cut(&frames[at..end]));
            at = end + 1;
        }
        if let Some(group) = parser.close() {
            let (reason, leaked) = parser.block_key();
            self.remember(hash, reason, leaked, frames, group);
        }
    }

    fn find(&self, hash: u64, reason: &[u8], leaked: bool, frames: &[u8]) -> Option<usize> {
        let same = |c: &&Cached| {
            let (r, f) =
                self.bytes[c.at..c.at + c.reason_len + c.frames_len].split_at(c.reason_len);
            c.leaked == leaked && r == reason && f == frames
        };
        self.index
            .get(&hash)?
            .iter()
            .map(|&i| &self.blocks[i])
            .find(same)
            .map(|c| c.group)
    }

    fn remember(&mut self, hash: u64, reason: &[u8], leaked: bool, frames: &[u8], group: usize) {
        let size = reason.len() + frames.len();
        if self.bytes.len() + size > MAX_CACHED_BYTES || self.blocks.len() >= MAX_CACHED_BLOCKS {
            return;
        }
        let at = self.bytes.len();
        self.bytes.extend_from_slice(reason);
        self.bytes.extend_from_slice(frames);
        self.index.entry(hash).or_default().push(self.blocks.len());
        self.blocks.push(Cached {
            at,
            reason_len: reason.len(),
            frames_len: frames.len(),
            leaked,
            group,
        });
    }
}
