//! Snapshot tests: fixed reports rendered as table and JSON, compared with the files in
//! tests/fixtures/snapshots. `STEADY_UPDATE_SNAPSHOTS=1 cargo test snapshots` rewrites them.

use std::path::PathBuf;

use crate::analyze::census::{Direction, FdCensus, FdGroup, GroupKey};
use crate::analyze::fds::{build_report, FdReport, ReportInput};
use crate::analyze::limits::{summarize, LimitChange, LimitsReport};
use crate::analyze::policy::FdPolicy;
use crate::model::fd::FdKind;
use crate::model::limits::{LimitPair, NamedLimit, Resource};
use crate::render::format::{Json, Renderer, Terminal};
use crate::render::several::Several;
use crate::render::{limits_json, Style};

fn check(name: &str, rendered: Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/snapshots")
        .join(name);
    let rendered = String::from_utf8(rendered).unwrap();
    if std::env::var_os("STEADY_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run STEADY_UPDATE_SNAPSHOTS=1 cargo test",
            path.display()
        )
    });
    assert_eq!(
        rendered, want,
        "{name} changed; if intended, STEADY_UPDATE_SNAPSHOTS=1 cargo test"
    );
}

fn group(
    kind: FdKind,
    target: &str,
    state: Option<&str>,
    direction: Option<Direction>,
    count: u64,
) -> FdGroup {
    let mut g = FdGroup::new(GroupKey {
        kind,
        target: target.to_string(),
        state: state.map(str::to_string),
        direction,
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
        vanished: 1,
        by_kind,
        groups,
    }
}

fn groups(upstream: u64) -> Vec<FdGroup> {
    let mut deleted = group(
        FdKind::DeletedFile,
        "/var/log/api/access.log",
        None,
        None,
        1,
    );
    deleted.allocated_bytes = 3 << 30;
    deleted.fds = vec![17];
    let mut unix = group(
        FdKind::Unix,
        "/run/api/\x1b[31mctl.sock",
        Some("LISTEN"),
        None,
        1,
    );
    unix.key.socket_type = Some("stream");
    vec![
        group(
            FdKind::Tcp,
            "10.0.3.7:5432",
            Some("ESTABLISHED"),
            Some(Direction::Outbound),
            upstream,
        ),
        group(
            FdKind::Tcp,
            "10.0.9.1 -> :8080",
            Some("ESTABLISHED"),
            Some(Direction::Inbound),
            40,
        ),
        group(
            FdKind::Tcp,
            "0.0.0.0:8080",
            Some("LISTEN"),
            Some(Direction::Listen),
            1,
        ),
        group(FdKind::Pipe, "pipe", None, None, 6),
        group(FdKind::Eventpoll, "eventpoll", None, None, 1),
        deleted,
        unix,
    ]
}

fn report(over: bool) -> FdReport {
    let top = if over { 5 } else { 0 };
    let input = ReportInput {
        pid: 4242,
        comm: Some("api".to_string()),
        limit: LimitPair {
            soft: Some(20_000),
            hard: Some(20_000),
        },
        nr_open: Some(1_048_576),
        before: over.then(|| (census(groups(15_000)), 300.0)),
        after: census(groups(17_060)),
        top,
    };
    build_report(input, &FdPolicy::default())
}

#[test]
fn fds_table() {
    let mut out = Vec::new();
    Terminal(Style::default())
        .render(&report(false), &mut out)
        .unwrap();
    check("fds.txt", out);
}

#[test]
fn fds_over_table() {
    let mut out = Vec::new();
    Terminal(Style::default())
        .render(&report(true), &mut out)
        .unwrap();
    check("fds-over.txt", out);
}

#[test]
fn fds_json() {
    let mut out = Vec::new();
    Json.render(&report(true), &mut out).unwrap();
    check("fds-over.json", out);
}

fn limits_report() -> LimitsReport {
    LimitsReport {
        pid: 4242,
        comm: Some("api".to_string()),
        nofile: LimitPair { soft: Some(65_536), hard: Some(65_536) },
        nr_open: Some(1_048_576),
        open_fds: Some(1_200),
        open_fds_unknown: None,
        all: Some(vec![
            NamedLimit { resource: Resource::As, limit: LimitPair { soft: None, hard: None } },
            NamedLimit { resource: Resource::Core, limit: LimitPair { soft: Some(0), hard: None } },
            NamedLimit { resource: Resource::Nofile, limit: LimitPair { soft: Some(65_536), hard: Some(65_536) } },
        ]),
        changes: vec![
            LimitChange { resource: Resource::Nofile, before: LimitPair { soft: Some(1024), hard: Some(65_536) }, after: LimitPair { soft: Some(65_536), hard: Some(65_536) } },
            LimitChange { resource: Resource::Core, before: LimitPair { soft: Some(0), hard: None }, after: LimitPair { soft: Some(0), hard: None } },
        ],
        notes: vec!["Go programs raise their own soft limit to the hard limit at start; for them the hard limit is the one that matters".to_string()],
    }
}

#[test]
fn limits_table() {
    let mut out = Vec::new();
    Terminal(Style::default())
        .render(&limits_report(), &mut out)
        .unwrap();
    check("limits.txt", out);
}

#[test]
fn limits_json() {
    let mut out = Vec::new();
    Json.render(&limits_report(), &mut out).unwrap();
    check("limits.json", out);
}

/// Another user's process: the limits are world-readable, the descriptors are not.
fn limits_uncounted() -> LimitsReport {
    LimitsReport {
        open_fds: None,
        open_fds_unknown: Some("needs steady as uid 0, or root with CAP_SYS_PTRACE".to_string()),
        all: None,
        changes: vec![],
        notes: vec![],
        ..limits_report()
    }
}

#[test]
fn limits_uncounted_table() {
    let mut out = Vec::new();
    Terminal(Style::default())
        .render(&limits_uncounted(), &mut out)
        .unwrap();
    check("limits-uncounted.txt", out);
}

#[test]
fn limits_uncounted_json() {
    let mut out = Vec::new();
    Json.render(&limits_uncounted(), &mut out).unwrap();
    check("limits-uncounted.json", out);
}

/// Several targets: one report each, an unreadable one, the summary line; JSON an array.
fn limits_many() -> (Vec<LimitsReport>, Vec<(i32, String, &'static str)>) {
    let near = LimitsReport {
        pid: 4243,
        comm: Some("worker".to_string()),
        nofile: LimitPair {
            soft: Some(1024),
            hard: Some(4096),
        },
        open_fds: Some(1000),
        all: None,
        changes: vec![],
        notes: vec![],
        ..limits_report()
    };
    let calm = LimitsReport {
        all: None,
        changes: vec![],
        notes: vec![],
        ..limits_report()
    };
    (
        vec![calm, near],
        vec![(
            77,
            "process 77 has exited — nothing to inspect".to_string(),
            "no_such_process",
        )],
    )
}

fn limits_entries<'a>(
    reports: &'a [LimitsReport],
    failed: &'a [(i32, String, &'static str)],
) -> Vec<limits_json::Entry<'a>> {
    let mut entries: Vec<limits_json::Entry> =
        reports.iter().map(limits_json::Entry::Report).collect();
    entries.extend(
        failed
            .iter()
            .map(|(pid, line, kind)| limits_json::Entry::Error {
                pid: *pid,
                kind,
                line,
            }),
    );
    entries
}

#[test]
fn limits_many_table() {
    let (reports, failed) = limits_many();
    let summary = summarize(&reports, FdPolicy::default().near_limit_percent);
    let mut out = Vec::new();
    let entries = limits_entries(&reports, &failed);
    let several = Several {
        entries: &entries,
        summary: &summary,
    };
    Terminal(Style::default())
        .render(&several, &mut out)
        .unwrap();
    check("limits-many.txt", out);
}

#[test]
fn limits_many_json() {
    let (reports, failed) = limits_many();
    let mut out = Vec::new();
    let summary = summarize(&reports, FdPolicy::default().near_limit_percent);
    let entries = limits_entries(&reports, &failed);
    let several = Several {
        entries: &entries,
        summary: &summary,
    };
    Json.render(&several, &mut out).unwrap();
    check("limits-many.json", out);
}
