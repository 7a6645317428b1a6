//! Descriptors, threads and goroutines that climb over the window.

use super::{confidence, eta, rising, series, verdict, DriftKind, Evidence, Extras, Verdict};
use crate::analyze::policy::DriftPolicy;
use crate::analyze::stacks::GoroutineView;
use crate::model::sample::{Sample, TargetFacts};

pub(super) fn descriptors(
    facts: &TargetFacts,
    samples: &[&Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) {
    let fds = series(samples, |s| Some(s.fds as f64));
    let Some(t) = rising(&fds, policy.fd_min_growth, policy) else {
        return;
    };
    let mut v = verdict(
        DriftKind::FdExhaustion,
        &t,
        "descriptors",
        confidence(&t, fds.len(), policy),
    );
    if let Some(soft) = facts.nofile_soft {
        v.limit = Some(("RLIMIT_NOFILE soft limit", soft as f64));
        v.eta_seconds = eta(soft as f64, t.last, t.slope);
    }
    v.evidence
        .push(Evidence::series("descriptors", "descriptors", &t));
    if let Some(g) = top_growing_group(samples) {
        v.evidence.push(g);
    }
    verdicts.push(v);
}

pub(super) fn threads(samples: &[&Sample], policy: &DriftPolicy, verdicts: &mut Vec<Verdict>) {
    let threads = series(samples, |s| Some(s.threads as f64));
    let Some(t) = rising(&threads, policy.thread_min_growth, policy) else {
        return;
    };
    let mut v = verdict(
        DriftKind::ThreadLeak,
        &t,
        "threads",
        confidence(&t, threads.len(), policy),
    );
    v.evidence
        .push(Evidence::series("OS threads", "threads", &t));
    verdicts.push(v);
}

pub(super) fn goroutines(
    samples: &[&Sample],
    extras: &Extras,
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) {
    let goroutines = series(samples, |s| s.goroutines.map(|g| g as f64));
    let Some(t) = rising(&goroutines, policy.goroutine_min_growth, policy) else {
        return;
    };
    let mut v = verdict(
        DriftKind::GoroutineLeak,
        &t,
        "goroutines",
        confidence(&t, goroutines.len(), policy),
    );
    v.evidence
        .push(Evidence::series("goroutines", "goroutines", &t));
    if let Some(g) = extras.final_goroutine_groups.first() {
        v.evidence.push(largest_group(g));
    }
    verdicts.push(v);
}

/// The descriptor group that grew most between the first and the last sample.
fn top_growing_group(samples: &[&Sample]) -> Option<Evidence> {
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
    (delta > 0).then(|| Evidence::GrowingGroup {
        group: name.clone(),
        delta,
        per_minute: delta as f64 * 60.0 / span,
    })
}

pub(super) fn largest_group(g: &GoroutineView) -> Evidence {
    let place = g
        .group
        .frames
        .iter()
        .find(|f| crate::analyze::stacks::is_app_frame(&f.function))
        .or(g.group.frames.first());
    Evidence::LargestGroup {
        goroutines: g.group.count,
        state: g.group.state.clone(),
        wait_minutes: g.group.wait_minutes,
        function: place.map_or_else(|| "(no stack)".to_string(), |f| f.function.clone()),
        location: place.map_or_else(String::new, |f| format!("{}:{}", f.file, f.line)),
    }
}
