//! What holds for the whole triage window, read once: limits, cgroup, Go settings.

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::collect::exe::{read_go_env, read_go_info};
use crate::collect::limits::read_nofile;
use crate::collect::memory::read_cgroup_memory;
use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::sample::TargetFacts;
use crate::parse::cgroup::{parse_cgroup, parse_cpu_max};

pub fn read_facts(
    target: &Target,
    cgroup_root: &Path,
    probe_url: Option<&str>,
) -> Result<TargetFacts, CollectError> {
    let nofile = read_nofile(target)?;
    let go = read_go_info(target);
    let env = go.as_ref().map(|_| read_go_env(target));
    let gomemlimit_text = env.as_ref().and_then(|e| e.gomemlimit.clone());
    Ok(TargetFacts {
        pid: target.pid,
        comm: target.comm(),
        go_version: go.as_ref().and_then(|g| g.version.clone()),
        nofile_soft: nofile.soft,
        nofile_hard: nofile.hard,
        cgroup_memory_limit: read_cgroup_memory(target, cgroup_root).and_then(|c| c.limit),
        gomemlimit: gomemlimit_text.as_deref().and_then(parse_go_bytes),
        gomemlimit_set: gomemlimit_text.is_some_and(|t| t != "off"),
        gomaxprocs: env
            .as_ref()
            .and_then(|e| e.gomaxprocs.as_deref())
            .and_then(|v| v.trim().parse().ok()),
        cpu_quota: read_cpu_quota(target, cgroup_root),
        cpus_online: read_cpus_allowed(target)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64)),
        is_go: go.is_some(),
        probe_url: probe_url.map(str::to_string),
        gogc: env.as_ref().and_then(|e| e.gogc.clone()),
        forced_gc: false,
    })
}

/// The CPUs the target may run on (its affinity mask, Cpus_allowed_list): what the Go runtime
/// sets GOMAXPROCS from by default. steady's own view would be capped by its cgroup quota,
/// and would hide the very mismatch the check looks for.
fn read_cpus_allowed(target: &Target) -> Option<u64> {
    let ranges = target.process().status().ok()?.cpus_allowed_list?;
    let n: u64 = ranges
        .iter()
        .map(|(lo, hi)| u64::from(hi.saturating_sub(*lo)) + 1)
        .sum();
    (n > 0).then_some(n)
}

/// GOMEMLIMIT syntax: a byte count with an optional B, KiB, MiB, GiB or TiB suffix.
pub fn parse_go_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split].parse().ok()?;
    let factor: u64 = match &t[split..] {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// CPUs allowed by the cgroup quota: v2 cpu.max ("200000 100000" = 2 CPUs), else v1
/// cpu.cfs_quota_us / cpu.cfs_period_us. None when unlimited or unreadable.
fn read_cpu_quota(target: &Target, cgroup_root: &Path) -> Option<f64> {
    let mut text = String::new();
    target
        .open_relative("cgroup")
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    for entry in parse_cgroup(&text) {
        let rel = entry.path.trim().trim_start_matches('/');
        if entry.is_unified() {
            for mount in [cgroup_root.to_path_buf(), cgroup_root.join("unified")] {
                if let Ok(max) = fs::read_to_string(mount.join(rel).join("cpu.max")) {
                    return parse_cpu_max(&max);
                }
            }
        } else if entry.has_controller("cpu") {
            let dir = cgroup_root.join(entry.controllers).join(rel);
            let quota: f64 = fs::read_to_string(dir.join("cpu.cfs_quota_us"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            let period: f64 = fs::read_to_string(dir.join("cpu.cfs_period_us"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            if quota > 0.0 && period > 0.0 {
                return Some(quota / period);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_byte_sizes() {
        assert_eq!(parse_go_bytes("512MiB"), Some(512 << 20));
        assert_eq!(parse_go_bytes("1073741824"), Some(1 << 30));
        assert_eq!(parse_go_bytes("2GiB"), Some(2 << 30));
        assert_eq!(parse_go_bytes("off"), None);
        assert_eq!(parse_go_bytes("5XB"), None);
    }
}
