//! The `steady limits --json` document.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::limits::LimitsReport;
use crate::render::fds_json::{round2, Limit};
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
    /// null without --set-nofile.
    change: Option<Change>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    soft: Option<u64>,
    hard: Option<u64>,
    unit: &'a str,
}

#[derive(Serialize)]
struct Change {
    before: Limit,
    after: Limit,
}

pub fn write(report: &LimitsReport, out: &mut impl Write) -> io::Result<()> {
    let doc = Document {
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
                    name: l.name,
                    soft: l.limit.soft,
                    hard: l.limit.hard,
                    unit: l.unit,
                })
                .collect()
        }),
        change: report.change.map(|(before, after)| Change {
            before: Limit {
                soft: before.soft,
                hard: before.hard,
            },
            after: Limit {
                soft: after.soft,
                hard: after.hard,
            },
        }),
        notes: &report.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
