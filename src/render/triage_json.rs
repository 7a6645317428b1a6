//! The `steady triage --json` document.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::drift::{Evidence, ProbeLatency, StuckEvidence, TriageReport, WindowVerdict};
use crate::analyze::runbook::{card_for, next_steps};
use crate::model::sample::TargetFacts;
use crate::render::fds_json::round2;
use crate::render::format::{Json, Renderer};
use crate::render::runbook::StepJson;
use crate::render::triage_text::{describe, Sliding, Triaged};
use crate::render::SCHEMA_VERSION;

/// A measured figure on the wire: bytes and counts as integers (a script comparing
/// `current` with `limit.value` should not meet `194225693.89` bytes), anything else with
/// two decimals.
#[derive(Serialize)]
#[serde(untagged)]
enum Amount {
    Whole(i64),
    Fraction(f64),
}

/// Units whose amounts are whole: bytes, and the things a process holds.
fn whole(unit: &str) -> bool {
    matches!(unit, "bytes" | "threads" | "descriptors") || unit.starts_with("goroutines")
}

fn amount(value: f64, unit: &str) -> Amount {
    if whole(unit) {
        Amount::Whole(value.round() as i64)
    } else {
        Amount::Fraction(round2(value))
    }
}

/// A rate or a ratio: a byte (a minute, or per connection) is already finer than anything
/// worth a page; counts keep their decimals (1.5 goroutines a minute is a real leak).
fn per(value: f64, unit: &str) -> Amount {
    if unit == "bytes" {
        Amount::Whole(value.round() as i64)
    } else {
        Amount::Fraction(round2(value))
    }
}

#[derive(Serialize)]
struct VerdictJson<'a> {
    kind: &'static str,
    rate_per_min: Amount,
    unit: &'static str,
    current: Amount,
    eta_seconds: Option<f64>,
    limit: Option<LimitJson>,
    confidence: f64,
    shape: &'static str,
    /// The evidence in words, as the table prints it.
    evidence: Vec<String>,
    /// The same evidence as fields, one object per item, `type` naming its kind.
    evidence_data: Vec<EvidenceJson<'a>>,
    consequence_of: Option<&'static str>,
    inferred: bool,
    /// Goroutines proven stuck by identity across the window.
    stuck: Option<StuckJson<'a>>,
    /// The card's commands with the PID filled in, runnable as they are.
    next_commands: Vec<String>,
    /// The same commands, each with what it shows.
    next_steps: Vec<StepJson>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum EvidenceJson<'a> {
    Series {
        series: &'static str,
        unit: &'static str,
        first: Amount,
        last: Amount,
        shape: &'static str,
        span_seconds: f64,
        gc_cycles: Option<u64>,
    },
    GrowingGroup {
        group: &'a str,
        delta: i64,
        per_minute: f64,
    },
    LargestGroup {
        goroutines: u64,
        state: &'a str,
        wait_minutes_min: Option<u32>,
        wait_minutes_max: Option<u32>,
        function: &'a str,
        location: &'a str,
    },
    FreeInSpans {
        first_bytes: i64,
        last_bytes: i64,
        live_growth_bytes: i64,
    },
    ProbeLatency {
        p50_first_ms: f64,
        p50_last_ms: f64,
        p99_first_ms: f64,
        p99_last_ms: f64,
    },
    IoWaitWithoutProbe {
        first: f64,
        last: f64,
    },
    StuckByAge,
    StuckByIdentity(StuckJson<'a>),
    Cpu {
        share_of_one_cpu: f64,
    },
    GoroutinesFlat {
        low: u64,
        high: u64,
    },
    LeakProfile {
        goroutines: u64,
        function: &'a str,
        location: &'a str,
    },
    FixedProportion {
        goroutines_per: Option<f64>,
        bytes_per: Option<i64>,
        per: &'static str,
    },
    PerUnitOfCause {
        cause: &'static str,
        per_unit: Amount,
        unit: &'static str,
        cause_unit: &'static str,
    },
}

fn evidence_json(e: &Evidence) -> EvidenceJson<'_> {
    match e {
        Evidence::Series {
            series,
            unit,
            first,
            last,
            shape,
            span_seconds,
            gc_cycles,
        } => EvidenceJson::Series {
            series,
            unit,
            first: amount(*first, unit),
            last: amount(*last, unit),
            shape: shape.name(),
            span_seconds: round2(*span_seconds),
            gc_cycles: *gc_cycles,
        },
        Evidence::GrowingGroup {
            group,
            delta,
            per_minute,
        } => EvidenceJson::GrowingGroup {
            group,
            delta: *delta,
            per_minute: round2(*per_minute),
        },
        Evidence::LargestGroup {
            goroutines,
            state,
            wait_minutes,
            function,
            location,
        } => EvidenceJson::LargestGroup {
            goroutines: *goroutines,
            state,
            wait_minutes_min: wait_minutes.map(|w| w.0),
            wait_minutes_max: wait_minutes.map(|w| w.1),
            function,
            location,
        },
        Evidence::FreeInSpans {
            first,
            last,
            live_growth,
        } => EvidenceJson::FreeInSpans {
            first_bytes: first.round() as i64,
            last_bytes: last.round() as i64,
            live_growth_bytes: live_growth.round() as i64,
        },
        Evidence::ProbeLatency {
            p50_first,
            p50_last,
            p99_first,
            p99_last,
        } => EvidenceJson::ProbeLatency {
            p50_first_ms: round2(p50_first * 1e3),
            p50_last_ms: round2(p50_last * 1e3),
            p99_first_ms: round2(p99_first * 1e3),
            p99_last_ms: round2(p99_last * 1e3),
        },
        Evidence::IoWaitWithoutProbe { first, last } => EvidenceJson::IoWaitWithoutProbe {
            first: *first,
            last: *last,
        },
        Evidence::StuckByAge => EvidenceJson::StuckByAge,
        Evidence::StuckByIdentity(s) => EvidenceJson::StuckByIdentity(stuck_json(s)),
        Evidence::Cpu { share } => EvidenceJson::Cpu {
            share_of_one_cpu: round2(*share),
        },
        Evidence::GoroutinesFlat { low, high } => EvidenceJson::GoroutinesFlat {
            low: *low,
            high: *high,
        },
        Evidence::LeakProfile {
            goroutines,
            function,
            location,
        } => EvidenceJson::LeakProfile {
            goroutines: *goroutines,
            function,
            location,
        },
        Evidence::FixedProportion {
            goroutines_per,
            bytes_per,
            per,
        } => EvidenceJson::FixedProportion {
            goroutines_per: goroutines_per.map(round2),
            bytes_per: bytes_per.map(|b| b.round() as i64),
            per,
        },
        Evidence::PerUnitOfCause {
            cause,
            per_unit,
            unit,
            cause_unit,
        } => EvidenceJson::PerUnitOfCause {
            cause: cause.name(),
            per_unit: per(*per_unit, unit),
            unit,
            cause_unit,
        },
    }
}

fn stuck_json(e: &StuckEvidence) -> StuckJson<'_> {
    StuckJson {
        goroutines: e.goroutines,
        state: &e.state,
        function: &e.function,
        location: &e.location,
        waited_seconds: round2(e.waited_seconds),
        holder: e.holder.as_ref().map(|h| HolderJson {
            id: h.id,
            state: &h.state,
            function: &h.function,
            location: &h.location,
        }),
    }
}

#[derive(Serialize)]
struct StuckJson<'a> {
    goroutines: u64,
    state: &'a str,
    function: &'a str,
    location: &'a str,
    waited_seconds: f64,
    holder: Option<HolderJson<'a>>,
}

#[derive(Serialize)]
struct HolderJson<'a> {
    id: u64,
    state: &'a str,
    function: &'a str,
    location: &'a str,
}

#[derive(Serialize)]
struct MemoryJson<'a> {
    judged: bool,
    source: Option<&'static str>,
    gc_cycles: Option<u64>,
    gc_cycles_needed: u64,
    /// Why memory was not judged, and what would let it be.
    reason: Option<&'a str>,
    gc_points: Vec<GcPointJson>,
}

#[derive(Serialize)]
struct GcPointJson {
    t_unix: f64,
    live_bytes: u64,
}

#[derive(Serialize)]
struct LimitJson {
    name: &'static str,
    value: Amount,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    id: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct ProbeJson {
    requests: usize,
    failures: usize,
    /// Null with fewer than six answers.
    p50_first_ms: Option<f64>,
    p99_first_ms: Option<f64>,
    p50_last_ms: Option<f64>,
    p99_last_ms: Option<f64>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    command: &'static str,
    pid: i32,
    comm: Option<&'a str>,
    go_version: Option<&'a str>,
    samples: usize,
    window_seconds: f64,
    steady: bool,
    /// The target exited before the window ended: judged on what was taken before.
    exited: bool,
    verdicts: Vec<VerdictJson<'a>>,
    checks: Vec<CheckJson<'a>>,
    probe: Option<ProbeJson>,
    memory: MemoryJson<'a>,
    /// The window ended before its time: a verdict was sure early, or Ctrl-C judged it now.
    stopped_early: Option<&'a str>,
    /// What the window could not see or was cut short by (no profile endpoint, the target
    /// exiting, a torn recording line).
    notes: &'a [String],
}

impl Renderer<Triaged<'_>> for Json {
    fn render(&self, triaged: &Triaged<'_>, out: &mut dyn Write) -> io::Result<()> {
        write(triaged.report, triaged.exited, out)
    }
}

impl Renderer<Sliding<'_>> for Json {
    fn render(&self, sliding: &Sliding<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_sliding(sliding.facts, sliding.width, sliding.windows, out)
    }
}

fn write(report: &TriageReport, exited: bool, out: &mut dyn Write) -> io::Result<()> {
    let pid = report.facts.pid;
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        command: "triage",
        pid,
        comm: report.facts.comm.as_deref(),
        go_version: report.facts.go_version.as_deref(),
        samples: report.samples,
        window_seconds: round2(report.window_seconds),
        steady: report.verdicts.is_empty() && !exited,
        exited,
        verdicts: report
            .verdicts
            .iter()
            .map(|v| (v, next_steps(card_for(v), Some(pid))))
            .map(|(v, steps)| VerdictJson {
                kind: v.kind.name(),
                rate_per_min: per(v.rate_per_min, v.unit),
                unit: v.unit,
                current: amount(v.current, v.unit),
                eta_seconds: v.eta_seconds.map(round2),
                limit: v.limit.map(|(name, value)| LimitJson {
                    name,
                    value: amount(value, v.unit),
                }),
                confidence: round2(v.confidence),
                shape: v.shape.name(),
                evidence: v.evidence.iter().map(describe).collect(),
                evidence_data: v.evidence.iter().map(evidence_json).collect(),
                consequence_of: v.consequence_of.map(|k| k.name()),
                inferred: v.inferred,
                stuck: v.stuck.as_ref().map(stuck_json),
                next_commands: steps.iter().map(|s| s.command.clone()).collect(),
                next_steps: steps.into_iter().map(StepJson::from).collect(),
            })
            .collect(),
        checks: report
            .checks
            .iter()
            .map(|c| CheckJson {
                id: c.id,
                message: &c.message,
            })
            .collect(),
        probe: report.probe.map(|p| {
            let ms = |f: fn(&ProbeLatency) -> f64| p.latency.as_ref().map(|l| round2(f(l) * 1e3));
            ProbeJson {
                requests: p.requests,
                failures: p.failures,
                p50_first_ms: ms(|l| l.p50_first),
                p99_first_ms: ms(|l| l.p99_first),
                p50_last_ms: ms(|l| l.p50_last),
                p99_last_ms: ms(|l| l.p99_last),
            }
        }),
        memory: MemoryJson {
            judged: report.memory.judged,
            source: report.memory.source,
            gc_cycles: report.memory.gc_cycles,
            gc_cycles_needed: report.memory.gc_cycles_needed,
            reason: report.memory.reason.as_deref(),
            gc_points: report
                .memory
                .gc_points
                .iter()
                .map(|&(t_unix, live_bytes)| GcPointJson {
                    t_unix,
                    live_bytes: live_bytes.round().max(0.0) as u64,
                })
                .collect(),
        },
        stopped_early: report.stopped_early.as_deref(),
        notes: &report.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
struct WindowJson {
    offset_seconds: f64,
    samples: usize,
    kind: Option<&'static str>,
    rate_per_min: Option<Amount>,
    unit: Option<&'static str>,
    confidence: Option<f64>,
    memory_judged: bool,
}

#[derive(Serialize)]
struct SlidingDocument {
    schema_version: u32,
    command: &'static str,
    pid: i32,
    window_seconds: f64,
    windows: Vec<WindowJson>,
}

fn write_sliding(
    facts: &TargetFacts,
    width: f64,
    windows: &[WindowVerdict],
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = SlidingDocument {
        schema_version: SCHEMA_VERSION,
        command: "triage-sliding",
        pid: facts.pid,
        window_seconds: round2(width),
        windows: windows
            .iter()
            .map(|w| WindowJson {
                offset_seconds: round2(w.offset),
                samples: w.samples,
                kind: w.kind.map(|k| k.name()),
                rate_per_min: w.rate_per_min.map(|r| per(r, w.unit.unwrap_or_default())),
                unit: w.unit,
                confidence: w.confidence.map(round2),
                memory_judged: w.memory_judged,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(a: Amount) -> String {
        serde_json::to_string(&a).unwrap()
    }

    #[test]
    fn bytes_and_counts_go_on_the_wire_as_integers_rates_of_counts_keep_decimals() {
        assert_eq!(wire(amount(194_225_693.89, "bytes")), "194225694");
        assert_eq!(wire(amount(1203.4, "goroutines")), "1203");
        assert_eq!(wire(amount(88.0, "goroutines in IO wait")), "88");
        assert_eq!(wire(amount(0.23456, "seconds")), "0.23");
        assert_eq!(wire(per(62_836_188.16, "bytes")), "62836188");
        assert_eq!(wire(per(1.5, "goroutines")), "1.5");
        assert_eq!(wire(per(-40.2, "bytes")), "-40");
    }
}
