//! Goroutines that pile up and stay: a leak even when the count no longer grows. Proven by
//! identity (the same goroutine IDs in the same wait at the same frames in the first and the
//! latest `?debug=2` dump), or, without dumps across the window, by the wait ages Go prints.

use std::collections::HashMap;

use super::growth::largest_group;
use super::{DriftKind, Evidence, Extras, StuckEvidence, StuckHolder, Verdict};
use crate::analyze::policy::DriftPolicy;
use crate::analyze::series::Shape;
use crate::analyze::stacks::is_app_frame;
use crate::model::sample::{GoroutineRecord, GoroutineSnapshot, Sample};

pub(super) fn judge(
    extras: &Extras,
    samples: &[Sample],
    policy: &DriftPolicy,
    verdicts: &mut Vec<Verdict>,
) {
    let proven = by_identity(&extras.goroutine_snapshots, policy);
    let leaked = leak_profile(extras);
    if let Some(v) = verdicts
        .iter_mut()
        .find(|v| v.kind == DriftKind::GoroutineLeak)
    {
        // Growing and stuck: the growth verdict stands, the identity proof is its evidence.
        if let Some(e) = proven {
            v.evidence.push(Evidence::StuckByIdentity(e.clone()));
            v.stuck = Some(e);
        }
        v.evidence.extend(leaked);
        return;
    }
    if let Some(Evidence::LeakProfile { goroutines, .. }) = &leaked {
        // The runtime proved them unreachable: no count or age threshold needed.
        verdicts.push(Verdict {
            kind: DriftKind::GoroutineLeak,
            rate_per_min: 0.0,
            unit: "goroutines",
            current: *goroutines as f64,
            eta_seconds: None,
            limit: None,
            confidence: 1.0,
            shape: Shape::Flat,
            evidence: leaked
                .into_iter()
                .chain(proven.clone().map(Evidence::StuckByIdentity))
                .collect(),
            consequence_of: None,
            inferred: false,
            stuck: proven,
        });
        return;
    }
    if let Some(e) = proven {
        let mut evidence = vec![Evidence::StuckByIdentity(e.clone())];
        evidence.extend(progress(samples));
        verdicts.push(Verdict {
            kind: DriftKind::GoroutineLeak,
            rate_per_min: 0.0,
            unit: "goroutines",
            current: e.goroutines as f64,
            eta_seconds: None,
            limit: None,
            confidence: policy.stuck_identity_confidence,
            shape: Shape::Flat,
            evidence,
            consequence_of: None,
            inferred: false,
            stuck: Some(e),
        });
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
        evidence: vec![Evidence::StuckByAge, largest_group(g)],
        consequence_of: None,
        inferred: false,
        stuck: None,
    });
}

/// The leak detector's finding, when it found any.
fn leak_profile(extras: &Extras) -> Option<Evidence> {
    let dump = extras.leak_profile.as_ref().filter(|d| d.total > 0)?;
    let largest = dump.groups.iter().max_by_key(|g| g.count)?;
    let place = largest
        .frames
        .iter()
        .find(|f| is_app_frame(&f.function))
        .or(largest.frames.first());
    Some(Evidence::LeakProfile {
        goroutines: dump.total,
        function: place.map_or_else(String::new, |f| f.function.clone()),
        location: place.map_or_else(String::new, |f| format!("{}:{}", f.file, f.line)),
    })
}

/// The largest group of goroutines that sat in a lock wait (or a send nobody takes) in the
/// first dump and still sit there, unchanged, in the latest.
pub(super) fn by_identity(
    snapshots: &[GoroutineSnapshot],
    policy: &DriftPolicy,
) -> Option<StuckEvidence> {
    let (first, last) = (snapshots.first()?, snapshots.last()?);
    let waited = last.t - first.t;
    if waited < policy.stuck_identity_min_seconds {
        return None;
    }
    let before: HashMap<u64, &GoroutineRecord> =
        first.goroutines.iter().map(|g| (g.id, g)).collect();
    let mut groups: HashMap<(&str, u64), Vec<&GoroutineRecord>> = HashMap::new();
    for g in &last.goroutines {
        let unchanged = before
            .get(&g.id)
            .is_some_and(|b| b.state == g.state && b.stack_key == g.stack_key);
        if unchanged && waits_for_good(g) {
            groups.entry((&g.state, g.stack_key)).or_default().push(g);
        }
    }
    let members = groups
        .into_values()
        .filter(|m| m.len() as u64 >= policy.stuck_group_min)
        .max_by_key(|m| m.len())?;
    let sample = members[0];
    let place = app_frame(sample);
    let holder = place.and_then(|(function, _)| holder(first, last, sample, function));
    Some(StuckEvidence {
        goroutines: members.len() as u64,
        state: sample.state.clone(),
        function: place.map_or(String::new(), |(f, _)| f.to_string()),
        location: place.map_or(String::new(), |(_, l)| l.to_string()),
        waited_seconds: waited,
        holder,
    })
}

/// The goroutine most likely holding what the group waits for, blocked itself all along:
/// one in the waiters' own function (it took the lock and went on to block), or else the
/// only one of their package stuck in a send nobody takes. Nothing when it is not that clear.
fn holder(
    first: &GoroutineSnapshot,
    last: &GoroutineSnapshot,
    waiter: &GoroutineRecord,
    function: &str,
) -> Option<StuckHolder> {
    let before: HashMap<u64, u64> = first
        .goroutines
        .iter()
        .map(|g| (g.id, g.stack_key))
        .collect();
    let blocked_all_along: Vec<&GoroutineRecord> = last
        .goroutines
        .iter()
        .filter(|g| g.stack_key != waiter.stack_key && is_blocked(&g.state))
        .filter(|g| before.get(&g.id) == Some(&g.stack_key))
        .collect();
    let package = package_of(function);
    let same_function = || {
        blocked_all_along
            .iter()
            .find(|g| g.frames.iter().any(|(f, _)| f == function))
    };
    let lone_sender = || {
        let senders: Vec<&&GoroutineRecord> = blocked_all_along
            .iter()
            .filter(|g| g.state == "chan send")
            .filter(|g| app_frame(g).is_some_and(|(f, _)| package_of(f) == package))
            .collect();
        (senders.len() == 1).then(|| senders[0])
    };
    let g = same_function().or_else(lone_sender)?;
    let (function, location) = app_frame(g).unwrap_or(("", ""));
    Some(StuckHolder {
        id: g.id,
        state: g.state.clone(),
        function: function.to_string(),
        location: location.to_string(),
    })
}

/// `main.(*store).flush` → `main`; `github.com/a/b.F` → `github.com/a/b`.
fn package_of(function: &str) -> &str {
    let last_slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[last_slash..].find('.') {
        Some(dot) => &function[..last_slash + dot],
        None => function,
    }
}

/// Waits that end only when another goroutine acts: a mutex (`sync.Mutex.Lock` since Go
/// 1.20, `semacquire` under a Lock frame before), a send nobody receives, a nil channel.
/// Receives and selects are left out: an idle worker pool waits in them all day.
fn waits_for_good(g: &GoroutineRecord) -> bool {
    let s = g.state.as_str();
    let lock_frame = g.frames.iter().any(|(f, _)| {
        f.starts_with("sync.(*Mutex).")
            || f.starts_with("sync.(*RWMutex).")
            || f == "sync.runtime_SemacquireMutex"
            || f == "sync.runtime_SemacquireRWMutex"
            || f == "sync.runtime_SemacquireRWMutexR"
    });
    s.starts_with("sync.Mutex.")
        || s.starts_with("sync.RWMutex.")
        || (s == "semacquire" && lock_frame)
        || s == "chan send"
        || s.ends_with("(nil chan)")
        || s == "select (no cases)"
}

fn is_blocked(state: &str) -> bool {
    !matches!(state, "running" | "runnable" | "syscall" | "")
}

fn app_frame(g: &GoroutineRecord) -> Option<(&str, &str)> {
    g.frames
        .iter()
        .find(|(f, _)| is_app_frame(f))
        .or(g.frames.first())
        .map(|(f, l)| (f.as_str(), l.as_str()))
}

/// What says nothing completes: the CPU the process used, and a goroutine count that stays.
fn progress(samples: &[Sample]) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (samples.first(), samples.last()) {
        let span = b.t - a.t;
        if span > 0.0 {
            out.push(Evidence::Cpu {
                share: (b.cpu_seconds - a.cpu_seconds).max(0.0) / span,
            });
        }
    }
    let counts: Vec<u64> = samples.iter().filter_map(|s| s.goroutines).collect();
    if let (Some(&low), Some(&high)) = (counts.iter().min(), counts.iter().max()) {
        out.push(Evidence::GoroutinesFlat { low, high });
    }
    out
}
