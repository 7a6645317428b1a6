//! Sentences and value formats shared by the heap table and JSON.

use crate::analyze::gc_window::{GcInterval, Moment};
use crate::analyze::ledger::{LiveHeap, LiveSource, MemoryVerdict, Note};
use crate::render::text;

/// A profile value in its unit: bytes as binary sizes, counts as counts.
pub fn value(v: i64, unit: &str) -> String {
    let magnitude = v.unsigned_abs();
    let body = if unit == "bytes" {
        text::bytes(magnitude)
    } else {
        text::count(magnitude)
    };
    if v < 0 {
        format!("-{body}")
    } else {
        body
    }
}

pub fn signed_value(v: i64, unit: &str) -> String {
    if v > 0 {
        format!("+{}", value(v, unit))
    } else {
        value(v, unit)
    }
}

/// "GC #40 → #44, 5m00s apart" and the like: which GC cycles a live-heap figure is as of.
fn live_basis(live: &LiveHeap) -> String {
    let what = match live.source {
        LiveSource::ProfileInuse => "profile inuse_space",
        LiveSource::MemStatsAfterGc => "HeapAlloc right after each snapshot's GC",
    };
    match (live.from_gc, live.to_gc) {
        (Some(a), Some(b)) => {
            let apart = live
                .seconds
                .map(|s| format!(", {} apart", text::duration(s)))
                .unwrap_or_default();
            format!("{what}, GC #{a} → #{b}{apart}")
        }
        _ => format!("{what}; GC cycles unknown"),
    }
}

fn growers(top: &[(String, i64)]) -> String {
    top.iter()
        .map(|(name, d)| format!("{} {}", text::sanitize(name), signed_value(*d, "bytes")))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn verdict(v: &MemoryVerdict) -> String {
    match v {
        MemoryVerdict::LiveHeapGrowth { live, top, rows_listed } => {
            let mut s = format!(
                "memory drift: live heap objects grew {} ({}) — something keeps references (caches, maps, slices, goroutines)",
                signed_value(live.delta, "bytes"),
                live_basis(live)
            );
            if !top.is_empty() {
                s += &format!("; grew most: {}", growers(top));
                s += if *rows_listed {
                    " (the rows above)"
                } else {
                    " (`--sample inuse_space` lists them)"
                };
            }
            if live.tentative {
                let cycles = live.to_gc.zip(live.from_gc).map_or(0, |(b, a)| b.saturating_sub(a));
                s += &format!(
                    " — tentative: one GC-to-GC comparison over {}, whose GC ends may both predate the second snapshot's window; confirm with a longer --over or with --gc",
                    text::plural(cycles, "cycle", "cycles")
                );
            }
            s
        }
        MemoryVerdict::Fragmentation { rss_delta, inuse_delta, live_delta } => format!(
            "allocator fragmentation: in-use spans grew {} (RSS {}) while live objects changed only {}, both read right after a GC — memory is held in partly used spans; look for many objects of a size class kept alive among short-lived ones",
            signed_value(*inuse_delta, "bytes"),
            signed_value(*rss_delta, "bytes"),
            signed_value(*live_delta, "bytes")
        ),
        MemoryVerdict::NativeGrowth { native_delta, rss_delta, runtime_delta } => format!(
            "native memory growth: RSS grew {} while the Go runtime's own figures changed {}: {} the runtime does not account for — cgo or native libraries; `steady heap snapshot` smaps show which mappings",
            signed_value(*rss_delta, "bytes"),
            signed_value(*runtime_delta, "bytes"),
            signed_value(*native_delta, "bytes")
        ),
    }
}

fn interval(i: &Option<GcInterval>) -> String {
    let Some(i) = i else {
        return "the interval is not known yet".to_string();
    };
    let mut s = format!("~{} at the last cycles", text::duration(i.seconds));
    let mut parts = Vec::new();
    if let Some(since) = i.since_last {
        parts.push(format!(
            "the last GC ended {} before the second snapshot",
            text::duration(since)
        ));
    }
    if let (Some(due), Some(rate)) = (i.due_in, i.alloc_rate) {
        parts.push(format!(
            "the next is due in ~{} at {}/s of allocation",
            text::duration(due),
            text::bytes(rate as u64)
        ));
    }
    if !parts.is_empty() {
        s += &format!(": {}", parts.join(", "));
    }
    s
}

pub fn note_kind(n: &Note) -> &'static str {
    match n {
        Note::NoGcBetween { .. } => "no-gc-between",
        Note::GcUnknown => "gc-cycles-unknown",
        Note::FragmentationNotJudged { .. } => "fragmentation-not-judged",
    }
}

pub fn note(n: &Note) -> String {
    match n {
        Note::NoGcBetween { base_num_gc, new_num_gc, profile_gc, interval: i } => {
            let why = if base_num_gc == new_num_gc {
                format!("no GC completed between the snapshots (NumGC {base_num_gc} → {new_num_gc})")
            } else {
                format!(
                    "both profiles are still as of GC #{profile_gc} (NumGC {base_num_gc} → {new_num_gc}: a background GC publishes the profile of the cycle before it)"
                )
            };
            format!(
                "live heap not judged: {why}: the profile cannot show growth yet, and HeapAlloc between GCs counts garbage — widen --over past the GC interval ({}), better two, or pass --gc (costs the target a full GC each)",
                interval(i)
            )
        }
        Note::GcUnknown => "no MemStats beside the profiles, so which GC cycles they are of is unknown: live growth is read from their inuse_space alone".to_string(),
        Note::FragmentationNotJudged { inuse_delta } => format!(
            "fragmentation not judged: in-use spans grew {}, but MemStats were read between GCs, where HeapInuse − HeapAlloc also holds garbage awaiting the next GC — pass --gc to read them right after one",
            signed_value(*inuse_delta, "bytes")
        ),
    }
}

/// Which GC cycle a snapshot's profile is as of: "GC #40, 1m27s before the snapshot".
pub fn profile_as_of(m: &Moment) -> String {
    if m.profile_gc.num_gc == 0 {
        return "before GC #1".to_string();
    }
    if m.after_gc {
        return format!("GC #{}, forced at the snapshot", m.profile_gc.num_gc);
    }
    match m.profile_age() {
        Some(age) => format!(
            "GC #{}, {} before the snapshot",
            m.profile_gc.num_gc,
            text::duration(age)
        ),
        None => format!("GC #{}", m.profile_gc.num_gc),
    }
}

/// When a snapshot's MemStats were read, against its last GC: "12s after GC #41".
pub fn memstats_as_of(m: &Moment) -> String {
    if m.after_gc {
        return format!("right after GC #{}", m.last_gc.num_gc);
    }
    match m.seconds_since_gc() {
        _ if m.last_gc.num_gc == 0 => "before any GC".to_string(),
        Some(since) => format!("{} after GC #{}", text::duration(since), m.last_gc.num_gc),
        None => format!("after GC #{}", m.last_gc.num_gc),
    }
}
