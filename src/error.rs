//! Errors at the collect boundary. Each message is one line: what happened — what to do.

use std::io;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CollectError {
    #[error("no process with PID {pid} — check the PID with `pgrep` or `ps -e`; inside a container, use the PID as the container sees it (or pass the host's /proc), and if /proc is mounted with hidepid, run as root or as the target's user")]
    NoSuchProcess { pid: i32 },

    #[error("process {pid} exited")]
    ProcessGone { pid: i32 },

    #[error("permission denied reading {what} of process {pid}{owner} — {fix}")]
    PermissionDenied {
        pid: i32,
        what: String,
        owner: String,
        fix: String,
    },

    #[error("cannot read {path}: {source} — check that {path} is a procfs mount")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

#[derive(Debug, Error)]
pub enum SetLimitError {
    #[error("{0}")]
    Refused(String),

    #[error("process {pid} exited")]
    ProcessGone { pid: i32 },

    #[error("prlimit({pid}, RLIMIT_NOFILE) failed: {source}")]
    Os {
        pid: i32,
        #[source]
        source: io::Error,
    },
}
