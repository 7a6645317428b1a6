//! The RSS ledger of a Go process: where resident memory is, by the runtime's own account,
//! and what is left over (memory the runtime does not know about: cgo, native libraries).
//! From two snapshots: which line grew, and what kind of drift that is.

use crate::analyze::gc_window::{GcInterval, GcWindow};
use crate::analyze::policy::HeapPolicy;
use crate::model::memory::{MemStats, ProcMemory};

/// One line of the ledger, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerLine {
    pub name: &'static str,
    pub what: &'static str,
    pub bytes: i64,
}

pub fn ledger(memory: &ProcMemory, stats: &MemStats) -> Vec<LedgerLine> {
    let b = |v: u64| v as i64;
    let live = b(stats.heap_alloc);
    let fragmentation = b(stats.heap_inuse) - live;
    let idle = b(stats.heap_idle) - b(stats.heap_released);
    let stacks = b(stats.stack_sys);
    let runtime = b(stats.mspan_sys
        + stats.mcache_sys
        + stats.buck_hash_sys
        + stats.gc_sys
        + stats.other_sys);
    let known = live + fragmentation + idle + stacks + runtime;
    vec![
        LedgerLine { name: "rss", what: "resident memory (VmRSS)", bytes: b(memory.vm_rss) },
        LedgerLine {
            name: "live_objects",
            what: "heap objects (HeapAlloc): the live ones, and garbage not yet collected unless read right after a GC",
            bytes: live,
        },
        LedgerLine {
            name: "span_fragmentation",
            what: "free space inside partly used spans (HeapInuse - HeapAlloc); fragmentation only when read right after a GC",
            bytes: fragmentation,
        },
        LedgerLine {
            name: "idle_not_returned",
            what: "idle heap not yet returned to the OS (HeapIdle - HeapReleased)",
            bytes: idle,
        },
        LedgerLine { name: "stacks", what: "goroutine stacks (StackSys)", bytes: stacks },
        LedgerLine {
            name: "runtime_other",
            what: "runtime metadata: spans, caches, GC, profiling buckets, other",
            bytes: runtime,
        },
        LedgerLine {
            name: "unaccounted",
            what: "RSS the Go runtime does not account for (cgo, native libraries, binary); negative when runtime memory is mapped but not resident",
            bytes: b(memory.vm_rss) - known,
        },
    ]
}

#[derive(Debug, Clone, PartialEq)]
pub struct LedgerChange {
    pub name: &'static str,
    pub what: &'static str,
    pub before: i64,
    pub after: i64,
}

impl LedgerChange {
    pub fn delta(&self) -> i64 {
        self.after - self.before
    }
}

/// Where a live-heap figure comes from: only post-GC figures say what is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSource {
    /// The profiles' inuse_space totals, each as of a GC cycle.
    ProfileInuse,
    /// HeapAlloc read right after a forced GC at both snapshots (`--gc`).
    MemStatsAfterGc,
}

/// The live heap's change between two snapshots, from post-GC figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveHeap {
    pub source: LiveSource,
    pub delta: i64,
    /// The GC cycles the figures are as of (None without MemStats to tell).
    pub from_gc: Option<u64>,
    pub to_gc: Option<u64>,
    /// Seconds between those cycles' ends.
    pub seconds: Option<f64>,
    /// Fewer cycles between than the policy trusts, not forced at both ends: the figure
    /// compares two GC ends that may both lie before the second snapshot's window.
    pub tentative: bool,
}

/// The inuse_space view of two profiles: the total's change and the functions (flat) that
/// grew most, largest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileGrowth {
    pub delta: i64,
    pub top: Vec<(String, i64)>,
}

/// What the memory that grew is.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryVerdict {
    /// Live objects grew across GC cycles: something holds on to them (memory drift).
    LiveHeapGrowth {
        live: LiveHeap,
        /// The functions that grew, from the inuse_space profiles.
        top: Vec<(String, i64)>,
        /// The rows printed are those inuse_space rows.
        rows_listed: bool,
    },
    /// In-use spans (and with them RSS) grew while live objects stayed flat, both read right
    /// after a GC.
    Fragmentation {
        rss_delta: i64,
        inuse_delta: i64,
        live_delta: i64,
    },
    /// RSS grew beyond what the Go runtime's own figures grew.
    NativeGrowth {
        native_delta: i64,
        rss_delta: i64,
        runtime_delta: i64,
    },
}

/// What could not be judged, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Both profiles hold the same GC cycle: they cannot show growth, and HeapAlloc between
    /// GCs counts garbage.
    NoGcBetween {
        base_num_gc: u64,
        new_num_gc: u64,
        profile_gc: u64,
        interval: Option<GcInterval>,
    },
    /// No MemStats beside the profiles: which GC cycles they are of is unknown.
    GcUnknown,
    /// In-use spans grew, but MemStats were not read right after a GC, so free space in spans
    /// cannot be told from garbage awaiting the next GC.
    FragmentationNotJudged { inuse_delta: i64 },
}

/// Everything `classify` looks at.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub changes: &'a [LedgerChange],
    pub window: Option<&'a GcWindow>,
    /// From the inuse_space profiles, when both snapshots have one.
    pub profile: Option<&'a ProfileGrowth>,
    /// Whether the rows printed are the inuse_space rows.
    pub rows_are_inuse: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judgement {
    pub verdicts: Vec<MemoryVerdict>,
    pub notes: Vec<Note>,
    /// The live heap's change, when post-GC figures give one.
    pub live: Option<LiveHeap>,
}

pub fn compare(before: &[LedgerLine], after: &[LedgerLine]) -> Vec<LedgerChange> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| LedgerChange {
            name: b.name,
            what: b.what,
            before: b.bytes,
            after: a.bytes,
        })
        .collect()
}

fn change<'a>(changes: &'a [LedgerChange], name: &str) -> Option<&'a LedgerChange> {
    changes.iter().find(|c| c.name == name)
}

/// The live heap's change, from post-GC figures only: the profiles' inuse_space (each as of a
/// GC cycle), or HeapAlloc when both snapshots read it right after a GC. None when both
/// profiles hold the same cycle.
fn live_heap(e: &Evidence<'_>, policy: &HeapPolicy, notes: &mut Vec<Note>) -> Option<LiveHeap> {
    let Some(w) = e.window else {
        if e.profile.is_some() {
            notes.push(Note::GcUnknown);
        }
        return e.profile.map(|p| LiveHeap {
            source: LiveSource::ProfileInuse,
            delta: p.delta,
            from_gc: None,
            to_gc: None,
            seconds: None,
            tentative: false,
        });
    };
    if w.profile_cycles() == 0 {
        notes.push(Note::NoGcBetween {
            base_num_gc: w.base.last_gc.num_gc,
            new_num_gc: w.new.last_gc.num_gc,
            profile_gc: w.new.profile_gc.num_gc,
            interval: w.interval(),
        });
        return None;
    }
    let delta = match (e.profile, w.after_gc_both()) {
        (Some(p), _) => (LiveSource::ProfileInuse, p.delta),
        (None, true) => (
            LiveSource::MemStatsAfterGc,
            change(e.changes, "live_objects").map_or(0, LedgerChange::delta),
        ),
        (None, false) => return None,
    };
    Some(LiveHeap {
        source: delta.0,
        delta: delta.1,
        from_gc: Some(w.base.profile_gc.num_gc),
        to_gc: Some(w.new.profile_gc.num_gc),
        seconds: w.profile_seconds(),
        tentative: !w.after_gc_both() && w.profile_cycles() < policy.trusted_gc_cycles,
    })
}

/// Judges a pair of snapshots: live growth only from post-GC figures, fragmentation only from
/// MemStats read right after a GC, native growth only from RSS that grew beyond the runtime's
/// own figures.
pub fn classify(e: Evidence<'_>, policy: &HeapPolicy) -> Judgement {
    let mut notes = Vec::new();
    let mut verdicts = Vec::new();
    let live = live_heap(&e, policy, &mut notes);
    let delta = |name: &str| change(e.changes, name).map_or(0, LedgerChange::delta);
    if let Some(l) = live.as_ref().filter(|l| l.delta >= policy.min_growth_bytes) {
        let top = e.profile.map(|p| p.top.clone()).unwrap_or_default();
        verdicts.push(MemoryVerdict::LiveHeapGrowth {
            live: l.clone(),
            rows_listed: e.rows_are_inuse && !top.is_empty(),
            top,
        });
    }
    if !e.changes.is_empty() {
        let (rss, heap_alloc) = (delta("rss"), delta("live_objects"));
        // HeapInuse = live_objects + span_fragmentation.
        let inuse = heap_alloc + delta("span_fragmentation");
        let live_grew = verdicts
            .iter()
            .any(|v| matches!(v, MemoryVerdict::LiveHeapGrowth { .. }));
        let flat_live = (heap_alloc as f64) < inuse as f64 * policy.live_share_for_fragmentation;
        if inuse >= policy.min_growth_bytes && flat_live && !live_grew {
            if e.window.is_some_and(GcWindow::after_gc_both) {
                verdicts.push(MemoryVerdict::Fragmentation {
                    rss_delta: rss,
                    inuse_delta: inuse,
                    live_delta: heap_alloc,
                });
            } else {
                notes.push(Note::FragmentationNotJudged { inuse_delta: inuse });
            }
        }
        // The runtime's own figures, resident or not: all ledger lines but the left-over.
        // A negative left-over is runtime memory mapped but not resident; RSS growing into it
        // (the runtime touching its own pages) is not native, so only the left-over's growth
        // above zero counts, and never more than RSS itself grew.
        let runtime = rss - delta("unaccounted");
        let (before, after) =
            change(e.changes, "unaccounted").map_or((0, 0), |c| (c.before, c.after));
        let native = rss.min(after.max(0) - before.max(0));
        if rss >= policy.min_growth_bytes
            && native >= policy.min_growth_bytes
            && native as f64 > rss as f64 * 0.5
        {
            verdicts.push(MemoryVerdict::NativeGrowth {
                native_delta: native,
                rss_delta: rss,
                runtime_delta: runtime,
            });
        }
    }
    Judgement {
        verdicts,
        notes,
        live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn stats(alloc: u64, inuse: u64) -> MemStats {
        MemStats {
            heap_alloc: alloc * MIB,
            heap_inuse: inuse * MIB,
            heap_idle: 10 * MIB,
            heap_released: 8 * MIB,
            stack_sys: MIB,
            mspan_sys: MIB,
            gc_sys: 2 * MIB,
            ..MemStats::default()
        }
    }

    fn mem(rss: u64) -> ProcMemory {
        ProcMemory {
            vm_rss: rss * MIB,
            ..ProcMemory::default()
        }
    }

    const T: f64 = 1_700_000_000.0;

    /// How the two snapshots relate to GC cycles.
    #[derive(Clone, Copy, Debug)]
    enum Gcs {
        /// `--gc` at both: MemStats right after a GC, profiles of those GCs.
        Forced,
        /// Background GCs only, this many between the snapshots.
        Background(u64),
    }

    fn window(gcs: Gcs) -> GcWindow {
        let at = |taken: f64, num_gc: u64, last: f64| {
            let s = MemStats {
                num_gc,
                last_gc_unix_ns: (last * 1e9) as u64,
                recent_gc_ends_unix_ns: [(last * 1e9) as u64, ((last - 30.0) * 1e9) as u64, 0, 0],
                ..MemStats::default()
            };
            crate::analyze::gc_window::Moment::of(taken, &s, Some(taken + 0.2))
        };
        match gcs {
            Gcs::Forced => GcWindow {
                base: at(T, 10, T + 0.1),
                new: at(T + 60.0, 11, T + 60.1),
            },
            Gcs::Background(n) => GcWindow {
                base: at(T, 10, T - 5.0),
                new: at(T + 60.0, 10 + n, T + 55.0),
            },
        }
    }

    /// (rss, heap_alloc, heap_inuse) in MiB before and after, GCs, profile inuse growth in MiB.
    fn judge(
        before: (u64, u64, u64),
        after: (u64, u64, u64),
        gcs: Gcs,
        profile_mib: i64,
    ) -> Judgement {
        let b = ledger(&mem(before.0), &stats(before.1, before.2));
        let a = ledger(&mem(after.0), &stats(after.1, after.2));
        let changes = compare(&b, &a);
        let w = window(gcs);
        let growth = ProfileGrowth {
            delta: profile_mib * MIB as i64,
            top: vec![("main.leak".to_string(), profile_mib * MIB as i64)],
        };
        classify(
            Evidence {
                changes: &changes,
                window: Some(&w),
                profile: Some(&growth),
                rows_are_inuse: true,
            },
            &HeapPolicy::default(),
        )
    }

    fn kinds(j: &Judgement) -> Vec<&'static str> {
        j.verdicts
            .iter()
            .map(|v| match v {
                MemoryVerdict::LiveHeapGrowth { live, .. } if live.tentative => "live?",
                MemoryVerdict::LiveHeapGrowth { .. } => "live",
                MemoryVerdict::Fragmentation { .. } => "fragmentation",
                MemoryVerdict::NativeGrowth { .. } => "native",
            })
            .chain(j.notes.iter().map(|n| match n {
                Note::NoGcBetween { .. } => "note:no-gc",
                Note::GcUnknown => "note:unknown",
                Note::FragmentationNotJudged { .. } => "note:fragmentation",
            }))
            .collect()
    }

    #[test]
    fn ledger_lines_add_up_to_rss() {
        let lines = ledger(&mem(100), &stats(40, 50));
        let get = |n: &str| lines.iter().find(|l| l.name == n).unwrap().bytes / MIB as i64;
        assert_eq!(get("live_objects"), 40);
        assert_eq!(get("span_fragmentation"), 10);
        assert_eq!(get("idle_not_returned"), 2);
        assert_eq!(get("runtime_other"), 3);
        let parts: i64 = lines.iter().skip(1).map(|l| l.bytes).sum();
        assert_eq!(parts, 100 * MIB as i64);
    }

    #[test]
    fn judges_only_what_the_figures_of_each_moment_support() {
        use Gcs::*;
        // (rss, heap_alloc, heap_inuse) before, after; GCs; profile inuse growth; judged
        let cases: [(_, _, Gcs, i64, &[&str]); 12] = [
            // A leak across background GCs: the profile grew, with rows.
            ((100, 40, 50), (160, 95, 105), Background(4), 50, &["live"]),
            // One background cycle: the profiles are of two GC ends that may both predate
            // the window.
            ((100, 40, 50), (160, 95, 105), Background(1), 50, &["live?"]),
            // Forced at both ends: one cycle is enough.
            ((100, 40, 50), (160, 95, 105), Forced, 50, &["live"]),
            // HeapAlloc rose 30 MiB of garbage with no GC between: not judged, not drift.
            (
                (150, 150, 160),
                (152, 180, 190),
                Background(0),
                0,
                &["note:no-gc"],
            ),
            // GCs between, HeapAlloc up (garbage at the second snapshot), the profile flat.
            ((150, 150, 160), (152, 180, 190), Background(3), 0, &[]),
            // Spans grew with live flat, read right after GCs: fragmentation.
            ((100, 40, 50), (150, 41, 100), Forced, 1, &["fragmentation"]),
            // The same read between GCs: not judged.
            (
                (100, 40, 50),
                (150, 41, 100),
                Background(3),
                1,
                &["note:fragmentation"],
            ),
            // RSS grew with nothing in the runtime's figures: native.
            ((100, 40, 50), (160, 40, 50), Forced, 0, &["native"]),
            ((100, 40, 50), (160, 40, 50), Background(2), 0, &["native"]),
            // RSS fell while the runtime's figures fell more (idle pages handed back were
            // partly never resident): the left-over rose, but nothing is native.
            ((100, 80, 90), (60, 10, 20), Forced, -70, &[]),
            // RSS grew into runtime memory that was mapped but not resident (the left-over
            // was negative): not native.
            ((40, 40, 50), (55, 40, 50), Forced, 0, &[]),
            // Noise is steady.
            ((100, 40, 50), (101, 41, 50), Forced, 1, &[]),
        ];
        for (before, after, gcs, profile, want) in cases {
            let j = judge(before, after, gcs, profile);
            assert_eq!(kinds(&j), want, "{before:?} -> {after:?} {gcs:?}: {j:?}");
        }
    }

    #[test]
    fn without_memstats_the_profile_alone_is_judged() {
        let growth = ProfileGrowth {
            delta: 10 * MIB as i64,
            top: vec![("main.leak".to_string(), 10 * MIB as i64)],
        };
        let j = classify(
            Evidence {
                changes: &[],
                window: None,
                profile: Some(&growth),
                rows_are_inuse: true,
            },
            &HeapPolicy::default(),
        );
        assert_eq!(kinds(&j), ["live", "note:unknown"]);
        assert_eq!(j.live.unwrap().from_gc, None);
    }
}
