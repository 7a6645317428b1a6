//! Growth that follows from another is its consequence: one cause, one primary verdict.

use super::{DriftKind, Verdict};
use crate::analyze::policy::DriftPolicy;

/// Growth that follows from another is named as its consequence: goroutines holding leaked
/// connections (fd-exhaustion first), a goroutine per locked thread (thread-leak first).
pub(super) fn link(verdicts: &mut [Verdict], policy: &DriftPolicy) {
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
