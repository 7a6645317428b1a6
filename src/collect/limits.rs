//! Reads resource limits (/proc/PID/limits, world-readable), fs.nr_open and what the process
//! uses of each, and changes a limit of a live process with prlimit(2) when the user asks.

use std::fs;
use std::io;

use procfs::process::{Limit, LimitValue};

use crate::collect::process::Target;
use crate::error::{CollectError, SetLimitError};
use crate::model::limits::{LimitPair, NamedLimit, Resource, Usage};

pub fn read_nofile(target: &Target) -> Result<LimitPair, CollectError> {
    let limits = target
        .process()
        .limits()
        .map_err(|err| target.error("limits", err))?;
    Ok(pair(&limits.max_open_files))
}

/// Every limit of /proc/PID/limits (world-readable, unlike prlimit(2) on another process),
/// in prlimit's order.
pub fn read_all(target: &Target) -> Result<Vec<NamedLimit>, CollectError> {
    let l = target
        .process()
        .limits()
        .map_err(|err| target.error("limits", err))?;
    Ok(Resource::ALL
        .into_iter()
        .map(|resource| {
            let limit = match resource {
                Resource::As => &l.max_address_space,
                Resource::Core => &l.max_core_file_size,
                Resource::Cpu => &l.max_cpu_time,
                Resource::Data => &l.max_data_size,
                Resource::Fsize => &l.max_file_size,
                Resource::Locks => &l.max_file_locks,
                Resource::Memlock => &l.max_locked_memory,
                Resource::Msgqueue => &l.max_msgqueue_size,
                Resource::Nice => &l.max_nice_priority,
                Resource::Nofile => &l.max_open_files,
                Resource::Nproc => &l.max_processes,
                Resource::Rss => &l.max_resident_set,
                Resource::Rtprio => &l.max_realtime_priority,
                Resource::Rttime => &l.max_realtime_timeout,
                Resource::Sigpending => &l.max_pending_signals,
                Resource::Stack => &l.max_stack_size,
            };
            NamedLimit {
                resource,
                limit: pair(limit),
            }
        })
        .collect())
}

/// What the process uses of `resource`, for the resources where a lower limit can harm it:
/// descriptors (NOFILE, counted by the caller), mapped, data, stack and locked bytes
/// (/proc/PID/status), CPU seconds used (/proc/PID/stat), and the tasks of its real uid
/// (NPROC counts every thread of the user, not only this process's).
pub fn read_usage(target: &Target, resource: Resource) -> Usage {
    let status = || {
        target
            .process()
            .status()
            .map_err(|e| target.error("status", e))
    };
    let kib = |v: Option<u64>| v.map(|k| k * 1024);
    let known = |v: Result<Option<u64>, CollectError>| match v {
        Ok(Some(n)) => Usage::Known(n),
        Ok(None) => Usage::Unknown("the kernel does not report it".to_string()),
        Err(e) => Usage::Unknown(e.to_string()),
    };
    match resource {
        Resource::As => known(status().map(|s| kib(s.vmsize))),
        Resource::Data => known(status().map(|s| kib(s.vmdata))),
        Resource::Stack => known(status().map(|s| kib(s.vmstk))),
        Resource::Memlock => known(status().map(|s| kib(s.vmlck))),
        Resource::Cpu => known(
            target
                .process()
                .stat()
                // Rounded up: a soft limit at the next whole second is already as good as reached.
                .map(|s| Some((s.utime + s.stime).div_ceil(procfs::ticks_per_second().max(1))))
                .map_err(|e| target.error("stat", e)),
        ),
        Resource::Nproc => known(status().map(|s| Some(tasks_of_uid(target, s.ruid)))),
        _ => Usage::Untracked,
    }
}

/// Threads of every process whose real uid is `uid`: what RLIMIT_NPROC is held against.
/// Processes hidden from us are not counted, so this is a floor.
fn tasks_of_uid(target: &Target, uid: u32) -> u64 {
    let Ok(all) = procfs::process::all_processes_with_root(target.proc_root()) else {
        return 0;
    };
    all.filter_map(Result::ok)
        .filter_map(|p| p.status().ok())
        .filter(|s| s.ruid == uid)
        .map(|s| s.threads)
        .sum()
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

fn rlimit_resource(resource: Resource) -> RlimitResource {
    match resource {
        Resource::As => libc::RLIMIT_AS,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::Data => libc::RLIMIT_DATA,
        Resource::Fsize => libc::RLIMIT_FSIZE,
        Resource::Locks => libc::RLIMIT_LOCKS,
        Resource::Memlock => libc::RLIMIT_MEMLOCK,
        Resource::Msgqueue => libc::RLIMIT_MSGQUEUE,
        Resource::Nice => libc::RLIMIT_NICE,
        Resource::Nofile => libc::RLIMIT_NOFILE,
        Resource::Nproc => libc::RLIMIT_NPROC,
        Resource::Rss => libc::RLIMIT_RSS,
        Resource::Rtprio => libc::RLIMIT_RTPRIO,
        Resource::Rttime => libc::RLIMIT_RTTIME,
        Resource::Sigpending => libc::RLIMIT_SIGPENDING,
        Resource::Stack => libc::RLIMIT_STACK,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type RlimitResource = libc::c_int;

/// Sets one limit of `pid` and returns what it was before. nix has no prlimit for a foreign
/// PID, hence libc.
pub fn set_limit(pid: i32, resource: Resource, new: LimitPair) -> Result<LimitPair, SetLimitError> {
    let new_rlim = libc::rlimit {
        rlim_cur: to_rlim(new.soft),
        rlim_max: to_rlim(new.hard),
    };
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both pointers refer to live, initialised rlimit structs for the whole call.
    let rc = unsafe { libc::prlimit(pid, rlimit_resource(resource), &new_rlim, &mut old) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            return Err(SetLimitError::ProcessGone { pid });
        }
        return Err(SetLimitError::Os {
            pid,
            resource: resource.name(),
            source: err,
        });
    }
    Ok(LimitPair {
        soft: from_rlim(old.rlim_cur),
        hard: from_rlim(old.rlim_max),
    })
}
