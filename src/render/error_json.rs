//! The `--json` error document: what went wrong, for scripts, so they never parse text.
//! `{"schema_version": 1, "error": {"kind": "process_gone", "message": "…", "hint": "…"}}`.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::split_hint;
use crate::render::SCHEMA_VERSION;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    error: ErrorJson<'a>,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    /// A stable snake_case name (see `error::kind_of`).
    kind: &'a str,
    /// What happened.
    message: &'a str,
    /// What to do about it; null when the message names nothing to do.
    hint: Option<&'a str>,
}

/// `line` is the one-line message the user sees on stderr (without "steady: ").
pub fn write(kind: &str, line: &str, out: &mut impl Write) -> io::Result<()> {
    let (message, hint) = split_hint(line);
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        error: ErrorJson {
            kind,
            message,
            hint,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One target of several that could not be read, as an element of the command's array:
/// the error document with the command and the PID.
#[derive(Serialize)]
pub struct TargetError<'a> {
    schema_version: u32,
    command: &'a str,
    pid: i32,
    error: ErrorJson<'a>,
}

impl<'a> TargetError<'a> {
    pub fn new(command: &'a str, pid: i32, kind: &'a str, line: &'a str) -> TargetError<'a> {
        let (message, hint) = split_hint(line);
        TargetError {
            schema_version: SCHEMA_VERSION,
            command,
            pid,
            error: ErrorJson {
                kind,
                message,
                hint,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_what_from_what_to_do() {
        let mut out = Vec::new();
        write("process_gone", "process 7 exited — run it again", &mut out).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["error"]["kind"], "process_gone");
        assert_eq!(doc["error"]["message"], "process 7 exited");
        assert_eq!(doc["error"]["hint"], "run it again");
        let mut out = Vec::new();
        write("other", "plain", &mut out).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(doc["error"]["hint"].is_null());
    }
}
