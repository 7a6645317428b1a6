//! Which processes a command reads when it takes `PID[,PID…]` or `--name REGEX` (fds,
//! limits): resolving the names, reading each target in turn, and telling a process that
//! went away from one that could not be read.

use std::path::Path;

use anyhow::Result;
use regex::Regex;

use crate::collect::find;
use crate::error::{CollectError, UsageError};

/// Which processes to read.
#[derive(Debug, Clone)]
pub enum Targets {
    /// One PID: one document.
    One(i32),
    /// `1,42,77`: one document per PID, as a list.
    Pids(Vec<i32>),
    /// `--name REGEX`: every process whose comm or executable path matches, as a list.
    Name(Regex),
}

impl Targets {
    /// From the two arguments clap allows one of (`--name` wins; `is_list` is set when the
    /// PIDs were written with a comma).
    pub fn from_args(name: Option<Regex>, pids: Option<(Vec<i32>, bool)>) -> Targets {
        match (name, pids) {
            (Some(pattern), _) => Targets::Name(pattern),
            (None, Some((pids, true))) => Targets::Pids(pids),
            (None, Some((pids, false))) if pids.len() == 1 => Targets::One(pids[0]),
            (None, Some((pids, _))) => Targets::Pids(pids),
            // clap requires one of the two.
            (None, None) => Targets::Pids(Vec::new()),
        }
    }

    /// The PIDs of a list; for `--name`, the processes that match now.
    pub fn resolve(&self, proc_root: &Path) -> Result<Vec<i32>> {
        match self {
            Targets::One(pid) => Ok(vec![*pid]),
            Targets::Pids(pids) => Ok(pids.clone()),
            Targets::Name(pattern) => {
                let found = find::find_processes(proc_root, pattern);
                if found.is_empty() {
                    return Err(UsageError(format!(
                        "no process's command name or executable matches `{pattern}` — list candidates with `ps -eo pid,comm,args`, or give PIDs"
                    ))
                    .into());
                }
                Ok(found)
            }
        }
    }

    pub fn by_name(&self) -> bool {
        matches!(self, Targets::Name(_))
    }
}

/// One target of several: what was read, or why not.
pub struct Read<T> {
    pub pid: i32,
    pub result: Result<T>,
}

/// Reads each PID in turn. A process found by name that exits before it is read was never a
/// target, and is left out; a PID given by the user that is gone stays, as its error.
pub fn read_each<T>(
    pids: &[i32],
    by_name: bool,
    mut read: impl FnMut(i32) -> Result<T>,
) -> Vec<Read<T>> {
    let mut results = Vec::new();
    for &pid in pids {
        match read(pid) {
            Err(err) if by_name && exited(&err) => {}
            result => results.push(Read { pid, result }),
        }
    }
    results
}

/// The failures among `results`: PID, the error's one line, and its kind (for JSON).
pub fn failures<T>(results: &[Read<T>]) -> Vec<(i32, String, &'static str)> {
    results
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| (r.pid, one_line(e), crate::error::kind_of(e)))
        })
        .collect()
}

/// The error to end a run of several targets with, once every readable one is shown:
/// `could not read the WHAT of PID 42, 77 (no process with PID 42) — the others are shown above`.
pub fn incomplete(what: &str, failed: &[(i32, String, &'static str)]) -> anyhow::Error {
    let pids: Vec<String> = failed.iter().map(|f| f.0.to_string()).collect();
    let first = failed.first().map(|f| f.1.as_str()).unwrap_or_default();
    let (first, _) = crate::error::split_hint(first);
    anyhow::anyhow!(
        "could not read the {what} of PID {} ({first}) — the others are shown above",
        pids.join(", "),
    )
}

pub fn one_line(err: &anyhow::Error) -> String {
    err.chain()
        .map(|c| c.to_string())
        .next()
        .unwrap_or_default()
}

pub fn exited(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        matches!(
            c.downcast_ref::<CollectError>(),
            Some(CollectError::ProcessGone { .. } | CollectError::NoSuchProcess { .. })
        )
    })
}
