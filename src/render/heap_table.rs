//! `steady heap` output for a person at a terminal.

use std::io::{self, Write};
use std::path::PathBuf;

use comfy_table::{Cell, CellAlignment, Color, Table};

use crate::analyze::gc_window::Moment;
use crate::analyze::heap_report::{HeapDiff, HeapList, HeapTop};
use crate::analyze::ledger::LedgerLine;
use crate::model::snapshot::SnapshotMeta;
use crate::render::heap_text::{memstats_as_of, note, profile_as_of, signed_value, value, verdict};
use crate::render::table::{new_table, rendered};
use crate::render::text::{self, paint, sanitize};
use crate::render::wrap;
use crate::render::Style;

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

fn pct(part: i64, whole: i64) -> String {
    text::share(part as f64, whole as f64)
}

fn header(meta: &SnapshotMeta, style: Style, out: &mut impl Write) -> io::Result<()> {
    if meta.pid == 0 {
        return Ok(());
    }
    let comm = meta.comm.as_deref().map(sanitize).unwrap_or_default();
    let mut line = format!(
        "{} {comm}",
        paint(&format!("PID {}", meta.pid), 1, style.color)
    );
    if let Some(go) = &meta.go {
        let version = go.version.as_deref().unwrap_or("go (version unknown)");
        let module = go.module.as_deref().or(go.path.as_deref()).unwrap_or("");
        line += &format!(" · {version} {}", sanitize(module));
    }
    wrapln!(out, style.width, "{}", line.trim_end())?;
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
    wrapln!(out, style.width, "{mem}")?;
    if let Some(endpoint) = &meta.endpoint {
        wrapln!(out, style.width, "  profile from {}", sanitize(endpoint))?;
    }
    Ok(())
}

fn warnings(meta: &SnapshotMeta, style: Style, out: &mut impl Write) -> io::Result<()> {
    for w in &meta.warnings {
        let shown = paint("!", 33, style.color);
        writeln!(out, "{}", wrap::labelled("!", &shown, w, style.width))?;
    }
    Ok(())
}

pub fn write_snapshot(
    meta: &SnapshotMeta,
    files: &[PathBuf],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    header(meta, style, out)?;
    for f in files {
        wrapln!(out, style.width, "  wrote {}", f.display())?;
    }
    if let Some(profile) = files
        .first()
        .filter(|_| meta.profile_file.is_some() || files.len() > 1)
    {
        wrapln!(
            out,
            style.width,
            "  read it with `steady heap top {}` or `go tool pprof {}`",
            profile.display(),
            profile.display()
        )?;
    }
    warnings(meta, style, out)
}

fn ledger_table(lines: &[LedgerLine], style: Style) -> Table {
    let mut table = new_table(style);
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

pub fn write_top(top: &HeapTop, style: Style, out: &mut impl Write) -> io::Result<()> {
    header(&top.meta, style, out)?;
    if let Some(p) = &top.profile {
        let unit = p.sample_type.unit.as_str();
        wrapln!(
            out,
            style.width,
            "  {} total {}",
            p.sample_type.name,
            value(p.total, unit)
        )?;
        if let Some(filters) = &top.filters {
            wrapln!(
                out,
                style.width,
                "  {}: {} of it ({}) pass",
                sanitize(filters),
                value(p.kept_total, unit),
                pct(p.kept_total, p.total)
            )?;
        }
        if let Some(m) = &top.moment {
            wrapln!(
                out,
                style.width,
                "  profile as of {} · MemStats and RSS {}",
                profile_as_of(m),
                memstats_as_of(m)
            )?;
        }
        writeln!(out)?;
        let mut table = new_table(style);
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
        writeln!(out, "{}", rendered(&mut table))?;
        if p.entries.len() < top.entries_total {
            wrapln!(
                out,
                style.width,
                "  ({} of {} entries; --top 0 shows all)",
                text::count(p.entries.len() as u64),
                text::count(top.entries_total as u64)
            )?;
        }
    }
    if !top.ledger.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", rendered(&mut ledger_table(&top.ledger, style)))?;
    }
    if let Some(totals) = &top.mapping_totals {
        writeln!(out)?;
        let mut table = new_table(style);
        table.set_header(vec!["MAPPINGS", "RSS"]);
        for (category, bytes) in totals {
            table.add_row(vec![Cell::new(category.name()), right(text::bytes(*bytes))]);
        }
        writeln!(out, "{}", rendered(&mut table))?;
    }
    warnings(&top.meta, style, out)
}

pub fn write_diff(diff: &HeapDiff, style: Style, out: &mut impl Write) -> io::Result<()> {
    let over = diff
        .seconds
        .map(|s| format!(" over {}", text::duration(s)))
        .unwrap_or_default();
    wrapln!(
        out,
        style.width,
        "{} -> {}{over}",
        sanitize(&diff.base),
        sanitize(&diff.new)
    )?;
    if let (Some(b), Some(n)) = (&diff.base_moment, &diff.new_moment) {
        moments(b, n, style, out)?;
    }
    if let Some(p) = &diff.profile {
        let unit = p.sample_type.unit.as_str();
        let rate = diff
            .per_minute(p.total_delta())
            .map(|r| format!(", {}/min", signed_value(r.round() as i64, unit)))
            .unwrap_or_default();
        wrapln!(
            out,
            style.width,
            "  {}: {} -> {} ({}, {} of base{rate})",
            p.sample_type.name,
            value(p.base_total, unit),
            value(p.new_total, unit),
            signed_value(p.total_delta(), unit),
            pct(p.total_delta(), p.base_total)
        )?;
        if let Some(filters) = &diff.filters {
            wrapln!(
                out,
                style.width,
                "  {}: {} -> {} of it pass ({})",
                sanitize(filters),
                value(p.base_kept, unit),
                value(p.new_kept, unit),
                signed_value(p.new_kept - p.base_kept, unit)
            )?;
        }
        writeln!(out)?;
        let mut table = new_table(style);
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
        writeln!(out, "{}", rendered(&mut table))?;
        if p.entries.len() < diff.entries_total {
            wrapln!(
                out,
                style.width,
                "  ({} of {} entries; --top 0 shows all)",
                text::count(p.entries.len() as u64),
                text::count(diff.entries_total as u64)
            )?;
        }
    }
    if !diff.ledger.is_empty() {
        writeln!(out)?;
        let mut table = new_table(style);
        table.set_header(vec!["WHERE THE MEMORY IS", "BEFORE", "AFTER", "CHANGE"]);
        for c in &diff.ledger {
            table.add_row(vec![
                Cell::new(c.name),
                right(value(c.before, "bytes")),
                right(value(c.after, "bytes")),
                right(signed_value(c.delta(), "bytes")),
            ]);
        }
        writeln!(out, "{}", rendered(&mut table))?;
    }
    if let (Some(regions), Some(totals)) = (&diff.regions, &diff.region_totals) {
        writeln!(out)?;
        let mut table = new_table(style);
        table.set_header(vec!["MAPPINGS", "RSS BEFORE", "RSS AFTER", "CHANGE"]);
        for (category, before, after) in totals {
            table.add_row(vec![
                Cell::new(category.name()),
                right(text::bytes(*before)),
                right(text::bytes(*after)),
                right(signed_value(*after as i64 - *before as i64, "bytes")),
            ]);
        }
        writeln!(out, "{}", rendered(&mut table))?;
        if !regions.is_empty() {
            let mut table = new_table(style);
            table.set_header(vec!["CHANGE", "RSS NOW", "KIND", "REGION"]);
            for r in regions {
                table.add_row(vec![
                    right(signed_value(r.rss_delta(), "bytes")),
                    right(text::bytes(r.rss_after)),
                    Cell::new(r.category.name()),
                    Cell::new(sanitize(&r.name)),
                ]);
            }
            writeln!(out)?;
            writeln!(out, "{}", rendered(&mut table))?;
        }
    }
    for v in &diff.verdicts {
        let shown = paint("!", 33, style.color);
        writeln!(
            out,
            "{}",
            wrap::labelled("!", &shown, &verdict(v), style.width)
        )?;
    }
    for n in &diff.notes {
        let shown = paint("?", 36, style.color);
        writeln!(
            out,
            "{}",
            wrap::labelled("?", &shown, &note(n), style.width)
        )?;
    }
    if !diff.grew {
        if diff.live.is_none() && diff.profile.is_some() {
            wrapln!(out, style.width, "  nothing else grew past the thresholds")?;
        } else {
            wrapln!(
                out,
                style.width,
                "  steady: nothing grew past the thresholds"
            )?;
        }
    }
    Ok(())
}

/// Which moment the profile rows and the ledger below are of.
fn moments(base: &Moment, new: &Moment, style: Style, out: &mut impl Write) -> io::Result<()> {
    let cycles = new.last_gc.num_gc.saturating_sub(base.last_gc.num_gc);
    wrapln!(
        out,
        style.width,
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
    wrapln!(
        out,
        style.width,
        "  MemStats and RSS at each snapshot: {} → {}{garbage}",
        memstats_as_of(base),
        memstats_as_of(new)
    )
}

/// `heap list`: per function, its flat and cum and a row per line, as go tool pprof -list
/// (without the source text, which steady does not need or read).
pub fn write_list(list: &HeapList, style: Style, out: &mut impl Write) -> io::Result<()> {
    let r = &list.report;
    let unit = r.sample_type.unit.as_str();
    wrapln!(
        out,
        style.width,
        "{} · {} total {}",
        sanitize(&list.source),
        r.sample_type.name,
        value(r.total, unit)
    )?;
    if let Some(filters) = &list.filters {
        wrapln!(
            out,
            style.width,
            "  {}: {} of it ({}) pass",
            sanitize(filters),
            value(r.kept_total, unit),
            pct(r.kept_total, r.total)
        )?;
    }
    for f in &r.functions {
        writeln!(out)?;
        wrapln!(
            out,
            style.width,
            "{} in {}",
            paint(&sanitize(&f.name), 1, style.color),
            sanitize(&f.file)
        )?;
        wrapln!(
            out,
            style.width,
            "  {} flat, {} cum ({} of total)",
            value(f.flat, unit),
            value(f.cum, unit),
            pct(f.cum, r.total)
        )?;
        let mut table = new_table(style);
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
        writeln!(out, "{}", rendered(&mut table))?;
    }
    Ok(())
}
