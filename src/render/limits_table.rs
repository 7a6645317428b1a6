//! The `steady limits` report for a person at a terminal.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment};

use crate::analyze::limits::{LimitsReport, LimitsSummary};
use crate::render::format::{Renderer, Terminal};
use crate::render::several;
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};

fn write(report: &LimitsReport, sink: &mut Sink<'_>) -> io::Result<()> {
    let comm = report.comm.as_deref().map(sanitize).unwrap_or_default();
    proseln!(
        sink,
        "{} {}",
        sink.paint(&format!("PID {}", report.pid), 1),
        comm
    )?;
    for c in &report.changes {
        if c.changed() {
            proseln!(
                sink,
                "  RLIMIT_{} changed: soft {} -> {}, hard {} -> {}",
                c.resource.name(),
                text::limit(c.before.soft),
                sink.paint(&text::limit(c.after.soft), 32),
                text::limit(c.before.hard),
                sink.paint(&text::limit(c.after.hard), 32)
            )?;
        } else {
            proseln!(
                sink,
                "  RLIMIT_{} unchanged (already soft {} · hard {})",
                c.resource.name(),
                text::limit(c.after.soft),
                text::limit(c.after.hard)
            )?;
        }
    }
    let usage = report
        .usage_percent()
        .map(|u| format!(" ({} of the soft limit)", text::percent(u)))
        .unwrap_or_default();
    match (report.open_fds, &report.open_fds_unknown) {
        (Some(open), _) => proseln!(sink, "  open descriptors {}{usage}", text::count(open))?,
        (None, why) => proseln!(
            sink,
            "  open descriptors: unknown ({})",
            why.as_deref().unwrap_or("not readable")
        )?,
    }
    proseln!(
        sink,
        "  RLIMIT_NOFILE soft {} · hard {} · fs.nr_open {}",
        text::limit(report.nofile.soft),
        text::limit(report.nofile.hard),
        text::limit(report.nr_open)
    )?;
    if let Some(all) = &report.all {
        let mut table = sink.table();
        // prlimit's columns and names, so the two read side by side.
        table.set_header(vec!["RESOURCE", "DESCRIPTION", "SOFT", "HARD", "UNITS"]);
        for l in all {
            let r = l.resource;
            table.add_row(vec![
                Cell::new(r.name()),
                Cell::new(r.description()),
                Cell::new(text::limit(l.limit.soft)).set_alignment(CellAlignment::Right),
                Cell::new(text::limit(l.limit.hard)).set_alignment(CellAlignment::Right),
                Cell::new(r.prlimit_unit()),
            ]);
        }
        writeln!(sink)?;
        sink.put_table(&mut table)?;
    }
    for note in &report.notes {
        proseln!(sink, "{} {}", sink.paint("note:", 36), sanitize(note))?;
    }
    Ok(())
}

/// Several targets: one report each, a line for each that could not be read, then the
/// summary line.
pub type Several<'a> = several::Several<'a, LimitsReport, LimitsSummary>;

impl Renderer<Several<'_>> for Terminal {
    fn render(&self, several: &Several<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_many(several, &mut self.sink(out))
    }
}

impl Renderer<LimitsReport> for Terminal {
    fn render(&self, report: &LimitsReport, out: &mut dyn Write) -> io::Result<()> {
        write(report, &mut self.sink(out))
    }
}

fn write_many(several: &Several<'_>, sink: &mut Sink<'_>) -> io::Result<()> {
    let summary = several.summary;
    several::write_entries(several.entries, sink, write)?;
    let mut line = format!(
        "{} {}",
        summary.processes,
        if summary.processes == 1 {
            "process"
        } else {
            "processes"
        }
    );
    if summary.near_limit > 0 {
        line.push_str(&format!(
            " · {} {} at {:.0}% or more of the NOFILE soft limit",
            sink.paint(&summary.near_limit.to_string(), 31),
            if summary.near_limit == 1 { "is" } else { "are" },
            summary.near_limit_percent
        ));
    }
    if let Some((pid, comm, percent)) = &summary.fullest {
        line.push_str(&format!(
            " · fullest PID {pid} {} at {percent:.1}% of its NOFILE soft limit",
            comm.as_deref().map(sanitize).unwrap_or_default()
        ));
    }
    if summary.uncounted > 0 {
        line.push_str(&format!(
            " · {} with descriptors not counted",
            summary.uncounted
        ));
    }
    if several.failed() > 0 {
        line.push_str(&format!(" · {} not readable", several.failed()));
    }
    proseln!(sink, "{line}")
}
