//! `steady stacks` for a person at a terminal: a summary table, then each group's frames.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color};

use crate::analyze::stacks::{is_app_frame, GoroutineView, StacksReport, ThreadGroup};
use crate::model::stacks::GoFrame;
use crate::render::format::{Renderer, Terminal};
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};
use crate::render::wrap;

pub fn wait_text(g: &GoroutineView) -> String {
    match g.group.wait_minutes {
        Some((lo, hi)) if lo == hi => format!("{lo} min"),
        Some((lo, hi)) => format!("{lo}-{hi} min"),
        None => "-".to_string(),
    }
}

/// The frame people look at first: the innermost application frame, else the leaf.
fn focus(frames: &[GoFrame]) -> Option<&GoFrame> {
    frames
        .iter()
        .find(|f| is_app_frame(&f.function))
        .or(frames.first())
}

/// `example.com/api/internal/upstream.(*Client).call` → `upstream.(*Client).call`, as pprof
/// shortens names: the summary table then fits a terminal without cutting a name; the full
/// name is in the group's frames below. A `/` inside a type parameter list is left alone.
fn short_function(function: &str) -> &str {
    let head = function.find(['(', '[']).unwrap_or(function.len());
    match function[..head].rfind('/') {
        Some(slash) => &function[slash + 1..],
        None => function,
    }
}

fn short_file(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

impl Renderer<StacksReport> for Terminal {
    fn render(&self, report: &StacksReport, out: &mut dyn Write) -> io::Result<()> {
        write(report, &mut self.sink(out))
    }
}

fn write(report: &StacksReport, sink: &mut Sink<'_>) -> io::Result<()> {
    let w = sink.width();
    if let Some(pid) = report.pid {
        let comm = report.comm.as_deref().map(sanitize).unwrap_or_default();
        writeln!(sink, "{} {comm}", sink.paint(&format!("PID {pid}"), 1))?;
    }
    if let Some(g) = &report.goroutines {
        let source = report
            .goroutine_source
            .as_deref()
            .map(sanitize)
            .unwrap_or_default();
        let line = format!(
            "{}{} (from {source})",
            how_many(g.total, g.matched, "goroutine", "goroutines"),
            in_groups(g.groups_total),
        );
        sink.para("  ", "    ", &line)?;
        if g.stuck_goroutines > 0 {
            writeln!(
                sink,
                "  {}",
                sink.paint(
                    &format!(
                        "{} stuck",
                        text::plural(g.stuck_goroutines, "goroutine", "goroutines")
                    ),
                    31
                )
            )?;
        }
    }
    // A filter that kept nothing leaves the count line alone: no empty table under it.
    if let Some(g) = report.goroutines.as_ref().filter(|g| !g.groups.is_empty()) {
        writeln!(sink)?;
        let mut table = sink.table();
        table.set_header(vec!["#", "COUNT", "STATE", "WAIT", "", "WHERE"]);
        for (i, v) in g.groups.iter().enumerate() {
            let place = focus(&v.group.frames)
                .map(|f| {
                    format!(
                        "{} {}:{}",
                        sanitize(short_function(&f.function)),
                        sanitize(short_file(&f.file)),
                        f.line
                    )
                })
                .unwrap_or_else(|| "(no stack)".to_string());
            let stuck = if v.stuck {
                Cell::new("stuck").fg(Color::Red)
            } else {
                Cell::new("")
            };
            table.add_row(vec![
                Cell::new(i + 1),
                Cell::new(text::count(v.group.count)).set_alignment(CellAlignment::Right),
                Cell::new(sanitize(&v.group.state)),
                Cell::new(wait_text(v)),
                stuck,
                Cell::new(place),
            ]);
        }
        sink.put_table(&mut table)?;
        if g.groups.len() < g.groups_total {
            writeln!(
                sink,
                "  ({} of {} groups; --top 0 shows all)",
                text::count(g.groups.len() as u64),
                text::count(g.groups_total as u64)
            )?;
        }
        for (i, v) in g.groups.iter().enumerate() {
            writeln!(sink)?;
            let mut title = format!(
                "#{} · {}",
                i + 1,
                text::plural(v.group.count, "goroutine", "goroutines")
            );
            if !v.group.state.is_empty() {
                title += &format!(" · {}", sanitize(&v.group.state));
            }
            if v.group.wait_minutes.is_some() {
                title += &format!(
                    " · waiting {} ({} of {} report an age)",
                    wait_text(v),
                    text::count(v.group.with_age),
                    text::count(v.group.count)
                );
            }
            if v.group.locked_to_thread > 0 {
                title += &format!(
                    " · {} locked to thread",
                    text::count(v.group.locked_to_thread)
                );
            }
            if v.group.leaked {
                title += " · leaked (the Go runtime proved nothing can wake it)";
            }
            if v.stuck {
                title += " · STUCK";
            }
            writeln!(
                sink,
                "{}",
                sink.paint(&wrap::fill(&title, w, "", "    "), 1)
            )?;
            for f in &v.group.frames {
                let line = frame_line("    ", &f.function, &f.file, f.line, w);
                let app = is_app_frame(&f.function);
                writeln!(sink, "{}", if app { sink.paint(&line, 36) } else { line })?;
            }
            if v.group.elided {
                writeln!(sink, "    ...additional frames elided...")?;
            }
            if let Some(c) = &v.group.created_by {
                let line = frame_line("    created by ", &c.function, &c.file, c.line, w);
                writeln!(sink, "{line}")?;
            }
            if !v.group.sample_ids.is_empty() {
                let ids: Vec<String> = v.group.sample_ids.iter().map(u64::to_string).collect();
                sink.para("    goroutines ", "      ", &ids.join(", "))?;
            }
        }
    }
    if let Some(t) = &report.threads {
        writeln!(sink)?;
        let window = t
            .window_seconds
            .map(|s| format!(", CPU over {}", text::duration(s)))
            .unwrap_or_default();
        let line = format!(
            "{}{}{window}",
            how_many(t.total, t.matched, "thread", "threads"),
            in_groups(t.groups_total)
        );
        sink.para("  ", "    ", &line)?;
    }
    if let Some(t) = report.threads.as_ref().filter(|t| !t.groups.is_empty()) {
        let mut table = sink.table();
        let mut header = vec!["COUNT", "STATE", "SYSCALL", "WCHAN", "CPU"];
        if t.window_seconds.is_some() {
            header.extend(["SPINNING", "STUCK"]);
        }
        header.push("NAMES");
        table.set_header(header);
        for g in &t.groups {
            let mut row = vec![
                Cell::new(text::count(g.count)).set_alignment(CellAlignment::Right),
                Cell::new(g.state),
                Cell::new(g.syscall.as_deref().unwrap_or("?")),
                Cell::new(
                    g.wchan
                        .as_deref()
                        .map(sanitize)
                        .unwrap_or_else(|| "-".to_string()),
                ),
                Cell::new(format!("{:.1}s", g.cpu_seconds)).set_alignment(CellAlignment::Right),
            ];
            if t.window_seconds.is_some() {
                row.push(Cell::new(g.spinning).set_alignment(CellAlignment::Right));
                let stuck = Cell::new(g.stuck).set_alignment(CellAlignment::Right);
                row.push(if g.stuck > 0 {
                    stuck.fg(Color::Red)
                } else {
                    stuck
                });
            }
            row.push(Cell::new(names(g)));
            table.add_row(row);
        }
        sink.put_table(&mut table)?;
        for g in t
            .groups
            .iter()
            .filter(|g| g.kernel_stack.as_ref().is_some_and(|s| !s.is_empty()))
        {
            let stack = g.kernel_stack.as_deref().unwrap_or_default().join(" <- ");
            let line = format!(
                "{} × {}: {}",
                text::count(g.count),
                names(g),
                sanitize(&stack)
            );
            sink.para("  ", "      ", &line)?;
        }
    }
    for note in &report.notes {
        sink.labelled("note:", 36, &sanitize(note))?;
    }
    Ok(())
}

/// "205 goroutines", or under a filter "200 of 205 goroutines match".
fn how_many(total: u64, matched: Option<u64>, one: &str, many: &str) -> String {
    match matched {
        Some(m) => format!(
            "{} of {} {}",
            text::count(m),
            text::plural(total, one, many),
            if m == 1 { "matches" } else { "match" }
        ),
        None => text::plural(total, one, many),
    }
}

/// " in 3 groups"; nothing when a filter kept none.
fn in_groups(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" in {}", text::plural(n as u64, "group", "groups"))
    }
}

/// A frame as `function  file:line`, or, when that does not fit, the file on a line of its
/// own under the function, as Go's own dumps print it: neither name is ever cut.
fn frame_line(lead: &str, function: &str, file: &str, line: u32, width: Option<usize>) -> String {
    let (function, file) = (sanitize(function), sanitize(file));
    let one = format!("{lead}{function}  {file}:{line}");
    if width.is_none_or(|w| one.chars().count() <= w) {
        one
    } else {
        format!("{lead}{function}\n        {file}:{line}")
    }
}

fn names(g: &ThreadGroup) -> String {
    let shown: Vec<String> = g
        .names
        .iter()
        .take(4)
        .map(|(n, c)| {
            if *c > 1 {
                format!("{} ×{c}", sanitize(n))
            } else {
                sanitize(n)
            }
        })
        .collect();
    let more = g.names.len().saturating_sub(4);
    if more > 0 {
        format!("{} +{more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::policy::StacksPolicy;
    use crate::analyze::stacks::{goroutine_report, GroupFilter};
    use crate::parse::goroutines::parse_dump;
    use crate::render::Style;

    const STUCK: &str =
        include_str!("../../tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt");

    fn rendered(filter: GroupFilter, width: Option<usize>) -> String {
        let dump = parse_dump(STUCK.as_bytes(), "fixture", false).unwrap();
        let report = StacksReport {
            goroutine_source: Some("dump.txt".to_string()),
            goroutines: Some(goroutine_report(dump, &filter, &StacksPolicy::default(), 0)),
            ..StacksReport::default()
        };
        let mut out = Vec::new();
        Terminal(Style {
            color: false,
            width,
        })
        .render(&report, &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_filter_says_how_many_matched_and_shows_no_empty_table() {
        let state = GroupFilter {
            state: Some("chan receive".into()),
            ..GroupFilter::default()
        };
        let text = rendered(state, None);
        assert!(
            text.starts_with("  14 of 21 goroutines match in 2 groups (from dump.txt)\n"),
            "{text}"
        );
        let none = GroupFilter {
            pattern: Some(regex::Regex::new("no such frame").unwrap()),
            ..GroupFilter::default()
        };
        assert_eq!(
            rendered(none, None),
            "  0 of 21 goroutines match (from dump.txt)\n"
        );
        let all = rendered(GroupFilter::default(), None);
        assert!(all.starts_with("  21 goroutines in 8 groups"), "{all}");
    }

    #[test]
    fn eighty_columns_are_never_exceeded_by_prose_or_frames() {
        let text = rendered(GroupFilter::default(), Some(80));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
            assert!(!line.ends_with(' '), "{line:?}");
        }
        // Names are never cut: every frame's function appears whole on a line.
        assert!(text.contains("    example.com/api/internal/upstream.(*Client).call\n"));
    }

    #[test]
    fn function_names_lose_their_import_path_only() {
        for (full, short) in [
            (
                "example.com/api/internal/upstream.(*Client).call",
                "upstream.(*Client).call",
            ),
            ("main.main", "main.main"),
            ("net/http.(*conn).serve", "http.(*conn).serve"),
            (
                "pkg.F[go.shape.*example.com/x.T]",
                "pkg.F[go.shape.*example.com/x.T]",
            ),
            ("example.com/m/pkg.G[...]", "pkg.G[...]"),
        ] {
            assert_eq!(short_function(full), short);
        }
    }
}
