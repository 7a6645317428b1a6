//! Descriptors, threads and goroutines that climb over the window.

use super::{confidence, eta, rising, series, shape_word, verdict, DriftKind, Extras, Verdict};
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
    v.evidence.push(format!(
        "descriptors {} -> {} ({})",
        t.first,
        t.last,
        shape_word(&t)
    ));
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
        .push(format!("OS threads {} -> {}", t.first, t.last));
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
        .push(format!("goroutines {} -> {}", t.first, t.last));
    if let Some(g) = extras.final_goroutine_groups.first() {
        v.evidence.push(describe_group(g));
    }
    verdicts.push(v);
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

pub(super) fn describe_group(g: &GoroutineView) -> String {
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
