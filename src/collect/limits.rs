//! Reads resource limits (/proc/PID/limits, world-readable) and fs.nr_open, and changes
//! RLIMIT_NOFILE of a live process with prlimit(2) when the user asks for it.

use std::fs;
use std::io;

use procfs::process::{Limit, LimitValue};

use crate::collect::process::Target;
use crate::error::{CollectError, SetLimitError};
use crate::model::limits::{LimitPair, NamedLimit};

pub fn read_nofile(target: &Target) -> Result<LimitPair, CollectError> {
    let limits = target
        .process()
        .limits()
        .map_err(|err| target.error("limits", err))?;
    Ok(pair(&limits.max_open_files))
}

/// Every line of /proc/PID/limits, in the kernel's order.
pub fn read_all(target: &Target) -> Result<Vec<NamedLimit>, CollectError> {
    let l = target
        .process()
        .limits()
        .map_err(|err| target.error("limits", err))?;
    let rows: [(&'static str, &'static str, &Limit); 16] = [
        ("cpu_time", "seconds", &l.max_cpu_time),
        ("file_size", "bytes", &l.max_file_size),
        ("data_size", "bytes", &l.max_data_size),
        ("stack_size", "bytes", &l.max_stack_size),
        ("core_file_size", "bytes", &l.max_core_file_size),
        ("resident_set", "bytes", &l.max_resident_set),
        ("processes", "processes", &l.max_processes),
        ("open_files", "files", &l.max_open_files),
        ("locked_memory", "bytes", &l.max_locked_memory),
        ("address_space", "bytes", &l.max_address_space),
        ("file_locks", "locks", &l.max_file_locks),
        ("pending_signals", "signals", &l.max_pending_signals),
        ("msgqueue_size", "bytes", &l.max_msgqueue_size),
        ("nice_priority", "", &l.max_nice_priority),
        ("realtime_priority", "", &l.max_realtime_priority),
        ("realtime_timeout", "us", &l.max_realtime_timeout),
    ];
    Ok(rows
        .into_iter()
        .map(|(name, unit, limit)| NamedLimit {
            name,
            unit,
            limit: pair(limit),
        })
        .collect())
}

/// The count of open descriptors: one readdir, no link read. (The size that stat reports for
/// the fd directory is not a count on every kernel: it reads 2 for kernel threads.)
pub fn count_fds(target: &Target) -> Result<u64, CollectError> {
    Ok(crate::collect::fds::list_fds(target)?.fds.len() as u64)
}

/// fs.nr_open: the ceiling no RLIMIT_NOFILE can pass. None when it cannot be read.
pub fn read_nr_open(target: &Target) -> Option<u64> {
    fs::read_to_string(target.proc_root().join("sys/fs/nr_open"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn pair(limit: &Limit) -> LimitPair {
    LimitPair {
        soft: value(&limit.soft_limit),
        hard: value(&limit.hard_limit),
    }
}

fn value(v: &LimitValue) -> Option<u64> {
    match v {
        LimitValue::Unlimited => None,
        LimitValue::Value(n) => Some(*n),
    }
}

#[allow(clippy::unnecessary_cast)]
fn to_rlim(v: Option<u64>) -> libc::rlim_t {
    v.map_or(libc::RLIM_INFINITY, |n| n as libc::rlim_t)
}

// rlim_t is u64 on 64-bit Linux but narrower on some 32-bit targets.
#[allow(clippy::unnecessary_cast)]
fn from_rlim(v: libc::rlim_t) -> Option<u64> {
    (v != libc::RLIM_INFINITY).then_some(v as u64)
}

/// Sets RLIMIT_NOFILE of `pid` and returns the limit it had before. nix has no prlimit for
/// a foreign PID, hence libc.
pub fn set_nofile(pid: i32, new: LimitPair) -> Result<LimitPair, SetLimitError> {
    let new_rlim = libc::rlimit {
        rlim_cur: to_rlim(new.soft),
        rlim_max: to_rlim(new.hard),
    };
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both pointers refer to live, initialised rlimit structs for the whole call.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &new_rlim, &mut old) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            return Err(SetLimitError::ProcessGone { pid });
        }
        return Err(SetLimitError::Os { pid, source: err });
    }
    Ok(LimitPair {
        soft: from_rlim(old.rlim_cur),
        hard: from_rlim(old.rlim_max),
    })
}
