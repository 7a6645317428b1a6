//! What a verdict rests on, as numbers and names: the detectors fill these in, the render
//! layer writes the sentences (render/triage_text.rs) and the JSON fields.

use crate::analyze::series::{Shape, Trend};

#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// A series from its first to its last point, in `unit`.
    Series {
        series: &'static str,
        unit: &'static str,
        first: f64,
        last: f64,
        shape: Shape,
        span_seconds: f64,
        /// For memory read at GC ends: how many cycles the points span.
        gc_cycles: Option<u64>,
    },
    /// The descriptor group that grew most.
    GrowingGroup {
        group: String,
        delta: i64,
        per_minute: f64,
    },
    /// The largest goroutine group at the end of the window.
    LargestGroup {
        goroutines: u64,
        state: String,
        wait_minutes: Option<(u32, u32)>,
        function: String,
        location: String,
    },
    /// Free space in in-use spans rising while the live heap does not.
    FreeInSpans {
        first: f64,
        last: f64,
        live_growth: f64,
    },
    ProbeLatency {
        p50_first: f64,
        p50_last: f64,
        p99_first: f64,
        p99_last: f64,
    },
    /// Deadline drift without a probe: goroutines blocked in IO wait.
    IoWaitWithoutProbe { first: f64, last: f64 },
    /// A group that no longer grows but whose wait ages say it is stuck.
    StuckByAge,
    /// The same goroutines in the same wait from the first dump to the latest.
    StuckByIdentity(super::StuckEvidence),
    /// Share of one CPU the process used over the window.
    Cpu { share: f64 },
    /// The goroutine count stayed within this range.
    GoroutinesFlat { low: u64, high: u64 },
    /// Goroutines the runtime's leak detector proved blocked on what nothing live can reach,
    /// with the largest group's place.
    LeakProfile {
        goroutines: u64,
        function: String,
        location: String,
    },
    /// The primary of growth in fixed proportion: what each unit of it brings along.
    FixedProportion {
        goroutines_per: Option<f64>,
        bytes_per: Option<f64>,
        /// "held connection", "held descriptor", "leaked goroutine".
        per: &'static str,
    },
    /// Growth that follows another in fixed proportion: per unit of the cause.
    PerUnitOfCause {
        cause: super::DriftKind,
        per_unit: f64,
        unit: &'static str,
        cause_unit: &'static str,
    },
}

impl Evidence {
    /// The first and last fitted values of `t` for `series`.
    pub fn series(series: &'static str, unit: &'static str, t: &Trend) -> Evidence {
        Evidence::Series {
            series,
            unit,
            first: t.first,
            last: t.last,
            shape: t.shape,
            span_seconds: t.span_seconds,
            gc_cycles: None,
        }
    }
}
