//! The `steady fds --json` document. Field names are a contract with scripts: add, never rename.

use std::io::{self, Write};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::analyze::census::{Direction, FdGroup};
use crate::analyze::fds::{FdReport, Finding};
use crate::model::fd::FdKind;
use crate::model::peer::{GroupPeer, PeerScan};
use crate::render::error_json::TargetError;
use crate::render::format::{Json, Renderer};
use crate::render::several;
use crate::render::{findings, SCHEMA_VERSION};

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    command: &'static str,
    pid: i32,
    comm: Option<&'a str>,
    total: u64,
    /// Descriptors that closed between readdir and readlink.
    vanished: u64,
    limit: Limit,
    nr_open: Option<u64>,
    usage_percent: Option<f64>,
    headroom_percent: Option<f64>,
    by_kind: ByKind<'a>,
    groups: Vec<Group<'a>>,
    groups_total: usize,
    over: Option<Over>,
    findings: Vec<FindingJson>,
    /// Under `--peers`: how far the search for other ends went.
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_scan: Option<&'a PeerScan>,
}

#[derive(Serialize)]
pub struct Limit {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// Every kind, zero or not, in a fixed order, so `.by_kind.pipe` always exists.
struct ByKind<'a>(&'a [u64; FdKind::ALL.len()]);

impl Serialize for ByKind<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FdKind::ALL.len()))?;
        for kind in FdKind::ALL {
            map.serialize_entry(kind.name(), &self.0[kind.index()])?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Group<'a> {
    kind: &'static str,
    target: &'a str,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
    /// `inbound` (accepted on a port the process listens on), `outbound` (dialled), `listen`;
    /// present on every group, `null` where a descriptor has no direction.
    direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocated_bytes: Option<u64>,
    #[serde(skip_serializing_if = "<[i32]>::is_empty")]
    fds: &'a [i32],
    #[serde(flatten)]
    growth: Option<GroupGrowth>,
    /// Under `--peers`: the processes at the other end of the group's descriptors.
    #[serde(skip_serializing_if = "Option::is_none")]
    peers: Option<&'a [GroupPeer]>,
}

#[derive(Serialize)]
struct GroupGrowth {
    delta: i64,
    rate_per_min: f64,
    eta_seconds: Option<f64>,
}

#[derive(Serialize)]
struct Over {
    seconds: f64,
    total_before: u64,
    total_delta: i64,
    rate_per_min: f64,
    eta_seconds: Option<f64>,
}

#[derive(Serialize)]
struct FindingJson {
    kind: &'static str,
    message: String,
}

impl Renderer<FdReport> for Json {
    fn render(&self, report: &FdReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &document(report))?;
        writeln!(out)
    }
}

impl<S> Renderer<several::Several<'_, FdReport, S>> for Json {
    fn render(
        &self,
        several: &several::Several<'_, FdReport, S>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_many(several.entries, out)
    }
}

/// One target of several: its report, or why it could not be read.
pub type Entry<'a> = crate::render::several::Entry<'a, FdReport>;

#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Report(Box<Document<'a>>),
    Error(TargetError<'a>),
}

/// Several targets: an array of the single-PID documents, and of error documents (the
/// `--json` error shape with the PID) for those that could not be read.
fn write_many(entries: &[Entry<'_>], out: &mut dyn Write) -> io::Result<()> {
    let items: Vec<Item> = entries
        .iter()
        .map(|e| match e {
            Entry::Report(r) => Item::Report(Box::new(document(r))),
            Entry::Error { pid, kind, line } => {
                Item::Error(TargetError::new("fds", *pid, kind, line))
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}

fn document(report: &FdReport) -> Document<'_> {
    Document {
        schema_version: SCHEMA_VERSION,
        command: "fds",
        pid: report.pid,
        comm: report.comm.as_deref(),
        total: report.total,
        vanished: report.vanished,
        limit: Limit {
            soft: report.limit.soft,
            hard: report.limit.hard,
        },
        nr_open: report.nr_open,
        usage_percent: report.usage_percent.map(round2),
        headroom_percent: report.headroom_percent.map(round2),
        by_kind: ByKind(&report.by_kind),
        groups: report.groups.iter().map(group).collect(),
        groups_total: report.groups_total,
        over: report.growth.as_ref().map(|g| Over {
            seconds: round2(g.seconds),
            total_before: g.total_before,
            total_delta: g.total_delta,
            rate_per_min: round2(g.rate_per_min),
            eta_seconds: g.eta_seconds.map(round2),
        }),
        findings: report
            .findings
            .iter()
            .map(|f| FindingJson {
                kind: match f {
                    Finding::NearLimit { .. } => "near_limit",
                    Finding::Growing { .. } => "growing",
                },
                message: findings::describe(f, report),
            })
            .collect(),
        peer_scan: report.peer_scan.as_ref(),
    }
}

fn group(g: &FdGroup) -> Group<'_> {
    let pins = matches!(g.key.kind, FdKind::DeletedFile | FdKind::Memfd);
    Group {
        kind: g.key.kind.name(),
        target: &g.key.target,
        count: g.count,
        state: g.key.state.as_deref(),
        direction: g.key.direction,
        socket_type: g.key.socket_type,
        files: (g.files != 1).then_some(g.files),
        allocated_bytes: pins.then_some(g.allocated_bytes),
        fds: &g.fds,
        growth: g.delta.map(|delta| GroupGrowth {
            delta,
            rate_per_min: round2(g.rate_per_min.unwrap_or(0.0)),
            eta_seconds: g.eta_seconds.map(round2),
        }),
        peers: g.peers.as_deref(),
    }
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
