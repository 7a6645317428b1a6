//! Decides whether a requested resource-limit change is safe and allowed, before any
//! syscall, so the refusal can say exactly why; and sums up several processes' limits.

pub use crate::model::limits::Usage;
use crate::model::limits::{LimitPair, NamedLimit, Resource};
use crate::render::text::{bytes, count};

/// What `steady limits` shows for one process.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsReport {
    pub pid: i32,
    pub comm: Option<String>,
    pub nofile: LimitPair,
    pub nr_open: Option<u64>,
    /// None when the descriptors could not be counted; `open_fds_unknown` says why.
    pub open_fds: Option<u64>,
    /// What would let steady count them, e.g. "needs CAP_SYS_PTRACE".
    pub open_fds_unknown: Option<String>,
    /// Every limit, under `--all`, in prlimit's order.
    pub all: Option<Vec<NamedLimit>>,
    /// What `--set` / `--set-nofile` asked for, in the order given: before and after (equal
    /// when nothing changed).
    pub changes: Vec<LimitChange>,
    pub notes: Vec<String>,
}

impl LimitsReport {
    pub fn usage_percent(&self) -> Option<f64> {
        match (self.nofile.soft, self.open_fds) {
            (Some(soft), Some(open)) if soft > 0 => Some(open as f64 * 100.0 / soft as f64),
            _ => None,
        }
    }

    /// The NOFILE change, when one was asked for.
    pub fn nofile_change(&self) -> Option<&LimitChange> {
        self.changes.iter().find(|c| c.resource == Resource::Nofile)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitChange {
    pub resource: Resource,
    pub before: LimitPair,
    pub after: LimitPair,
}

impl LimitChange {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// One side of a requested limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Leave it as it is (`NOFILE=4096:` keeps the hard limit).
    Keep,
    /// `unlimited` (RLIM_INFINITY).
    Unlimited,
    Value(u64),
}

impl Wanted {
    fn resolve(self, current: Option<u64>) -> Option<u64> {
        match self {
            Wanted::Keep => current,
            Wanted::Unlimited => None,
            Wanted::Value(n) => Some(n),
        }
    }
}

/// How the request was spelled, so a suggestion is spelled the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `--set RESOURCE=SOFT:HARD`, as prlimit.
    Set,
    /// `--set-nofile SOFT[:HARD]`.
    SetNofile,
}

/// `--set NOFILE=4096:8192`, or `--set-nofile 4096`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitRequest {
    pub resource: Resource,
    pub soft: Wanted,
    pub hard: Wanted,
    pub spelling: Spelling,
}

/// What is known about the target and about us when a change is planned.
#[derive(Debug, Clone)]
pub struct SetContext {
    pub current: LimitPair,
    pub usage: Usage,
    /// fs.nr_open, for NOFILE.
    pub nr_open: Option<u64>,
    pub same_user: bool,
    pub owner_uid: Option<u32>,
    pub has_cap_sys_resource: bool,
}

/// RLIM_INFINITY ranks above every number.
fn rank(v: Option<u64>) -> u64 {
    v.unwrap_or(u64::MAX)
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), |n| n.to_string())
}

/// A request as the user would type it, for suggestions.
fn spell(spelling: Spelling, resource: Resource, soft: Option<u64>, keep_hard: bool) -> String {
    match spelling {
        Spelling::SetNofile if resource == Resource::Nofile && keep_hard => {
            format!("--set-nofile {}", show(soft))
        }
        _ if keep_hard => format!("--set {}={}:", resource.name(), show(soft)),
        _ => format!("--set {}={}", resource.name(), show(soft)),
    }
}

/// What going below what is in use does: whether equality already harms, and the figure with
/// its consequence. None for resources without such a figure.
fn harm(resource: Resource, used: u64) -> Option<(bool, String)> {
    Some(match resource {
        Resource::Nofile => (
            true,
            format!("the {used} descriptors already open — every new open() would fail until the process closes some"),
        ),
        Resource::As => (
            false,
            format!("the {} of address space it already maps — every new mapping, and so most allocations, would fail", bytes(used)),
        ),
        Resource::Data => (
            false,
            format!("the {} of data it already holds — every new allocation would fail", bytes(used)),
        ),
        Resource::Stack => (
            false,
            format!("the {} of stack it already uses — its next stack growth would crash it (SIGSEGV)", bytes(used)),
        ),
        Resource::Memlock => (
            false,
            format!("the {} it already has locked — every new mlock() would fail", bytes(used)),
        ),
        Resource::Cpu => (
            true,
            format!("the {used} seconds of CPU it has used — the kernel would send SIGXCPU at once, which kills it by default"),
        ),
        Resource::Nproc => (
            true,
            format!("the {} processes and threads its user already runs — every fork() and new thread would fail (a Go program dies when it cannot start a thread)", count(used)),
        ),
        _ => return None,
    })
}

/// The limit to set (equal to the current one when nothing would change), or a one-line
/// refusal that says what to do instead. Never suggests a value steady could not set.
pub fn plan_limit(req: &LimitRequest, ctx: &SetContext) -> Result<LimitPair, String> {
    let r = req.resource;
    let name = r.name();
    let soft = req.soft.resolve(ctx.current.soft);
    let hard = req.hard.resolve(ctx.current.hard);
    let wanted = LimitPair { soft, hard };
    if wanted == ctx.current {
        return Ok(wanted);
    }
    let can_raise_hard = ctx.has_cap_sys_resource;
    if rank(soft) > rank(hard) {
        if can_raise_hard {
            return Err(format!(
                "the {name} soft limit {} is above the hard limit {} — ask for both, e.g. {}",
                show(soft),
                show(hard),
                spell(req.spelling, r, soft, false)
            ));
        }
        let most = match hard {
            h if h == ctx.current.hard && ctx.current.soft != h => format!(
                " — ask for at most {} ({}), or run steady with CAP_SYS_RESOURCE",
                show(h),
                spell(req.spelling, r, h, true)
            ),
            _ => " — run steady with CAP_SYS_RESOURCE (in Kubernetes, add it to the debug container's securityContext)".to_string(),
        };
        return Err(format!(
            "the {name} soft limit {} would be above the hard limit {}, and raising the hard limit needs CAP_SYS_RESOURCE, which steady does not have{most}",
            show(soft),
            show(hard)
        ));
    }
    if soft != ctx.current.soft {
        if let Usage::Known(used) = ctx.usage {
            if let Some((at_or_below, why)) = harm(r, used) {
                let new = rank(soft);
                if new < used || (at_or_below && new == used) {
                    let at = if new == used { "at" } else { "below" };
                    return Err(format!(
                        "refusing to set the {name} soft limit to {}, {at} {why}",
                        show(soft)
                    ));
                }
            }
        }
    }
    if r == Resource::Nofile {
        if let Some(nr_open) = ctx.nr_open {
            if rank(hard) > nr_open {
                return Err(format!(
                    "NOFILE {} is above fs.nr_open ({nr_open}), and no RLIMIT_NOFILE goes above it — stay at or below {nr_open}, or raise fs.nr_open on the host first (sysctl -w fs.nr_open=N, as root)",
                    show(hard)
                ));
            }
        }
    }
    if !ctx.has_cap_sys_resource {
        if !ctx.same_user {
            let owner = ctx
                .owner_uid
                .map(|uid| format!("uid {uid}"))
                .unwrap_or_else(|| "another user".to_string());
            return Err(format!(
                "the target runs as {owner}; changing another user's limits needs CAP_SYS_RESOURCE — run steady as {owner}, or grant CAP_SYS_RESOURCE (in Kubernetes, to the debug container's securityContext)"
            ));
        }
        if rank(hard) < rank(ctx.current.hard) {
            // prlimit's single value sets both: say so, it is the likely surprise.
            let both = if req.spelling == Spelling::Set && req.soft == req.hard {
                format!(" ({name}={} sets both limits, as in prlimit)", show(soft))
            } else {
                String::new()
            };
            let soft_alone = if soft != ctx.current.soft {
                format!(
                    " — set the soft limit alone ({})",
                    spell(req.spelling, r, soft, true)
                )
            } else {
                " — leave the hard limit as it is".to_string()
            };
            return Err(format!(
                "refusing to lower the {name} hard limit from {} to {}{both}: without CAP_SYS_RESOURCE nobody can raise it again until the process restarts{soft_alone}",
                show(ctx.current.hard),
                show(hard)
            ));
        }
        if rank(hard) > rank(ctx.current.hard) {
            let instead = if rank(ctx.current.soft) < rank(ctx.current.hard) {
                format!(
                    "raise only the soft limit, up to {} ({}), or run steady with CAP_SYS_RESOURCE",
                    show(ctx.current.hard),
                    spell(req.spelling, r, ctx.current.hard, true)
                )
            } else {
                "the soft limit is already there; run steady with CAP_SYS_RESOURCE, or restart the service with a higher limit (LimitNOFILE= in its systemd unit, ulimit -n in its start script)".to_string()
            };
            return Err(format!(
                "raising the {name} hard limit above {} needs CAP_SYS_RESOURCE, which steady does not have — {instead}",
                show(ctx.current.hard)
            ));
        }
    }
    if let Usage::Unknown(why) = &ctx.usage {
        if rank(soft) < rank(ctx.current.soft) {
            let fix = if r == Resource::Nofile {
                "run steady where it can count them (same uid, or CAP_SYS_PTRACE)"
            } else {
                "run steady where it can read /proc/PID/status (same uid, or CAP_SYS_PTRACE)"
            };
            return Err(format!(
                "refusing to lower the {name} soft limit from {} to {} without knowing how much is in use ({why}) — only raising it is safe unseen; {fix}",
                show(ctx.current.soft),
                show(soft)
            ));
        }
    }
    Ok(wanted)
}

/// The summary line of several processes: how many, how many near the NOFILE soft limit, the
/// fullest.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsSummary {
    pub processes: usize,
    pub near_limit: usize,
    /// (pid, comm, percent of the NOFILE soft limit in use).
    pub fullest: Option<(i32, Option<String>, f64)>,
    pub uncounted: usize,
    /// The share of the soft limit `near_limit` counts from.
    pub near_limit_percent: f64,
}

pub fn summarize(reports: &[LimitsReport], near_limit_percent: f64) -> LimitsSummary {
    let mut fullest: Option<(i32, Option<String>, f64)> = None;
    for r in reports {
        if let Some(u) = r.usage_percent() {
            if fullest.as_ref().is_none_or(|f| u > f.2) {
                fullest = Some((r.pid, r.comm.clone(), u));
            }
        }
    }
    LimitsSummary {
        processes: reports.len(),
        near_limit: reports
            .iter()
            .filter(|r| r.usage_percent().is_some_and(|u| u >= near_limit_percent))
            .count(),
        fullest,
        uncounted: reports.iter().filter(|r| r.open_fds.is_none()).count(),
        near_limit_percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SetContext {
        SetContext {
            current: LimitPair {
                soft: Some(1024),
                hard: Some(20_000),
            },
            usage: Usage::Known(900),
            nr_open: Some(1_048_576),
            same_user: true,
            owner_uid: Some(1000),
            has_cap_sys_resource: false,
        }
    }

    fn req(soft: u64, hard: Option<u64>) -> LimitRequest {
        LimitRequest {
            resource: Resource::Nofile,
            soft: Wanted::Value(soft),
            hard: hard.map_or(Wanted::Keep, Wanted::Value),
            spelling: Spelling::SetNofile,
        }
    }

    fn set(resource: Resource, soft: Wanted, hard: Wanted) -> LimitRequest {
        LimitRequest {
            resource,
            soft,
            hard,
            spelling: Spelling::Set,
        }
    }

    #[test]
    fn raises_soft_within_hard() {
        let got = plan_limit(&req(8192, None), &ctx()).unwrap();
        assert_eq!(
            got,
            LimitPair {
                soft: Some(8192),
                hard: Some(20_000)
            }
        );
    }

    #[test]
    fn asking_for_what_is_already_set_is_no_change_and_no_refusal() {
        // Even for another user's process, and even with the count unknown: nothing to do.
        let other = SetContext {
            same_user: false,
            usage: Usage::Unknown("x".into()),
            ..ctx()
        };
        let same = set(Resource::Nofile, Wanted::Value(1024), Wanted::Value(20_000));
        assert_eq!(plan_limit(&same, &other).unwrap(), ctx().current);
        let keep = set(Resource::Nofile, Wanted::Keep, Wanted::Keep);
        assert_eq!(plan_limit(&keep, &ctx()).unwrap(), ctx().current);
    }

    #[test]
    fn lowering_hard_needs_the_capability_that_could_undo_it() {
        let err = plan_limit(&req(4096, Some(10_000)), &ctx()).unwrap_err();
        assert!(
            err.contains("refusing to lower the NOFILE hard limit"),
            "{err}"
        );
        assert!(err.contains("--set-nofile 4096)"), "{err}");
        // prlimit's single value sets both: NOFILE=4096 lowers the hard limit too.
        let both = set(Resource::Nofile, Wanted::Value(4096), Wanted::Value(4096));
        let err = plan_limit(&both, &ctx()).unwrap_err();
        assert!(err.contains("(--set NOFILE=4096:)"), "{err}");
        assert!(err.contains("NOFILE=4096 sets both limits"), "{err}");
        let ctx = SetContext {
            has_cap_sys_resource: true,
            ..ctx()
        };
        let got = plan_limit(&req(4096, Some(10_000)), &ctx).unwrap();
        assert_eq!(
            got,
            LimitPair {
                soft: Some(4096),
                hard: Some(10_000)
            }
        );
    }

    #[test]
    fn refusals_name_the_reason() {
        let cap = SetContext {
            has_cap_sys_resource: true,
            ..ctx()
        };
        let cases = [
            (req(30_000, None), ctx(), "above the hard limit 20000"),
            (
                req(512, None),
                ctx(),
                "below the 900 descriptors already open",
            ),
            (req(900, None), ctx(), "at the 900 descriptors already open"),
            (req(4096, Some(2_000_000)), cap.clone(), "above fs.nr_open"),
            (
                set(Resource::Nofile, Wanted::Keep, Wanted::Unlimited),
                cap.clone(),
                "NOFILE unlimited is above fs.nr_open",
            ),
            (req(4096, Some(30_000)), ctx(), "needs CAP_SYS_RESOURCE"),
            (
                req(4096, None),
                SetContext {
                    same_user: false,
                    ..ctx()
                },
                "runs as uid 1000",
            ),
        ];
        for (request, context, want) in cases {
            let err = plan_limit(&request, &context).unwrap_err();
            assert!(err.contains(want), "{request:?}: {err}");
        }
    }

    #[test]
    fn a_raise_above_the_hard_limit_names_the_capability_and_no_value_it_cannot_set() {
        // Soft already at the hard limit (a Go program): nothing below the hard limit to offer.
        let go = SetContext {
            current: LimitPair {
                soft: Some(20_000),
                hard: Some(20_000),
            },
            ..ctx()
        };
        for request in [
            req(30_000, None),
            req(30_000, Some(30_000)),
            set(Resource::Nofile, Wanted::Keep, Wanted::Value(30_000)),
        ] {
            let err = plan_limit(&request, &go).unwrap_err();
            assert!(err.contains("CAP_SYS_RESOURCE"), "{err}");
            assert!(
                !err.contains("30000:30000"),
                "suggests what it cannot set: {err}"
            );
            assert!(!err.contains("up to 20000"), "{err}");
        }
        // With room below the hard limit, that room is offered, spelled as asked.
        let err = plan_limit(&req(30_000, None), &ctx()).unwrap_err();
        assert!(err.contains("at most 20000 (--set-nofile 20000)"), "{err}");
        let err = plan_limit(
            &set(
                Resource::Nofile,
                Wanted::Value(30_000),
                Wanted::Value(30_000),
            ),
            &ctx(),
        )
        .unwrap_err();
        assert!(err.contains("up to 20000 (--set NOFILE=20000:)"), "{err}");
        // With the capability, both are suggested.
        let cap = SetContext {
            has_cap_sys_resource: true,
            ..ctx()
        };
        let err = plan_limit(&req(30_000, None), &cap).unwrap_err();
        assert!(err.contains("--set NOFILE=30000"), "{err}");
    }

    #[test]
    fn other_resources_keep_what_is_in_use() {
        let mib = 1 << 20;
        let mem = |used| SetContext {
            current: LimitPair {
                soft: None,
                hard: None,
            },
            usage: Usage::Known(used),
            ..ctx()
        };
        let err = plan_limit(
            &set(Resource::As, Wanted::Value(100 * mib), Wanted::Keep),
            &mem(700 * mib),
        )
        .unwrap_err();
        assert!(
            err.contains("below the 700.0 MiB of address space"),
            "{err}"
        );
        assert!(plan_limit(
            &set(Resource::As, Wanted::Value(800 * mib), Wanted::Keep),
            &mem(700 * mib)
        )
        .is_ok());
        let cpu = SetContext {
            current: LimitPair {
                soft: None,
                hard: None,
            },
            usage: Usage::Known(12),
            ..ctx()
        };
        let err =
            plan_limit(&set(Resource::Cpu, Wanted::Value(12), Wanted::Keep), &cpu).unwrap_err();
        assert!(err.contains("SIGXCPU"), "{err}");
        // CORE has no usage: lowering its soft limit is reversible and harmless.
        let core = SetContext {
            current: LimitPair {
                soft: None,
                hard: None,
            },
            usage: Usage::Untracked,
            ..ctx()
        };
        let got = plan_limit(&set(Resource::Core, Wanted::Value(0), Wanted::Keep), &core);
        assert_eq!(
            got,
            Ok(LimitPair {
                soft: Some(0),
                hard: None
            })
        );
        let got = plan_limit(&set(Resource::Core, Wanted::Unlimited, Wanted::Keep), &core);
        assert_eq!(got.unwrap().soft, None);
    }

    #[test]
    fn uncounted_descriptors_allow_raising_only() {
        let blind = SetContext {
            usage: Usage::Unknown("steady cannot read /proc/PID/fd".into()),
            ..ctx()
        };
        assert_eq!(
            plan_limit(&req(4096, None), &blind).unwrap().soft,
            Some(4096)
        );
        let err = plan_limit(&req(512, None), &blind).unwrap_err();
        assert!(err.contains("without knowing how much is in use"), "{err}");
        // Another user's process: the capability is the reason, not the count.
        let other = SetContext {
            usage: Usage::Unknown("steady cannot read /proc/PID/fd".into()),
            same_user: false,
            owner_uid: Some(0),
            ..ctx()
        };
        let err = plan_limit(&req(512, None), &other).unwrap_err();
        assert!(
            err.contains("runs as uid 0") && err.contains("CAP_SYS_RESOURCE"),
            "{err}"
        );
    }

    #[test]
    fn capability_allows_raising_hard() {
        let context = SetContext {
            has_cap_sys_resource: true,
            same_user: false,
            ..ctx()
        };
        let got = plan_limit(&req(50_000, Some(50_000)), &context).unwrap();
        assert_eq!(got.hard, Some(50_000));
    }

    #[test]
    fn summary_names_the_fullest() {
        let report = |pid, open| LimitsReport {
            pid,
            comm: Some(format!("w{pid}")),
            nofile: LimitPair {
                soft: Some(1000),
                hard: Some(1000),
            },
            nr_open: None,
            open_fds: open,
            open_fds_unknown: None,
            all: None,
            changes: vec![],
            notes: vec![],
        };
        let s = summarize(
            &[report(1, Some(100)), report(2, Some(900)), report(3, None)],
            80.0,
        );
        assert_eq!(s.processes, 3);
        assert_eq!(s.near_limit, 1);
        assert_eq!(s.uncounted, 1);
        assert_eq!(s.fullest, Some((2, Some("w2".into()), 90.0)));
    }
}
