//! The `steady limits` report for a person at a terminal.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment};

use crate::analyze::limits::{LimitsReport, LimitsSummary};
use crate::render::limits_json::Entry;
use crate::render::several;
use crate::render::table::{new_table, rendered};
use crate::render::text::{self, paint, sanitize};
use crate::render::Style;

pub fn write(report: &LimitsReport, style: Style, out: &mut impl Write) -> io::Result<()> {
    let comm = report.comm.as_deref().map(sanitize).unwrap_or_default();
    wrapln!(
        out,
        style.width,
        "{} {}",
        paint(&format!("PID {}", report.pid), 1, style.color),
        comm
    )?;
    for c in &report.changes {
        if c.changed() {
            wrapln!(
                out,
                style.width,
                "  RLIMIT_{} changed: soft {} -> {}, hard {} -> {}",
                c.resource.name(),
                text::limit(c.before.soft),
                paint(&text::limit(c.after.soft), 32, style.color),
                text::limit(c.before.hard),
                paint(&text::limit(c.after.hard), 32, style.color)
            )?;
        } else {
            wrapln!(
                out,
                style.width,
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
        (Some(open), _) => wrapln!(
            out,
            style.width,
            "  open descriptors {}{usage}",
            text::count(open)
        )?,
        (None, why) => wrapln!(
            out,
            style.width,
            "  open descriptors: unknown ({})",
            why.as_deref().unwrap_or("not readable")
        )?,
    }
    wrapln!(
        out,
        style.width,
        "  RLIMIT_NOFILE soft {} · hard {} · fs.nr_open {}",
        text::limit(report.nofile.soft),
        text::limit(report.nofile.hard),
        text::limit(report.nr_open)
    )?;
    if let Some(all) = &report.all {
        let mut table = new_table(style);
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
        writeln!(out)?;
        writeln!(out, "{}", rendered(&mut table))?;
    }
    for note in &report.notes {
        wrapln!(
            out,
            style.width,
            "{} {}",
            paint("note:", 36, style.color),
            sanitize(note)
        )?;
    }
    Ok(())
}

/// Several targets: one report each, a line for each that could not be read, then the
/// summary line.
pub fn write_many(
    entries: &[Entry<'_>],
    summary: &LimitsSummary,
    failed: &[(i32, String, &'static str)],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    several::write_entries(entries, style, out, |report, out| write(report, style, out))?;
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
            paint(&summary.near_limit.to_string(), 31, style.color),
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
    if !failed.is_empty() {
        line.push_str(&format!(" · {} not readable", failed.len()));
    }
    wrapln!(out, style.width, "{line}")
}
