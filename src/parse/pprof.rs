//! Decodes pprof profiles: gzip (bounded) then protobuf (profile.proto), into model data.

use std::collections::HashMap;
use std::io::Read;

use flate2::read::GzDecoder;
use pprof::protos::{Message, Profile as ProtoProfile};
use thiserror::Error;

use crate::model::profile::{Frame, Profile, SampleType, StackSample};

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

/// `what` names the source in errors (a file name or a URL).
pub fn decode_profile(bytes: &[u8], what: &str, max_bytes: u64) -> Result<Profile, ProfileError> {
    let raw = gunzip_bounded(bytes, what, max_bytes)?;
    if looks_like_text(&raw) {
        return Err(ProfileError::NotAProfile {
            what: what.to_string(),
            why: "it is text, not protobuf".to_string(),
        });
    }
    let proto = ProtoProfile::decode(raw.as_slice()).map_err(|err| ProfileError::Corrupt {
        what: what.to_string(),
        why: err.to_string(),
    })?;
    convert(proto, what)
}

/// Gunzips when the bytes are gzip (Go serves profiles gzipped with no Content-Encoding),
/// never producing more than `max_bytes`.
pub fn gunzip_bounded(bytes: &[u8], what: &str, max_bytes: u64) -> Result<Vec<u8>, ProfileError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        if bytes.len() as u64 > max_bytes {
            return Err(ProfileError::TooLarge {
                what: what.to_string(),
                limit: max_bytes,
            });
        }
        return Ok(bytes.to_vec());
    }
    // Profiles inflate about 4x; never reserve past the cap, which a hostile size could push.
    let mut out = Vec::with_capacity((bytes.len() as u64 * 4).min(max_bytes) as usize);
    let read = GzDecoder::new(bytes)
        .take(max_bytes + 1)
        .read_to_end(&mut out)
        .map_err(|err| ProfileError::Corrupt {
            what: what.to_string(),
            why: format!("gzip: {err}"),
        })?;
    if read as u64 > max_bytes {
        return Err(ProfileError::TooLarge {
            what: what.to_string(),
            limit: max_bytes,
        });
    }
    Ok(out)
}

fn looks_like_text(raw: &[u8]) -> bool {
    let head = &raw[..raw.len().min(64)];
    !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

fn convert(proto: ProtoProfile, what: &str) -> Result<Profile, ProfileError> {
    let corrupt = |why: String| ProfileError::Corrupt {
        what: what.to_string(),
        why,
    };
    let strings = &proto.string_table;
    let string = |index: i64| -> Result<&str, ProfileError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| strings.get(i))
            .map(String::as_str)
            .ok_or_else(|| corrupt(format!("string index {index} out of range")))
    };
    if proto.sample_type.is_empty() {
        return Err(ProfileError::NotAProfile {
            what: what.to_string(),
            why: "it declares no sample types".to_string(),
        });
    }
    let sample_types = proto
        .sample_type
        .iter()
        .map(|t| {
            Ok(SampleType {
                name: string(t.ty)?.to_string(),
                unit: string(t.unit)?.to_string(),
            })
        })
        .collect::<Result<Vec<_>, ProfileError>>()?;

    let functions: HashMap<u64, (&str, &str)> = proto
        .function
        .iter()
        .map(|f| Ok((f.id, (string(f.name)?, string(f.filename)?))))
        .collect::<Result<_, ProfileError>>()?;

    let mut frames = Interner::default();
    // Each location expands to its frames, innermost (inlined) first, kept in one flat
    // buffer. Go numbers locations 1..N, so a Vec indexed by ID finds them without hashing.
    let mut location_frames: Vec<u32> = Vec::with_capacity(proto.location.len() * 2);
    let mut spans: LocationIndex = LocationIndex::new(&proto.location);
    for loc in &proto.location {
        let start = location_frames.len() as u32;
        for line in &loc.line {
            let (name, file) = functions.get(&line.function_id).copied().ok_or_else(|| {
                corrupt(format!(
                    "location {} names unknown function {}",
                    loc.id, line.function_id
                ))
            })?;
            location_frames.push(frames.intern(name, file, line.line).map_err(&corrupt)?);
        }
        if loc.line.is_empty() {
            // No symbols: keep the address, as pprof does.
            location_frames.push(frames.intern_address(loc.address));
        }
        spans.insert(loc.id, (start, location_frames.len() as u32));
    }

    let width = sample_types.len();
    let mut samples = Vec::with_capacity(proto.sample.len());
    // A location may list many lines and a sample may name one location many times: the
    // expanded stacks can be far larger than the profile. Limits checked before each copy.
    let mut total_frames: usize = 0;
    for s in &proto.sample {
        if s.value.len() != width {
            return Err(corrupt(format!(
                "a sample has {} values for {width} sample types",
                s.value.len()
            )));
        }
        let mut stack = Vec::with_capacity(s.location_id.len().min(MAX_STACK_FRAMES) + 2);
        for id in &s.location_id {
            let (start, end) = spans
                .get(*id)
                .ok_or_else(|| corrupt(format!("a sample names unknown location {id}")))?;
            let add = (end - start) as usize;
            if stack.len() + add > MAX_STACK_FRAMES {
                return Err(corrupt(format!(
                    "a sample's stack has more than {MAX_STACK_FRAMES} frames"
                )));
            }
            total_frames += add;
            if total_frames > MAX_TOTAL_FRAMES {
                return Err(corrupt(format!(
                    "its stacks add up to more than {MAX_TOTAL_FRAMES} frames"
                )));
            }
            stack.extend_from_slice(&location_frames[start as usize..end as usize]);
        }
        samples.push(StackSample {
            frames: stack,
            values: s.value.clone(),
        });
    }
    let default_sample_type = if proto.default_sample_type == 0 {
        None
    } else {
        let name = string(proto.default_sample_type)?;
        sample_types.iter().position(|t| t.name == name)
    };
    Ok(Profile {
        sample_types,
        frames: frames.frames,
        samples,
        time_nanos: proto.time_nanos,
        default_sample_type,
    })
}

/// Go's runtime records at most 1024 PCs per stack (GODEBUG=profstackdepth caps at 1024), and
/// inlining expands a PC to a few frames: a deeper stack is not from a Go runtime.
const MAX_STACK_FRAMES: usize = 16 * 1024;
/// Frames over all samples (4 bytes each): a real heap profile holds well under a million.
const MAX_TOTAL_FRAMES: usize = 1 << 24;
/// Bytes of function and file names over all distinct frames. Each distinct (function, file,
/// line) copies its names, so one long name on many lines would multiply.
const MAX_FRAME_TEXT: usize = 64 << 20;

/// Distinct frames, keyed by the names borrowed from the profile's string table, so a
/// repeated frame costs a lookup and no copy.
#[derive(Default)]
struct Interner<'p> {
    frames: Vec<Frame>,
    ids: HashMap<(&'p str, &'p str, i64), u32>,
    addresses: HashMap<u64, u32>,
    text_bytes: usize,
}

impl<'p> Interner<'p> {
    fn intern(&mut self, function: &'p str, file: &'p str, line: i64) -> Result<u32, String> {
        if let Some(id) = self.ids.get(&(function, file, line)) {
            return Ok(*id);
        }
        self.text_bytes += function.len() + file.len();
        if self.text_bytes > MAX_FRAME_TEXT {
            return Err(format!(
                "its frame names add up to more than {MAX_FRAME_TEXT} bytes"
            ));
        }
        let id = self.push(Frame {
            function: function.to_string(),
            file: file.to_string(),
            line,
        });
        self.ids.insert((function, file, line), id);
        Ok(id)
    }

    fn intern_address(&mut self, address: u64) -> u32 {
        if let Some(id) = self.addresses.get(&address) {
            return *id;
        }
        let id = self.push(Frame {
            function: format!("0x{address:x}"),
            file: String::new(),
            line: 0,
        });
        self.addresses.insert(address, id);
        id
    }

    fn push(&mut self, frame: Frame) -> u32 {
        self.frames.push(frame);
        (self.frames.len() - 1) as u32
    }
}

/// Location ID → its span in the flat frame buffer: a Vec when the IDs are dense (as Go
/// writes them), a map otherwise.
enum LocationIndex {
    Dense(Vec<Option<(u32, u32)>>),
    Sparse(HashMap<u64, (u32, u32)>),
}

impl LocationIndex {
    fn new(locations: &[pprof::protos::Location]) -> LocationIndex {
        let max = locations.iter().map(|l| l.id).max().unwrap_or(0);
        if max <= (locations.len() as u64).saturating_mul(4) + 16 {
            LocationIndex::Dense(vec![None; max as usize + 1])
        } else {
            LocationIndex::Sparse(HashMap::with_capacity(locations.len()))
        }
    }

    fn insert(&mut self, id: u64, span: (u32, u32)) {
        match self {
            LocationIndex::Dense(v) => v[id as usize] = Some(span),
            LocationIndex::Sparse(m) => {
                m.insert(id, span);
            }
        }
    }

    fn get(&self, id: u64) -> Option<(u32, u32)> {
        match self {
            LocationIndex::Dense(v) => v.get(usize::try_from(id).ok()?).copied().flatten(),
            LocationIndex::Sparse(m) => m.get(&id).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pprof::protos::{Function, Line, Location, Sample, ValueType};

    /// A profile of one function on `lines` lines of one location, and `samples` samples that
    /// each name that location `repeat` times: small on the wire, huge once expanded.
    fn amplifying(name_len: usize, lines: i64, samples: usize, repeat: usize) -> Vec<u8> {
        let proto = ProtoProfile {
            string_table: vec![
                String::new(),
                "inuse_space".into(),
                "bytes".into(),
                "f".repeat(name_len),
            ],
            sample_type: vec![ValueType { ty: 1, unit: 2 }],
            function: vec![Function {
                id: 1,
                name: 3,
                filename: 3,
                ..Function::default()
            }],
            location: vec![Location {
                id: 1,
                line: (0..lines)
                    .map(|line| Line {
                        function_id: 1,
                        line,
                    })
                    .collect(),
                ..Location::default()
            }],
            sample: (0..samples)
                .map(|_| Sample {
                    location_id: vec![1; repeat],
                    value: vec![1],
                    ..Sample::default()
                })
                .collect(),
            ..ProtoProfile::default()
        };
        proto.encode_to_vec()
    }

    fn why(bytes: &[u8]) -> String {
        match decode_profile(bytes, "hostile", 256 << 20) {
            Err(ProfileError::Corrupt { why, .. }) => why,
            other => panic!("want Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn expanded_stacks_are_bounded_before_allocation() {
        // A small profile that expands fine.
        let ok = decode_profile(&amplifying(8, 10, 3, 5), "ok", 1 << 20).unwrap();
        assert_eq!(ok.frames.len(), 10);
        assert_eq!(ok.samples[0].frames.len(), 50);
        // One sample deeper than any Go runtime writes.
        assert!(why(&amplifying(1, 200, 1, 100)).contains("more than 16384 frames"));
        // 2000 samples of 10,000 frames: 80 MB of frame ids from a 20 KB profile.
        assert!(why(&amplifying(1, 1000, 2000, 10)).contains("add up to more than 16777216 frames"));
        // One 1 MiB name on 100 lines: 200 MB of copied names from a 1 MiB profile.
        assert!(why(&amplifying(1 << 20, 100, 1, 1)).contains("frame names add up"));
    }

    #[test]
    fn a_name_repeated_on_one_line_is_one_frame() {
        let p = decode_profile(&amplifying(1 << 20, 1, 1000, 3), "repeat", 64 << 20).unwrap();
        assert_eq!(p.frames.len(), 1);
        assert_eq!(p.samples.len(), 1000);
    }
}
