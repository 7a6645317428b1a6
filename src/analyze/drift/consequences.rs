//! Growth that follows from another is its consequence: one cause, one primary verdict.

use super::{DriftKind, Evidence, Verdict};
use crate::analyze::policy::DriftPolicy;
use crate::model::sample::Sample;

/// What the window measured, for telling growth that moves in fixed proportion with another.
pub(super) struct Series<'a> {
    /// The samples after warm-up.
    pub samples: &'a [&'a Sample],
    /// The live heap at each GC end (t, bytes), when memory was judged on a Go target.
    pub live_heap: &'a [(f64, f64)],
}

/// Growth that follows from another is named as its consequence: goroutines holding leaked
/// connections (fd-exhaustion first), a goroutine per locked thread (thread-leak first), and
/// goroutines and memory that grow in fixed proportion with held descriptors (or memory with
/// leaked goroutines), with the proportion as evidence.
pub(super) fn link(verdicts: &mut [Verdict], series: &Series, policy: &DriftPolicy) {
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
    let fds = rate(verdicts, DriftKind::FdExhaustion);
    // Goroutines per held descriptor, when the two rose together all window long: a server
    // can spend several goroutines on each connection (etcd: about six per watch stream), so
    // the rates alone need not be alike.
    let per_fd = fds.and(goroutines).and_then(|_| {
        proportion(
            &pairs(series.samples, |s| s.goroutines.map(|g| g as f64)),
            policy,
        )
    });
    let primary = match (goroutines, rate(verdicts, DriftKind::ThreadLeak), fds) {
        (Some(g), Some(t), _) if similar(g, t) => Some(DriftKind::ThreadLeak),
        (Some(g), _, Some(f)) if similar(g, f) || per_fd.is_some() => Some(DriftKind::FdExhaustion),
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
    link_memory(verdicts, series, per_fd, policy);
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

/// Memory that grows in fixed proportion with held descriptors follows from them (each
/// connection's buffers and state), or, with no descriptor growth, with leaked goroutines.
/// The primary verdict gets the proportion as evidence: "6.0 goroutines and 37 KiB per held
/// connection".
fn link_memory(
    verdicts: &mut [Verdict],
    series: &Series,
    goroutines_per_fd: Option<f64>,
    policy: &DriftPolicy,
) {
    let is_cause = |vs: &[Verdict], k: DriftKind| {
        vs.iter()
            .any(|v| v.kind == k && v.rate_per_min > 0.0 && v.consequence_of.is_none())
    };
    let memory = verdicts
        .iter()
        .any(|v| v.kind == DriftKind::MemoryDrift && v.consequence_of.is_none());
    let live = live_memory(series);
    let (primary, by) = if is_cause(verdicts, DriftKind::FdExhaustion) {
        (DriftKind::FdExhaustion, Driver::Descriptors)
    } else if is_cause(verdicts, DriftKind::GoroutineLeak) {
        (DriftKind::GoroutineLeak, Driver::Goroutines)
    } else {
        return;
    };
    let bytes_per = memory
        .then(|| proportion(&driven(series.samples, by, &live), policy))
        .flatten();
    let goroutines_per = goroutines_per_fd.filter(|_| {
        by == Driver::Descriptors
            && verdicts
                .iter()
                .any(|v| v.kind == DriftKind::GoroutineLeak && v.consequence_of == Some(primary))
    });
    if bytes_per.is_none() && goroutines_per.is_none() {
        return;
    }
    let unit = match by {
        Driver::Goroutines => "leaked goroutine",
        Driver::Descriptors if holds_connections(verdicts) => "held connection",
        Driver::Descriptors => "held descriptor",
    };
    for v in verdicts.iter_mut() {
        if v.kind == primary {
            v.evidence.push(Evidence::FixedProportion {
                goroutines_per,
                bytes_per,
                per: unit,
            });
        } else if v.kind == DriftKind::MemoryDrift && bytes_per.is_some() {
            v.consequence_of = Some(primary);
            v.evidence.push(Evidence::PerUnitOfCause {
                cause: primary,
                per_unit: bytes_per.unwrap_or(0.0),
                unit: "bytes",
                cause_unit: unit,
            });
        } else if v.kind == DriftKind::GoroutineLeak && goroutines_per.is_some() {
            v.evidence.push(Evidence::PerUnitOfCause {
                cause: primary,
                per_unit: goroutines_per.unwrap_or(0.0),
                unit: "goroutines",
                cause_unit: unit,
            });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Descriptors,
    Goroutines,
}

/// The growing descriptor group the fd-exhaustion evidence names is TCP connections.
fn holds_connections(verdicts: &[Verdict]) -> bool {
    verdicts
        .iter()
        .filter(|v| v.kind == DriftKind::FdExhaustion)
        .flat_map(|v| &v.evidence)
        .any(|e| matches!(e, Evidence::GrowingGroup { group, .. } if group.starts_with("tcp ")))
}

/// The live heap at GC ends inside the window; for a process that is not Go (no GC points),
/// anonymous RSS at every sample, which is what its memory was judged on.
fn live_memory(series: &Series) -> Vec<(f64, f64)> {
    let start = series.samples.first().map_or(f64::INFINITY, |s| s.t);
    let end = series.samples.last().map_or(f64::NEG_INFINITY, |s| s.t);
    if series.live_heap.is_empty() {
        return series
            .samples
            .iter()
            .map(|s| (s.t, s.rss_anon as f64))
            .collect();
    }
    series
        .live_heap
        .iter()
        .copied()
        .filter(|(t, _)| (start..=end).contains(t))
        .collect()
}

/// (driver, value) pairs: each point of `values` beside the driver as last sampled before
/// (or at) its time.
fn driven(samples: &[&Sample], by: Driver, values: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let driver = |s: &Sample| match by {
        Driver::Descriptors => Some(s.fds as f64),
        Driver::Goroutines => s.goroutines.map(|g| g as f64),
    };
    values
        .iter()
        .filter_map(|&(t, y)| {
            let x = samples
                .iter()
                .rev()
                .filter(|s| s.t <= t)
                .find_map(|s| driver(s))
                .or_else(|| samples.iter().find_map(|s| driver(s)))?;
            Some((x, y))
        })
        .collect()
}

/// (descriptors, value) at every sample where `f` has a value.
fn pairs(samples: &[&Sample], f: impl Fn(&Sample) -> Option<f64>) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|s| f(s).map(|y| (s.fds as f64, y)))
        .collect()
}

/// How much `y` grows per unit of `x`, when the two move in fixed proportion: the slope of
/// a least-squares line through the pairs, if it rises and the line explains the pairs (R²
/// at least the policy's fit). None when `x` did not move or the points scatter.
fn proportion(points: &[(f64, f64)], policy: &DriftPolicy) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let syy: f64 = points.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = sxy * sxy / (sxx * syy);
    (slope > 0.0 && r2 >= policy.consequence_min_fit).then_some(slope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::drift::{classify, Extras};
    use crate::model::sample::TargetFacts;

    /// A server holding `fds_per_s` more accepted connections every second, with
    /// `goroutines_per` goroutines and `bytes_per` bytes of live heap for each, a GC every
    /// 3 s: the shape of etcd under clients that keep watch streams open.
    fn held_connections(goroutines_per: f64, bytes_per: f64) -> Vec<Sample> {
        (0..60)
            .map(|i| {
                let t = i as f64;
                let held = 10.0 * t;
                let at_gc = (t / 3.0).floor() * 3.0;
                let live = 40.0 * 1048576.0 + bytes_per * 10.0 * at_gc;
                let mut s = Sample {
                    t: 1000.0 + t,
                    rss: 100 << 20,
                    rss_anon: 80 << 20,
                    threads: 12,
                    fds: 20 + held as u64,
                    goroutines: Some(40 + (goroutines_per * held) as u64 + i % 3),
                    heap_alloc: Some(live as u64 + (i % 3) * (1 << 20)),
                    heap_inuse: Some(live as u64 + (4 << 20)),
                    next_gc: Some(2 * live as u64),
                    heap_live_profile: Some(live as u64),
                    num_gc: Some(10 + (t / 3.0).floor() as u64),
                    last_gc: Some(1000.0 + at_gc - 0.5),
                    goroutines_io_wait: Some(20),
                    ..Sample::default()
                };
                s.fd_groups
                    .insert("tcp ESTABLISHED :2379 <- peers".into(), held as u64);
                s
            })
            .collect()
    }

    fn judge(samples: &[Sample]) -> Vec<Verdict> {
        let facts = TargetFacts {
            pid: 4242,
            nofile_soft: Some(20_000),
            is_go: true,
            cpus_online: 2,
            ..TargetFacts::default()
        };
        classify(&facts, samples, &Extras::default(), &DriftPolicy::default()).verdicts
    }

    fn of(verdicts: &[Verdict], kind: DriftKind) -> &Verdict {
        verdicts
            .iter()
            .find(|v| v.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} in {verdicts:#?}"))
    }

    #[test]
    fn goroutines_and_memory_in_fixed_proportion_follow_the_held_connections() {
        // Six goroutines per connection: the rates differ sixfold, the proportion holds.
        let verdicts = judge(&held_connections(6.0, 37.0 * 1024.0));
        let primary: Vec<DriftKind> = verdicts
            .iter()
            .filter(|v| v.consequence_of.is_none())
            .map(|v| v.kind)
            .collect();
        assert_eq!(primary, [DriftKind::FdExhaustion], "{verdicts:#?}");
        for kind in [DriftKind::GoroutineLeak, DriftKind::MemoryDrift] {
            assert_eq!(
                of(&verdicts, kind).consequence_of,
                Some(DriftKind::FdExhaustion)
            );
        }
        let fd = of(&verdicts, DriftKind::FdExhaustion);
        let near = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 0.02 * b);
        assert!(
            fd.evidence.iter().any(|e| matches!(e,
                Evidence::FixedProportion { goroutines_per, bytes_per, per: "held connection" }
                    if near(*goroutines_per, 6.0) && near(*bytes_per, 37.0 * 1024.0))),
            "{:?}",
            fd.evidence
        );
        assert!(of(&verdicts, DriftKind::MemoryDrift).evidence.iter().any(|e| matches!(e,
            Evidence::PerUnitOfCause { cause: DriftKind::FdExhaustion, per_unit, unit: "bytes", cause_unit: "held connection" }
                if near(Some(*per_unit), 37.0 * 1024.0))));
    }

    #[test]
    fn one_goroutine_per_connection_and_no_memory_growth() {
        let verdicts = judge(&held_connections(1.0, 0.0));
        assert!(verdicts.iter().all(|v| v.kind != DriftKind::MemoryDrift));
        assert_eq!(
            of(&verdicts, DriftKind::GoroutineLeak).consequence_of,
            Some(DriftKind::FdExhaustion)
        );
        assert!(of(&verdicts, DriftKind::FdExhaustion)
            .evidence
            .iter()
            .any(|e| matches!(e,
                Evidence::FixedProportion { goroutines_per: Some(g), bytes_per: None, per: "held connection" }
                    if (g - 1.0).abs() < 0.02)));
    }

    #[test]
    fn a_proportion_needs_points_on_a_line() {
        let policy = DriftPolicy::default();
        let line: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 6.0 * i as f64 + 3.0)).collect();
        assert!((proportion(&line, &policy).unwrap() - 6.0).abs() < 1e-9);
        // The second series jumps about whatever the first does.
        let scattered: Vec<(f64, f64)> = (0..20)
            .map(|i| (i as f64, if i % 2 == 0 { 0.0 } else { 100.0 } + i as f64))
            .collect();
        assert_eq!(proportion(&scattered, &policy), None);
        let falling: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, -(i as f64))).collect();
        assert_eq!(proportion(&falling, &policy), None);
        assert_eq!(proportion(&line[..2], &policy), None);
        let flat: Vec<(f64, f64)> = (0..20).map(|i| (5.0, i as f64)).collect();
        assert_eq!(proportion(&flat, &policy), None);
    }
}
