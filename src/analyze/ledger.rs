//! The RSS ledger of a Go process: where resident memory is, by the runtime's own account,
//! and what is left over (memory the runtime does not know about: cgo, native libraries).
//! From two snapshots: which line grew, and what kind of drift that is.

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
        LedgerLine { name: "live_objects", what: "live heap objects (HeapAlloc)", bytes: live },
        LedgerLine {
            name: "span_fragmentation",
            what: "free space inside partly used spans (HeapInuse - HeapAlloc)",
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

/// What the memory that grew is.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryVerdict {
    /// Live objects grew: something holds on to them (memory drift).
    LiveHeapGrowth { live_delta: i64 },
    /// In-use spans (and with them RSS) grew while live objects stayed flat.
    Fragmentation {
        rss_delta: i64,
        inuse_delta: i64,
        live_delta: i64,
    },
    /// RSS grew outside anything the Go runtime accounts for.
    NativeGrowth { unaccounted_delta: i64 },
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

/// Judges a pair of snapshots. `inuse_delta` is HeapInuse's growth, which fragmentation
/// raises even while the pages are not all resident yet.
pub fn classify(
    changes: &[LedgerChange],
    inuse_delta: i64,
    policy: &HeapPolicy,
) -> Vec<MemoryVerdict> {
    let delta = |name: &str| {
        changes
            .iter()
            .find(|c| c.name == name)
            .map_or(0, LedgerChange::delta)
    };
    let (rss, live, unaccounted) = (delta("rss"), delta("live_objects"), delta("unaccounted"));
    let mut verdicts = Vec::new();
    let flat_live = (live as f64) < inuse_delta as f64 * policy.live_share_for_fragmentation;
    if live >= policy.min_growth_bytes && !flat_live {
        verdicts.push(MemoryVerdict::LiveHeapGrowth { live_delta: live });
    } else if inuse_delta >= policy.min_growth_bytes && flat_live {
        verdicts.push(MemoryVerdict::Fragmentation {
            rss_delta: rss,
            inuse_delta,
            live_delta: live,
        });
    }
    if unaccounted >= policy.min_growth_bytes && unaccounted as f64 > rss as f64 * 0.5 {
        verdicts.push(MemoryVerdict::NativeGrowth {
            unaccounted_delta: unaccounted,
        });
    }
    verdicts
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

    fn verdicts(before: (u64, u64, u64), after: (u64, u64, u64)) -> Vec<MemoryVerdict> {
        let b = ledger(&mem(before.0), &stats(before.1, before.2));
        let a = ledger(&mem(after.0), &stats(after.1, after.2));
        let inuse = (after.2 as i64 - before.2 as i64) * MIB as i64;
        classify(&compare(&b, &a), inuse, &HeapPolicy::default())
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
    fn tells_leaks_from_fragmentation_from_native_growth() {
        // (rss, heap_alloc, heap_inuse) in MiB
        assert!(matches!(
            verdicts((100, 40, 50), (160, 95, 105))[..],
            [MemoryVerdict::LiveHeapGrowth { .. }]
        ));
        assert!(matches!(
            verdicts((100, 40, 50), (150, 41, 100))[..],
            [MemoryVerdict::Fragmentation { .. }]
        ));
        assert!(matches!(
            verdicts((100, 40, 50), (160, 40, 50))[..],
            [MemoryVerdict::NativeGrowth { .. }]
        ));
        assert!(
            verdicts((100, 40, 50), (101, 41, 50)).is_empty(),
            "noise is steady"
        );
    }
}
