//! Classifies drift from a window of samples: which kinds, how fast, when the limit is
//! reached, how sure, and the evidence; growth that follows from another is named as its
//! consequence. Pure: time arrives in the samples. One detector per kind lives beside this
//! file; here are the types they share and the order they run in.

mod checks;
mod consequences;
mod deadline;
pub mod evidence;
mod growth;
pub mod memory;
mod sliding;
mod stuck;
#[cfg(test)]
mod tests;

pub use checks::static_checks;
pub use evidence::Evidence;
pub use memory::MemoryJudgement;
pub use sliding::{sliding_windows, WindowVerdict};

use crate::analyze::policy::DriftPolicy;
use crate::analyze::series::{trend, Shape, Trend};
use crate::analyze::stacks::GoroutineView;
use crate::model::sample::{GoroutineSnapshot, Sample, TargetFacts};
use crate::model::stacks::GoroutineDump;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftKind {
    FdExhaustion,
    MemoryDrift,
    AllocatorFragmentation,
    GoroutineLeak,
    ThreadLeak,
    DeadlineDrift,
}

impl DriftKind {
    pub const ALL: [DriftKind; 6] = [
        DriftKind::MemoryDrift,
        DriftKind::FdExhaustion,
        DriftKind::GoroutineLeak,
        DriftKind::ThreadLeak,
        DriftKind::AllocatorFragmentation,
        DriftKind::DeadlineDrift,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DriftKind::MemoryDrift => "memory-drift",
            DriftKind::FdExhaustion => "fd-exhaustion",
            DriftKind::GoroutineLeak => "goroutine-leak",
            DriftKind::ThreadLeak => "thread-leak",
            DriftKind::AllocatorFragmentation => "allocator-fragmentation",
            DriftKind::DeadlineDrift => "deadline-drift",
        }
    }

    pub fn from_name(name: &str) -> Option<DriftKind> {
        DriftKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: DriftKind,
    /// In `unit` per minute.
    pub rate_per_min: f64,
    pub unit: &'static str,
    pub current: f64,
    /// Seconds until `limit` at this rate.
    pub eta_seconds: Option<f64>,
    /// What the ETA runs into, e.g. ("RLIMIT_NOFILE soft limit", 1024).
    pub limit: Option<(&'static str, f64)>,
    /// 0..1: how cleanly the series rose.
    pub confidence: f64,
    pub shape: Shape,
    pub evidence: Vec<Evidence>,
    /// Set when this growth follows from another verdict (the primary cause).
    pub consequence_of: Option<DriftKind>,
    /// True for deadline drift judged from outside signs, without a probe.
    pub inferred: bool,
    /// Goroutines proven stuck by identity across the window.
    pub stuck: Option<StuckEvidence>,
}

/// The same goroutines, in the same wait at the same frames, from the first dump to the latest.
#[derive(Debug, Clone, PartialEq)]
pub struct StuckEvidence {
    pub goroutines: u64,
    /// The wait reason, e.g. `sync.Mutex.Lock`.
    pub state: String,
    /// The first frame of the program's own code in their stack, and its `file:line`.
    pub function: String,
    pub location: String,
    /// Seconds between the two dumps.
    pub waited_seconds: f64,
    /// A goroutine that shares their function and has itself been blocked all along: most
    /// likely the one holding what they wait for.
    pub holder: Option<StuckHolder>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StuckHolder {
    pub id: u64,
    pub state: String,
    pub function: String,
    pub location: String,
}

/// A finding that needs no window: a setting that will hurt under load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCheck {
    pub id: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriageReport {
    pub facts: TargetFacts,
    pub samples: usize,
    pub window_seconds: f64,
    pub verdicts: Vec<Verdict>,
    pub checks: Vec<StaticCheck>,
    /// Probe latency percentiles (first third, last third), when probed.
    pub probe: Option<ProbeSummary>,
    /// Enough samples after warm-up to judge at all: without them "no verdict" means
    /// nothing, not "steady".
    pub judged: bool,
    /// What the window could not see, or cut short, said beside the verdicts.
    pub notes: Vec<String>,
    /// Whether memory could be judged at all, and from what.
    pub memory: MemoryJudgement,
    /// Why the window ended before its time (a sure verdict, Ctrl-C), when it did.
    pub stopped_early: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeSummary {
    /// Probes sent in the window, and how many failed (refused, timed out, not 2xx).
    pub requests: usize,
    pub failures: usize,
    /// Percentiles of the first and last third; None with too few answers to tell.
    pub latency: Option<ProbeLatency>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeLatency {
    pub p50_first: f64,
    pub p99_first: f64,
    pub p50_last: f64,
    pub p99_last: f64,
}

/// What the window saw beyond the samples: the goroutine groups at its end, if fetched, and
/// what the sampler could not see (no profile endpoint, the target exiting).
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub final_goroutine_groups: Vec<GoroutineView>,
    pub notes: Vec<String>,
    /// `?debug=2` dumps by goroutine ID, oldest first: the first and the latest prove whether
    /// the same goroutines waited in the same place all the while.
    pub goroutine_snapshots: Vec<GoroutineSnapshot>,
    /// The target exited before the window ended.
    pub exited: bool,
    /// What the runtime's own leak detector (`/debug/pprof/goroutineleak`, `--leak-profile`)
    /// found: goroutines blocked on something no live goroutine can reach.
    pub leak_profile: Option<GoroutineDump>,
}

pub fn classify(
    facts: &TargetFacts,
    all: &[Sample],
    extras: &Extras,
    policy: &DriftPolicy,
) -> TriageReport {
    let window_seconds = match (all.first(), all.last()) {
        (Some(a), Some(b)) => b.t - a.t,
        _ => 0.0,
    };
    let warm = all.first().map_or(0.0, |s| s.t) + window_seconds * policy.warmup_fraction;
    let samples: Vec<&Sample> = all.iter().filter(|s| s.t >= warm).collect();
    let mut verdicts = Vec::new();
    let enough = samples.len() >= policy.min_samples;
    let memory = if enough {
        growth::descriptors(facts, &samples, policy, &mut verdicts);
        growth::threads(&samples, policy, &mut verdicts);
        growth::goroutines(&samples, extras, policy, &mut verdicts);
        let memory = memory::judge(facts, all, &samples, policy, &mut verdicts);
        deadline::judge(facts, &samples, policy, &mut verdicts);
        memory
    } else {
        MemoryJudgement::not_judged("too few samples", None, policy)
    };
    stuck::judge(extras, all, policy, &mut verdicts);
    let series = consequences::Series {
        samples: &samples,
        live_heap: &memory.gc_points,
    };
    consequences::link(&mut verdicts, &series, policy);
    let mut notes = extras.notes.clone();
    if let Some(reason) = &memory.reason {
        notes.push(format!("memory not judged: {reason}"));
    }
    TriageReport {
        facts: facts.clone(),
        samples: all.len(),
        window_seconds,
        verdicts,
        checks: static_checks(facts, all.last(), policy),
        probe: deadline::probe_summary(facts, &all.iter().collect::<Vec<_>>()),
        judged: enough,
        notes,
        memory,
        stopped_early: None,
    }
}

/// (time, value) of every sample where `f` has a value.
fn series(samples: &[&Sample], f: impl Fn(&Sample) -> Option<f64>) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|s| f(s).map(|v| (s.t, v)))
        .collect()
}

/// The trend of `points` when it is drift: rising by at least `min_abs` and the policy's
/// share of where it started, in most point pairs, and not a step, a plateau or a warm-up.
fn rising(points: &[(f64, f64)], min_abs: f64, policy: &DriftPolicy) -> Option<Trend> {
    rising_with(points, min_abs, policy, &policy.shape)
}

fn rising_with(
    points: &[(f64, f64)],
    min_abs: f64,
    policy: &DriftPolicy,
    shape: &crate::analyze::policy::ShapePolicy,
) -> Option<Trend> {
    let t = trend(points, shape)?;
    let base = t.first.abs().max(1.0);
    let ok = t.slope > 0.0
        && t.growth >= min_abs
        && t.growth >= policy.min_relative_growth * base
        && t.rising_pairs >= policy.min_rising_pairs
        && !matches!(t.shape, Shape::Step | Shape::Flat | Shape::LevellingOff);
    ok.then_some(t)
}

/// Fewer points, less certainty; Go figures come only every few samples.
fn confidence(t: &Trend, points: usize, policy: &DriftPolicy) -> f64 {
    rise_certainty(t) * (points as f64 / policy.confident_points).min(1.0)
}

/// 0 for a series that rises in half its point pairs (noise), 1 for one that rises in all.
fn rise_certainty(t: &Trend) -> f64 {
    ((t.rising_pairs - 0.5) / 0.5).clamp(0.0, 1.0)
}

pub(crate) fn verdict(kind: DriftKind, t: &Trend, unit: &'static str, confidence: f64) -> Verdict {
    Verdict {
        kind,
        rate_per_min: t.per_minute(),
        unit,
        current: t.last,
        eta_seconds: None,
        limit: None,
        confidence,
        shape: t.shape,
        evidence: Vec::new(),
        consequence_of: None,
        inferred: false,
        stuck: None,
    }
}

fn eta(limit: f64, now: f64, slope_per_second: f64) -> Option<f64> {
    (slope_per_second > 0.0).then(|| ((limit - now) / slope_per_second).max(0.0))
}

pub(crate) fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
}
