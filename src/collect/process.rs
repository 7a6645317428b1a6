//! Opens the target once per run. The procfs handle holds a directory fd on /proc/PID, so every
//! later read goes to the same process even if its PID is reused.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use procfs::process::Process;
use procfs::ProcError;

use crate::collect::caps::{
    capability_names, effective_uid, own_effective_caps, status_caps, CAP_SYS_PTRACE,
};
use crate::error::{CollectError, Denial};

pub struct Target {
    pub pid: i32,
    process: Process,
    proc_root: PathBuf,
    /// What /proc/PID/exe holds, once read (see `exe::inspect_exe`).
    pub(crate) exe_kind: std::sync::OnceLock<crate::collect::exe::ExeKind>,
}

impl Target {
    /// `proc_root` is normally /proc; another root (a host /proc mounted into a pod, or a
    /// synthetic tree for benchmarks) can be named.
    pub fn open(pid: i32, proc_root: &Path) -> Result<Target, CollectError> {
        let process =
            Process::new_with_root(proc_root.join(pid.to_string())).map_err(|err| match err {
                ProcError::NotFound(_) => not_found(pid, proc_root),
                ProcError::Io(ref io, _) if io.kind() == io::ErrorKind::NotFound => {
                    not_found(pid, proc_root)
                }
                other => describe_proc_error(pid, &Owner::default(), "its /proc entry", other),
            })?;
        // Under hidepid=invisible the directory still opens (O_PATH), but nothing in it does:
        // say that it is hidden, not that it exited.
        if let Err(ProcError::NotFound(_)) = process.stat() {
            if let err @ CollectError::Hidden { .. } = not_found(pid, proc_root) {
                return Err(err);
            }
        }
        Ok(Target {
            pid,
            process,
            proc_root: proc_root.to_path_buf(),
            exe_kind: std::sync::OnceLock::new(),
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
        let gone = CollectError::gone(self.pid);
        match self.process.stat() {
            Ok(stat) if stat.state == 'Z' => Err(CollectError::ProcessGone {
                pid: self.pid,
                zombie_parent: Some(stat.ppid).filter(|&p| p > 0),
            }),
            Ok(stat) if stat.state != 'X' && stat.flags & PF_EXITING == 0 => Ok(()),
            Ok(_) | Err(ProcError::NotFound(_)) => Err(gone),
            Err(ProcError::Io(io, _)) if io.kind() == io::ErrorKind::NotFound => Err(gone),
            // A synthetic tree may have no stat file; the fd scan itself decides then.
            Err(_) => Ok(()),
        }
    }

    /// True for a kernel thread (PF_KTHREAD): no executable, no user memory, no heap.
    pub fn is_kernel_thread(&self) -> bool {
        const PF_KTHREAD: u32 = 0x0020_0000;
        self.process
            .stat()
            .is_ok_and(|stat| stat.flags & PF_KTHREAD != 0)
    }

    /// The refusal for a command that has nothing to read in a kernel thread.
    pub fn kernel_thread_error(&self, hint: &'static str) -> CollectError {
        CollectError::KernelThread {
            pid: self.pid,
            comm: self.comm().unwrap_or_default(),
            hint,
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
        if gone {
            if let Err(gone) = self.ensure_alive() {
                return gone;
            }
        }
        let owner = self.owner();
        describe_proc_error(self.pid, &owner, &format!("/proc/{}/{rel}", self.pid), err)
    }

    /// Who the target is, for a permission check: its uid, its permitted capabilities, and
    /// whether its /proc entries are owned by someone else (the mark of a non-dumpable process).
    pub fn owner(&self) -> Owner {
        let status = self.process.open_relative("status").ok().and_then(|mut f| {
            let mut text = String::new();
            io::Read::read_to_string(&mut f, &mut text).ok()?;
            Some(text)
        });
        let uid = self.owner_uid();
        // The kernel hands a non-dumpable process's /proc files to root.
        let entry_uid = std::fs::metadata(self.proc_root.join(self.pid.to_string()))
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        Owner {
            uid,
            permitted_caps: status.as_deref().and_then(|s| status_caps(s, "CapPrm")),
            not_dumpable: matches!((uid, entry_uid), (Some(u), Some(e)) if u != e),
        }
    }

    /// The error for a read refused on `rel`, when the refusal was seen without an errno
    /// (a file that reads empty, or a check made before reading).
    pub fn denied(&self, rel: &str) -> CollectError {
        let owner = self.owner();
        permission_denied(self.pid, &owner, &format!("/proc/{}/{rel}", self.pid))
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
    /// Its /proc entry is owned by another uid than the process: it is not dumpable.
    pub not_dumpable: bool,
}

/// A PID that /proc does not show: absent, or hidden by a hidepid mount.
fn not_found(pid: i32, proc_root: &Path) -> CollectError {
    match hidepid_of(proc_root) {
        Some((hidepid, gid)) if effective_uid() != 0 => CollectError::Hidden {
            pid,
            hidepid,
            group: gid
                .map(|g| format!(", or in group {g}"))
                .unwrap_or_default(),
        },
        _ => CollectError::NoSuchProcess { pid },
    }
}

/// The hidepid= and gid= options of the procfs mounted at `proc_root`, when it hides
/// (hidepid=1/2, noaccess/invisible).
fn hidepid_of(proc_root: &Path) -> Option<(String, Option<String>)> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let root = proc_root.to_str()?;
    // The last mount on that point is the one that shows.
    let line = mounts
        .lines()
        .rfind(|l| l.split_whitespace().nth(4) == Some(root))?;
    let super_opts = line.split(" - ").nth(1)?.split_whitespace().nth(2)?;
    let mut hidepid = None;
    let mut gid = None;
    for opt in super_opts.split(',') {
        if let Some(v) = opt.strip_prefix("hidepid=") {
            hidepid = Some(v.to_string());
        } else if let Some(v) = opt.strip_prefix("gid=") {
            gid = Some(v.to_string());
        }
    }
    let hidepid = hidepid.filter(|h| !matches!(h.as_str(), "0" | "off" | "ptraceable"))?;
    Some((hidepid, gid))
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

/// Names the fix for EACCES on another process's /proc entries (ptrace access mode checks:
/// same uid and a superset of the target's permitted capabilities, or CAP_SYS_PTRACE; and for a
/// non-dumpable target, CAP_SYS_PTRACE always).
pub fn permission_denied(pid: i32, owner: &Owner, what: &str) -> CollectError {
    let denial = classify_denial(owner, effective_uid(), own_effective_caps());
    CollectError::PermissionDenied {
        pid,
        what: what.to_string(),
        owner: owner
            .uid
            .map(|uid| format!(" (owned by uid {uid})"))
            .unwrap_or_default(),
        denial,
    }
}

fn classify_denial(owner: &Owner, me: u32, my_caps: u64) -> Denial {
    let extra_caps = owner.permitted_caps.map_or(0, |caps| caps & !my_caps);
    let has_ptrace = my_caps & (1u64 << CAP_SYS_PTRACE) != 0;
    let other_uid = owner.uid.filter(|&uid| uid != me);
    match other_uid {
        Some(uid) if me != 0 && !has_ptrace => Denial::OtherUid { owner: uid, me },
        _ if !has_ptrace && (extra_caps != 0 || other_uid.is_some()) => Denial::LacksPtrace {
            owner: other_uid,
            extra: capability_names(extra_caps),
        },
        // Same uid, no capability it lacks: the kernel refuses only a non-dumpable target
        // (`not_dumpable` confirms it when /proc shows it; either way CAP_SYS_PTRACE fixes it).
        _ if !has_ptrace => Denial::NotDumpable,
        _ if extra_caps != 0 => Denial::UserNamespace {
            extra: capability_names(extra_caps),
        },
        // With CAP_SYS_PTRACE and every capability the target has, only a security module
        // (or a non-dumpable target in a user namespace above ours) still refuses.
        _ => Denial::SecurityModule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u64 = 0x1ff_ffff_ffff;
    const NO_PTRACE: u64 = ALL & !(1 << 19);

    fn owner(uid: u32, caps: u64) -> Owner {
        Owner {
            uid: Some(uid),
            permitted_caps: Some(caps),
            not_dumpable: false,
        }
    }

    #[test]
    fn denials_name_the_real_cause() {
        // Another, unprivileged user.
        assert_eq!(
            classify_denial(&owner(0, ALL), 65534, 0),
            Denial::OtherUid {
                owner: 0,
                me: 65534
            }
        );
        // Root under `capsh --drop=cap_sys_ptrace`, on a root process holding every capability.
        assert_eq!(
            classify_denial(&owner(0, ALL), 0, NO_PTRACE),
            Denial::LacksPtrace {
                owner: None,
                extra: vec!["CAP_SYS_PTRACE".to_string()]
            }
        );
        // Root without CAP_SYS_PTRACE, on another user's process.
        assert_eq!(
            classify_denial(&owner(1000, 0), 0, NO_PTRACE),
            Denial::LacksPtrace {
                owner: Some(1000),
                extra: vec![]
            }
        );
        // Same uid, same capabilities, still refused: not dumpable.
        assert_eq!(
            classify_denial(&owner(1000, 0), 1000, 0),
            Denial::NotDumpable
        );
        assert_eq!(
            classify_denial(&owner(0, ALL), 0, ALL & !(1 << 40)),
            Denial::UserNamespace {
                extra: vec!["CAP_CHECKPOINT_RESTORE".to_string()]
            }
        );
        assert_eq!(
            classify_denial(&owner(0, ALL), 0, ALL),
            Denial::SecurityModule
        );
    }
}
