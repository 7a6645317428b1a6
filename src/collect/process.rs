//! Opens the target once per run. The procfs handle holds a directory fd on /proc/PID, so every
//! later read goes to the same process even if its PID is reused.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use procfs::process::Process;
use procfs::ProcError;

use crate::collect::caps::{capability_names, effective_uid, own_effective_caps, CAP_SYS_PTRACE};
use crate::error::CollectError;

pub struct Target {
    pub pid: i32,
    process: Process,
    proc_root: PathBuf,
}

impl Target {
    /// `proc_root` is normally /proc; another root (a host /proc mounted into a pod, or a
    /// synthetic tree for benchmarks) can be named.
    pub fn open(pid: i32, proc_root: &Path) -> Result<Target, CollectError> {
        let process =
            Process::new_with_root(proc_root.join(pid.to_string())).map_err(|err| match err {
                ProcError::NotFound(_) => CollectError::NoSuchProcess { pid },
                ProcError::Io(ref io, _) if io.kind() == io::ErrorKind::NotFound => {
                    CollectError::NoSuchProcess { pid }
                }
                other => describe_proc_error(pid, &Owner::default(), "its /proc entry", other),
            })?;
        Ok(Target {
            pid,
            process,
            proc_root: proc_root.to_path_buf(),
        })
    }

    pub fn proc_root(&self) -> &Path {
        &self.proc_root
    }

    /// The short command name, sanitized later by the renderer.
    pub fn comm(&self) -> Option<String> {
        self.process.stat().ok().map(|stat| stat.comm)
    }

    pub fn owner_uid(&self) -> Option<u32> {
        self.process.uid().ok()
    }

    /// A zombie keeps its PID but has no descriptors left: for us it has exited.
    pub fn ensure_alive(&self) -> Result<(), CollectError> {
        // PF_EXITING: the kernel closes an exiting process's descriptors before it turns
        // zombie, so a scan that races an exit would otherwise look like a calm process.
        const PF_EXITING: u32 = 0x4;
        match self.process.stat() {
            Ok(stat) if stat.state != 'Z' && stat.state != 'X' && stat.flags & PF_EXITING == 0 => {
                Ok(())
            }
            Ok(_) | Err(ProcError::NotFound(_)) => Err(CollectError::ProcessGone { pid: self.pid }),
            Err(ProcError::Io(io, _)) if io.kind() == io::ErrorKind::NotFound => {
                Err(CollectError::ProcessGone { pid: self.pid })
            }
            // A synthetic tree may have no stat file; the fd scan itself decides then.
            Err(_) => Ok(()),
        }
    }

    /// Opens a file below /proc/PID through the held handle.
    pub fn open_relative(&self, rel: &str) -> Result<File, CollectError> {
        self.process
            .open_relative(rel)
            .map_err(|err| self.error(rel, err))
    }

    pub fn process(&self) -> &Process {
        &self.process
    }

    /// Turns a procfs error on `rel` into the error the user should see.
    pub fn error(&self, rel: &str, err: ProcError) -> CollectError {
        let gone = match &err {
            ProcError::NotFound(_) => true,
            ProcError::Io(io, _) => {
                matches!(io.raw_os_error(), Some(libc::ESRCH))
                    || io.kind() == io::ErrorKind::NotFound
            }
            _ => false,
        };
        if gone && self.ensure_alive().is_err() {
            return CollectError::ProcessGone { pid: self.pid };
        }
        let owner = Owner {
            uid: self.owner_uid(),
            permitted_caps: self.process.status().ok().map(|s| s.capprm),
        };
        describe_proc_error(self.pid, &owner, &format!("/proc/{}/{rel}", self.pid), err)
    }

    /// Same as [`Target::error`] for a plain I/O error (from *at calls on a held directory).
    pub fn io_error(&self, rel: &str, err: io::Error) -> CollectError {
        self.error(rel, ProcError::Io(err, None))
    }
}

/// Who the target is, as far as permission checks go.
#[derive(Debug, Default, Clone, Copy)]
pub struct Owner {
    pub uid: Option<u32>,
    /// CapPrm of the target: the kernel lets only a process holding at least these read
    /// the target's descriptors (or one with CAP_SYS_PTRACE in the target's user namespace).
    pub permitted_caps: Option<u64>,
}

fn describe_proc_error(pid: i32, owner: &Owner, what: &str, err: ProcError) -> CollectError {
    let denied = match &err {
        ProcError::PermissionDenied(_) => true,
        ProcError::Io(io, _) => io.kind() == io::ErrorKind::PermissionDenied,
        _ => false,
    };
    if denied {
        return permission_denied(pid, owner, what);
    }
    let detail = match err {
        ProcError::Io(io, _) => io,
        other => io::Error::other(other.to_string()),
    };
    CollectError::Io {
        path: what.to_string(),
        source: detail,
    }
}

/// Names the fix for EACCES on another process's /proc entries (ptrace access mode checks).
pub fn permission_denied(pid: i32, owner: &Owner, what: &str) -> CollectError {
    let me = effective_uid();
    let my_caps = own_effective_caps();
    let extra_caps = owner.permitted_caps.map_or(0, |caps| caps & !my_caps);
    let kubectl = "in Kubernetes, `kubectl debug -it POD --target=CONTAINER --profile=general`";
    let fix = match owner.uid {
        Some(uid) if uid != me && me != 0 => format!(
            "run steady as uid {uid} (e.g. `sudo -u '#{uid}' steady …`) or as root with CAP_SYS_PTRACE; {kubectl}"
        ),
        _ if extra_caps != 0 => format!(
            "the target holds capabilities this steady lacks ({}), or lives in a user namespace above ours; the kernel lets only a process with at least the target's capabilities read its descriptors — run steady with them (from the host, or a privileged debug container)",
            capability_names(extra_caps).join(", ")
        ),
        _ if my_caps & (1u64 << CAP_SYS_PTRACE) == 0 => format!(
            "the target may not be dumpable (setuid, or PR_SET_DUMPABLE=0); run steady as root with CAP_SYS_PTRACE; {kubectl}"
        ),
        _ => "the kernel refused although steady has CAP_SYS_PTRACE; a security module (Yama ptrace_scope 3, AppArmor, SELinux) may forbid it — check `cat /proc/sys/kernel/yama/ptrace_scope` and the audit log".to_string(),
    };
    CollectError::PermissionDenied {
        pid,
        what: what.to_string(),
        owner: owner
            .uid
            .map(|uid| format!(" (owned by uid {uid})"))
            .unwrap_or_default(),
        fix,
    }
}
