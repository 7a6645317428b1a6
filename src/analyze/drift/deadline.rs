//! Deadline drift: the latency tail creeping up, measured by `--probe`, or inferred without
//! one from work piling up in I/O wait while memory does not grow.

use super::{rise_certainty, verdict, DriftKind, Evidence, ProbeLatency, ProbeSummary, Verdict};
use crate::analyze::policy::DriftPolicy;
use crate::analyze::series::trend;
use crate::model::sample::{Sample, TargetFacts};

pub(super) fn judge(
    facts: &TargetFacts,
    samples: &[&Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) {
    if facts.probe_url.is_some() {
        probed(samples, policy, verdicts);
    } else {
        inferred(samples, policy, verdicts);
    }
}

fn probed(samples: &[&Sample], policy: &DriftPolicy, verdicts: &mut Vec<Verdict>) {
    let latencies: Vec<(f64, f64)> = samples
        .iter()
        .filter_map(|s| s.probe_seconds.map(|l| (s.t, l)))
        .collect();
    let Some(p) = latency(samples) else {
        return;
    };
    let Some(t) = trend(&latencies, &policy.shape) else {
        return;
    };
    if p.p99_last >= policy.probe_p99_ratio * p.p99_first
        && p.p99_last - p.p99_first >= policy.probe_min_increase_seconds
        && t.slope > 0.0
    {
        let mut v = verdict(DriftKind::DeadlineDrift, &t, "seconds", rise_certainty(&t));
        v.current = p.p99_last;
        v.evidence.push(Evidence::ProbeLatency {
            p50_first: p.p50_first,
            p50_last: p.p50_last,
            p99_first: p.p99_first,
            p99_last: p.p99_last,
        });
        verdicts.push(v);
    }
}

/// Without a probe: work blocked on I/O piling up while memory does not grow.
fn inferred(samples: &[&Sample], policy: &DriftPolicy, verdicts: &mut Vec<Verdict>) {
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
        v.evidence.push(Evidence::IoWaitWithoutProbe {
            first: t.first,
            last: t.last,
        });
        verdicts.push(v);
    }
}

/// How the probe fared over the window: every request counted, failures too.
pub(super) fn probe_summary(facts: &TargetFacts, samples: &[&Sample]) -> Option<ProbeSummary> {
    facts.probe_url.as_ref()?;
    Some(ProbeSummary {
        requests: samples
            .iter()
            .filter(|s| s.probe_seconds.is_some() || s.probe_failed)
            .count(),
        failures: samples.iter().filter(|s| s.probe_failed).count(),
        latency: latency(samples),
    })
}

/// p50 and p99 of the first and last third of the answers; None with fewer than six.
fn latency(samples: &[&Sample]) -> Option<ProbeLatency> {
    let lat: Vec<f64> = samples.iter().filter_map(|s| s.probe_seconds).collect();
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
    Some(ProbeLatency {
        p50_first: pct(first, 0.5),
        p99_first: pct(first, 0.99),
        p50_last: pct(last, 0.5),
        p99_last: pct(last, 0.99),
    })
}
