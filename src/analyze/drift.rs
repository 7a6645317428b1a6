//! Classifies drift from a window of samples: which kinds, how fast, when the limit is
//! reached, how sure, and the evidence; growth that follows from another is named as its
//! consequence. Pure: time arrives in the samples.

use crate::analyze::policy::DriftPolicy;
use crate::analyze::series::{trend, Shape, Trend};
use crate::analyze::stacks::GoroutineView;
use crate::model::sample::{Sample, TargetFacts};

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
    pub evidence: Vec<String>,
    /// Set when this growth follows from another verdict (the primary cause).
    pub consequence_of: Option<DriftKind>,
    /// True for deadline drift judged from outside signs, without a probe.
    pub inferred: bool,
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
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeSummary {
    pub p50_first: f64,
    pub p99_first: f64,
    pub p50_last: f64,
    pub p99_last: f64,
    pub failures: usize,
}

/// What the window saw beyond the samples: the goroutine groups at its end, if fetched, and
/// what the sampler could not see (no profile endpoint, the target exiting).
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub final_goroutine_groups: Vec<GoroutineView>,
    pub notes: Vec<String>,
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
    let series = |f: &dyn Fn(&Sample) -> Option<f64>| -> Vec<(f64, f64)> {
        samples
            .iter()
            .filter_map(|s| f(s).map(|v| (s.t, v)))
            .collect()
    };
    let rising = |points: &[(f64, f64)], min_abs: f64| -> Option<Trend> {
        let t = trend(points, &policy.shape)?;
        let base = t.first.abs().max(1.0);
        let ok = t.slope > 0.0
            && t.growth >= min_abs
            && t.growth >= policy.min_relative_growth * base
            && t.rising_pairs >= policy.min_rising_pairs
            && !matches!(t.shape, Shape::Step | Shape::Flat | Shape::LevellingOff);
        ok.then_some(t)
    };
    // Fewer points, less certainty; Go figures come only every few samples.
    let confidence =
        |t: &Trend, n: usize| rise_certainty(t) * (n as f64 / policy.confident_points).min(1.0);

    if enough {
        let fds = series(&|s| Some(s.fds as f64));
        if let Some(t) = rising(&fds, policy.fd_min_growth) {
            let mut v = verdict(
                DriftKind::FdExhaustion,
                &t,
                "descriptors",
                confidence(&t, fds.len()),
            );
            if let Some(soft) = facts.nofile_soft {
                v.limit = Some(("RLIMIT_NOFILE soft limit", soft as f64));
                v.eta_seconds = eta(soft as f64, t.last, t.slope);
            }
            v.evidence.push(format!(
                "descriptors {} -> {} ({})",
                t.first,
                t.last,
                shape_word(&t)
            ));
            if let Some(g) = top_growing_group(&samples) {
                v.evidence.push(g);
            }
            verdicts.push(v);
        }

        let threads = series(&|s| Some(s.threads as f64));
        if let Some(t) = rising(&threads, policy.thread_min_growth) {
            let mut v = verdict(
                DriftKind::ThreadLeak,
                &t,
                "threads",
                confidence(&t, threads.len()),
            );
            v.evidence
                .push(format!("OS threads {} -> {}", t.first, t.last));
            verdicts.push(v);
        }

        let goroutines = series(&|s| s.goroutines.map(|g| g as f64));
        if let Some(t) = rising(&goroutines, policy.goroutine_min_growth) {
            let mut v = verdict(
                DriftKind::GoroutineLeak,
                &t,
                "goroutines",
                confidence(&t, goroutines.len()),
            );
            v.evidence
                .push(format!("goroutines {} -> {}", t.first, t.last));
            if let Some(g) = extras.final_goroutine_groups.first() {
                v.evidence.push(describe_group(g));
            }
            verdicts.push(v);
        }

        let memory_limit = facts
            .cgroup_memory_limit
            .map(|l| ("cgroup memory.max", l as f64))
            .or(facts.gomemlimit.map(|l| ("GOMEMLIMIT", l as f64)));
        let live = if facts.is_go {
            series(&|s| live_estimate(s).map(|v| v as f64))
        } else {
            series(&|s| Some(s.rss_anon as f64))
        };
        // NextGC moves only when a GC ends, and a growing heap collects less often: a short
        // window can hold a single step of it. HeapAlloc moves with every allocation but
        // carries garbage (a sawtooth); it stands in when in-use spans grow with it, which
        // garbage alone does not make them do for long.
        let what = if facts.is_go {
            "live heap (after GC)"
        } else {
            "anonymous RSS"
        };
        let memory = rising(&live, policy.memory_min_growth_bytes)
            .map(|t| (t, what, live.len()))
            .or_else(|| {
                if !facts.is_go {
                    return None;
                }
                let alloc = series(&|s| s.heap_alloc.map(|v| v as f64));
                let inuse = series(&|s| s.heap_inuse.map(|v| v as f64));
                let t = rising(&alloc, policy.memory_min_growth_bytes)?;
                rising(&inuse, policy.memory_min_growth_bytes)?;
                Some((t, "live heap (HeapAlloc, with in-use spans)", alloc.len()))
            });
        if let Some((t, what, points)) = memory {
            let mut v = verdict(DriftKind::MemoryDrift, &t, "bytes", confidence(&t, points));
            // memory.max is enforced on the cgroup's usage (page cache included), not on
            // this process's RSS; RSS stands in when the usage cannot be read.
            let used_now = samples
                .last()
                .map_or(0.0, |s| s.cgroup_usage.unwrap_or(s.rss) as f64);
            if let Some((name, limit)) = memory_limit {
                v.limit = Some((name, limit));
                let used = if name == "GOMEMLIMIT" {
                    t.last
                } else {
                    used_now
                };
                v.eta_seconds = eta(limit, used, t.slope);
            }
            v.evidence.push(format!(
                "{what} {} -> {} ({})",
                mib(t.first),
                mib(t.last),
                shape_word(&t)
            ));
            verdicts.push(v);
        }

        if facts.is_go {
            let frag = series(&|s| Some(s.heap_inuse? as f64 - live_estimate(s)? as f64));
            if let Some(t) = rising(&frag, policy.fragmentation_min_growth_bytes) {
                let live_growth = trend(&live, &policy.shape).map_or(0.0, |l| l.growth.max(0.0));
                if live_growth < policy.live_share * t.growth {
                    // The live heap's own growth is small beside it: one cause, fragmentation.
                    verdicts.retain(|v| v.kind != DriftKind::MemoryDrift);
                    let mut v = verdict(
                        DriftKind::AllocatorFragmentation,
                        &t,
                        "bytes",
                        confidence(&t, frag.len()),
                    );
                    if let Some((name, limit)) = memory_limit {
                        v.limit = Some((name, limit));
                        v.eta_seconds =
                            eta(limit, samples.last().map_or(0.0, |s| s.rss as f64), t.slope);
                    }
                    v.evidence.push(format!(
                        "in-use spans minus live objects {} -> {} while live objects grew {}",
                        mib(t.first),
                        mib(t.last),
                        mib(live_growth)
                    ));
                    verdicts.push(v);
                }
            }
        }

        deadline(facts, &samples, policy, &mut verdicts);
    }

    stuck_goroutines(extras, policy, &mut verdicts);
    link_consequences(&mut verdicts, policy);
    let probe = probe_summary(&samples);
    TriageReport {
        facts: facts.clone(),
        samples: all.len(),
        window_seconds,
        verdicts,
        checks: static_checks(facts, all.last(), policy),
        probe,
        judged: enough,
        notes: extras.notes.clone(),
    }
}

/// 0 for a series that rises in half its point pairs (noise), 1 for one that rises in all.
fn rise_certainty(t: &Trend) -> f64 {
    ((t.rising_pairs - 0.5) / 0.5).clamp(0.0, 1.0)
}

/// Live heap after the last GC: NextGC / 2 under the default GOGC=100, which does not swing
/// with garbage as HeapAlloc does. HeapAlloc when NextGC is implausible (GOGC=off, or the
/// 4 MiB floor of a tiny heap).
fn live_estimate(s: &Sample) -> Option<u64> {
    let alloc = s.heap_alloc?;
    match s.next_gc {
        Some(next) if next > 8 << 20 && next / 2 <= s.heap_inuse.unwrap_or(u64::MAX) => {
            Some(next / 2)
        }
        _ => Some(alloc),
    }
}

fn verdict(kind: DriftKind, t: &Trend, unit: &'static str, confidence: f64) -> Verdict {
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
    }
}

fn eta(limit: f64, now: f64, slope_per_second: f64) -> Option<f64> {
    (slope_per_second > 0.0).then(|| ((limit - now) / slope_per_second).max(0.0))
}

fn shape_word(t: &Trend) -> String {
    format!("{} over {:.0}s", t.shape.name(), t.span_seconds)
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
}

/// The descriptor group that grew most between the first and the last sample.
fn top_growing_group(samples: &[&Sample]) -> Option<String> {
    let (first, last) = (samples.first()?, samples.last()?);
    let (name, delta) = last
        .fd_groups
        .iter()
        .map(|(k, n)| {
            (
                k,
                *n as i64 - first.fd_groups.get(k).copied().unwrap_or(0) as i64,
            )
        })
        .max_by_key(|(_, d)| *d)?;
    let span = (last.t - first.t).max(1.0);
    (delta > 0).then(|| {
        format!(
            "{name} grew +{delta} ({:+.0}/min)",
            delta as f64 * 60.0 / span
        )
    })
}

fn describe_group(g: &GoroutineView) -> String {
    let place = g
        .group
        .frames
        .iter()
        .find(|f| crate::analyze::stacks::is_app_frame(&f.function))
        .or(g.group.frames.first())
        .map(|f| format!("{} ({}:{})", f.function, f.file, f.line))
        .unwrap_or_else(|| "(no stack)".to_string());
    let wait = match g.group.wait_minutes {
        Some((lo, hi)) if lo == hi => format!(", waiting {lo} min"),
        Some((lo, hi)) => format!(", waiting {lo}-{hi} min"),
        None => String::new(),
    };
    let state = if g.group.state.is_empty() {
        String::new()
    } else {
        format!(" in {}", g.group.state)
    };
    format!(
        "largest group: {} goroutines{state}{wait} at {place}",
        g.group.count
    )
}

fn deadline(
    facts: &TargetFacts,
    samples: &[&Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) {
    let latencies: Vec<(f64, f64)> = samples
        .iter()
        .filter_map(|s| s.probe_seconds.map(|l| (s.t, l)))
        .collect();
    if facts.probe_url.is_some() {
        let Some(summary) = probe_summary(samples) else {
            return;
        };
        let Some(t) = trend(&latencies, &policy.shape) else {
            return;
        };
        if summary.p99_last >= policy.probe_p99_ratio * summary.p99_first
            && summary.p99_last - summary.p99_first >= policy.probe_min_increase_seconds
            && t.slope > 0.0
        {
            let mut v = verdict(DriftKind::DeadlineDrift, &t, "seconds", rise_certainty(&t));
            v.current = summary.p99_last;
            v.evidence.push(format!(
                "probe p99 {:.0} ms -> {:.0} ms, p50 {:.0} ms -> {:.0} ms",
                summary.p99_first * 1e3,
                summary.p99_last * 1e3,
                summary.p50_first * 1e3,
                summary.p50_last * 1e3
            ));
            verdicts.push(v);
        }
        return;
    }
    // Without a probe: work blocked on I/O piling up while memory does not grow.
    let io: Vec<(f64, f64)> = samples
        .iter()
        .filter_map(|s| s.goroutines_io_wait.map(|v| (s.t, v as f64)))
        .collect();
    let Some(t) = trend(&io, &policy.shape) else {
        return;
    };
    let grew = t.slope > 0.0
        && t.growth >= policy.io_wait_min_growth
        && t.rising_pairs >= policy.min_rising_pairs;
    if grew && !verdicts.iter().any(|v| v.kind == DriftKind::MemoryDrift) {
        let mut v = verdict(
            DriftKind::DeadlineDrift,
            &t,
            "goroutines in IO wait",
            rise_certainty(&t) * policy.inferred_confidence,
        );
        v.inferred = true;
        v.evidence.push(format!(
            "inferred without a probe: goroutines blocked in IO wait {} -> {}; give --probe URL to measure latency",
            t.first, t.last
        ));
        verdicts.push(v);
    }
}

fn probe_summary(samples: &[&Sample]) -> Option<ProbeSummary> {
    let lat: Vec<f64> = samples.iter().filter_map(|s| s.probe_seconds).collect();
    let failures = samples.iter().filter(|s| s.probe_failed).count();
    if lat.len() < 6 {
        return None;
    }
    let third = lat.len() / 3;
    let pct = |v: &[f64], p: f64| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let (first, last) = (&lat[..third], &lat[lat.len() - third..]);
    Some(ProbeSummary {
        p50_first: pct(first, 0.5),
        p99_first: pct(first, 0.99),
        p50_last: pct(last, 0.5),
        p99_last: pct(last, 0.99),
        failures,
    })
}

/// A pile-up that no longer grows is still a leak when its goroutines wait for minutes.
fn stuck_goroutines(extras: &Extras, policy: &DriftPolicy, verdicts: &mut Vec<Verdict>) {
    if verdicts.iter().any(|v| v.kind == DriftKind::GoroutineLeak) {
        return;
    }
    let Some(g) = extras
        .final_goroutine_groups
        .iter()
        .find(|g| g.stuck && g.group.count >= policy.stuck_group_min)
    else {
        return;
    };
    verdicts.push(Verdict {
        kind: DriftKind::GoroutineLeak,
        rate_per_min: 0.0,
        unit: "goroutines",
        current: g.group.count as f64,
        eta_seconds: None,
        limit: None,
        confidence: policy.stuck_confidence,
        shape: Shape::Flat,
        evidence: vec![
            "not growing in this window, but stuck: the goroutines wait far longer than any request should".to_string(),
            describe_group(g),
        ],
        consequence_of: None,
        inferred: false,
    });
}

/// Growth that follows from another is named as its consequence: goroutines holding leaked
/// connections (fd-exhaustion first), a goroutine per locked thread (thread-leak first).
fn link_consequences(verdicts: &mut [Verdict], policy: &DriftPolicy) {
    let rate = |vs: &[Verdict], k: DriftKind| {
        vs.iter()
            .find(|v| v.kind == k && v.rate_per_min > 0.0)
            .map(|v| v.rate_per_min)
    };
    let similar =
        |a: f64, b: f64| a / b <= policy.consequence_ratio && b / a <= policy.consequence_ratio;
    let goroutines = rate(verdicts, DriftKind::GoroutineLeak);
    // Goroutines that pile up mostly in IO wait, with no descriptor leak behind them, are
    // requests waiting on something slow: the drift is in the deadlines, and the goroutine
    // count follows from it.
    let io_wait = verdicts
        .iter()
        .find(|v| v.kind == DriftKind::DeadlineDrift && v.inferred)
        .map(|v| v.rate_per_min);
    if let (Some(g), Some(io), None) =
        (goroutines, io_wait, rate(verdicts, DriftKind::FdExhaustion))
    {
        if io >= policy.io_wait_share_of_goroutines * g {
            for v in verdicts
                .iter_mut()
                .filter(|v| v.kind == DriftKind::GoroutineLeak)
            {
                v.consequence_of = Some(DriftKind::DeadlineDrift);
            }
            return;
        }
    }
    let primary = match (
        goroutines,
        rate(verdicts, DriftKind::ThreadLeak),
        rate(verdicts, DriftKind::FdExhaustion),
    ) {
        (Some(g), Some(t), _) if similar(g, t) => Some(DriftKind::ThreadLeak),
        (Some(g), _, Some(f)) if similar(g, f) => Some(DriftKind::FdExhaustion),
        _ => None,
    };
    if let Some(primary) = primary {
        for v in verdicts
            .iter_mut()
            .filter(|v| v.kind == DriftKind::GoroutineLeak)
        {
            v.consequence_of = Some(primary);
        }
    }
    // Work blocked on I/O that grows with leaked connections or goroutines is their doing,
    // not a slow upstream.
    let cause = [
        DriftKind::FdExhaustion,
        DriftKind::ThreadLeak,
        DriftKind::GoroutineLeak,
    ]
    .into_iter()
    .find(|k| {
        verdicts
            .iter()
            .any(|v| v.kind == *k && v.consequence_of.is_none())
    });
    if let Some(cause) = cause {
        for v in verdicts
            .iter_mut()
            .filter(|v| v.kind == DriftKind::DeadlineDrift && v.inferred)
        {
            v.consequence_of = Some(cause);
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(go: bool) -> TargetFacts {
        TargetFacts {
            pid: 4242,
            nofile_soft: Some(1024),
            nofile_hard: Some(4096),
            cgroup_memory_limit: Some(512 << 20),
            is_go: go,
            cpus_online: 8,
            ..TargetFacts::default()
        }
    }

    fn window(n: usize, f: impl Fn(usize, &mut Sample)) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let mut s = Sample {
                    t: 1000.0 + i as f64,
                    rss: 100 << 20,
                    rss_anon: 80 << 20,
                    threads: 12,
                    fds: 200,
                    goroutines: Some(300),
                    heap_alloc: Some(40 << 20),
                    heap_inuse: Some(44 << 20),
                    goroutines_io_wait: Some(20),
                    ..Sample::default()
                };
                f(i, &mut s);
                s
            })
            .collect()
    }

    fn kinds(r: &TriageReport) -> Vec<&'static str> {
        r.verdicts.iter().map(|v| v.kind.name()).collect()
    }

    fn run(go: bool, samples: &[Sample]) -> TriageReport {
        classify(
            &facts(go),
            samples,
            &Extras::default(),
            &DriftPolicy::default(),
        )
    }

    #[test]
    fn healthy_is_steady() {
        let r = run(
            true,
            &window(60, |i, s| {
                s.fds = 200 + (i % 3) as u64;
                s.goroutines = Some(300 + (i % 5) as u64);
            }),
        );
        assert!(r.verdicts.is_empty(), "{:?}", r.verdicts);
        assert_eq!((r.samples, r.window_seconds), (60, 59.0));
    }

    #[test]
    fn fd_leak_with_eta_and_the_growing_group() {
        let r = run(
            true,
            &window(60, |i, s| {
                s.fds = 200 + 5 * i as u64;
                s.fd_groups
                    .insert("tcp ESTABLISHED -> 10.0.3.7:5432".into(), 5 * i as u64);
                s.fd_groups.insert("pipe".into(), 6);
            }),
        );
        assert_eq!(kinds(&r), ["fd-exhaustion"]);
        let v = &r.verdicts[0];
        assert!((v.rate_per_min - 300.0).abs() < 1.0, "{v:?}");
        // 1024 - 495 left at 5/s.
        assert!((v.eta_seconds.unwrap() - (1024.0 - 495.0) / 5.0).abs() < 1.0);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.contains("10.0.3.7:5432 grew +")),
            "{:?}",
            v.evidence
        );
        assert!(v.confidence > 0.9);
    }

    #[test]
    fn a_step_and_a_warm_up_are_not_drift() {
        let step = run(
            false,
            &window(60, |i, s| s.fds = if i < 30 { 200 } else { 600 }),
        );
        assert!(step.verdicts.is_empty(), "{:?}", step.verdicts);
        let warm = run(
            false,
            &window(60, |i, s| {
                s.threads = if i < 5 { 2 + 4 * i as u64 } else { 22 }
            }),
        );
        assert!(warm.verdicts.is_empty(), "{:?}", warm.verdicts);
    }

    #[test]
    fn memory_drift_in_a_sawtooth_and_fragmentation() {
        let mib = 1u64 << 20;
        let drift = run(
            true,
            &window(60, |i, s| {
                s.heap_alloc = Some((40 + i as u64) * mib + (i as u64 % 7) * mib);
                s.heap_inuse = s.heap_alloc.map(|a| a + 4 * mib);
            }),
        );
        assert_eq!(kinds(&drift), ["memory-drift"]);
        assert_eq!(drift.verdicts[0].limit.unwrap().0, "cgroup memory.max");
        let frag = run(
            true,
            &window(60, |i, s| s.heap_inuse = Some((44 + i as u64) * mib)),
        );
        assert_eq!(kinds(&frag), ["allocator-fragmentation"]);
    }

    #[test]
    fn goroutines_holding_leaked_connections_are_a_consequence() {
        let r = run(
            true,
            &window(60, |i, s| {
                s.fds = 200 + 2 * i as u64;
                s.goroutines = Some(300 + 4 * i as u64);
            }),
        );
        let g = r
            .verdicts
            .iter()
            .find(|v| v.kind == DriftKind::GoroutineLeak)
            .unwrap();
        assert_eq!(g.consequence_of, Some(DriftKind::FdExhaustion));
        let t = run(
            true,
            &window(60, |i, s| {
                s.threads = 12 + i as u64;
                s.goroutines = Some(300 + i as u64 * 60);
            }),
        );
        let g = t
            .verdicts
            .iter()
            .find(|v| v.kind == DriftKind::GoroutineLeak)
            .unwrap();
        assert_eq!(
            g.consequence_of, None,
            "60 goroutines per thread: two causes"
        );
    }

    #[test]
    fn deadline_drift_from_a_probe_and_inferred() {
        let mut f = facts(true);
        f.probe_url = Some("http://127.0.0.1:8080/healthz".into());
        let probed = window(60, |i, s| s.probe_seconds = Some(0.010 + 0.002 * i as f64));
        let r = classify(&f, &probed, &Extras::default(), &DriftPolicy::default());
        assert_eq!(kinds(&r), ["deadline-drift"]);
        assert!(!r.verdicts[0].inferred);
        let p = r.probe.unwrap();
        assert!(p.p99_last > p.p99_first * 1.5);
        let inferred = run(
            true,
            &window(60, |i, s| s.goroutines_io_wait = Some(20 + 3 * i as u64)),
        );
        let v = inferred
            .verdicts
            .iter()
            .find(|v| v.kind == DriftKind::DeadlineDrift)
            .unwrap();
        assert!(v.inferred);
    }

    #[test]
    fn goroutines_waiting_on_io_are_deadline_drift_not_a_leak() {
        let r = run(
            true,
            &window(60, |i, s| {
                s.goroutines = Some(100 + 3 * i as u64);
                s.goroutines_io_wait = Some(20 + 3 * i as u64);
            }),
        );
        let primary: Vec<&str> = r
            .verdicts
            .iter()
            .filter(|v| v.consequence_of.is_none())
            .map(|v| v.kind.name())
            .collect();
        assert_eq!(primary, ["deadline-drift"], "{:#?}", r.verdicts);
        let g = r
            .verdicts
            .iter()
            .find(|v| v.kind == DriftKind::GoroutineLeak)
            .unwrap();
        assert_eq!(g.consequence_of, Some(DriftKind::DeadlineDrift));

        // The same pile-up beside leaking descriptors is the descriptors' doing.
        let r = run(
            true,
            &window(60, |i, s| {
                s.goroutines = Some(100 + 3 * i as u64);
                s.goroutines_io_wait = Some(20 + 3 * i as u64);
                s.fds = 50 + 3 * i as u64;
            }),
        );
        let d = r
            .verdicts
            .iter()
            .find(|v| v.kind == DriftKind::DeadlineDrift)
            .unwrap();
        assert_eq!(d.consequence_of, Some(DriftKind::FdExhaustion));
    }

    #[test]
    fn a_pile_up_that_stopped_growing_but_waits_for_minutes_is_a_stuck_leak() {
        use crate::analyze::policy::StacksPolicy;
        use crate::analyze::stacks::{goroutine_report, GroupFilter};
        use crate::parse::goroutines::parse_dump;

        let mut dump = String::from(
            "goroutine 1 [select, 50 minutes]:\nmain.main()\n\t/app/main.go:9 +0x1d\n\n",
        );
        for id in 10..130 {
            dump += &format!(
                "goroutine {id} [chan receive, {} minutes]:\nmain.waitForReply(...)\n\t/app/client.go:41\nmain.call(0xc000010000?)\n\t/app/client.go:28 +0x5b\ncreated by main.serve in goroutine 1\n\t/app/server.go:17 +0x4f\n\n",
                40 + id % 7
            );
        }
        let parsed = parse_dump(dump.as_bytes(), "dump", false).unwrap();
        let report = goroutine_report(parsed, &GroupFilter::default(), &StacksPolicy::default(), 5);
        let extras = Extras {
            final_goroutine_groups: report.groups,
            notes: Vec::new(),
        };
        let flat = window(60, |_, s| s.goroutines = Some(121));
        let r = classify(&facts(true), &flat, &extras, &DriftPolicy::default());
        assert_eq!(kinds(&r), ["goroutine-leak"], "{:#?}", r.verdicts);
        let v = &r.verdicts[0];
        assert_eq!((v.rate_per_min, v.current), (0.0, 120.0));
        assert!(
            v.evidence.iter().any(|e| e.contains("main.waitForReply")),
            "{:?}",
            v.evidence
        );

        // The same goroutines with no ages yet (no GC since they blocked) are not judged stuck.
        let young = dump
            .lines()
            .map(|l| match l.split_once(", ") {
                Some((head, _)) if l.starts_with("goroutine ") => format!("{head}]:"),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let parsed = parse_dump(young.as_bytes(), "dump", false).unwrap();
        let extras = Extras {
            final_goroutine_groups: goroutine_report(
                parsed,
                &GroupFilter::default(),
                &StacksPolicy::default(),
                5,
            )
            .groups,
            notes: Vec::new(),
        };
        let r = classify(&facts(true), &flat, &extras, &DriftPolicy::default());
        assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
    }

    #[test]
    fn too_few_samples_are_not_judged() {
        let r = run(true, &window(3, |i, s| s.fds = 50 + 100 * i as u64));
        assert!(!r.judged && r.verdicts.is_empty());
        assert!(run(true, &window(60, |_, _| {})).judged);
    }

    #[test]
    fn static_checks_fire() {
        let mut f = facts(true);
        f.cpu_quota = Some(2.0);
        let last = Sample {
            rss: 500 << 20,
            ..Sample::default()
        };
        let ids: Vec<&str> = static_checks(&f, Some(&last), &DriftPolicy::default())
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            ids,
            [
                "go-no-gomemlimit",
                "gomaxprocs-above-quota",
                "nofile-1024",
                "rss-near-cgroup-limit"
            ]
        );
        f.gomemlimit_set = true;
        f.gomaxprocs = Some(2);
        f.nofile_soft = Some(65536);
        assert!(static_checks(&f, Some(&Sample::default()), &DriftPolicy::default()).is_empty());
    }

    #[test]
    fn too_few_samples_say_nothing() {
        assert!(run(true, &window(3, |i, s| s.fds = 200 + 100 * i as u64))
            .verdicts
            .is_empty());
        assert!(run(true, &[]).verdicts.is_empty());
    }
}
