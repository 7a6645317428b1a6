//! `steady heap … --json` documents.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::analyze::heap_report::{HeapDiff, HeapTop};
use crate::analyze::ledger::MemoryVerdict;
use crate::model::go::{GoEnv, GoInfo};
use crate::model::memory::{CgroupMemory, MemStats, ProcMemory};
use crate::model::snapshot::SnapshotMeta;
use crate::render::fds_json::round2;
use crate::render::{heap_text, SCHEMA_VERSION};

#[derive(Serialize)]
struct Facts<'a> {
    pid: i32,
    comm: Option<&'a str>,
    exe: Option<&'a str>,
    taken_at: f64,
    go: Option<&'a GoInfo>,
    go_env: Option<&'a GoEnv>,
    endpoint: Option<&'a str>,
    memory: &'a ProcMemory,
    memstats: Option<&'a MemStats>,
    cgroup: Option<&'a CgroupMemory>,
    warnings: &'a [String],
}

fn facts(meta: &SnapshotMeta) -> Facts<'_> {
    Facts {
        pid: meta.pid,
        comm: meta.comm.as_deref(),
        exe: meta.exe.as_deref(),
        taken_at: meta.taken_at,
        go: meta.go.as_ref(),
        go_env: meta.go_env.as_ref(),
        endpoint: meta.endpoint.as_deref(),
        memory: &meta.memory,
        memstats: meta.memstats.as_ref(),
        cgroup: meta.cgroup.as_ref(),
        warnings: &meta.warnings,
    }
}

#[derive(Serialize)]
struct SnapshotDoc<'a> {
    schema_version: u32,
    command: &'static str,
    files: &'a [PathBuf],
    has_profile: bool,
    #[serde(flatten)]
    facts: Facts<'a>,
}

pub fn write_snapshot(
    meta: &SnapshotMeta,
    files: &[PathBuf],
    has_profile: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let doc = SnapshotDoc {
        schema_version: SCHEMA_VERSION,
        command: "heap snapshot",
        files,
        has_profile,
        facts: facts(meta),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
struct LedgerRow {
    name: &'static str,
    bytes: i64,
}

#[derive(Serialize)]
struct TopEntryJson<'a> {
    name: &'a str,
    flat: i64,
    flat_percent: f64,
    cum: i64,
    cum_percent: f64,
}

#[derive(Serialize)]
struct TopDoc<'a> {
    schema_version: u32,
    command: &'static str,
    source: &'a str,
    sample_type: Option<&'a str>,
    unit: Option<&'a str>,
    total: Option<i64>,
    entries: Vec<TopEntryJson<'a>>,
    entries_total: usize,
    ledger: Vec<LedgerRow>,
    mappings: Option<Vec<(&'static str, u64)>>,
    #[serde(flatten)]
    facts: Facts<'a>,
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round2(part as f64 * 100.0 / whole as f64)
    }
}

pub fn write_top(top: &HeapTop, out: &mut impl Write) -> io::Result<()> {
    let total = top.profile.as_ref().map(|p| p.total);
    let doc = TopDoc {
        schema_version: SCHEMA_VERSION,
        command: "heap top",
        source: &top.source,
        sample_type: top.profile.as_ref().map(|p| p.sample_type.name.as_str()),
        unit: top.profile.as_ref().map(|p| p.sample_type.unit.as_str()),
        total,
        entries: top
            .profile
            .iter()
            .flat_map(|p| &p.entries)
            .map(|e| TopEntryJson {
                name: &e.name,
                flat: e.flat,
                flat_percent: percent(e.flat, total.unwrap_or(0)),
                cum: e.cum,
                cum_percent: percent(e.cum, total.unwrap_or(0)),
            })
            .collect(),
        entries_total: top.entries_total,
        ledger: top
            .ledger
            .iter()
            .map(|l| LedgerRow {
                name: l.name,
                bytes: l.bytes,
            })
            .collect(),
        mappings: top
            .mapping_totals
            .as_ref()
            .map(|t| t.iter().map(|(c, b)| (c.name(), *b)).collect()),
        facts: facts(&top.meta),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
struct DiffEntryJson<'a> {
    name: &'a str,
    flat_delta: i64,
    cum_delta: i64,
    /// Of the base total, as `go tool pprof -diff_base` shows them.
    flat_percent: f64,
    cum_percent: f64,
    base_flat: i64,
    new_flat: i64,
    base_cum: i64,
    new_cum: i64,
    shrinking: bool,
}

#[derive(Serialize)]
struct LedgerChangeJson {
    name: &'static str,
    before: i64,
    after: i64,
    delta: i64,
}

#[derive(Serialize)]
struct VerdictJson {
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct RegionJson<'a> {
    category: &'static str,
    name: &'a str,
    rss_before: u64,
    rss_after: u64,
    rss_delta: i64,
    size_after: u64,
    swap_after: u64,
}

#[derive(Serialize)]
struct DiffDoc<'a> {
    schema_version: u32,
    command: &'static str,
    base: &'a str,
    new: &'a str,
    seconds: Option<f64>,
    sample_type: Option<&'a str>,
    unit: Option<&'a str>,
    base_total: Option<i64>,
    new_total: Option<i64>,
    total_delta: Option<i64>,
    entries: Vec<DiffEntryJson<'a>>,
    entries_total: usize,
    ledger: Vec<LedgerChangeJson>,
    verdicts: Vec<VerdictJson>,
    regions: Option<Vec<RegionJson<'a>>>,
    grew: bool,
}

pub fn verdict_kind(v: &MemoryVerdict) -> &'static str {
    match v {
        MemoryVerdict::LiveHeapGrowth { .. } => "memory-drift",
        MemoryVerdict::Fragmentation { .. } => "allocator-fragmentation",
        MemoryVerdict::NativeGrowth { .. } => "native-memory-growth",
    }
}

pub fn write_diff(diff: &HeapDiff, out: &mut impl Write) -> io::Result<()> {
    let base_total = diff.profile.as_ref().map(|p| p.base_total);
    let doc = DiffDoc {
        schema_version: SCHEMA_VERSION,
        command: "heap diff",
        base: &diff.base,
        new: &diff.new,
        seconds: diff.seconds.map(round2),
        sample_type: diff.profile.as_ref().map(|p| p.sample_type.name.as_str()),
        unit: diff.profile.as_ref().map(|p| p.sample_type.unit.as_str()),
        base_total,
        new_total: diff.profile.as_ref().map(|p| p.new_total),
        total_delta: diff.profile.as_ref().map(|p| p.total_delta()),
        entries: diff
            .profile
            .iter()
            .flat_map(|p| p.entries.iter().map(move |e| (p, e)))
            .map(|(p, e)| DiffEntryJson {
                name: &e.name,
                flat_delta: e.flat_delta(),
                cum_delta: e.cum_delta(),
                flat_percent: percent(e.flat_delta(), base_total.unwrap_or(0)),
                cum_percent: percent(e.cum_delta(), base_total.unwrap_or(0)),
                base_flat: e.base.flat,
                new_flat: e.new.flat,
                base_cum: e.base.cum,
                new_cum: e.new.cum,
                shrinking: p.is_shrinking(e),
            })
            .collect(),
        entries_total: diff.entries_total,
        ledger: diff
            .ledger
            .iter()
            .map(|c| LedgerChangeJson {
                name: c.name,
                before: c.before,
                after: c.after,
                delta: c.delta(),
            })
            .collect(),
        verdicts: diff
            .verdicts
            .iter()
            .map(|v| VerdictJson {
                kind: verdict_kind(v),
                message: heap_text::verdict(v),
            })
            .collect(),
        regions: diff.regions.as_ref().map(|rs| {
            rs.iter()
                .map(|r| RegionJson {
                    category: r.category.name(),
                    name: &r.name,
                    rss_before: r.rss_before,
                    rss_after: r.rss_after,
                    rss_delta: r.rss_delta(),
                    size_after: r.size_after,
                    swap_after: r.swap_after,
                })
                .collect()
        }),
        grew: diff.grew,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
