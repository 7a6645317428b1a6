//! What the triage renderers share: the report as they take it, and the sentences for a
//! verdict's evidence from the numbers the detectors found. Names that
//! come from the target (groups, functions) are sanitized by the caller before a terminal.

use crate::analyze::drift::{Evidence, TriageReport, WindowVerdict};
use crate::model::sample::TargetFacts;
use crate::render::text::{count, duration, percent, rate};

/// A finished window as the triage renderers take it: the report, and whether the target
/// exited before the window's end.
pub struct Triaged<'a> {
    pub report: &'a TriageReport,
    pub exited: bool,
}

/// `--sliding`: the verdict of each window along a recording.
pub struct Sliding<'a> {
    pub facts: &'a TargetFacts,
    /// The windows' width, in seconds.
    pub width: f64,
    pub windows: &'a [WindowVerdict],
}

pub fn describe(e: &Evidence) -> String {
    match e {
        Evidence::Series {
            series,
            unit,
            first,
            last,
            shape,
            span_seconds,
            gc_cycles,
        } => {
            let cycles = gc_cycles.map_or(String::new(), |c| format!(" over {c} GC cycles"));
            format!(
                "{series} {} -> {}{cycles} ({} over {})",
                amount(*first, unit),
                amount(*last, unit),
                shape.name(),
                duration(*span_seconds)
            )
        }
        Evidence::GrowingGroup {
            group,
            delta,
            per_minute,
        } => format!("{group} grew +{} ({})", count(*delta as u64), rate(*per_minute)),
        Evidence::LargestGroup {
            goroutines,
            state,
            wait_minutes,
            function,
            location,
        } => {
            let state = if state.is_empty() {
                String::new()
            } else {
                format!(" in {state}")
            };
            let wait = match wait_minutes {
                Some((lo, hi)) if lo == hi => format!(", waiting {lo} min"),
                Some((lo, hi)) => format!(", waiting {lo}-{hi} min"),
                None => String::new(),
            };
            let at = if location.is_empty() {
                function.clone()
            } else {
                format!("{function} ({location})")
            };
            format!(
                "largest group: {} goroutines{state}{wait} at {at}",
                count(*goroutines)
            )
        }
        Evidence::FreeInSpans {
            first,
            last,
            live_growth,
        } => format!(
            "in-use spans minus live objects at GC ends {} -> {} while the live heap grew {}",
            mib(*first),
            mib(*last),
            mib(*live_growth)
        ),
        Evidence::ProbeLatency {
            p50_first,
            p50_last,
            p99_first,
            p99_last,
        } => format!(
            "probe p99 {:.0} ms -> {:.0} ms, p50 {:.0} ms -> {:.0} ms",
            p99_first * 1e3,
            p99_last * 1e3,
            p50_first * 1e3,
            p50_last * 1e3
        ),
        Evidence::IoWaitWithoutProbe { first, last } => format!(
            "inferred without a probe: goroutines blocked in IO wait {} -> {}; give --probe URL to measure latency",
            count(*first as u64),
            count(*last as u64)
        ),
        Evidence::StuckByAge => "not growing in this window, but stuck: the goroutines wait far longer than any request should".to_string(),
        Evidence::StuckByIdentity(s) => {
            let mut text = format!(
                "{} goroutines waited the whole {} in {} at {} ({}): the same IDs at the same frames in the first and the latest dump",
                count(s.goroutines),
                duration(s.waited_seconds),
                s.state,
                s.function,
                s.location
            );
            if let Some(h) = &s.holder {
                text += &format!(
                    "; goroutine {} holds them up, itself blocked in {} at {} ({})",
                    h.id, h.state, h.function, h.location
                );
            }
            text
        }
        Evidence::Cpu { share } => format!(
            "the process used {} of one CPU over the window",
            percent(share * 100.0)
        ),
        Evidence::GoroutinesFlat { low, high } if low == high => {
            format!("the goroutine count stayed at {}", count(*low))
        }
        Evidence::GoroutinesFlat { low, high } => format!(
            "the goroutine count stayed between {} and {}",
            count(*low),
            count(*high)
        ),
        Evidence::LeakProfile {
            goroutines,
            function,
            location,
        } => format!(
            "the runtime's leak detector found {} goroutines blocked on what no live goroutine can reach, most at {function} ({location})",
            count(*goroutines)
        ),
        Evidence::PerUnitOfCause {
            cause,
            per_unit,
            unit,
            cause_unit,
        } => {
            let each = if *unit == "bytes" {
                crate::render::text::bytes(*per_unit as u64)
            } else {
                format!("{per_unit:.1} {unit}")
            };
            format!("follows {}: {each} per {cause_unit}", cause.name())
        }
        Evidence::FixedProportion {
            goroutines_per,
            bytes_per,
            per,
        } => {
            let mut parts = Vec::new();
            if let Some(g) = goroutines_per {
                parts.push(format!("{g:.1} goroutines"));
            }
            if let Some(b) = bytes_per {
                parts.push(crate::render::text::bytes(*b as u64));
            }
            format!(
                "{} per {per} (growing in fixed proportion)",
                parts.join(" and ")
            )
        }
    }
}

fn amount(v: f64, unit: &str) -> String {
    if unit == "bytes" {
        mib(v)
    } else {
        count(v.max(0.0).round() as u64)
    }
}

/// Sizes as everywhere else: binary units, signed only when negative.
fn mib(bytes: f64) -> String {
    if bytes < 0.0 {
        crate::render::text::signed_bytes(bytes)
    } else {
        crate::render::text::bytes(bytes.round() as u64)
    }
}
