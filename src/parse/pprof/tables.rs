//! The first pass over a profile: everything but its samples (sample types, strings,
//! functions, locations), resolved into frames and a location → frames index that the
//! second pass expands each sample's stack with.

use std::collections::HashMap;
use std::ops::Range;

use super::wire::{self, Field, Message, Stream, StreamError};
use crate::model::profile::{Frame, Profile, SampleType};

// profile.proto field numbers (stable since 2016).
pub const PROFILE_SAMPLE_TYPE: u64 = 1;
pub const PROFILE_SAMPLE: u64 = 2;
const PROFILE_LOCATION: u64 = 4;
const PROFILE_FUNCTION: u64 = 5;
const PROFILE_STRING_TABLE: u64 = 6;
const PROFILE_TIME_NANOS: u64 = 9;
const PROFILE_DEFAULT_SAMPLE_TYPE: u64 = 14;

/// Bytes of function and file names over all distinct frames. Each distinct (function, file,
/// line) copies its names, so one long name on many lines would multiply.
const MAX_FRAME_TEXT: usize = 64 << 20;

/// What the first pass read, before names are resolved: the string table comes last in the
/// files Go writes, after the functions and locations that point into it.
#[derive(Default)]
pub struct RawTables {
    /// All strings end to end; `string_ends[i]` is where string i ends. One buffer rather
    /// than a String each: a hostile table of empty strings costs 8 bytes a string, not 32.
    string_bytes: Vec<u8>,
    string_ends: Vec<usize>,
    sample_types: Vec<(i64, i64)>,
    /// (id, name, file).
    functions: Vec<(u64, i64, i64)>,
    locations: Vec<RawLocation>,
    /// (function id, line) of every location, end to end.
    lines: Vec<(u64, i64)>,
    time_nanos: i64,
    default_sample_type: i64,
}

struct RawLocation {
    id: u64,
    address: u64,
    lines: Range<usize>,
}

/// A profile's tables, resolved: `profile` has no samples; `stack_of` expands a location ID
/// to its frames.
pub struct Tables {
    pub profile: Profile,
    location_frames: Vec<u32>,
    spans: LocationIndex,
}

impl Tables {
    /// The frames of a location, innermost (inlined) first; None for an unknown ID.
    pub fn frames_of(&self, location: u64) -> Option<&[u32]> {
        let (start, end) = self.spans.get(location)?;
        Some(&self.location_frames[start as usize..end as usize])
    }
}

/// Reads every top-level field but the samples, which it skips.
pub fn read_tables<R: std::io::BufRead>(stream: &mut Stream<R>) -> Result<RawTables, StreamError> {
    let mut raw = RawTables::default();
    let mut buf = Vec::new();
    while let Some((field, value)) = stream.next_field()? {
        match (field, value) {
            (PROFILE_SAMPLE, Field::Len(len)) => stream.skip(len)?,
            (
                PROFILE_SAMPLE_TYPE | PROFILE_LOCATION | PROFILE_FUNCTION | PROFILE_STRING_TABLE,
                Field::Len(len),
            ) => {
                stream.read_payload(len, &mut buf)?;
                match field {
                    PROFILE_SAMPLE_TYPE => raw.sample_types.push(read_value_type(&buf)?),
                    PROFILE_LOCATION => read_location(&buf, &mut raw)?,
                    PROFILE_FUNCTION => raw.functions.push(read_function(&buf)?),
                    _ => {
                        raw.string_bytes.extend_from_slice(&buf);
                        raw.string_ends.push(raw.string_bytes.len());
                    }
                }
            }
            (
                PROFILE_SAMPLE | PROFILE_SAMPLE_TYPE | PROFILE_LOCATION | PROFILE_FUNCTION
                | PROFILE_STRING_TABLE,
                _,
            ) => return Err(format!("field {field} is not length-delimited").into()),
            (PROFILE_TIME_NANOS, Field::Varint(v)) => raw.time_nanos = v as i64,
            (PROFILE_DEFAULT_SAMPLE_TYPE, Field::Varint(v)) => raw.default_sample_type = v as i64,
            (PROFILE_TIME_NANOS | PROFILE_DEFAULT_SAMPLE_TYPE, _) => {
                return Err(format!("field {field} is not a varint").into())
            }
            // Mappings, comments, period, drop/keep frames: not in any report.
            (_, Field::Len(len)) => stream.skip(len)?,
            (_, Field::Varint(_) | Field::Fixed) => {}
        }
    }
    Ok(raw)
}

fn read_value_type(bytes: &[u8]) -> Result<(i64, i64), String> {
    let (mut ty, mut unit) = (0, 0);
    let mut m = Message::new(bytes);
    while let Some((field, value)) = m.next_field()? {
        match field {
            1 => ty = wire::int(field, value)? as i64,
            2 => unit = wire::int(field, value)? as i64,
            _ => {}
        }
    }
    Ok((ty, unit))
}

fn read_function(bytes: &[u8]) -> Result<(u64, i64, i64), String> {
    let (mut id, mut name, mut file) = (0, 0, 0);
    let mut m = Message::new(bytes);
    while let Some((field, value)) = m.next_field()? {
        match field {
            1 => id = wire::int(field, value)?,
            2 => name = wire::int(field, value)? as i64,
            4 => file = wire::int(field, value)? as i64,
            _ => {}
        }
    }
    Ok((id, name, file))
}

fn read_location(bytes: &[u8], raw: &mut RawTables) -> Result<(), String> {
    let (mut id, mut address) = (0, 0);
    let start = raw.lines.len();
    let mut m = Message::new(bytes);
    while let Some((field, value)) = m.next_field()? {
        match field {
            1 => id = wire::int(field, value)?,
            3 => address = wire::int(field, value)?,
            4 => {
                let (mut function, mut line) = (0, 0);
                let mut l = Message::new(wire::bytes(field, value)?);
                while let Some((field, value)) = l.next_field()? {
                    match field {
                        1 => function = wire::int(field, value)?,
                        2 => line = wire::int(field, value)? as i64,
                        _ => {}
                    }
                }
                raw.lines.push((function, line));
            }
            _ => {}
        }
    }
    raw.locations.push(RawLocation {
        id,
        address,
        lines: start..raw.lines.len(),
    });
    Ok(())
}

/// Why the tables cannot make a profile.
pub enum TablesError {
    NoSampleTypes,
    Corrupt(String),
}

impl RawTables {
    fn string(&self, index: i64) -> Result<&str, TablesError> {
        let bad = || TablesError::Corrupt(format!("string index {index} out of range"));
        let i = usize::try_from(index).map_err(|_| bad())?;
        let end = *self.string_ends.get(i).ok_or_else(bad)?;
        let start = if i == 0 { 0 } else { self.string_ends[i - 1] };
        std::str::from_utf8(&self.string_bytes[start..end])
            .map_err(|_| TablesError::Corrupt(format!("string {index} is not UTF-8")))
    }

    /// Names resolved, frames interned, each location expanded to its frames.
    pub fn resolve(&self) -> Result<Tables, TablesError> {
        let corrupt = TablesError::Corrupt;
        if self.sample_types.is_empty() {
            return Err(TablesError::NoSampleTypes);
        }
        let sample_types = self
            .sample_types
            .iter()
            .map(|&(ty, unit)| {
                Ok(SampleType {
                    name: self.string(ty)?.to_string(),
                    unit: self.string(unit)?.to_string(),
                })
            })
            .collect::<Result<Vec<_>, TablesError>>()?;
        let functions: HashMap<u64, (&str, &str)> = self
            .functions
            .iter()
            .map(|&(id, name, file)| Ok((id, (self.string(name)?, self.string(file)?))))
            .collect::<Result<_, TablesError>>()?;

        let mut frames = Interner::default();
        // Each location expands to its frames, innermost (inlined) first, kept in one flat
        // buffer. Go numbers locations 1..N, so a Vec indexed by ID finds them without hashing.
        let mut location_frames: Vec<u32> = Vec::with_capacity(self.locations.len() * 2);
        let mut spans = LocationIndex::new(self.locations.iter().map(|l| l.id));
        for loc in &self.locations {
            let start = location_frames.len() as u32;
            for &(function_id, line) in &self.lines[loc.lines.clone()] {
                let (name, file) = functions.get(&function_id).copied().ok_or_else(|| {
                    corrupt(format!(
                        "location {} names unknown function {function_id}",
                        loc.id
                    ))
                })?;
                location_frames.push(frames.intern(name, file, line).map_err(corrupt)?);
            }
            if loc.lines.is_empty() {
                // No symbols: keep the address, as pprof does.
                location_frames.push(frames.intern_address(loc.address));
            }
            spans.insert(loc.id, (start, location_frames.len() as u32));
        }
        let default_sample_type = if self.default_sample_type == 0 {
            None
        } else {
            let name = self.string(self.default_sample_type)?;
            sample_types.iter().position(|t| t.name == name)
        };
        Ok(Tables {
            profile: Profile {
                sample_types,
                frames: frames.frames,
                samples: Vec::new(),
                time_nanos: self.time_nanos,
                default_sample_type,
            },
            location_frames,
            spans,
        })
    }
}

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
    fn new(ids: impl ExactSizeIterator<Item = u64> + Clone) -> LocationIndex {
        let count = ids.len();
        let max = ids.max().unwrap_or(0);
        if max <= (count as u64).saturating_mul(4) + 16 {
            LocationIndex::Dense(vec![None; max as usize + 1])
        } else {
            LocationIndex::Sparse(HashMap::with_capacity(count))
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
