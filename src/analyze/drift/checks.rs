//! Findings that need no window: settings that will hurt under load.

use super::{mib, StaticCheck};
use crate::analyze::policy::DriftPolicy;
use crate::model::sample::{Sample, TargetFacts};

pub fn static_checks(
    facts: &TargetFacts,
    last: Option<&Sample>,
    policy: &DriftPolicy,
) -> Vec<StaticCheck> {
    let mut checks = Vec::new();
    if facts.is_go {
        if let (Some(limit), false) = (facts.cgroup_memory_limit, facts.gomemlimit_set) {
            checks.push(StaticCheck {
                id: "go-no-gomemlimit",
                message: format!(
                    "Go service under a cgroup memory limit of {} with no GOMEMLIMIT: the GC does not see the limit and the container can be OOM-killed with collectable garbage — set GOMEMLIMIT to about 90% of it",
                    mib(limit as f64)
                ),
            });
        }
        if let Some(quota) = facts.cpu_quota {
            let procs = facts.gomaxprocs.unwrap_or(facts.cpus_online);
            if procs as f64 > quota.ceil() {
                checks.push(StaticCheck {
                    id: "gomaxprocs-above-quota",
                    message: format!(
                        "GOMAXPROCS is {procs} but the cgroup CPU quota is {quota:.1} CPUs: the runtime runs more threads than it may use and is throttled — set GOMAXPROCS={} (or use automaxprocs)",
                        quota.ceil() as u64
                    ),
                });
            }
        }
    }
    if facts.nofile_soft == Some(1024) {
        checks.push(StaticCheck {
            id: "nofile-1024",
            message: format!(
                "soft RLIMIT_NOFILE is 1024, the old default: raise it (`steady limits {} --set-nofile {}`) and in the unit file or container spec",
                facts.pid,
                facts.nofile_hard.unwrap_or(65_536).min(1_048_576)
            ),
        });
    }
    if let (Some(limit), Some(s)) = (facts.cgroup_memory_limit, last) {
        if limit > 0 && s.rss as f64 >= policy.rss_near_cgroup_share * limit as f64 {
            checks.push(StaticCheck {
                id: "rss-near-cgroup-limit",
                message: format!(
                    "RSS {} is {:.0}% of the cgroup memory limit {}: the OOM killer is close",
                    mib(s.rss as f64),
                    s.rss as f64 * 100.0 / limit as f64,
                    mib(limit as f64)
                ),
            });
        }
    }
    checks
}
