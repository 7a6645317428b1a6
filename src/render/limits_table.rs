//! The `steady limits` report for a person at a terminal.

use std::io::{self, Write};

use comfy_table::presets::NOTHING;
use comfy_table::{Cell, CellAlignment, Table};

use crate::analyze::limits::LimitsReport;
use crate::render::text::{self, paint, sanitize};
use crate::render::Style;

pub fn write(report: &LimitsReport, style: Style, out: &mut impl Write) -> io::Result<()> {
    let comm = report.comm.as_deref().map(sanitize).unwrap_or_default();
    writeln!(
        out,
        "{} {}",
        paint(&format!("PID {}", report.pid), 1, style.color),
        comm
    )?;
    if let Some((before, after)) = report.change {
        writeln!(
            out,
            "  RLIMIT_NOFILE changed: soft {} -> {}, hard {} -> {}",
            text::limit(before.soft),
            paint(&text::limit(after.soft), 32, style.color),
            text::limit(before.hard),
            text::limit(after.hard)
        )?;
    }
    let usage = report
        .usage_percent()
        .map(|u| format!(" ({u:.1}% of the soft limit)"))
        .unwrap_or_default();
    match (report.open_fds, &report.open_fds_unknown) {
        (Some(open), _) => writeln!(out, "  open descriptors {}{usage}", text::count(open))?,
        (None, why) => writeln!(
            out,
            "  open descriptors: unknown ({})",
            why.as_deref().unwrap_or("not readable")
        )?,
    }
    writeln!(
        out,
        "  RLIMIT_NOFILE soft {} · hard {} · fs.nr_open {}",
        text::limit(report.nofile.soft),
        text::limit(report.nofile.hard),
        text::limit(report.nr_open)
    )?;
    if let Some(all) = &report.all {
        let mut table = Table::new();
        table.load_style(NOTHING);
        table.force_no_tty();
        table.set_header(vec!["LIMIT", "SOFT", "HARD", "UNIT"]);
        for l in all {
            table.add_row(vec![
                Cell::new(l.name),
                Cell::new(text::limit(l.limit.soft)).set_alignment(CellAlignment::Right),
                Cell::new(text::limit(l.limit.hard)).set_alignment(CellAlignment::Right),
                Cell::new(l.unit),
            ]);
        }
        writeln!(out)?;
        writeln!(out, "{table}")?;
    }
    for note in &report.notes {
        writeln!(
            out,
            "{} {}",
            paint("note:", 36, style.color),
            sanitize(note)
        )?;
    }
    Ok(())
}
