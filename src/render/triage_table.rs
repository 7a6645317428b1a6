//! `steady triage` for a person on call: the verdicts, then the card for each, filled in.

use std::io::{self, Write};

use crate::analyze::drift::TriageReport;
use crate::analyze::runbook::{card, STEADY};
use crate::render::runbook::{measured, write_card, Format};
use crate::render::text::{self, paint, sanitize};
use crate::render::Style;

pub fn write(report: &TriageReport, style: Style, out: &mut impl Write) -> io::Result<()> {
    let f = &report.facts;
    let comm = f.comm.as_deref().map(sanitize).unwrap_or_default();
    let go = f
        .go_version
        .as_deref()
        .map(|v| format!(" · {v}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {comm}{go}",
        paint(&format!("PID {}", f.pid), 1, style.color)
    )?;
    writeln!(
        out,
        "  {} over {}",
        text::plural(report.samples as u64, "sample", "samples"),
        text::duration(report.window_seconds)
    )?;
    for c in &report.checks {
        writeln!(out, "{} {}", paint("!", 33, style.color), c.message)?;
    }
    for n in &report.notes {
        writeln!(out, "{} {}", paint("note:", 33, style.color), sanitize(n))?;
    }
    writeln!(out)?;
    if report.verdicts.is_empty() {
        let line = if report.notes.is_empty() {
            "steady: no drift found in this window"
        } else {
            "steady: no drift found in what could be sampled (see the notes above)"
        };
        writeln!(out, "{}", paint(line, 32, style.color))?;
        writeln!(out)?;
        return write_card(&STEADY, Some(f.pid), None, Format::Text, out);
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
        writeln!(out, "{}", paint(&line, 31, style.color))?;
    }
    for v in report
        .verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
    {
        writeln!(out)?;
        write_card(card(v.kind), Some(f.pid), Some(v), Format::Text, out)?;
    }
    Ok(())
}
