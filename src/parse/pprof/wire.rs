//! The protobuf wire format, as far as profile.proto needs it: tags, varints, packed
//! repeated varints and length-delimited fields; everything else is skipped. A `Message`
//! reads one message held in memory; a `Stream` reads the top level of a profile as it is
//! decompressed, so the profile is never held whole.

use std::io::{self, BufRead, Read};

/// One field's payload. Fixed-width fields are skipped: profile.proto has none.
pub enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one message held in memory.
pub struct Message<'a> {
    rest: &'a [u8],
}

impl<'a> Message<'a> {
    pub fn new(bytes: &'a [u8]) -> Message<'a> {
        Message { rest: bytes }
    }

    /// The next (field number, value), None at the end.
    pub fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, String> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (field, wire) = tag(varint(&mut self.rest)?)?;
        let value = match wire {
            Wire::Varint => Value::Varint(varint(&mut self.rest)?),
            Wire::Len => {
                let len = varint(&mut self.rest)?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|&len| len <= self.rest.len())
                    .ok_or_else(|| format!("field {field} runs past the end of its message"))?;
                let (bytes, rest) = self.rest.split_at(len);
                self.rest = rest;
                Value::Bytes(bytes)
            }
            Wire::Fixed(width) => {
                if self.rest.len() < width {
                    return Err(format!("field {field} runs past the end of its message"));
                }
                self.rest = &self.rest[width..];
                Value::Fixed
            }
        };
        Ok(Some((field, value)))
    }
}

/// A scalar field's integer, whatever int type it was declared as (int64 values are
/// written as their two's complement, which the cast restores).
pub fn int(field: u64, value: Value<'_>) -> Result<u64, String> {
    match value {
        Value::Varint(v) => Ok(v),
        _ => Err(format!("field {field} is not a varint")),
    }
}

/// A repeated integer field, packed (one length-delimited run) or not (one varint each).
pub fn ints(field: u64, value: Value<'_>, out: &mut Vec<u64>) -> Result<(), String> {
    match value {
        Value::Varint(v) => out.push(v),
        Value::Bytes(mut run) => {
            while !run.is_empty() {
                out.push(varint(&mut run)?);
            }
        }
        Value::Fixed => return Err(format!("field {field} is not a varint")),
    }
    Ok(())
}

pub fn bytes<'a>(field: u64, value: Value<'a>) -> Result<&'a [u8], String> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(format!("field {field} is not length-delimited")),
    }
}

enum Wire {
    Varint,
    Len,
    Fixed(usize),
}

fn tag(key: u64) -> Result<(u64, Wire), String> {
    let field = key >> 3;
    if field == 0 {
        return Err("a field numbered 0".to_string());
    }
    let wire = match key & 7 {
        0 => Wire::Varint,
        1 => Wire::Fixed(8),
        2 => Wire::Len,
        5 => Wire::Fixed(4),
        other => {
            return Err(format!(
                "field {field} has wire type {other}, which profiles do not use"
            ))
        }
    };
    Ok((field, wire))
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Ok(value);
        }
    }
    Err(if buf.len() < 10 {
        "a varint runs past the end".to_string()
    } else {
        "a varint longer than 10 bytes".to_string()
    })
}

/// What a top-level field holds, its payload not yet read.
pub enum Field {
    Varint(u64),
    /// Length-delimited: `read_payload` or `skip` the given length next.
    Len(u64),
    Fixed,
}

/// Why a stream stopped: its reader failed (gzip, or the size cap), or its bytes are not a
/// profile.
pub enum StreamError {
    Read(io::Error),
    Format(String),
}

impl From<io::Error> for StreamError {
    fn from(err: io::Error) -> StreamError {
        StreamError::Read(err)
    }
}

impl From<String> for StreamError {
    fn from(why: String) -> StreamError {
        StreamError::Format(why)
    }
}

/// The top-level fields of a message read from a stream.
pub struct Stream<R> {
    reader: R,
}

impl<R: BufRead> Stream<R> {
    pub fn new(reader: R) -> Stream<R> {
        Stream { reader }
    }

    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The next (field number, field), None at a clean end (between fields).
    pub fn next_field(&mut self) -> Result<Option<(u64, Field)>, StreamError> {
        if self.reader.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let (field, wire) = tag(self.varint()?)?;
        Ok(Some((
            field,
            match wire {
                Wire::Varint => Field::Varint(self.varint()?),
                Wire::Len => Field::Len(self.varint()?),
                Wire::Fixed(width) => {
                    self.skip(width as u64)?;
                    Field::Fixed
                }
            },
        )))
    }

    /// Reads `len` bytes into `buf` (replacing what it held). The buffer grows with the bytes
    /// that arrive, never with the length a field claims.
    pub fn read_payload(&mut self, len: u64, buf: &mut Vec<u8>) -> Result<(), StreamError> {
        buf.clear();
        // Most payloads (a sample, a string) sit whole in the reader's buffer already.
        let available = self.reader.fill_buf()?;
        if let Some(payload) = usize::try_from(len).ok().and_then(|n| available.get(..n)) {
            buf.extend_from_slice(payload);
            let n = payload.len();
            self.reader.consume(n);
            return Ok(());
        }
        let got = (&mut self.reader).take(len).read_to_end(buf)?;
        if (got as u64) < len {
            return Err(StreamError::Format("it ends inside a field".to_string()));
        }
        Ok(())
    }

    pub fn skip(&mut self, len: u64) -> Result<(), StreamError> {
        let got = io::copy(&mut (&mut self.reader).take(len), &mut io::sink())?;
        if got < len {
            return Err(StreamError::Format("it ends inside a field".to_string()));
        }
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, StreamError> {
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.reader.fill_buf()?.first() else {
                return Err(StreamError::Format("it ends inside a field".to_string()));
            };
            self.reader.consume(1);
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(StreamError::Format(
            "a varint longer than 10 bytes".to_string(),
        ))
    }
}
