//! Decides whether a requested RLIMIT_NOFILE change is safe and allowed, before any syscall,
//! so the refusal can say exactly why.

use crate::model::limits::{LimitPair, NamedLimit};

/// What `steady limits` shows.
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
    /// Every limit, under `--all`.
    pub all: Option<Vec<NamedLimit>>,
    /// (before, after), when `--set-nofile` changed the limit.
    pub change: Option<(LimitPair, LimitPair)>,
    pub notes: Vec<String>,
}

impl LimitsReport {
    pub fn usage_percent(&self) -> Option<f64> {
        match (self.nofile.soft, self.open_fds) {
            (Some(soft), Some(open)) if soft > 0 => Some(open as f64 * 100.0 / soft as f64),
            _ => None,
        }
    }
}

/// `--set-nofile SOFT[:HARD]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileRequest {
    pub soft: u64,
    pub hard: Option<u64>,
}

/// What is known about the target and about us when a change is planned.
#[derive(Debug, Clone, Copy)]
pub struct SetContext {
    pub current: LimitPair,
    /// None when the descriptors could not be counted: then the soft limit may only be raised.
    pub open_fds: Option<u64>,
    pub nr_open: Option<u64>,
    pub same_user: bool,
    pub owner_uid: Option<u32>,
    pub has_cap_sys_resource: bool,
}

/// The limit to set, or a one-line refusal that says what to do instead.
pub fn plan_nofile(req: NofileRequest, ctx: &SetContext) -> Result<LimitPair, String> {
    let hard = req.hard.or(ctx.current.hard);
    if let Some(hard) = hard {
        if req.soft > hard {
            return Err(format!(
                "soft limit {} is above the hard limit {hard} — ask for both, e.g. --set-nofile {}:{} (raising the hard limit needs CAP_SYS_RESOURCE)",
                req.soft, req.soft, req.soft
            ));
        }
    }
    if let Some(open) = ctx.open_fds {
        if req.soft <= open {
            return Err(format!(
                "refusing to set the soft limit to {}, at or below the {open} descriptors already open — every new open() would fail until the process closes some",
                req.soft
            ));
        }
    }
    if let (Some(nr_open), Some(hard)) = (ctx.nr_open, hard) {
        if hard > nr_open {
            return Err(format!(
                "{hard} is above fs.nr_open ({nr_open}), and no RLIMIT_NOFILE goes above it — stay at or below {nr_open}, or raise fs.nr_open on the host first (sysctl -w fs.nr_open=N, as root)"
            ));
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
        if let (Some(new), Some(old)) = (hard, ctx.current.hard) {
            if new < old {
                return Err(format!(
                    "refusing to lower the hard limit from {old} to {new}: without CAP_SYS_RESOURCE nobody can raise it again until the process restarts — set the soft limit alone (--set-nofile {})",
                    req.soft
                ));
            }
        }
        let raising_hard = match (hard, ctx.current.hard) {
            (None, Some(_)) => true,
            (Some(new), Some(old)) => new > old,
            _ => false,
        };
        if raising_hard {
            return Err(format!(
                "raising the hard limit above {} needs CAP_SYS_RESOURCE, which this steady does not have — raise only the soft limit (up to {}), or run with CAP_SYS_RESOURCE",
                show(ctx.current.hard),
                show(ctx.current.hard)
            ));
        }
    }
    if ctx.open_fds.is_none() {
        if let Some(current) = ctx.current.soft {
            if req.soft < current {
                return Err(format!(
                    "refusing to lower the soft limit from {current} to {} without knowing how many descriptors are open (steady cannot read /proc/PID/fd) — only raising it is safe unseen; run steady where it can count them (same uid, or CAP_SYS_PTRACE)",
                    req.soft
                ));
            }
        }
    }
    Ok(LimitPair {
        soft: Some(req.soft),
        hard,
    })
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), |n| n.to_string())
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
            open_fds: Some(900),
            nr_open: Some(1_048_576),
            same_user: true,
            owner_uid: Some(1000),
            has_cap_sys_resource: false,
        }
    }

    fn req(soft: u64, hard: Option<u64>) -> NofileRequest {
        NofileRequest { soft, hard }
    }

    #[test]
    fn raises_soft_within_hard() {
        let got = plan_nofile(req(8192, None), &ctx()).unwrap();
        assert_eq!(
            got,
            LimitPair {
                soft: Some(8192),
                hard: Some(20_000)
            }
        );
    }

    #[test]
    fn lowering_hard_needs_the_capability_that_could_undo_it() {
        let err = plan_nofile(req(4096, Some(10_000)), &ctx()).unwrap_err();
        assert!(err.contains("refusing to lower the hard limit"), "{err}");
        let ctx = SetContext {
            has_cap_sys_resource: true,
            ..ctx()
        };
        let got = plan_nofile(req(4096, Some(10_000)), &ctx).unwrap();
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
        let cases = [
            (req(30_000, None), ctx(), "above the hard limit 20000"),
            (
                req(512, None),
                ctx(),
                "below the 900 descriptors already open",
            ),
            (
                req(900, None),
                ctx(),
                "at or below the 900 descriptors already open",
            ),
            (
                req(4096, Some(2_000_000)),
                SetContext {
                    has_cap_sys_resource: true,
                    ..ctx()
                },
                "above fs.nr_open",
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
            let err = plan_nofile(request, &context).unwrap_err();
            assert!(err.contains(want), "{request:?}: {err}");
        }
    }

    #[test]
    fn uncounted_descriptors_allow_raising_only() {
        let blind = SetContext {
            open_fds: None,
            ..ctx()
        };
        assert_eq!(
            plan_nofile(req(4096, None), &blind).unwrap().soft,
            Some(4096)
        );
        let err = plan_nofile(req(512, None), &blind).unwrap_err();
        assert!(
            err.contains("without knowing how many descriptors"),
            "{err}"
        );
        // Another user's process: the capability is the reason, not the count.
        let other = SetContext {
            open_fds: None,
            same_user: false,
            owner_uid: Some(0),
            ..ctx()
        };
        let err = plan_nofile(req(512, None), &other).unwrap_err();
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
        let got = plan_nofile(req(50_000, Some(50_000)), &context).unwrap();
        assert_eq!(got.hard, Some(50_000));
    }
}
