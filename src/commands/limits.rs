//! `steady limits PID [--all] [--set-nofile SOFT[:HARD]]`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::analyze::limits::{plan_nofile, LimitsReport, NofileRequest, SetContext};
use crate::analyze::policy::FdPolicy;
use crate::collect::caps::{effective_uid, has_capability, CAP_SYS_RESOURCE};
use crate::collect::limits;
use crate::collect::process::Target;
use crate::commands::{Output, ProcSource};
use crate::error::{CollectError, SetLimitError, UsageError};
use crate::exit::Outcome;
use crate::render::{limits_json, limits_table};

#[derive(Debug, Clone)]
pub struct LimitsOptions {
    pub source: ProcSource,
    pub all: bool,
    pub set_nofile: Option<NofileRequest>,
}

pub fn run(opts: &LimitsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = FdPolicy::default();
    let target = Target::open(opts.source.pid, &opts.source.proc_root)?;
    target.ensure_alive()?;
    let mut nofile = limits::read_nofile(&target)?;
    let nr_open = limits::read_nr_open(&target);
    // /proc/PID/limits is world-readable, /proc/PID/fd is not: the limits are worth showing
    // even when the count cannot be had.
    let (open_fds, open_fds_unknown) = match limits::count_fds(&target) {
        Ok(n) => (Some(n), None),
        Err(err @ CollectError::PermissionDenied { .. }) => (None, Some(err)),
        Err(err) => return Err(err.into()),
    };
    let mut change = None;
    let mut notes = Vec::new();
    if let Some(err) = &open_fds_unknown {
        notes.push(format!("open descriptors not counted: {err}"));
    }
    if let Some(request) = opts.set_nofile {
        if opts.source.proc_root != Path::new("/proc") {
            return Err(UsageError("--set-nofile changes a live process of this machine's /proc, and --proc-root points elsewhere — run it without --proc-root, in the target's PID namespace".to_string()).into());
        }
        let owner_uid = target.owner_uid();
        let ctx = SetContext {
            current: nofile,
            open_fds,
            nr_open,
            same_user: owner_uid == Some(effective_uid()),
            owner_uid,
            has_cap_sys_resource: has_capability(CAP_SYS_RESOURCE),
        };
        let wanted = match plan_nofile(request, &ctx) {
            Ok(wanted) => wanted,
            Err(refusal) => return Err(SetLimitError::Refused(refusal).into()),
        };
        let before = match limits::set_nofile(target.pid, wanted) {
            Ok(before) => before,
            Err(SetLimitError::Os { source, .. }) if source.raw_os_error() == Some(libc::EPERM) => {
                return Err(SetLimitError::Denied { pid: target.pid }.into())
            }
            Err(other) => return Err(other.into()),
        };
        // Read back what the kernel now reports rather than trusting the request.
        target.ensure_alive()?;
        nofile = limits::read_nofile(&target)?;
        if matches!((nofile.soft, before.soft), (Some(new), Some(old)) if new < old) {
            notes.push(format!(
                "the soft limit was lowered from {}: the process reaches it sooner",
                before.soft.unwrap_or_default()
            ));
        }
        if matches!((wanted.hard, before.hard), (Some(new), Some(old)) if new < old) {
            notes.push(format!(
                "the hard limit was lowered from {}; it cannot be raised again without CAP_SYS_RESOURCE",
                before.hard.unwrap_or_default()
            ));
        }
        change = Some((before, nofile));
    }
    if is_go(&target) {
        notes.push("Go programs raise their own soft limit to the hard limit at start; for them the hard limit is the one that matters".to_string());
    }
    let report = LimitsReport {
        pid: target.pid,
        comm: target.comm(),
        nofile,
        nr_open,
        open_fds,
        open_fds_unknown: open_fds_unknown.as_ref().map(CollectError::needs),
        all: if opts.all {
            Some(limits::read_all(&target)?)
        } else {
            None
        },
        change,
        notes,
    };
    if output.json {
        limits_json::write(&report, out)?;
    } else {
        limits_table::write(&report, output.style, out)?;
    }
    let near = report
        .usage_percent()
        .is_some_and(|u| u >= policy.near_limit_percent);
    Ok(if near {
        Outcome::Found
    } else {
        Outcome::Steady
    })
}

fn is_go(target: &Target) -> bool {
    crate::collect::exe::is_go_binary(target)
}
