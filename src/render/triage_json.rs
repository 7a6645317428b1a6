//! The `steady triage --json` document.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::drift::TriageReport;
use crate::analyze::runbook::{card, next_steps};
use crate::render::fds_json::round2;
use crate::render::runbook::StepJson;
use crate::render::SCHEMA_VERSION;

#[derive(Serialize)]
struct VerdictJson<'a> {
    kind: &'static str,
    rate_per_min: f64,
    unit: &'static str,
    current: f64,
    eta_seconds: Option<f64>,
    limit: Option<LimitJson>,
    confidence: f64,
    shape: &'static str,
    evidence: &'a [String],
    consequence_of: Option<&'static str>,
    inferred: bool,
    /// The card's commands with the PID filled in, runnable as they are.
    next_commands: Vec<String>,
    /// The same commands, each with what it shows.
    next_steps: Vec<StepJson>,
}

#[derive(Serialize)]
struct LimitJson {
    name: &'static str,
    value: f64,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    id: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct ProbeJson {
    p50_first_ms: f64,
    p99_first_ms: f64,
    p50_last_ms: f64,
    p99_last_ms: f64,
    failures: usize,
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
    verdicts: Vec<VerdictJson<'a>>,
    checks: Vec<CheckJson<'a>>,
    probe: Option<ProbeJson>,
    /// What the window could not see or was cut short by (no profile endpoint, the target
    /// exiting, a torn recording line).
    notes: &'a [String],
}

pub fn write(report: &TriageReport, out: &mut impl Write) -> io::Result<()> {
    let pid = report.facts.pid;
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        command: "triage",
        pid,
        comm: report.facts.comm.as_deref(),
        go_version: report.facts.go_version.as_deref(),
        samples: report.samples,
        window_seconds: round2(report.window_seconds),
        steady: report.verdicts.is_empty(),
        verdicts: report
            .verdicts
            .iter()
            .map(|v| (v, next_steps(card(v.kind), Some(pid))))
            .map(|(v, steps)| VerdictJson {
                kind: v.kind.name(),
                rate_per_min: round2(v.rate_per_min),
                unit: v.unit,
                current: round2(v.current),
                eta_seconds: v.eta_seconds.map(round2),
                limit: v.limit.map(|(name, value)| LimitJson { name, value }),
                confidence: round2(v.confidence),
                shape: v.shape.name(),
                evidence: &v.evidence,
                consequence_of: v.consequence_of.map(|k| k.name()),
                inferred: v.inferred,
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
        probe: report.probe.map(|p| ProbeJson {
            p50_first_ms: round2(p.p50_first * 1e3),
            p99_first_ms: round2(p.p99_first * 1e3),
            p50_last_ms: round2(p.p50_last * 1e3),
            p99_last_ms: round2(p.p99_last * 1e3),
            failures: p.failures,
        }),
        notes: &report.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
