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

    let mut frames: Vec<Frame> = Vec::new();
    let mut frame_ids: HashMap<Frame, u32> = HashMap::new();
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
            location_frames.push(intern(&mut frames, &mut frame_ids, name, file, line.line));
        }
        if loc.line.is_empty() {
            // No symbols: keep the address, as pprof does.
            let name = format!("0x{:x}", loc.address);
            location_frames.push(intern(&mut frames, &mut frame_ids, &name, "", 0));
        }
        spans.insert(loc.id, (start, location_frames.len() as u32));
    }

    let width = sample_types.len();
    let mut samples = Vec::with_capacity(proto.sample.len());
    for s in &proto.sample {
        if s.value.len() != width {
            return Err(corrupt(format!(
                "a sample has {} values for {width} sample types",
                s.value.len()
            )));
        }
        let mut stack = Vec::with_capacity(s.location_id.len() + 2);
        for id in &s.location_id {
            let (start, end) = spans
                .get(*id)
                .ok_or_else(|| corrupt(format!("a sample names unknown location {id}")))?;
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
        frames,
        samples,
        time_nanos: proto.time_nanos,
        default_sample_type,
    })
}

fn intern(
    frames: &mut Vec<Frame>,
    ids: &mut HashMap<Frame, u32>,
    function: &str,
    file: &str,
    line: i64,
) -> u32 {
    let frame = Frame {
        function: function.to_string(),
        file: file.to_string(),
        line,
    };
    if let Some(id) = ids.get(&frame) {
        return *id;
    }
    let id = frames.len() as u32;
    frames.push(frame.clone());
    ids.insert(frame, id);
    id
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
