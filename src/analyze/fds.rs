//! Turns one or two censuses into the report `steady fds` prints: directory pile-ups
//! collapsed, growth between scans, headroom against the limits, and the findings.

use std::collections::{BTreeMap, HashMap};

use crate::analyze::census::{FdCensus, FdGroup, GroupKey};
use crate::analyze::policy::FdPolicy;
use crate::model::fd::FdKind;
use crate::model::limits::LimitPair;

#[derive(Debug, Clone, PartialEq)]
pub struct FdReport {
    pub pid: i32,
    pub comm: Option<String>,
    pub total: u64,
    pub vanished: u64,
    pub by_kind: [u64; FdKind::ALL.len()],
    pub limit: LimitPair,
    pub nr_open: Option<u64>,
    pub usage_percent: Option<f64>,
    pub headroom_percent: Option<f64>,
    pub usage_level: UsageLevel,
    /// The top groups, largest (or fastest growing, under `--over`) first.
    pub groups: Vec<FdGroup>,
    /// How many groups there were before `--top` cut the list.
    pub groups_total: usize,
    pub growth: Option<Growth>,
    pub findings: Vec<Finding>,
    /// Under `--peers`: how far the search for other ends went.
    pub peer_scan: Option<crate::model::peer::PeerScan>,
}

/// How close the count is to the soft limit, by the policy's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageLevel {
    Normal,
    Near,
    Critical,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    pub seconds: f64,
    pub total_before: u64,
    pub total_delta: i64,
    pub rate_per_min: f64,
    /// Time until the soft limit at the measured rate; None when not growing or unlimited.
    pub eta_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    NearLimit {
        usage_percent: f64,
    },
    Growing {
        rate_per_min: f64,
        eta_seconds: Option<f64>,
    },
}

/// What the report is built from; the caller measured it all.
pub struct ReportInput {
    pub pid: i32,
    pub comm: Option<String>,
    pub limit: LimitPair,
    pub nr_open: Option<u64>,
    /// The first scan and the seconds between the two, under `--over`.
    pub before: Option<(FdCensus, f64)>,
    pub after: FdCensus,
    /// 0 keeps every group.
    pub top: usize,
}

pub fn build_report(input: ReportInput, policy: &FdPolicy) -> FdReport {
    let ReportInput {
        pid,
        comm,
        limit,
        nr_open,
        before,
        after,
        top,
    } = input;
    let total = after.total;
    let (usage_percent, headroom_percent) = match limit.soft {
        Some(soft) if soft > 0 => {
            let usage = total as f64 * 100.0 / soft as f64;
            (Some(usage), Some(100.0 - usage))
        }
        _ => (None, None),
    };
    let usage_level = match usage_percent {
        Some(u) if u >= policy.critical_percent => UsageLevel::Critical,
        Some(u) if u >= policy.near_limit_percent => UsageLevel::Near,
        _ => UsageLevel::Normal,
    };
    let room = limit.soft.map(|soft| soft.saturating_sub(total));
    let mut findings = Vec::new();
    if let Some(usage) = usage_percent.filter(|u| *u >= policy.near_limit_percent) {
        findings.push(Finding::NearLimit {
            usage_percent: usage,
        });
    }

    let (mut groups, growth) = match before {
        Some((first, seconds)) => {
            let total_delta = total as i64 - first.total as i64;
            let rate_per_min = per_minute(total_delta, seconds);
            let growth = Growth {
                seconds,
                total_before: first.total,
                total_delta,
                rate_per_min,
                eta_seconds: eta(room, rate_per_min),
            };
            if total_delta >= policy.min_growth {
                findings.push(Finding::Growing {
                    rate_per_min,
                    eta_seconds: growth.eta_seconds,
                });
            }
            let mut groups = collapse_directories(diff(&first, after.groups), policy);
            for g in &mut groups {
                let rate = per_minute(g.delta.unwrap_or(0), seconds);
                g.rate_per_min = Some(rate);
                g.eta_seconds = eta(room, rate);
            }
            groups.sort_by(|a, b| {
                b.delta
                    .cmp(&a.delta)
                    .then(b.count.cmp(&a.count))
                    .then_with(|| a.key.cmp(&b.key))
            });
            (groups, Some(growth))
        }
        None => {
            let mut groups = collapse_directories(after.groups, policy);
            groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
            (groups, None)
        }
    };
    let groups_total = groups.len();
    if top > 0 {
        groups.truncate(top);
    }
    FdReport {
        pid,
        comm,
        total,
        vanished: after.vanished,
        by_kind: after.by_kind,
        limit,
        nr_open,
        usage_percent,
        headroom_percent,
        usage_level,
        groups,
        groups_total,
        growth,
        findings,
        peer_scan: None,
    }
}

fn per_minute(delta: i64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        delta as f64 * 60.0 / seconds
    } else {
        0.0
    }
}

/// Seconds until `room` more descriptors are used at `rate_per_min`.
fn eta(room: Option<u64>, rate_per_min: f64) -> Option<f64> {
    let room = room?;
    (rate_per_min > 0.0).then(|| room as f64 * 60.0 / rate_per_min)
}

/// Sets `delta` on every group of `after`, and adds the groups that vanished since `before`.
pub fn diff(before: &FdCensus, after: Vec<FdGroup>) -> Vec<FdGroup> {
    let mut old: HashMap<&GroupKey, u64> =
        before.groups.iter().map(|g| (&g.key, g.count)).collect();
    let mut groups: Vec<FdGroup> = after
        .into_iter()
        .map(|mut g| {
            let was = old.remove(&g.key).unwrap_or(0);
            g.delta = Some(g.count as i64 - was as i64);
            g
        })
        .collect();
    for g in &before.groups {
        if let Some(was) = old.get(&g.key) {
            let mut gone = FdGroup::new(g.key.clone());
            gone.files = g.files;
            gone.delta = Some(-(*was as i64));
            groups.push(gone);
        }
    }
    groups
}

/// Many distinct files open in one directory are one pile-up: show `DIR/*` with the sum.
pub fn collapse_directories(groups: Vec<FdGroup>, policy: &FdPolicy) -> Vec<FdGroup> {
    let mut per_dir: BTreeMap<(FdKind, String), Vec<FdGroup>> = BTreeMap::new();
    let mut kept = Vec::new();
    for g in groups {
        let dir = match g.key.kind {
            FdKind::File | FdKind::DeletedFile => parent_dir(&g.key.target),
            _ => None,
        };
        match dir {
            Some(dir) => per_dir
                .entry((g.key.kind, dir.to_string()))
                .or_default()
                .push(g),
            None => kept.push(g),
        }
    }
    for ((kind, dir), members) in per_dir {
        if (members.len() as u64) < policy.collapse_dir_min_files {
            kept.extend(members);
            continue;
        }
        let target = if dir.ends_with('/') {
            format!("{dir}*")
        } else {
            format!("{dir}/*")
        };
        let mut merged = FdGroup::new(GroupKey {
            kind,
            target,
            state: None,
            direction: None,
            socket_type: None,
        });
        merged.files = 0;
        let has_delta = members.iter().any(|m| m.delta.is_some());
        for m in members {
            merged.files += u64::from(m.count > 0);
            merged.count += m.count;
            merged.allocated_bytes += m.allocated_bytes;
            if merged.fds.len() < policy.fd_samples {
                let room = policy.fd_samples - merged.fds.len();
                merged.fds.extend(m.fds.iter().take(room));
            }
            if has_delta {
                merged.delta = Some(merged.delta.unwrap_or(0) + m.delta.unwrap_or(0));
            }
        }
        kept.push(merged);
    }
    kept
}

fn parent_dir(path: &str) -> Option<&str> {
    let cut = path.rfind('/')?;
    Some(if cut == 0 { "/" } else { &path[..cut] })
}

/// The line under several processes' reports.
#[derive(Debug, Clone, PartialEq)]
pub struct FdsSummary {
    pub processes: usize,
    pub with_findings: usize,
    /// The process nearest its soft limit: PID, comm, percent used.
    pub fullest: Option<(i32, Option<String>, f64)>,
}

pub fn summarize(reports: &[&FdReport]) -> FdsSummary {
    let mut fullest: Option<(i32, Option<String>, f64)> = None;
    for r in reports {
        if let Some(u) = r.usage_percent {
            if fullest.as_ref().is_none_or(|f| u > f.2) {
                fullest = Some((r.pid, r.comm.clone(), u));
            }
        }
    }
    FdsSummary {
        processes: reports.len(),
        with_findings: reports.iter().filter(|r| !r.findings.is_empty()).count(),
        fullest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::census::GroupKey;

    fn group(kind: FdKind, target: &str, count: u64) -> FdGroup {
        let mut g = FdGroup::new(GroupKey {
            kind,
            target: target.to_string(),
            state: None,
            direction: None,
            socket_type: None,
        });
        g.count = count;
        g
    }

    fn census(groups: Vec<FdGroup>) -> FdCensus {
        let mut by_kind = [0; FdKind::ALL.len()];
        for g in &groups {
            by_kind[g.key.kind.index()] += g.count;
        }
        FdCensus {
            total: groups.iter().map(|g| g.count).sum(),
            vanished: 0,
            by_kind,
            groups,
        }
    }

    fn input(before: Option<(FdCensus, f64)>, after: FdCensus, soft: Option<u64>) -> ReportInput {
        ReportInput {
            pid: 42,
            comm: Some("api".into()),
            limit: LimitPair { soft, hard: soft },
            nr_open: Some(1_048_576),
            before,
            after,
            top: 0,
        }
    }

    #[test]
    fn many_files_in_one_directory_are_one_group() {
        let mut groups: Vec<FdGroup> = (0..10)
            .map(|i| group(FdKind::File, &format!("/var/log/app/req-{i}.log"), 1))
            .collect();
        groups.push(group(FdKind::File, "/etc/hosts", 1));
        groups.extend((0..3).map(|i| group(FdKind::File, &format!("/data/seg-{i}"), 2)));
        let report = build_report(
            input(None, census(groups), Some(1024)),
            &FdPolicy::default(),
        );
        let targets: Vec<(&str, u64, u64)> = report
            .groups
            .iter()
            .map(|g| (g.key.target.as_str(), g.count, g.files))
            .collect();
        assert_eq!(
            targets,
            vec![
                ("/var/log/app/*", 10, 10),
                ("/data/seg-0", 2, 1),
                ("/data/seg-1", 2, 1),
                ("/data/seg-2", 2, 1),
                ("/etc/hosts", 1, 1),
            ]
        );
        assert_eq!(report.total, 17);
        assert!(report.findings.is_empty());
    }

    #[test]
    fn growth_rates_and_time_to_the_soft_limit() {
        let before = census(vec![
            group(FdKind::Tcp, "10.0.3.7:5432", 400),
            group(FdKind::Pipe, "pipe", 10),
        ]);
        let after = census(vec![
            group(FdKind::Tcp, "10.0.3.7:5432", 520),
            group(FdKind::Pipe, "pipe", 10),
            group(FdKind::Eventfd, "eventfd", 1),
        ]);
        // +121 in 60 s with 1024 - 531 = 493 left: ~244 s to go.
        let report = build_report(
            input(Some((before, 60.0)), after, Some(1024)),
            &FdPolicy::default(),
        );
        let growth = report.growth.as_ref().unwrap();
        assert_eq!((growth.total_before, growth.total_delta), (410, 121));
        assert_eq!(growth.rate_per_min, 121.0);
        assert!((growth.eta_seconds.unwrap() - 493.0 * 60.0 / 121.0).abs() < 1e-9);
        let top = &report.groups[0];
        assert_eq!(
            (top.key.target.as_str(), top.delta),
            ("10.0.3.7:5432", Some(120))
        );
        assert_eq!(top.rate_per_min, Some(120.0));
        assert!((top.eta_seconds.unwrap() - 493.0 * 60.0 / 120.0).abs() < 1e-9);
        let pipe = report
            .groups
            .iter()
            .find(|g| g.key.kind == FdKind::Pipe)
            .unwrap();
        assert_eq!((pipe.delta, pipe.eta_seconds), (Some(0), None));
        assert!(matches!(report.findings[..], [Finding::Growing { .. }]));
    }

    #[test]
    fn groups_that_closed_show_as_shrinking() {
        let before = census(vec![
            group(FdKind::Pipe, "pipe", 4),
            group(FdKind::File, "/tmp/x", 1),
        ]);
        let after = census(vec![group(FdKind::Pipe, "pipe", 4)]);
        let report = build_report(
            input(Some((before, 10.0)), after, Some(1024)),
            &FdPolicy::default(),
        );
        let gone = report
            .groups
            .iter()
            .find(|g| g.key.target == "/tmp/x")
            .unwrap();
        assert_eq!((gone.count, gone.delta), (0, Some(-1)));
        assert_eq!(report.growth.unwrap().total_delta, -1);
        assert!(report.findings.is_empty(), "shrinking is not a finding");
    }

    #[test]
    fn near_the_limit_is_a_finding_and_unlimited_has_no_percent() {
        let near = census(vec![group(FdKind::Tcp, "10.0.3.7:5432", 900)]);
        let report = build_report(input(None, near.clone(), Some(1024)), &FdPolicy::default());
        assert_eq!(report.usage_level, UsageLevel::Near);
        assert!(matches!(report.findings[..], [Finding::NearLimit { .. }]));
        let report = build_report(input(None, near.clone(), Some(920)), &FdPolicy::default());
        assert_eq!(report.usage_level, UsageLevel::Critical);
        let report = build_report(input(None, near, None), &FdPolicy::default());
        assert_eq!(
            (report.usage_percent, report.headroom_percent),
            (None, None)
        );
        assert!(report.findings.is_empty());
    }

    #[test]
    fn empty_process_and_top_cut() {
        let report = build_report(
            input(None, census(vec![]), Some(1024)),
            &FdPolicy::default(),
        );
        assert_eq!((report.total, report.groups.len()), (0, 0));
        let many = census(
            (0..5)
                .map(|i| group(FdKind::Pipe, &format!("p{i}"), i + 1))
                .collect(),
        );
        let mut with_top = input(None, many, Some(1024));
        with_top.top = 2;
        let report = build_report(with_top, &FdPolicy::default());
        assert_eq!((report.groups.len(), report.groups_total), (2, 5));
        assert_eq!(report.groups[0].count, 5);
    }
}
