//! Decodes pprof profiles: gzip (bounded) then protobuf (profile.proto), into model data,
//! read straight off the wire (no intermediate protobuf structs): whole, or folded sample by
//! sample into whatever a report sums.

use std::io::{BufRead, BufReader, Read};

use flate2::read::GzDecoder;
use thiserror::Error;

use crate::model::profile::{Profile, SampleSink, StackSample};
use tables::{Tables, TablesError};
use wire::{Field, Message, Stream, StreamError};

mod tables;
mod wire;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("{what} is not a pprof profile ({why}) — fetch /debug/pprof/heap, or pass a file written by `steady heap snapshot` or `go tool pprof -proto`")]
    NotAProfile { what: String, why: String },

    #[error("{what} is a truncated or corrupt profile ({why}) — take the snapshot again")]
    Corrupt { what: String, why: String },

    #[error("{what} decompresses to more than {limit} bytes — raise --max-bytes if the profile is really that large")]
    TooLarge { what: String, limit: u64 },
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Go's runtime records at most 1024 PCs per stack (GODEBUG=profstackdepth caps at 1024), and
/// inlining expands a PC to a few frames: a deeper stack is not from a Go runtime.
const MAX_STACK_FRAMES: usize = 16 * 1024;
/// Frames held over all samples (4 bytes each) by `decode_profile`: a real heap profile holds
/// well under a million. `fold_profile` holds none, so it has no such limit.
const MAX_TOTAL_FRAMES: usize = 1 << 24;

/// Decodes a whole profile, every sample kept. `what` names the source in errors (a file
/// name or a URL).
pub fn decode_profile(bytes: &[u8], what: &str, max_bytes: u64) -> Result<Profile, ProfileError> {
    let mut collect = Collect::default();
    let mut profile = read_profile(bytes, what, max_bytes, &mut collect)?;
    profile.samples = collect.samples;
    Ok(profile)
}

/// Decodes a profile's tables, then hands each sample to `sink` as it is decoded, keeping
/// none: memory follows the profile's distinct frames, not its samples. Returns the tables
/// (a `Profile` with no samples).
pub fn fold_profile(
    bytes: &[u8],
    what: &str,
    max_bytes: u64,
    sink: &mut impl SampleSink,
) -> Result<Profile, ProfileError> {
    read_profile(bytes, what, max_bytes, &mut Fold(sink))
}

/// Where the second pass sends samples; an error stops the decoding as corrupt.
trait Receive {
    fn tables(&mut self, profile: &Profile);
    fn sample(&mut self, frames: &[u32], values: &[i64]) -> Result<(), String>;
}

#[derive(Default)]
struct Collect {
    samples: Vec<StackSample>,
    frames: usize,
}

impl Receive for Collect {
    fn tables(&mut self, _: &Profile) {}

    fn sample(&mut self, frames: &[u32], values: &[i64]) -> Result<(), String> {
        // A location may list many lines and a sample may name one location many times: the
        // expanded stacks can be far larger than the profile. Checked before each copy.
        self.frames += frames.len();
        if self.frames > MAX_TOTAL_FRAMES {
            return Err(format!(
                "its stacks add up to more than {MAX_TOTAL_FRAMES} frames"
            ));
        }
        self.samples.push(StackSample {
            frames: frames.to_vec(),
            values: values.to_vec(),
        });
        Ok(())
    }
}

struct Fold<'s, S>(&'s mut S);

impl<S: SampleSink> Receive for Fold<'_, S> {
    fn tables(&mut self, profile: &Profile) {
        self.0.tables(profile);
    }

    fn sample(&mut self, frames: &[u32], values: &[i64]) -> Result<(), String> {
        self.0.sample(frames, values);
        Ok(())
    }
}

/// Two passes over the decompressed stream, so neither the decompressed bytes nor the
/// decoded samples are ever held whole: the first reads the tables (Go writes the string
/// table last, after the samples that need it), the second the samples. Decompressing twice
/// costs less than holding a profile.
fn read_profile(
    bytes: &[u8],
    what: &str,
    max_bytes: u64,
    receive: &mut impl Receive,
) -> Result<Profile, ProfileError> {
    let corrupt = |why: String| ProfileError::Corrupt {
        what: what.to_string(),
        why,
    };
    let gzipped = bytes.starts_with(&GZIP_MAGIC);
    if !gzipped && bytes.len() as u64 > max_bytes {
        return Err(ProfileError::TooLarge {
            what: what.to_string(),
            limit: max_bytes,
        });
    }
    let mut head = Vec::with_capacity(64);
    source(bytes, gzipped)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|err| corrupt(format!("gzip: {err}")))?;
    if looks_like_text(&head) {
        return Err(ProfileError::NotAProfile {
            what: what.to_string(),
            why: "it is text, not protobuf".to_string(),
        });
    }

    let mut stream = open(bytes, gzipped, max_bytes);
    let raw =
        tables::read_tables(&mut stream).map_err(|err| failure(&stream, err, what, max_bytes))?;
    let tables = raw.resolve().map_err(|err| match err {
        TablesError::NoSampleTypes => ProfileError::NotAProfile {
            what: what.to_string(),
            why: "it declares no sample types".to_string(),
        },
        TablesError::Corrupt(why) => corrupt(why),
    })?;
    drop(raw);
    receive.tables(&tables.profile);

    let mut stream = open(bytes, gzipped, max_bytes);
    read_samples(&mut stream, &tables, receive)
        .map_err(|err| failure(&stream, err, what, max_bytes))?;
    Ok(tables.profile)
}

/// The second pass: each sample's locations expanded to frames, handed on one at a time.
fn read_samples<R: BufRead>(
    stream: &mut Stream<R>,
    tables: &Tables,
    receive: &mut impl Receive,
) -> Result<(), StreamError> {
    let width = tables.profile.sample_types.len();
    let (mut buf, mut locations, mut values) = (Vec::new(), Vec::new(), Vec::new());
    let mut signed: Vec<i64> = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    while let Some((field, value)) = stream.next_field()? {
        let len = match (field, value) {
            (tables::PROFILE_SAMPLE, Field::Len(len)) => len,
            // The first pass read (and checked) everything else.
            (_, Field::Len(len)) => {
                stream.skip(len)?;
                continue;
            }
            _ => continue,
        };
        stream.read_payload(len, &mut buf)?;
        locations.clear();
        values.clear();
        let mut m = Message::new(&buf);
        while let Some((field, value)) = m.next_field()? {
            match field {
                1 => wire::ints(field, value, &mut locations)?,
                2 => wire::ints(field, value, &mut values)?,
                // Labels: not in any report.
                _ => {}
            }
        }
        if values.len() != width {
            return Err(format!(
                "a sample has {} values for {width} sample types",
                values.len()
            )
            .into());
        }
        stack.clear();
        for &id in &locations {
            let frames = tables
                .frames_of(id)
                .ok_or_else(|| format!("a sample names unknown location {id}"))?;
            if stack.len() + frames.len() > MAX_STACK_FRAMES {
                return Err(
                    format!("a sample's stack has more than {MAX_STACK_FRAMES} frames").into(),
                );
            }
            stack.extend_from_slice(frames);
        }
        // int64 values arrive as their two's complement.
        signed.clear();
        signed.extend(values.iter().map(|&v| v as i64));
        receive.sample(&stack, &signed)?;
    }
    Ok(())
}

/// The profile's bytes as protobuf: gunzipped as they are read when gzipped (Go serves
/// profiles gzipped with no Content-Encoding).
fn source(bytes: &[u8], gzipped: bool) -> Box<dyn Read + '_> {
    if gzipped {
        Box::new(GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

type ProfileStream<'a> = Stream<BufReader<Capped<Box<dyn Read + 'a>>>>;

fn open(bytes: &[u8], gzipped: bool, max_bytes: u64) -> ProfileStream<'_> {
    Stream::new(BufReader::with_capacity(
        64 << 10,
        Capped {
            inner: source(bytes, gzipped),
            left: max_bytes,
            exceeded: false,
        },
    ))
}

/// A stream that fails once it has produced more than its cap: a gzip bomb stops there.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // One byte past the cap tells a stream of exactly the cap from a longer one.
        let room = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        if n as u64 > self.left {
            self.exceeded = true;
            return Err(std::io::Error::other("past --max-bytes"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A failed pass as the user should see it: over the cap first, whatever else went wrong.
fn failure(
    stream: &ProfileStream<'_>,
    err: StreamError,
    what: &str,
    max_bytes: u64,
) -> ProfileError {
    if stream.get_ref().get_ref().exceeded {
        return ProfileError::TooLarge {
            what: what.to_string(),
            limit: max_bytes,
        };
    }
    ProfileError::Corrupt {
        what: what.to_string(),
        why: match err {
            StreamError::Read(err) => format!("gzip: {err}"),
            StreamError::Format(why) => why,
        },
    }
}

fn looks_like_text(raw: &[u8]) -> bool {
    let head = &raw[..raw.len().min(64)];
    !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests;
