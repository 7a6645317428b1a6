//! The `steady fds` report for a person at a terminal.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color, Table};

use crate::analyze::census::{Direction, FdGroup};
use crate::analyze::fds::{FdReport, FdsSummary, UsageLevel};
use crate::model::fd::FdKind;
use crate::render::findings;
use crate::render::format::{Renderer, Terminal};
use crate::render::peers::{group_summary, scan_line};
use crate::render::several;
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};

impl Renderer<FdReport> for Terminal {
    fn render(&self, report: &FdReport, out: &mut dyn Write) -> io::Result<()> {
        write(report, &mut self.sink(out))
    }
}

/// Several processes: each report (or the line saying why it could not be read), then one
/// summary line.
pub type Several<'a> = several::Several<'a, FdReport, FdsSummary>;

impl Renderer<Several<'_>> for Terminal {
    fn render(&self, several: &Several<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_many(several, &mut self.sink(out))
    }
}

fn write(report: &FdReport, sink: &mut Sink<'_>) -> io::Result<()> {
    let comm = report.comm.as_deref().map(sanitize).unwrap_or_default();
    let pid = sink.paint(&format!("PID {}", report.pid), 1);
    writeln!(sink, "{pid} {comm}")?;
    let headline = headline(report, sink);
    proseln!(sink, "  {headline}")?;
    if report.vanished > 0 {
        writeln!(
            sink,
            "  {} closed while being read (not counted)",
            text::plural(report.vanished, "descriptor", "descriptors")
        )?;
    }
    if let Some(g) = &report.growth {
        let eta = g
            .eta_seconds
            .map(|s| {
                format!(
                    "; soft limit reached in ~{} at this rate",
                    text::duration(s)
                )
            })
            .unwrap_or_default();
        let change = format!(
            "{} ({})",
            text::signed(g.total_delta),
            text::rate(g.rate_per_min)
        );
        let change = sink.paint(&change, if g.total_delta > 0 { 31 } else { 32 });
        proseln!(
            sink,
            "  over {}: {} -> {} {change}{eta}",
            text::duration(g.seconds),
            text::count(g.total_before),
            text::count(report.total),
        )?;
    }
    writeln!(sink)?;
    let mut kinds = kinds_table(report, sink);
    sink.put_table(&mut kinds)?;
    writeln!(sink)?;
    let mut groups = groups_table(report, sink);
    sink.put_table(&mut groups)?;
    if report.groups.len() < report.groups_total {
        writeln!(
            sink,
            "  ({} of {} groups; --top 0 shows all)",
            report.groups.len(),
            report.groups_total
        )?;
    }
    if let Some(scan) = &report.peer_scan {
        for line in scan_line(scan) {
            proseln!(sink, "  {}", sanitize(&line))?;
        }
    }
    for finding in &report.findings {
        sink.labelled("!", 33, &findings::describe(finding, report))?;
    }
    Ok(())
}

fn write_many(several: &Several<'_>, sink: &mut Sink<'_>) -> io::Result<()> {
    let summary = several.summary;
    several::write_entries(several.entries, sink, write)?;
    let failed = several.failed();
    let mut line = text::plural(summary.processes as u64, "process", "processes");
    if summary.with_findings > 0 {
        line.push_str(&format!(
            " · {} with findings",
            sink.paint(&summary.with_findings.to_string(), 31)
        ));
    }
    if let Some((pid, comm, percent)) = &summary.fullest {
        line.push_str(&format!(
            " · fullest PID {pid} {} at {percent:.1}% of its NOFILE soft limit",
            comm.as_deref().map(sanitize).unwrap_or_default()
        ));
    }
    if failed > 0 {
        line.push_str(&format!(" · {failed} not readable"));
    }
    writeln!(sink, "{line}")
}

fn headline(report: &FdReport, sink: &Sink<'_>) -> String {
    let mut line = format!("{} open descriptors", text::count(report.total));
    match (report.limit.soft, report.usage_percent) {
        (Some(soft), Some(usage)) => {
            let left = soft.saturating_sub(report.total);
            let used = format!("{} used, {} left", text::percent(usage), text::count(left));
            let code = match report.usage_level {
                UsageLevel::Critical => 31,
                UsageLevel::Near => 33,
                UsageLevel::Normal => 32,
            };
            line += &format!(
                " · soft limit {} ({})",
                text::count(soft),
                sink.paint(&used, code)
            );
        }
        _ => line += " · soft limit unlimited",
    }
    line += &format!(" · hard {}", text::limit(report.limit.hard));
    if let Some(nr_open) = report.nr_open {
        line += &format!(" · fs.nr_open {}", text::count(nr_open));
    }
    line
}

fn kinds_table(report: &FdReport, sink: &Sink<'_>) -> Table {
    let mut table = sink.table();
    table.set_header(vec![
        Cell::new("KIND"),
        Cell::new("COUNT"),
        Cell::new("SHARE"),
    ]);
    let mut kinds: Vec<(FdKind, u64)> = FdKind::ALL
        .iter()
        .map(|k| (*k, report.by_kind[k.index()]))
        .filter(|(_, n)| *n > 0)
        .collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (kind, n) in kinds {
        let share = n as f64 * 100.0 / report.total.max(1) as f64;
        table.add_row(vec![
            Cell::new(kind.name()),
            Cell::new(text::count(n)).set_alignment(CellAlignment::Right),
            Cell::new(text::percent(share)).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}

fn groups_table(report: &FdReport, sink: &Sink<'_>) -> Table {
    let mut table = sink.table();
    let over = report.growth.is_some();
    let mut header = vec!["COUNT", "KIND", "STATE", "DIR", "TARGET"];
    if over {
        header.splice(0..0, ["DELTA", "RATE", "LIMIT IN"]);
    }
    let peers = report.peer_scan.is_some();
    if peers {
        header.push("OTHER END");
    }
    table.set_header(header);
    for g in &report.groups {
        let mut row = Vec::new();
        if over {
            let delta = g.delta.unwrap_or(0);
            let cell = Cell::new(text::signed(delta)).set_alignment(CellAlignment::Right);
            row.push(if delta > 0 { cell.fg(Color::Red) } else { cell });
            row.push(
                Cell::new(text::rate(g.rate_per_min.unwrap_or(0.0)))
                    .set_alignment(CellAlignment::Right),
            );
            row.push(Cell::new(
                g.eta_seconds
                    .map(|s| format!("~{}", text::duration(s)))
                    .unwrap_or_else(|| "-".to_string()),
            ));
        }
        row.push(Cell::new(text::count(g.count)).set_alignment(CellAlignment::Right));
        row.push(Cell::new(kind_label(g)));
        row.push(Cell::new(g.key.state.as_deref().unwrap_or("")));
        // Accepted (in) or dialled (out): a pile-up of each has different causes.
        row.push(Cell::new(g.key.direction.map_or("", Direction::short)));
        row.push(Cell::new(target_label(g)));
        if peers {
            row.push(Cell::new(match &g.peers {
                Some(p) => group_summary(p),
                None => String::new(),
            }));
        }
        table.add_row(row);
    }
    table
}

fn kind_label(g: &FdGroup) -> String {
    match g.key.socket_type {
        Some(ty) => format!("{} {ty}", g.key.kind.name()),
        None => g.key.kind.name().to_string(),
    }
}

fn target_label(g: &FdGroup) -> String {
    let target = sanitize(&g.key.target);
    let mut label = match g.key.direction {
        // The DIR column says `listen`; the arrow stays on dialled connections, so the
        // target reads like the inbound one (`10.0.9.1 -> :8080`).
        Some(Direction::Outbound) => format!("-> {target}"),
        _ => target,
    };
    if g.files > 1 {
        label += &format!(" ({})", text::plural(g.files, "file", "files"));
    }
    if matches!(g.key.kind, FdKind::DeletedFile | FdKind::Memfd) && g.allocated_bytes > 0 {
        label += &format!(" pins {}", text::bytes(g.allocated_bytes));
    }
    if !g.fds.is_empty() {
        let fds: Vec<String> = g.fds.iter().map(|fd| fd.to_string()).collect();
        label += &format!(" [fd {}]", fds.join(","));
    }
    label
}
