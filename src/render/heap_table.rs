//! `steady heap` output for a person at a terminal.

use std::io::{self, Write};
use std::path::PathBuf;

use comfy_table::{Cell, CellAlignment, Color, Table};

use crate::analyze::gc_window::Moment;
use crate::analyze::heap_report::{HeapDiff, HeapList, HeapTop};
use crate::analyze::ledger::LedgerLine;
use crate::model::snapshot::SnapshotMeta;
use crate::model::snapshot::Written;
use crate::render::format::{Renderer, Terminal};
use crate::render::heap_text::{memstats_as_of, note, profile_as_of, signed_value, value, verdict};
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};
use crate::render::wrap;

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

fn pct(part: i64, whole: i64) -> String {
    text::share(part as f64, whole as f64)
}

fn header(meta: &SnapshotMeta, sink: &mut Sink<'_>) -> io::Result<()> {
    if meta.pid == 0 {
        return Ok(());
    }
    let comm = meta.comm.as_deref().map(sanitize).unwrap_or_default();
    let mut line = format!("{} {comm}", sink.paint(&format!("PID {}", meta.pid), 1));
    if let Some(go) = &meta.go {
        let version = go.version.as_deref().unwrap_or("go (version unknown)");
        let module = go.module.as_deref().or(go.path.as_deref()).unwrap_or("");
        line += &format!(" · {version} {}", sanitize(module));
    }
    proseln!(sink, "{}", line.trim_end())?;
    let m = &meta.memory;
    let mut mem = format!(
        "  RSS {} (anon {}, file {})",
        text::bytes(m.vm_rss),
        text::bytes(m.rss_anon),
        text::bytes(m.rss_file)
    );
    if let Some(cg) = &meta.cgroup {
        let usage = cg.usage.map(text::bytes).unwrap_or_else(|| "?".to_string());
        let limit = cg
            .limit
            .map(text::bytes)
            .unwrap_or_else(|| "no limit".to_string());
        mem += &format!(" · cgroup {usage} of {limit}");
    }
    if let Some(env) = &meta.go_env {
        if env.readable {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".to_string());
            mem += &format!(
                " · GOMEMLIMIT {} GOGC {} GOMAXPROCS {}",
                show(&env.gomemlimit),
                show(&env.gogc),
                show(&env.gomaxprocs)
            );
        }
    }
    proseln!(sink, "{mem}")?;
    if let Some(endpoint) = &meta.endpoint {
        proseln!(sink, "  profile from {}", sanitize(endpoint))?;
    }
    Ok(())
}

fn warnings(meta: &SnapshotMeta, sink: &mut Sink<'_>) -> io::Result<()> {
    for w in &meta.warnings {
        let shown = sink.paint("!", 33);
        writeln!(sink, "{}", wrap::labelled("!", &shown, w, sink.width()))?;
    }
    Ok(())
}

impl Renderer<Written<'_>> for Terminal {
    fn render(&self, written: &Written<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_snapshot(written.meta, written.files, &mut self.sink(out))
    }
}

impl Renderer<HeapTop> for Terminal {
    fn render(&self, top: &HeapTop, out: &mut dyn Write) -> io::Result<()> {
        write_top(top, &mut self.sink(out))
    }
}

impl Renderer<HeapDiff> for Terminal {
    fn render(&self, diff: &HeapDiff, out: &mut dyn Write) -> io::Result<()> {
        write_diff(diff, &mut self.sink(out))
    }
}

impl Renderer<HeapList> for Terminal {
    fn render(&self, list: &HeapList, out: &mut dyn Write) -> io::Result<()> {
        write_list(list, &mut self.sink(out))
    }
}

fn write_snapshot(meta: &SnapshotMeta, files: &[PathBuf], sink: &mut Sink<'_>) -> io::Result<()> {
    header(meta, sink)?;
    for f in files {
        proseln!(sink, "  wrote {}", f.display())?;
    }
    if let Some(profile) = files
        .first()
        .filter(|_| meta.profile_file.is_some() || files.len() > 1)
    {
        proseln!(
            sink,
            "  read it with `steady heap top {}` or `go tool pprof {}`",
            profile.display(),
            profile.display()
        )?;
    }
    warnings(meta, sink)
}

fn ledger_table(lines: &[LedgerLine], sink: &Sink<'_>) -> Table {
    let mut table = sink.table();
    table.set_header(vec!["WHERE THE MEMORY IS", "BYTES", ""]);
    for l in lines {
        table.add_row(vec![
            Cell::new(l.name),
            right(
                signed_value(l.bytes, "bytes")
                    .trim_start_matches('+')
                    .to_string(),
            ),
            Cell::new(l.what),
        ]);
    }
    table
}

fn write_top(top: &HeapTop, sink: &mut Sink<'_>) -> io::Result<()> {
    header(&top.meta, sink)?;
    if let Some(p) = &top.profile {
        let unit = p.sample_type.unit.as_str();
        proseln!(
            sink,
            "  {} total {}",
            p.sample_type.name,
            value(p.total, unit)
        )?;
        if let Some(filters) = &top.filters {
            proseln!(
                sink,
                "  {}: {} of it ({}) pass",
                sanitize(filters),
                value(p.kept_total, unit),
                pct(p.kept_total, p.total)
            )?;
        }
        if let Some(m) = &top.moment {
            proseln!(
                sink,
                "  profile as of {} · MemStats and RSS {}",
                profile_as_of(m),
                memstats_as_of(m)
            )?;
        }
        writeln!(sink)?;
        let mut table = sink.table();
        table.set_header(vec!["FLAT", "FLAT%", "SUM%", "CUM", "CUM%", "FUNCTION"]);
        let mut sum = 0;
        for e in &p.entries {
            sum += e.flat;
            table.add_row(vec![
                right(value(e.flat, unit)),
                right(pct(e.flat, p.total)),
                right(pct(sum, p.total)),
                right(value(e.cum, unit)),
                right(pct(e.cum, p.total)),
                Cell::new(sanitize(&e.name)),
            ]);
        }
        sink.put_table(&mut table)?;
        if p.entries.len() < top.entries_total {
            proseln!(
                sink,
                "  ({} of {} entries; --top 0 shows all)",
                text::count(p.entries.len() as u64),
                text::count(top.entries_total as u64)
            )?;
        }
    }
    if !top.ledger.is_empty() {
        writeln!(sink)?;
        let mut ledger = ledger_table(&top.ledger, sink);
        sink.put_table(&mut ledger)?;
    }
    if let Some(totals) = &top.mapping_totals {
        writeln!(sink)?;
        let mut table = sink.table();
        table.set_header(vec!["MAPPINGS", "RSS"]);
        for (category, bytes) in totals {
            table.add_row(vec![Cell::new(category.name()), right(text::bytes(*bytes))]);
        }
        sink.put_table(&mut table)?;
    }
    warnings(&top.meta, sink)
}

fn write_diff(diff: &HeapDiff, sink: &mut Sink<'_>) -> io::Result<()> {
    let over = diff
        .seconds
        .map(|s| format!(" over {}", text::duration(s)))
        .unwrap_or_default();
    proseln!(
        sink,
        "{} -> {}{over}",
        sanitize(&diff.base),
        sanitize(&diff.new)
    )?;
    if let (Some(b), Some(n)) = (&diff.base_moment, &diff.new_moment) {
        moments(b, n, sink)?;
    }
    if let Some(p) = &diff.profile {
        let unit = p.sample_type.unit.as_str();
        let rate = diff
            .per_minute(p.total_delta())
            .map(|r| format!(", {}/min", signed_value(r.round() as i64, unit)))
            .unwrap_or_default();
        proseln!(
            sink,
            "  {}: {} -> {} ({}, {} of base{rate})",
            p.sample_type.name,
            value(p.base_total, unit),
            value(p.new_total, unit),
            signed_value(p.total_delta(), unit),
            pct(p.total_delta(), p.base_total)
        )?;
        if let Some(filters) = &diff.filters {
            proseln!(
                sink,
                "  {}: {} -> {} of it pass ({})",
                sanitize(filters),
                value(p.base_kept, unit),
                value(p.new_kept, unit),
                signed_value(p.new_kept - p.base_kept, unit)
            )?;
        }
        writeln!(sink)?;
        let mut table = sink.table();
        let rated = diff.per_minute(0).is_some();
        let mut header = vec!["FLAT Δ", "FLAT%", "CUM Δ", "CUM%", "FUNCTION"];
        if rated {
            header.insert(1, "FLAT Δ/MIN");
        }
        table.set_header(header);
        for e in &p.entries {
            let shrinking = p.is_shrinking(e);
            let flat = right(signed_value(e.flat_delta(), unit));
            let name = if shrinking {
                format!("{} (shrinking)", sanitize(&e.name))
            } else {
                sanitize(&e.name)
            };
            let mut row = vec![
                if e.flat_delta() > 0 {
                    flat.fg(Color::Red)
                } else {
                    flat
                },
                right(pct(e.flat_delta(), p.base_total)),
                right(signed_value(e.cum_delta(), unit)),
                right(pct(e.cum_delta(), p.base_total)),
                Cell::new(name),
            ];
            if let Some(r) = diff.per_minute(e.flat_delta()) {
                row.insert(1, right(signed_value(r.round() as i64, unit)));
            }
            table.add_row(row);
        }
        sink.put_table(&mut table)?;
        if p.entries.len() < diff.entries_total {
            proseln!(
                sink,
                "  ({} of {} entries; --top 0 shows all)",
                text::count(p.entries.len() as u64),
                text::count(diff.entries_total as u64)
            )?;
        }
    }
    if !diff.ledger.is_empty() {
        writeln!(sink)?;
        let mut table = sink.table();
        table.set_header(vec!["WHERE THE MEMORY IS", "BEFORE", "AFTER", "CHANGE"]);
        for c in &diff.ledger {
            table.add_row(vec![
                Cell::new(c.name),
                right(value(c.before, "bytes")),
                right(value(c.after, "bytes")),
                right(signed_value(c.delta(), "bytes")),
            ]);
        }
        sink.put_table(&mut table)?;
    }
    if let (Some(regions), Some(totals)) = (&diff.regions, &diff.region_totals) {
        writeln!(sink)?;
        let mut table = sink.table();
        table.set_header(vec!["MAPPINGS", "RSS BEFORE", "RSS AFTER", "CHANGE"]);
        for (category, before, after) in totals {
            table.add_row(vec![
                Cell::new(category.name()),
                right(text::bytes(*before)),
                right(text::bytes(*after)),
                right(signed_value(*after as i64 - *before as i64, "bytes")),
            ]);
        }
        sink.put_table(&mut table)?;
        if !regions.is_empty() {
            let mut table = sink.table();
            table.set_header(vec!["CHANGE", "RSS NOW", "KIND", "REGION"]);
            for r in regions {
                table.add_row(vec![
                    right(signed_value(r.rss_delta(), "bytes")),
                    right(text::bytes(r.rss_after)),
                    Cell::new(r.category.name()),
                    Cell::new(sanitize(&r.name)),
                ]);
            }
            writeln!(sink)?;
            sink.put_table(&mut table)?;
        }
    }
    for v in &diff.verdicts {
        let shown = sink.paint("!", 33);
        writeln!(
            sink,
            "{}",
            wrap::labelled("!", &shown, &verdict(v), sink.width())
        )?;
    }
    for n in &diff.notes {
        let shown = sink.paint("?", 36);
        writeln!(
            sink,
            "{}",
            wrap::labelled("?", &shown, &note(n), sink.width())
        )?;
    }
    if !diff.grew {
        if diff.live.is_none() && diff.profile.is_some() {
            proseln!(sink, "  nothing else grew past the thresholds")?;
        } else {
            proseln!(sink, "  steady: nothing grew past the thresholds")?;
        }
    }
    Ok(())
}

/// Which moment the profile rows and the ledger below are of.
fn moments(base: &Moment, new: &Moment, sink: &mut Sink<'_>) -> io::Result<()> {
    let cycles = new.last_gc.num_gc.saturating_sub(base.last_gc.num_gc);
    proseln!(
        sink,
        "  profile as of {} → {} · {} between (NumGC {} → {})",
        profile_as_of(base),
        profile_as_of(new),
        text::plural(cycles, "GC cycle", "GC cycles"),
        base.last_gc.num_gc,
        new.last_gc.num_gc
    )?;
    let garbage = if base.after_gc && new.after_gc {
        ""
    } else {
        " (HeapAlloc then counts garbage allocated since the GC)"
    };
    proseln!(
        sink,
        "  MemStats and RSS at each snapshot: {} → {}{garbage}",
        memstats_as_of(base),
        memstats_as_of(new)
    )
}

/// `heap list`: per function, its flat and cum and a row per line, as go tool pprof -list
/// (without the source text, which steady does not need or read).
fn write_list(list: &HeapList, sink: &mut Sink<'_>) -> io::Result<()> {
    let r = &list.report;
    let unit = r.sample_type.unit.as_str();
    proseln!(
        sink,
        "{} · {} total {}",
        sanitize(&list.source),
        r.sample_type.name,
        value(r.total, unit)
    )?;
    if let Some(filters) = &list.filters {
        proseln!(
            sink,
            "  {}: {} of it ({}) pass",
            sanitize(filters),
            value(r.kept_total, unit),
            pct(r.kept_total, r.total)
        )?;
    }
    for f in &r.functions {
        writeln!(sink)?;
        proseln!(
            sink,
            "{} in {}",
            sink.paint(&sanitize(&f.name), 1),
            sanitize(&f.file)
        )?;
        proseln!(
            sink,
            "  {} flat, {} cum ({} of total)",
            value(f.flat, unit),
            value(f.cum, unit),
            pct(f.cum, r.total)
        )?;
        let mut table = sink.table();
        table.set_header(vec!["FLAT", "CUM", "LINE"]);
        for l in &f.lines {
            let dot = |v: i64| {
                if v == 0 {
                    ".".to_string()
                } else {
                    value(v, unit)
                }
            };
            table.add_row(vec![
                right(dot(l.flat)),
                right(dot(l.cum)),
                right(l.line.to_string()),
            ]);
        }
        sink.put_table(&mut table)?;
    }
    Ok(())
}
