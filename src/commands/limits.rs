//! `steady limits PID[,PID…] | --name REGEX [--all] [--set RESOURCE=SOFT:HARD…] [--set-nofile SOFT[:HARD]]`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::analyze::limits::{
    plan_limit, summarize, LimitChange, LimitRequest, LimitsReport, SetContext, Usage,
};
use crate::analyze::policy::FdPolicy;
use crate::collect::caps::{effective_uid, has_capability, CAP_SYS_RESOURCE};
use crate::collect::limits;
use crate::collect::process::Target;
use crate::commands::targets::{self, Read, Targets};
use crate::commands::{Output, ProcSource};
use crate::error::{CollectError, SetLimitError, UsageError};
use crate::exit::Outcome;
use crate::model::limits::Resource;
use crate::render::limits_json;
use crate::render::several::Several;

#[derive(Debug, Clone)]
pub struct LimitsOptions {
    pub targets: Targets,
    pub proc_root: std::path::PathBuf,
    pub all: bool,
    /// `--set-nofile` first, then each `--set` in the order given.
    pub set: Vec<LimitRequest>,
}

pub fn run(opts: &LimitsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = FdPolicy::default();
    if let Targets::One(pid) = &opts.targets {
        let report = read_one(*pid, opts)?;
        output.format().render(&report, out)?;
        return Ok(outcome(&[report], &policy));
    }
    let pids = opts.targets.resolve(&opts.proc_root)?;
    if !opts.set.is_empty() {
        return Err(UsageError(
            "--set changes one process at a time — give one PID (steady limits PID --set …)"
                .to_string(),
        )
        .into());
    }
    let results = targets::read_each(&pids, opts.targets.by_name(), |pid| read_one(pid, opts));
    let reports: Vec<LimitsReport> = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok().cloned())
        .collect();
    let failed = targets::failures(&results);
    let summary = summarize(&reports, policy.near_limit_percent);
    let entries = results_for_render(&results, &failed);
    output.format().render(
        &Several {
            entries: &entries,
            summary: &summary,
        },
        out,
    )?;
    if !failed.is_empty() {
        // With --json the array already holds each error: no second document on stdout.
        if output.json {
            return Ok(Outcome::Incomplete);
        }
        out.flush()?;
        return Err(targets::incomplete("limits", &failed));
    }
    Ok(outcome(&reports, &policy))
}

/// Each target's report, or its error line and kind, in the order read.
fn results_for_render<'a>(
    results: &'a [Read<LimitsReport>],
    failed: &'a [(i32, String, &'static str)],
) -> Vec<limits_json::Entry<'a>> {
    let mut errors = failed.iter();
    results
        .iter()
        .map(|r| match &r.result {
            Ok(report) => limits_json::Entry::Report(report),
            Err(_) => {
                let (_, line, kind) = errors.next().expect("one error per failed result");
                limits_json::Entry::Error {
                    pid: r.pid,
                    kind,
                    line,
                }
            }
        })
        .collect()
}

fn outcome(reports: &[LimitsReport], policy: &FdPolicy) -> Outcome {
    let near = reports.iter().any(|r| {
        r.usage_percent()
            .is_some_and(|u| u >= policy.near_limit_percent)
    });
    if near {
        Outcome::Found
    } else {
        Outcome::Steady
    }
}

fn read_one(pid: i32, opts: &LimitsOptions) -> Result<LimitsReport> {
    let source = ProcSource {
        pid,
        proc_root: opts.proc_root.clone(),
    };
    let target = Target::open(source.pid, &source.proc_root)?;
    target.ensure_alive()?;
    let mut nofile = limits::read_nofile(&target)?;
    let nr_open = limits::read_nr_open(&target);
    // /proc/PID/limits is world-readable, /proc/PID/fd is not: the limits are worth showing
    // even when the count cannot be had.
    let (mut open_fds, open_fds_unknown) = match limits::count_fds(&target) {
        Ok(n) => (Some(n), None),
        Err(err @ CollectError::PermissionDenied { .. }) => (None, Some(err)),
        Err(err) => return Err(err.into()),
    };
    let mut notes = Vec::new();
    if let Some(err) = &open_fds_unknown {
        notes.push(format!("open descriptors not counted: {err}"));
    }
    let mut changes = Vec::new();
    if !opts.set.is_empty() {
        if source.proc_root != Path::new("/proc") {
            return Err(UsageError("--set and --set-nofile change a live process of this machine's /proc, and --proc-root points elsewhere — run it without --proc-root, in the target's PID namespace".to_string()).into());
        }
        for (i, req) in opts.set.iter().enumerate() {
            if opts.set[..i].iter().any(|r| r.resource == req.resource) {
                return Err(UsageError(format!(
                    "{} is asked for twice — give each resource once (--set-nofile is NOFILE)",
                    req.resource.name()
                ))
                .into());
            }
        }
        changes = apply(
            &target,
            opts,
            open_fds,
            &open_fds_unknown,
            nr_open,
            &mut notes,
        )?;
        nofile = limits::read_nofile(&target)?;
        if changes.iter().any(|c| c.resource == Resource::Nofile) {
            open_fds = limits::count_fds(&target).ok().or(open_fds);
        }
    }
    if crate::collect::exe::is_go_binary(&target) {
        notes.push("Go programs raise their own soft limit to the hard limit at start; for them the hard limit is the one that matters".to_string());
    }
    Ok(LimitsReport {
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
        changes,
        notes,
    })
}

/// Plans every requested change first, so one refusal leaves the process untouched; then
/// sets them in order, the target checked alive before and after, and reads back what the
/// kernel reports rather than trusting the request.
fn apply(
    target: &Target,
    opts: &LimitsOptions,
    open_fds: Option<u64>,
    open_fds_unknown: &Option<CollectError>,
    nr_open: Option<u64>,
    notes: &mut Vec<String>,
) -> Result<Vec<LimitChange>> {
    let owner_uid = target.owner_uid();
    let current = limits::read_all(target)?;
    let mut planned = Vec::new();
    for req in &opts.set {
        let now = current
            .iter()
            .find(|l| l.resource == req.resource)
            .map(|l| l.limit)
            .expect("read_all lists every resource");
        let usage = match req.resource {
            Resource::Nofile => match (open_fds, open_fds_unknown) {
                (Some(n), _) => Usage::Known(n),
                (None, Some(err)) => {
                    Usage::Unknown(format!("steady cannot read /proc/PID/fd: {}", err.needs()))
                }
                (None, None) => Usage::Unknown("steady cannot read /proc/PID/fd".to_string()),
            },
            other => limits::read_usage(target, other),
        };
        let ctx = SetContext {
            current: now,
            usage,
            nr_open,
            same_user: owner_uid == Some(effective_uid()),
            owner_uid,
            has_cap_sys_resource: has_capability(CAP_SYS_RESOURCE),
        };
        let wanted = plan_limit(req, &ctx).map_err(SetLimitError::Refused)?;
        planned.push((req.resource, now, wanted));
    }
    let mut changes = Vec::new();
    for (resource, now, wanted) in planned {
        target.ensure_alive()?;
        if wanted == now {
            changes.push(LimitChange {
                resource,
                before: now,
                after: now,
            });
            continue;
        }
        let before = match limits::set_limit(target.pid, resource, wanted) {
            Ok(before) => before,
            Err(SetLimitError::Os { source, .. }) if source.raw_os_error() == Some(libc::EPERM) => {
                return Err(SetLimitError::Denied {
                    pid: target.pid,
                    resource: resource.name(),
                }
                .into())
            }
            Err(other) => return Err(other.into()),
        };
        target.ensure_alive()?;
        let after = limits::read_all(target)?
            .into_iter()
            .find(|l| l.resource == resource)
            .map(|l| l.limit)
            .expect("read_all lists every resource");
        if matches!((after.soft, before.soft), (Some(new), old) if old.is_none_or(|o| new < o)) {
            notes.push(format!(
                "the {} soft limit was lowered from {}: the process reaches it sooner",
                resource.name(),
                crate::render::text::limit(before.soft)
            ));
        }
        if matches!((after.hard, before.hard), (Some(new), old) if old.is_none_or(|o| new < o)) {
            notes.push(format!(
                "the {} hard limit was lowered from {}; it cannot be raised again without CAP_SYS_RESOURCE",
                resource.name(),
                crate::render::text::limit(before.hard)
            ));
        }
        if resource == Resource::Fsize && after.soft != before.soft {
            notes.push("a write past the FSIZE soft limit gets SIGXFSZ, which kills by default: steady cannot see how large the files the process writes will grow".to_string());
        }
        changes.push(LimitChange {
            resource,
            before,
            after,
        });
    }
    Ok(changes)
}
