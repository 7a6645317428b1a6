//! The `steady limits --json` document.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::limits::LimitsReport;
use crate::error::split_hint;
use crate::model::limits::LimitPair;
use crate::render::fds_json::{round2, Limit};
use crate::render::format::{Json, Renderer};
use crate::render::several;
use crate::render::SCHEMA_VERSION;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    command: &'static str,
    pid: i32,
    comm: Option<&'a str>,
    nofile: Limit,
    nr_open: Option<u64>,
    /// null when the descriptors could not be counted; `open_fds_unknown` says why.
    open_fds: Option<u64>,
    open_fds_unknown: Option<&'a str>,
    usage_percent: Option<f64>,
    headroom_percent: Option<f64>,
    /// null without --all, like every optional section of every command.
    all: Option<Vec<Named<'a>>>,
    /// The NOFILE change (`--set-nofile`, or `--set NOFILE=…`); null when none was asked for.
    change: Option<Change>,
    /// Every change asked for, in order; `changed` is false when the limit already was so.
    changes: Vec<NamedChange>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    /// prlimit's name: NOFILE, CORE…
    resource: &'a str,
    description: &'a str,
    soft: Option<u64>,
    hard: Option<u64>,
    unit: &'a str,
}

#[derive(Serialize)]
struct Change {
    before: Limit,
    after: Limit,
}

#[derive(Serialize)]
struct NamedChange {
    resource: &'static str,
    changed: bool,
    before: Limit,
    after: Limit,
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    schema_version: u32,
    command: &'static str,
    pid: i32,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    kind: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Report(Box<Document<'a>>),
    Error(ErrorDoc<'a>),
}

/// One target of several: its report, or why it could not be read.
pub type Entry<'a> = crate::render::several::Entry<'a, LimitsReport>;

fn limit(pair: LimitPair) -> Limit {
    Limit {
        soft: pair.soft,
        hard: pair.hard,
    }
}

impl Renderer<LimitsReport> for Json {
    fn render(&self, report: &LimitsReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &document(report))?;
        writeln!(out)
    }
}

impl<S> Renderer<several::Several<'_, LimitsReport, S>> for Json {
    fn render(
        &self,
        several: &several::Several<'_, LimitsReport, S>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_many(several.entries, out)
    }
}

/// Several targets: an array of the single-PID documents, and of error documents (the
/// `--json` error shape with the PID) for those that could not be read.
fn write_many(entries: &[Entry<'_>], out: &mut dyn Write) -> io::Result<()> {
    let values: Vec<Item> = entries
        .iter()
        .map(|e| match e {
            Entry::Report(r) => Item::Report(Box::new(document(r))),
            Entry::Error { pid, kind, line } => {
                let (message, hint) = split_hint(line);
                Item::Error(ErrorDoc {
                    schema_version: SCHEMA_VERSION,
                    command: "limits",
                    pid: *pid,
                    error: ErrorBody {
                        kind,
                        message,
                        hint,
                    },
                })
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &values)?;
    writeln!(out)
}

fn document(report: &LimitsReport) -> Document<'_> {
    Document {
        schema_version: SCHEMA_VERSION,
        command: "limits",
        pid: report.pid,
        comm: report.comm.as_deref(),
        nofile: Limit {
            soft: report.nofile.soft,
            hard: report.nofile.hard,
        },
        nr_open: report.nr_open,
        open_fds: report.open_fds,
        open_fds_unknown: report.open_fds_unknown.as_deref(),
        usage_percent: report.usage_percent().map(round2),
        headroom_percent: report.usage_percent().map(|u| round2(100.0 - u)),
        all: report.all.as_ref().map(|all| {
            all.iter()
                .map(|l| Named {
                    name: l.resource.key(),
                    resource: l.resource.name(),
                    description: l.resource.description(),
                    soft: l.limit.soft,
                    hard: l.limit.hard,
                    unit: l.resource.unit(),
                })
                .collect()
        }),
        change: report.nofile_change().map(|c| Change {
            before: limit(c.before),
            after: limit(c.after),
        }),
        changes: report
            .changes
            .iter()
            .map(|c| NamedChange {
                resource: c.resource.name(),
                changed: c.changed(),
                before: limit(c.before),
                after: limit(c.after),
            })
            .collect(),
        notes: &report.notes,
    }
}
