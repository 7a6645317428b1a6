//! Memory drift and allocator fragmentation. For Go, judged on one point per completed GC
//! cycle from what that GC marked live (the heap goal NextGC undone by GOGC, else TotalAlloc
//! at the GC's end less the bytes freed, else the heap profile's in-use bytes), never from
//! HeapAlloc between cycles, which climbs with garbage; with too few cycles in the window,
//! memory is said to be not judged. Other processes are judged on anonymous RSS.

use super::{
    confidence, eta, rise_certainty, rising, rising_with, series, verdict, DriftKind, Evidence,
    Verdict,
};
use crate::analyze::policy::{DriftPolicy, ShapePolicy};
use crate::analyze::series::trend;
use crate::model::sample::{Sample, TargetFacts};
use crate::render::text::duration;

#[derive(Debug, Clone, PartialEq)]
pub struct MemoryJudgement {
    pub judged: bool,
    /// What the trend was read from.
    pub source: Option<&'static str>,
    /// GC cycles completed in the window, when the runtime said.
    pub gc_cycles: Option<u64>,
    pub gc_cycles_needed: u64,
    /// Live heap at the GC ends the trend was fitted on: (seconds since the epoch, bytes).
    pub gc_points: Vec<(f64, f64)>,
    /// Why memory was not judged, and what would let it be.
    pub reason: Option<String>,
}

impl MemoryJudgement {
    pub fn not_judged(reason: &str, cycles: Option<u64>, policy: &DriftPolicy) -> Self {
        MemoryJudgement {
            judged: false,
            source: None,
            gc_cycles: cycles,
            gc_cycles_needed: policy.min_gc_cycles,
            gc_points: Vec::new(),
            reason: Some(reason.to_string()),
        }
    }
}

/// The live heap as it stood when one GC cycle ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcPoint {
    pub num_gc: u64,
    /// When the cycle ended, seconds since the epoch.
    pub t: f64,
    pub live: f64,
    /// In-use spans minus live objects (HeapInuse − HeapAlloc) in the cycle's last sample.
    pub free_in_spans: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum LiveSource {
    /// `--gc`: MemStats read right after a full GC that also finished sweeping.
    Forced,
    /// NextGC = live × (1 + GOGC/100), plus a small term for stacks and globals.
    HeapGoal(f64),
    /// TotalAlloc at each GC end less the bytes freed by its sweep.
    Ledger,
    /// The heap profile's in-use bytes, scaled for sampling.
    Profile,
}

impl LiveSource {
    fn label(self) -> &'static str {
        match self {
            LiveSource::Forced => "live heap after each forced GC (HeapAlloc)",
            LiveSource::HeapGoal(_) => "live heap at each GC end (NextGC / (1 + GOGC/100))",
            LiveSource::Ledger => {
                "live heap at each GC end (TotalAlloc then, less the bytes its sweep freed)"
            }
            LiveSource::Profile => "live heap at each GC end (heap profile in-use bytes)",
        }
    }
}

pub(super) fn judge(
    facts: &TargetFacts,
    all: &[Sample],
    warm: &[&Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) -> MemoryJudgement {
    if !facts.is_go {
        return anonymous_rss(facts, warm, policy, verdicts);
    }
    let go: Vec<&Sample> = all
        .iter()
        .filter(|s| s.heap_alloc.is_some() && s.num_gc.is_some())
        .collect();
    let (Some(first), Some(last)) = (go.first(), go.last()) else {
        let reason = if all.iter().any(|s| s.heap_alloc.is_some()) {
            "the recording has no GC cycle counts (made by an older steady); record it again"
        } else {
            "no Go runtime figures were sampled"
        };
        return MemoryJudgement::not_judged(reason, None, policy);
    };
    let cycles = last.num_gc.unwrap_or(0) - first.num_gc.unwrap_or(0);
    let window = last.t - first.t;
    if cycles < policy.min_gc_cycles {
        let reason = too_few_cycles(cycles, window, first, last, policy);
        return MemoryJudgement::not_judged(&reason, Some(cycles), policy);
    }
    let Some((points, source)) = gc_points(facts, &go, policy) else {
        return MemoryJudgement::not_judged(
            "the runtime's figures do not say what was live at each GC (GOGC=off or GOMEMLIMIT with no heap profile)",
            Some(cycles),
            policy,
        );
    };
    if (points.len() as u64) < policy.min_gc_cycles {
        let reason = format!(
            "{} GC ends seen among {cycles} cycles, need {}: sample the Go figures more often (a shorter --interval)",
            points.len(),
            policy.min_gc_cycles
        );
        return MemoryJudgement::not_judged(&reason, Some(cycles), policy);
    }
    let live: Vec<(f64, f64)> = points.iter().map(|p| (p.t, p.live)).collect();
    // Each point is a GC end, not a sparse reading of a busier series: one jump between two
    // of them that makes the whole rise is a step even with few points.
    let shape = ShapePolicy {
        step_min_points: policy.min_gc_cycles as usize,
        ..policy.shape.clone()
    };
    let memory_limit = facts
        .cgroup_memory_limit
        .map(|l| ("cgroup memory.max", l as f64))
        .or(facts.gomemlimit.map(|l| ("GOMEMLIMIT", l as f64)));
    if let Some(t) = rising_with(&live, policy.memory_min_growth_bytes, policy, &shape) {
        let mut v = verdict(
            DriftKind::MemoryDrift,
            &t,
            "bytes",
            gc_confidence(&t, points.len(), policy),
        );
        if let Some((name, limit)) = memory_limit {
            v.limit = Some((name, limit));
            // memory.max is enforced on the cgroup's usage (page cache included), not on the
            // live heap; RSS stands in when the usage cannot be read.
            let used = if name == "GOMEMLIMIT" {
                t.last
            } else {
                last.cgroup_usage.unwrap_or(last.rss) as f64
            };
            v.eta_seconds = eta(limit, used, t.slope);
        }
        v.evidence.push(Evidence::Series {
            series: source.label(),
            unit: "bytes",
            first: t.first,
            last: t.last,
            shape: t.shape,
            span_seconds: t.span_seconds,
            gc_cycles: Some(cycles),
        });
        verdicts.push(v);
    }
    let free: Vec<(f64, f64)> = points.iter().map(|p| (p.t, p.free_in_spans)).collect();
    if let Some(t) = rising_with(&free, policy.fragmentation_min_growth_bytes, policy, &shape) {
        let live_growth = trend(&live, &shape).map_or(0.0, |l| l.growth.max(0.0));
        if live_growth < policy.live_share * t.growth {
            // The live heap's own growth is small beside it: one cause, fragmentation.
            verdicts.retain(|v| v.kind != DriftKind::MemoryDrift);
            let mut v = verdict(
                DriftKind::AllocatorFragmentation,
                &t,
                "bytes",
                gc_confidence(&t, points.len(), policy),
            );
            if let Some((name, limit)) = memory_limit {
                v.limit = Some((name, limit));
                v.eta_seconds = eta(limit, last.rss as f64, t.slope);
            }
            v.evidence.push(Evidence::FreeInSpans {
                first: t.first,
                last: t.last,
                live_growth,
            });
            verdicts.push(v);
        }
    }
    MemoryJudgement {
        judged: true,
        source: Some(source.label()),
        gc_cycles: Some(cycles),
        gc_cycles_needed: policy.min_gc_cycles,
        gc_points: live,
        reason: None,
    }
}

fn anonymous_rss(
    facts: &TargetFacts,
    warm: &[&Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) -> MemoryJudgement {
    let rss = series(warm, |s| Some(s.rss_anon as f64));
    if let Some(t) = rising(&rss, policy.memory_min_growth_bytes, policy) {
        let mut v = verdict(
            DriftKind::MemoryDrift,
            &t,
            "bytes",
            confidence(&t, rss.len(), policy),
        );
        if let Some(limit) = facts.cgroup_memory_limit {
            v.limit = Some(("cgroup memory.max", limit as f64));
            let used = warm
                .last()
                .map_or(0.0, |s| s.cgroup_usage.unwrap_or(s.rss) as f64);
            v.eta_seconds = eta(limit as f64, used, t.slope);
        }
        v.evidence
            .push(Evidence::series("anonymous RSS", "bytes", &t));
        verdicts.push(v);
    }
    MemoryJudgement {
        judged: true,
        source: Some("anonymous RSS"),
        gc_cycles: None,
        gc_cycles_needed: policy.min_gc_cycles,
        gc_points: Vec::new(),
        reason: None,
    }
}

/// The samples taken while one GC cycle's figures stood (the same NumGC).
struct Cycle<'a> {
    first: &'a Sample,
    last: &'a Sample,
}

fn cycles_of<'a>(go: &[&'a Sample]) -> Vec<Cycle<'a>> {
    let mut cycles: Vec<Cycle> = Vec::new();
    for s in go {
        match cycles.last_mut() {
            Some(c) if c.last.num_gc == s.num_gc => c.last = s,
            _ => cycles.push(Cycle { first: s, last: s }),
        }
    }
    cycles
}

/// One point per GC cycle seen, timed at the cycle's end. None when nothing in the samples
/// says what was live then.
fn gc_points(
    facts: &TargetFacts,
    go: &[&Sample],
    policy: &DriftPolicy,
) -> Option<(Vec<GcPoint>, LiveSource)> {
    let cycles = cycles_of(go);
    let last_of_cycle: Vec<&Sample> = cycles.iter().map(|c| c.last).collect();
    let forced = facts.forced_gc && last_of_cycle.iter().all(|s| s.gc_forced);
    let ledger = ledger_points(&cycles);
    let source = if forced {
        LiveSource::Forced
    } else if let Some(goal) = heap_goal_source(facts, &last_of_cycle, &ledger) {
        goal
    } else if ledger.len() as u64 >= policy.min_gc_cycles {
        return Some((ledger, LiveSource::Ledger));
    } else if last_of_cycle.iter().all(|s| s.heap_live_profile.is_some()) {
        LiveSource::Profile
    } else {
        return None;
    };
    let points = last_of_cycle
        .iter()
        .filter_map(|s| {
            let live = match source {
                LiveSource::Forced => s.heap_alloc? as f64,
                LiveSource::HeapGoal(percent) => goal_live(s.next_gc?, percent),
                LiveSource::Profile | LiveSource::Ledger => s.heap_live_profile? as f64,
            };
            // Placed at the last GC's end, for the profile too: placing it at the cycle before
            // (where heap diff puts a background GC's profile) measured 18-28% fast against
            // gctrace on a leak under GOGC=off, this placement within 5%.
            Some(GcPoint {
                num_gc: s.num_gc?,
                t: s.last_gc.filter(|t| *t > 0.0).unwrap_or(s.t),
                live,
                free_in_spans: free_in_spans(s)?,
            })
        })
        .collect();
    Some((points, source))
}

fn free_in_spans(s: &Sample) -> Option<f64> {
    Some(s.heap_inuse?.saturating_sub(s.heap_alloc?) as f64)
}

/// A sample read sooner than this after the GC ended may not have seen all its garbage
/// freed. Sweeping is quick: in a GC every 12-40 ms (a leak at its GOMEMLIMIT), points read
/// 10-20 ms after the end matched gctrace's marked heap to the MiB.
const SWEEP_SECONDS: f64 = 0.005;

/// What each GC marked live, from two exact counters: TotalAlloc when the cycle ended (read
/// off the samples either side of its end, allocation being steady across a second or two)
/// less every byte freed by the cycle's last sample, when its sweep has freed all that the
/// cycle found dead (TotalAlloc − HeapAlloc). Nothing allocated after the GC is freed before
/// the next one, so garbage made since cancels out.
fn ledger_points(cycles: &[Cycle]) -> Vec<GcPoint> {
    cycles
        .windows(2)
        .filter_map(|pair| {
            let (before, cycle) = (pair[0].last, &pair[1]);
            Some(GcPoint {
                num_gc: cycle.last.num_gc?,
                t: cycle.first.last_gc?,
                live: marked_at_gc_end(before, cycle.first, cycle.last)?,
                free_in_spans: free_in_spans(cycle.last)?,
            })
        })
        .collect()
}

/// What the GC that `first` is the first sample after marked live, as [`ledger_points`]
/// reads it: `before` is the last sample before that GC, `last` the latest of its cycle.
pub fn marked_at_gc_end(before: &Sample, first: &Sample, last: &Sample) -> Option<f64> {
    let ended = first.last_gc.filter(|t| *t > 0.0)?;
    let (t0, t1) = (before.memstats_t?, first.memstats_t?);
    let (a0, a1) = (before.total_alloc? as f64, first.total_alloc? as f64);
    let ordered = t0 < ended && ended <= t1 + SWEEP_SECONDS && last.num_gc == first.num_gc;
    if !ordered || last.memstats_t? - ended < SWEEP_SECONDS {
        return None;
    }
    let share = ((ended - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let allocated_at_end = a0 + (a1 - a0) * share;
    let freed = last.total_alloc?.saturating_sub(last.heap_alloc?) as f64;
    Some((allocated_at_end - freed).max(0.0))
}

/// Each point is a whole GC cycle, read exactly: full confidence once the window holds the
/// cycles a trend needs and the state before them.
fn gc_confidence(t: &crate::analyze::series::Trend, points: usize, policy: &DriftPolicy) -> f64 {
    rise_certainty(t) * (points as f64 / (policy.min_gc_cycles as f64 + 1.0)).min(1.0)
}

fn goal_live(next_gc: u64, percent: f64) -> f64 {
    next_gc as f64 / (1.0 + percent / 100.0)
}

/// The heap goal tells the live heap exactly when GOGC alone sets it; GOMEMLIMIT can pull it
/// lower, and a program may change GOGC itself, so it is used only where what the GC marked
/// (the ledger, else the profile) agrees with it at every cycle.
fn heap_goal_source(
    facts: &TargetFacts,
    cycles: &[&Sample],
    ledger: &[GcPoint],
) -> Option<LiveSource> {
    let percent = facts.gc_percent()?;
    let marked = |s: &Sample| {
        ledger
            .iter()
            .find(|p| Some(p.num_gc) == s.num_gc)
            .map(|p| p.live)
    };
    cycles
        .iter()
        .all(|s| goal_agrees(facts, s, marked(s)).is_some())
        .then_some(LiveSource::HeapGoal(percent))
}

/// The live heap the goal of `s` says, where what the GC marked (`marked` from the ledger,
/// else the profile) agrees with it; with neither, only where no memory limit can have
/// moved it.
pub fn goal_agrees(facts: &TargetFacts, s: &Sample, marked: Option<f64>) -> Option<f64> {
    let goal = goal_live(s.next_gc?, facts.gc_percent()?);
    let agrees = match (marked, s.heap_live_profile) {
        (Some(live), _) => (0.8..=1.25).contains(&(goal / live.max(1.0))),
        (None, Some(profile)) => (0.6..=1.6).contains(&(goal / (profile as f64).max(1.0))),
        (None, None) => !facts.gomemlimit_set,
    };
    agrees.then_some(goal)
}

/// "2 GC cycles in 60s, need 4: widen --window to ~5m, or pass --gc …", with the window
/// sized from the GC interval seen (or, with no cycle at all, at least the time since the
/// last one).
fn too_few_cycles(
    cycles: u64,
    window: f64,
    first: &Sample,
    last: &Sample,
    policy: &DriftPolicy,
) -> String {
    let interval = if cycles > 0 {
        window / cycles as f64
    } else {
        let since = first
            .last_gc
            .filter(|t| *t > 0.0)
            .map_or(0.0, |gc| last.t - gc);
        since.max(window)
    };
    let wanted = (interval * (policy.min_gc_cycles as f64 + 1.0)).max(window * 2.0);
    let minutes = (wanted / 60.0).round().max(1.0);
    format!(
        "{cycles} GC {} in {}, need {}: widen --window to ~{}m, or pass --gc to force cycles (costs the target a full GC each)",
        if cycles == 1 { "cycle" } else { "cycles" },
        duration(window),
        policy.min_gc_cycles,
        minutes
    )
}
