//! `steady heap … --json` documents.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::analyze::gc_window::{GcMark, Moment};
use crate::analyze::heap_report::{HeapDiff, HeapList, HeapTop};
use crate::analyze::ledger::{LiveHeap, LiveSource, MemoryVerdict};
use crate::model::go::{GoEnv, GoInfo};
use crate::model::memory::{CgroupMemory, MemStats, ProcMemory};
use crate::model::snapshot::{SnapshotMeta, Written};
use crate::render::fds_json::round2;
use crate::render::format::{Json, Renderer};
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

impl Renderer<Written<'_>> for Json {
    fn render(&self, written: &Written<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_snapshot(written.meta, written.files, written.profile, out)
    }
}

impl Renderer<HeapTop> for Json {
    fn render(&self, top: &HeapTop, out: &mut dyn Write) -> io::Result<()> {
        write_top(top, out)
    }
}

impl Renderer<HeapDiff> for Json {
    fn render(&self, diff: &HeapDiff, out: &mut dyn Write) -> io::Result<()> {
        write_diff(diff, out)
    }
}

impl Renderer<HeapList> for Json {
    fn render(&self, list: &HeapList, out: &mut dyn Write) -> io::Result<()> {
        write_list(list, out)
    }
}

fn write_snapshot(
    meta: &SnapshotMeta,
    files: &[PathBuf],
    has_profile: bool,
    out: &mut dyn Write,
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
struct GcMarkJson {
    num_gc: u64,
    /// When that GC ended, seconds since the epoch; null when unknown.
    last_gc_unix: Option<f64>,
}

impl From<GcMark> for GcMarkJson {
    fn from(m: GcMark) -> Self {
        GcMarkJson {
            num_gc: m.num_gc,
            last_gc_unix: m.end_unix.map(round3),
        }
    }
}

/// When one snapshot's figures are of.
#[derive(Serialize)]
struct AsOfJson {
    /// MemStats and RSS were read at the snapshot.
    memstats_at_unix: f64,
    /// …right after a GC that ended during the snapshot (`--gc`).
    memstats_after_gc: bool,
    /// The last GC before the MemStats were read.
    last_gc: GcMarkJson,
    seconds_since_gc: Option<f64>,
    /// The GC cycle the heap profile is as of.
    profile_as_of_gc: GcMarkJson,
    profile_age_seconds: Option<f64>,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn as_of(m: &Moment) -> AsOfJson {
    AsOfJson {
        memstats_at_unix: round3(m.taken_at),
        memstats_after_gc: m.after_gc,
        last_gc: m.last_gc.into(),
        seconds_since_gc: m.seconds_since_gc().map(round2),
        profile_as_of_gc: m.profile_gc.into(),
        profile_age_seconds: m.profile_age().map(round2),
    }
}

#[derive(Serialize)]
struct LiveHeapJson {
    /// `profile_inuse_space` or `memstats_after_gc`.
    source: &'static str,
    delta: i64,
    from_gc: Option<u64>,
    to_gc: Option<u64>,
    seconds: Option<f64>,
    tentative: bool,
}

fn live_heap(l: &LiveHeap) -> LiveHeapJson {
    LiveHeapJson {
        source: match l.source {
            LiveSource::ProfileInuse => "profile_inuse_space",
            LiveSource::MemStatsAfterGc => "memstats_after_gc",
        },
        delta: l.delta,
        from_gc: l.from_gc,
        to_gc: l.to_gc,
        seconds: l.seconds.map(round2),
        tentative: l.tentative,
    }
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
    /// Every sample's: percentages are of it, as in pprof, also under --focus / --ignore.
    total: Option<i64>,
    /// `focus=… ignore=…`, as pprof's "Active filters"; null without.
    filters: Option<&'a str>,
    /// The samples that passed the filters (pprof's "Showing nodes accounting for").
    kept_total: Option<i64>,
    entries: Vec<TopEntryJson<'a>>,
    entries_total: usize,
    ledger: Vec<LedgerRow>,
    mappings: Option<Vec<(&'static str, u64)>>,
    /// Which GC the profile is as of, and when MemStats were read.
    as_of: Option<AsOfJson>,
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

fn write_top(top: &HeapTop, out: &mut dyn Write) -> io::Result<()> {
    let total = top.profile.as_ref().map(|p| p.total);
    let doc = TopDoc {
        schema_version: SCHEMA_VERSION,
        command: "heap top",
        source: &top.source,
        sample_type: top.profile.as_ref().map(|p| p.sample_type.name.as_str()),
        unit: top.profile.as_ref().map(|p| p.sample_type.unit.as_str()),
        total,
        filters: top.filters.as_deref(),
        kept_total: top.profile.as_ref().map(|p| p.kept_total),
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
        as_of: top.moment.as_ref().map(as_of),
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
    /// flat_delta per minute over the time between the snapshots; null when that is unknown.
    rate_per_min: Option<f64>,
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
    /// total_delta per minute over `seconds`; null when the time between is unknown.
    total_rate_per_min: Option<f64>,
    filters: Option<&'a str>,
    /// The totals of the samples that passed --focus / --ignore.
    base_kept: Option<i64>,
    new_kept: Option<i64>,
    entries: Vec<DiffEntryJson<'a>>,
    entries_total: usize,
    ledger: Vec<LedgerChangeJson>,
    /// GC cycles completed between the snapshots (NumGC new − base); null without MemStats.
    gc_cycles_between: Option<u64>,
    base_as_of: Option<AsOfJson>,
    new_as_of: Option<AsOfJson>,
    /// The live heap's change from post-GC figures; null when none can say.
    live_heap: Option<LiveHeapJson>,
    verdicts: Vec<VerdictJson>,
    /// What could not be judged, and why.
    notes: Vec<VerdictJson>,
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

fn write_diff(diff: &HeapDiff, out: &mut dyn Write) -> io::Result<()> {
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
        total_rate_per_min: diff
            .profile
            .as_ref()
            .and_then(|p| diff.per_minute(p.total_delta()))
            .map(round2),
        filters: diff.filters.as_deref(),
        base_kept: diff.profile.as_ref().map(|p| p.base_kept),
        new_kept: diff.profile.as_ref().map(|p| p.new_kept),
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
                rate_per_min: diff.per_minute(e.flat_delta()).map(round2),
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
        gc_cycles_between: diff
            .base_moment
            .zip(diff.new_moment)
            .map(|(b, n)| n.last_gc.num_gc.saturating_sub(b.last_gc.num_gc)),
        base_as_of: diff.base_moment.as_ref().map(as_of),
        new_as_of: diff.new_moment.as_ref().map(as_of),
        live_heap: diff.live.as_ref().map(live_heap),
        notes: diff
            .notes
            .iter()
            .map(|n| VerdictJson {
                kind: heap_text::note_kind(n),
                message: heap_text::note(n),
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

#[derive(Serialize)]
struct ListDoc<'a> {
    schema_version: u32,
    command: &'static str,
    source: &'a str,
    pattern: &'a str,
    sample_type: &'a str,
    unit: &'a str,
    total: i64,
    filters: Option<&'a str>,
    kept_total: i64,
    functions: Vec<ListedFunctionJson<'a>>,
}

#[derive(Serialize)]
struct ListedFunctionJson<'a> {
    name: &'a str,
    file: &'a str,
    flat: i64,
    cum: i64,
    /// Of the whole profile's total, as pprof's "(flat, cum) N% of Total".
    cum_percent: f64,
    lines: Vec<ListedLineJson>,
}

#[derive(Serialize)]
struct ListedLineJson {
    line: i64,
    flat: i64,
    cum: i64,
}

fn write_list(list: &HeapList, out: &mut dyn Write) -> io::Result<()> {
    let r = &list.report;
    let doc = ListDoc {
        schema_version: SCHEMA_VERSION,
        command: "heap list",
        source: &list.source,
        pattern: &list.pattern,
        sample_type: &r.sample_type.name,
        unit: &r.sample_type.unit,
        total: r.total,
        filters: list.filters.as_deref(),
        kept_total: r.kept_total,
        functions: r
            .functions
            .iter()
            .map(|f| ListedFunctionJson {
                name: &f.name,
                file: &f.file,
                flat: f.flat,
                cum: f.cum,
                cum_percent: percent(f.cum, r.total),
                lines: f
                    .lines
                    .iter()
                    .map(|l| ListedLineJson {
                        line: l.line,
                        flat: l.flat,
                        cum: l.cum,
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
