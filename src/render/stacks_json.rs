//! The `steady stacks --json` document.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::stacks::{is_app_frame, StacksReport};
use crate::model::stacks::GoFrame;
use crate::render::format::{Json, Renderer};
use crate::render::SCHEMA_VERSION;

#[derive(Serialize)]
struct Frame<'a> {
    function: &'a str,
    file: &'a str,
    line: u32,
    app: bool,
}

fn frame(f: &GoFrame) -> Frame<'_> {
    Frame {
        function: &f.function,
        file: &f.file,
        line: f.line,
        app: is_app_frame(&f.function),
    }
}

#[derive(Serialize)]
struct Minutes {
    min: u32,
    max: u32,
}

#[derive(Serialize)]
struct Group<'a> {
    count: u64,
    state: &'a str,
    wait_minutes: Option<Minutes>,
    with_age: u64,
    stuck: bool,
    locked_to_thread: u64,
    leaked: bool,
    frames: Vec<Frame<'a>>,
    elided: bool,
    created_by: Option<Frame<'a>>,
    sample_ids: &'a [u64],
}

#[derive(Serialize)]
struct ThreadGroupJson<'a> {
    count: u64,
    state: String,
    syscall: Option<&'a str>,
    wchan: Option<&'a str>,
    kernel_stack: Option<&'a [String]>,
    names: Vec<NameCount<'a>>,
    tids: &'a [i32],
    cpu_seconds: f64,
    spinning: u64,
    stuck: u64,
}

#[derive(Serialize)]
struct NameCount<'a> {
    name: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct Threads<'a> {
    total: u64,
    matched: Option<u64>,
    groups: Vec<ThreadGroupJson<'a>>,
    groups_total: usize,
    kernel_stacks_readable: bool,
    window_seconds: Option<f64>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    command: &'static str,
    pid: Option<i32>,
    comm: Option<&'a str>,
    source: Option<&'a str>,
    /// Goroutines in the dump (null when none were read).
    total: Option<u64>,
    /// Goroutines that --match/--state/--min-count kept (null without filters).
    matched: Option<u64>,
    /// Goroutine groups, stuck first, then largest.
    groups: Vec<Group<'a>>,
    groups_total: usize,
    stuck_goroutines: u64,
    has_wait_reasons: bool,
    threads: Option<Threads<'a>>,
    notes: &'a [String],
}

impl Renderer<StacksReport> for Json {
    fn render(&self, report: &StacksReport, out: &mut dyn Write) -> io::Result<()> {
        write(report, out)
    }
}

fn write(report: &StacksReport, out: &mut dyn Write) -> io::Result<()> {
    let g = report.goroutines.as_ref();
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        command: "stacks",
        pid: report.pid,
        comm: report.comm.as_deref(),
        source: report.goroutine_source.as_deref(),
        total: g.map(|g| g.total),
        matched: g.and_then(|g| g.matched),
        groups: g
            .iter()
            .flat_map(|g| &g.groups)
            .map(|v| Group {
                count: v.group.count,
                state: &v.group.state,
                wait_minutes: v.group.wait_minutes.map(|(min, max)| Minutes { min, max }),
                with_age: v.group.with_age,
                stuck: v.stuck,
                locked_to_thread: v.group.locked_to_thread,
                leaked: v.group.leaked,
                frames: v.group.frames.iter().map(frame).collect(),
                elided: v.group.elided,
                created_by: v.group.created_by.as_ref().map(frame),
                sample_ids: &v.group.sample_ids,
            })
            .collect(),
        groups_total: g.map_or(0, |g| g.groups_total),
        stuck_goroutines: g.map_or(0, |g| g.stuck_goroutines),
        has_wait_reasons: g.is_some_and(|g| g.has_states),
        threads: report.threads.as_ref().map(|t| Threads {
            total: t.total,
            matched: t.matched,
            groups: t
                .groups
                .iter()
                .map(|g| ThreadGroupJson {
                    count: g.count,
                    state: g.state.to_string(),
                    syscall: g.syscall.as_deref(),
                    wchan: g.wchan.as_deref(),
                    kernel_stack: g.kernel_stack.as_deref(),
                    names: g
                        .names
                        .iter()
                        .map(|(name, count)| NameCount {
                            name,
                            count: *count,
                        })
                        .collect(),
                    tids: &g.tids,
                    cpu_seconds: (g.cpu_seconds * 100.0).round() / 100.0,
                    spinning: g.spinning,
                    stuck: g.stuck,
                })
                .collect(),
            groups_total: t.groups_total,
            kernel_stacks_readable: t.kernel_stacks_readable,
            window_seconds: t.window_seconds,
        }),
        notes: &report.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
