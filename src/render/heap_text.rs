//! Sentences and value formats shared by the heap table and JSON.

use crate::analyze::ledger::MemoryVerdict;
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

pub fn verdict(v: &MemoryVerdict) -> String {
    match v {
        MemoryVerdict::LiveHeapGrowth { live_delta } => format!(
            "memory drift: live heap objects grew {} — something keeps references (caches, maps, slices, goroutines); the functions that grew are listed above",
            signed_value(*live_delta, "bytes")
        ),
        MemoryVerdict::Fragmentation { rss_delta, inuse_delta, live_delta } => format!(
            "allocator fragmentation: in-use spans grew {} (RSS {}) while live objects changed only {} — memory is held in partly used spans; look for many objects of a size class kept alive among short-lived ones",
            signed_value(*inuse_delta, "bytes"),
            signed_value(*rss_delta, "bytes"),
            signed_value(*live_delta, "bytes")
        ),
        MemoryVerdict::NativeGrowth { unaccounted_delta } => format!(
            "native memory growth: RSS the Go runtime does not account for grew {} — cgo or native libraries; `steady heap snapshot` smaps show which mappings",
            signed_value(*unaccounted_delta, "bytes")
        ),
    }
}
