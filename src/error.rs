//! Errors at the collect boundary. Each message is one line: what happened — what to do.
//! Also the stable `kind` name of any error chain, for `--json` error documents.

use std::io;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CollectError {
    #[error("no process with PID {pid} — check the PID with `pgrep` or `ps -e`; inside a container, use the PID as the container sees it (or pass the host's /proc), and if /proc is mounted with hidepid, run as root or as the target's user")]
    NoSuchProcess { pid: i32 },

    /// The PID is not visible because /proc is mounted with hidepid, and the process may well
    /// exist: it belongs to another user.
    #[error("no process with PID {pid} visible: /proc is mounted with hidepid={hidepid}, which hides other users' processes — run steady as root or as the target's user{group}")]
    Hidden {
        pid: i32,
        hidepid: String,
        /// ", or in group N" when the mount names a gid= exempt from hiding.
        group: String,
    },

    /// Exited, or a zombie: either way nothing is left to read. `reaper` is the parent of a
    /// zombie, which has not collected it yet.
    #[error("process {pid} exited{}", gone_detail(*.zombie_parent))]
    ProcessGone {
        pid: i32,
        zombie_parent: Option<i32>,
    },

    #[error("permission denied reading {what} of process {pid}{owner} — {}", .denial.fix())]
    PermissionDenied {
        pid: i32,
        what: String,
        owner: String,
        denial: Denial,
    },

    #[error("process {pid} ({comm}) is a kernel thread: it has no executable, no user-space memory and no heap — {hint}")]
    KernelThread {
        pid: i32,
        comm: String,
        hint: &'static str,
    },

    #[error("cannot read {path}: {source} — check that {path} is a procfs mount")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl CollectError {
    /// The process is gone (exited, or a zombie): for callers that only need to know that.
    pub fn gone(pid: i32) -> CollectError {
        CollectError::ProcessGone {
            pid,
            zombie_parent: None,
        }
    }

    /// A few words on what would let steady read it, for a field shown as unknown:
    /// "needs uid 0 or CAP_SYS_PTRACE".
    pub fn needs(&self) -> String {
        match self {
            CollectError::PermissionDenied { denial, .. } => denial.needs(),
            CollectError::ProcessGone { .. } => "the process exited".to_string(),
            other => other
                .to_string()
                .split(" — ")
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }
}

fn gone_detail(zombie_parent: Option<i32>) -> String {
    match zombie_parent {
        Some(ppid) => format!(
            " and is a zombie (its parent, PID {ppid}, has not reaped it): nothing is left to inspect — look at why it exited (its logs, `dmesg` for the OOM killer), and at PID {ppid}, which should wait for it"
        ),
        None => " — nothing is left to inspect; if it was restarted, run steady on its new PID"
            .to_string(),
    }
}

/// Why the kernel refused a read of another process's /proc entries (a ptrace access check),
/// as far as steady can tell from the uids and capabilities on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// steady runs as another, non-root uid.
    OtherUid { owner: u32, me: u32 },
    /// steady lacks CAP_SYS_PTRACE, which the check needs here: the target runs as another
    /// uid (`owner`), or holds capabilities steady does not (`extra`).
    LacksPtrace {
        owner: Option<u32>,
        extra: Vec<String>,
    },
    /// The target is not dumpable (setuid, or PR_SET_DUMPABLE=0): only CAP_SYS_PTRACE reads it.
    NotDumpable,
    /// steady has CAP_SYS_PTRACE, but the target holds capabilities steady lacks: it lives in
    /// a user namespace above steady's.
    UserNamespace { extra: Vec<String> },
    /// Nothing above explains it: a security module (Yama, AppArmor, SELinux).
    SecurityModule,
}

const KUBECTL: &str = "in Kubernetes, `kubectl debug -it POD --target=CONTAINER --profile=general`";

impl Denial {
    pub fn fix(&self) -> String {
        match self {
            Denial::OtherUid { owner, me } => format!(
                "steady runs as uid {me}: run it as uid {owner} (e.g. `sudo -u '#{owner}' steady …`) or as root with CAP_SYS_PTRACE; {KUBECTL}"
            ),
            Denial::LacksPtrace { owner, extra } => {
                let why = match (owner, extra.is_empty()) {
                    (Some(uid), true) => format!("the target runs as uid {uid}"),
                    (Some(uid), false) => format!(
                        "the target runs as uid {uid} and holds capabilities steady does not ({})",
                        extra.join(", ")
                    ),
                    (None, _) => format!(
                        "the target holds capabilities steady does not ({})",
                        extra.join(", ")
                    ),
                };
                format!(
                    "steady lacks CAP_SYS_PTRACE, and {why}; run steady with CAP_SYS_PTRACE (not under `capsh --drop=cap_sys_ptrace`; in Docker `--cap-add SYS_PTRACE`); {KUBECTL}"
                )
            }
            Denial::NotDumpable => format!(
                "the target is not dumpable (setuid, or PR_SET_DUMPABLE=0), so only CAP_SYS_PTRACE reads it; run steady as root with CAP_SYS_PTRACE; {KUBECTL}"
            ),
            Denial::UserNamespace { extra } => format!(
                "the target holds capabilities this steady lacks ({}), or lives in a user namespace above ours; the kernel lets only a process with at least the target's capabilities read its descriptors — run steady with them (from the host, or a privileged debug container)",
                extra.join(", ")
            ),
            Denial::SecurityModule => "the kernel refused although steady has CAP_SYS_PTRACE; a security module (Yama ptrace_scope 3, AppArmor, SELinux) may forbid it — check `cat /proc/sys/kernel/yama/ptrace_scope` and the audit log".to_string(),
        }
    }

    /// The short form, for a field shown as unknown.
    pub fn needs(&self) -> String {
        match self {
            Denial::OtherUid { owner, .. } => {
                format!("needs steady as uid {owner}, or root with CAP_SYS_PTRACE")
            }
            Denial::LacksPtrace { .. } => "needs CAP_SYS_PTRACE".to_string(),
            Denial::NotDumpable => "needs CAP_SYS_PTRACE: the target is not dumpable".to_string(),
            Denial::UserNamespace { extra } => {
                format!("needs the target's capabilities: {}", extra.join(", "))
            }
            Denial::SecurityModule => "refused by a security module".to_string(),
        }
    }
}

#[derive(Debug, Error)]
pub enum SetLimitError {
    #[error("{0}")]
    Refused(String),

    #[error("process {pid} exited")]
    ProcessGone { pid: i32 },

    #[error("the kernel refused to change RLIMIT_{resource} of process {pid} (EPERM) — raising a hard limit, or changing a process whose real, effective or saved user or group IDs differ from yours, needs CAP_SYS_RESOURCE")]
    Denied { pid: i32, resource: &'static str },

    #[error("prlimit({pid}, RLIMIT_{resource}) failed: {source}")]
    Os {
        pid: i32,
        resource: &'static str,
        #[source]
        source: io::Error,
    },
}

/// A command line that parses but asks for something that cannot be done as given.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The stable snake_case name of what went wrong, for `--json` error documents: from the
/// first typed error in the chain, `other` when there is none. Wrappers marked
/// `#[error(transparent)]` forward `source()` past their inner error, so they are opened here.
pub fn kind_of(err: &anyhow::Error) -> &'static str {
    err.chain().find_map(kind_of_cause).unwrap_or("other")
}

fn kind_of_cause(cause: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use crate::collect::endpoint::DiscoverError;
    use crate::collect::goroutines::GoroutineFetchError;
    use crate::collect::http::FetchError;
    use crate::collect::snapshot::SnapshotError;
    use crate::collect::snapshot_file::SnapshotFileError;
    use crate::parse::goroutines::DumpError;
    use crate::parse::pprof::ProfileError;

    fn collect(e: &CollectError) -> &'static str {
        match e {
            CollectError::NoSuchProcess { .. } | CollectError::Hidden { .. } => "no_such_process",
            CollectError::ProcessGone { .. } => "process_gone",
            CollectError::PermissionDenied { .. } => "permission_denied",
            CollectError::KernelThread { .. } => "kernel_thread",
            CollectError::Io { .. } => "io_error",
        }
    }
    fn fetch(e: &FetchError) -> &'static str {
        match e {
            FetchError::Timeout { .. } => "endpoint_timeout",
            FetchError::Connect { .. } => "endpoint_unreachable",
            FetchError::Status { .. } => "endpoint_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Other { .. } => "endpoint_error",
        }
    }
    fn discover(e: &DiscoverError) -> &'static str {
        match e {
            DiscoverError::Collect(inner) => collect(inner),
            DiscoverError::NotGo { .. } => "not_go",
            DiscoverError::NoListeners { .. } | DiscoverError::NotFound { .. } => "no_endpoint",
            DiscoverError::OtherNetns { .. } => "other_netns",
        }
    }
    fn dump(_: &DumpError) -> &'static str {
        "malformed_dump"
    }
    fn profile(e: &ProfileError) -> &'static str {
        match e {
            ProfileError::TooLarge { .. } => "too_large",
            _ => "malformed_profile",
        }
    }

    if let Some(e) = cause.downcast_ref::<CollectError>() {
        return Some(collect(e));
    }
    if let Some(e) = cause.downcast_ref::<SetLimitError>() {
        return Some(match e {
            SetLimitError::Refused(_) => "refused",
            SetLimitError::ProcessGone { .. } => "process_gone",
            SetLimitError::Denied { .. } => "permission_denied",
            SetLimitError::Os { source, .. } if source.raw_os_error() == Some(libc::EPERM) => {
                "permission_denied"
            }
            SetLimitError::Os { .. } => "os_error",
        });
    }
    if cause.downcast_ref::<UsageError>().is_some() {
        return Some("usage");
    }
    if let Some(e) = cause.downcast_ref::<DiscoverError>() {
        return Some(discover(e));
    }
    if let Some(e) = cause.downcast_ref::<FetchError>() {
        return Some(fetch(e));
    }
    if let Some(e) = cause.downcast_ref::<GoroutineFetchError>() {
        return Some(match e {
            GoroutineFetchError::Fetch(f) => fetch(f),
            GoroutineFetchError::Dump(d) => dump(d),
        });
    }
    if let Some(e) = cause.downcast_ref::<SnapshotError>() {
        return Some(match e {
            SnapshotError::Collect(c) => collect(c),
            SnapshotError::Discover(d) => discover(d),
            SnapshotError::Fetch(f) => fetch(f),
        });
    }
    if let Some(e) = cause.downcast_ref::<SnapshotFileError>() {
        return Some(match e {
            SnapshotFileError::TooLarge { .. } => "too_large",
            SnapshotFileError::BadMeta { .. } => "malformed_snapshot",
            _ => "io_error",
        });
    }
    if let Some(e) = cause.downcast_ref::<DumpError>() {
        return Some(dump(e));
    }
    if let Some(e) = cause.downcast_ref::<ProfileError>() {
        return Some(profile(e));
    }
    if cause
        .downcast_ref::<crate::analyze::heap_report::ViewError>()
        .is_some()
    {
        return Some("usage");
    }
    None
}

/// Splits a one-line message at its first " — " into what happened and what to do.
pub fn split_hint(message: &str) -> (&str, Option<&str>) {
    match message.split_once(" — ") {
        Some((what, hint)) => (what, Some(hint)),
        None => (message, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_typed_errors_in_the_chain() {
        let gone = anyhow::Error::from(CollectError::gone(7)).context("reading threads");
        assert_eq!(kind_of(&gone), "process_gone");
        let wrapped = anyhow::Error::from(crate::collect::snapshot::SnapshotError::Collect(
            CollectError::NoSuchProcess { pid: 3 },
        ));
        assert_eq!(kind_of(&wrapped), "no_such_process");
        let timeout = anyhow::Error::from(crate::collect::http::FetchError::Timeout {
            url: "http://127.0.0.1:1/".into(),
            timeout: std::time::Duration::from_secs(1),
        });
        assert_eq!(kind_of(&timeout), "endpoint_timeout");
        let profile = anyhow::Error::from(crate::parse::pprof::ProfileError::Corrupt {
            what: "x".into(),
            why: "y".into(),
        });
        assert_eq!(kind_of(&profile), "malformed_profile");
        assert_eq!(kind_of(&anyhow::anyhow!("plain")), "other");
        let denied = anyhow::Error::from(CollectError::PermissionDenied {
            pid: 1,
            what: "/proc/1/fd".into(),
            owner: String::new(),
            denial: Denial::NotDumpable,
        });
        assert_eq!(kind_of(&denied), "permission_denied");
    }

    #[test]
    fn hints_split_at_the_dash() {
        assert_eq!(
            split_hint("process 3 exited — run again"),
            ("process 3 exited", Some("run again"))
        );
        assert_eq!(split_hint("plain"), ("plain", None));
    }

    #[test]
    fn denials_lead_with_what_steady_lacks() {
        let d = Denial::LacksPtrace {
            owner: None,
            extra: vec!["CAP_SYS_PTRACE".into()],
        };
        assert!(
            d.fix().starts_with("steady lacks CAP_SYS_PTRACE"),
            "{}",
            d.fix()
        );
        assert_eq!(d.needs(), "needs CAP_SYS_PTRACE");
        let d = Denial::OtherUid {
            owner: 0,
            me: 65534,
        };
        assert!(d.fix().contains("run it as uid 0"), "{}", d.fix());
        let gone = CollectError::ProcessGone {
            pid: 5,
            zombie_parent: Some(4),
        };
        assert!(gone
            .to_string()
            .starts_with("process 5 exited and is a zombie"));
    }
}
