//! `steady triage` for a person on call: the verdicts, then the card for each, filled in.

use std::io::{self, Write};

use crate::analyze::drift::{TriageReport, WindowVerdict};
use crate::analyze::runbook::{card_for, STEADY};
use crate::model::sample::TargetFacts;
use crate::render::format::{Renderer, Terminal};
use crate::render::runbook::{measured, write_card, Format};
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};
use crate::render::triage_text::{Sliding, Triaged};
use crate::render::wrap;

impl Renderer<Triaged<'_>> for Terminal {
    fn render(&self, triaged: &Triaged<'_>, out: &mut dyn Write) -> io::Result<()> {
        write(triaged.report, triaged.exited, &mut self.sink(out))
    }
}

impl Renderer<Sliding<'_>> for Terminal {
    fn render(&self, sliding: &Sliding<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_sliding(
            sliding.facts,
            sliding.width,
            sliding.windows,
            &mut self.sink(out),
        )
    }
}

fn write(report: &TriageReport, exited: bool, sink: &mut Sink<'_>) -> io::Result<()> {
    let f = &report.facts;
    let comm = f.comm.as_deref().map(sanitize).unwrap_or_default();
    let go = f
        .go_version
        .as_deref()
        .map(|v| format!(" · {v}"))
        .unwrap_or_default();
    let w = sink.width();
    writeln!(
        sink,
        "{} {comm}{go}",
        sink.paint(&format!("PID {}", f.pid), 1)
    )?;
    writeln!(
        sink,
        "  {} over {}",
        text::plural(report.samples as u64, "sample", "samples"),
        text::duration(report.window_seconds)
    )?;
    if let Some(p) = &report.probe {
        let mut line = format!(
            "  probe: {} requests, {} failed",
            text::count(p.requests as u64),
            text::count(p.failures as u64)
        );
        if let Some(l) = &p.latency {
            line += &format!(
                "; p99 {:.0} ms -> {:.0} ms",
                l.p99_first * 1e3,
                l.p99_last * 1e3
            );
        }
        sink.para("", "    ", &line)?;
    }
    if let Some(source) = report.memory.source {
        let cycles = report
            .memory
            .gc_cycles
            .map(|c| format!(" over {}", text::plural(c, "GC cycle", "GC cycles")))
            .unwrap_or_default();
        sink.para(
            "  ",
            "    ",
            &format!("memory judged from the {source}{cycles}"),
        )?;
    }
    if let Some(why) = &report.stopped_early {
        sink.para("  ", "    ", why)?;
    }
    for c in &report.checks {
        sink.labelled("!", 33, &c.message)?;
    }
    for n in &report.notes {
        sink.labelled("note:", 33, &sanitize(n))?;
    }
    writeln!(sink)?;
    if report.verdicts.is_empty() && exited {
        // The steady card would send the reader to rerun steady on a PID that is gone.
        let line = format!(
            "no drift found in the {} before PID {} exited: look at why it exited (its logs, the OOM killer in `dmesg`, its exit status)",
            text::duration(report.window_seconds),
            f.pid
        );
        writeln!(sink, "{}", sink.paint(&wrap::fill(&line, w, "", "  "), 33))?;
        return Ok(());
    }
    if report.verdicts.is_empty() {
        let line = if report.notes.is_empty() {
            "steady: no drift found in this window"
        } else {
            "steady: no drift found in what could be sampled (see the notes above)"
        };
        writeln!(sink, "{}", sink.paint(&wrap::fill(line, w, "", "  "), 32))?;
        writeln!(sink)?;
        return write_card(&STEADY, Some(f.pid), None, Format::Text, w, sink);
    }
    for v in &report.verdicts {
        let mut line = format!(
            "{} — {} (confidence {:.0}%, {})",
            v.kind.name(),
            measured(v),
            v.confidence * 100.0,
            v.shape.name()
        );
        if v.inferred {
            line += ", inferred";
        }
        if let Some(primary) = v.consequence_of {
            line += &format!(" — a consequence of {}", primary.name());
        }
        writeln!(sink, "{}", sink.paint(&wrap::fill(&line, w, "", "  "), 31))?;
    }
    for v in report
        .verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
    {
        writeln!(sink)?;
        write_card(card_for(v), Some(f.pid), Some(v), Format::Text, w, sink)?;
    }
    Ok(())
}

/// One line per window offset: the primary verdict each window gives.
fn write_sliding(
    facts: &TargetFacts,
    width: f64,
    windows: &[WindowVerdict],
    sink: &mut Sink<'_>,
) -> io::Result<()> {
    writeln!(
        sink,
        "PID {} · windows of {} along the recording",
        facts.pid,
        text::duration(width)
    )?;
    writeln!(
        sink,
        "{:>8}  {:>7}  {:<24} {:>18}  {:>10}  memory",
        "offset", "samples", "verdict", "rate", "confidence"
    )?;
    for w in windows {
        let rate = match (w.rate_per_min, w.unit) {
            (Some(r), Some("bytes")) => text::bytes_rate(r),
            (Some(r), Some(unit)) => text::rate_of(r, unit),
            _ => "-".to_string(),
        };
        writeln!(
            sink,
            "{:>8}  {:>7}  {:<24} {:>18}  {:>10}  {}",
            text::duration(w.offset),
            w.samples,
            w.kind.map_or("steady", |k| k.name()),
            rate,
            w.confidence
                .map_or("-".to_string(), |c| format!("{:.0}%", c * 100.0)),
            if w.memory_judged {
                "judged"
            } else {
                "not judged"
            }
        )?;
    }
    Ok(())
}
