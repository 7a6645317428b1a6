//! `steady fds PID [--over DURATION]`, and `steady fds PID --list [--kind K,…] [--match RE]`.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::analyze::fd_list::{add_fdinfo, build_row, RowFilter, SocketIndex};
use crate::analyze::fds::{build_report, ReportInput};
use crate::analyze::policy::FdPolicy;
use crate::collect::census_scan::take_census;
use crate::collect::process::Target;
use crate::collect::{clock, fdinfo, fds, limits, net};
use crate::commands::{Output, ProcSource};
use crate::exit::Outcome;
use crate::model::socket::AllRows;
use crate::render::fds_list::{self, JsonArray};
use crate::render::progress::WaitBar;
use crate::render::{fds_json, fds_table};

#[derive(Debug, Clone)]
pub struct FdsOptions {
    pub source: ProcSource,
    pub top: usize,
    pub over: Option<Duration>,
    /// `--list`, with its filters: one row per descriptor instead of the census.
    pub list: Option<RowFilter>,
}

/// Descriptors read between two checks that stdout still takes rows.
const LIST_CHUNK: usize = 512;

pub fn run(opts: &FdsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = FdPolicy::default();
    let target = Target::open(opts.source.pid, &opts.source.proc_root)?;
    if let Some(filter) = &opts.list {
        let mut json = JsonArray::default();
        list(&target, filter, output, &mut json, out)?;
        if output.json {
            json.end(out)?;
        }
        return Ok(Outcome::Steady);
    }
    let before = match opts.over {
        Some(over) => {
            let started = Instant::now();
            let first = take_census(&target, &policy)?;
            let bar = WaitBar::new(over, &format!("second scan of PID {} in", target.pid));
            clock::wait(over, |elapsed| bar.set(elapsed));
            bar.finish();
            Some((first, started))
        }
        None => None,
    };
    let second_started = Instant::now();
    let after = take_census(&target, &policy)?;
    let input = ReportInput {
        pid: target.pid,
        comm: target.comm(),
        limit: limits::read_nofile(&target)?,
        nr_open: limits::read_nr_open(&target),
        before: before.map(|(census, started)| {
            (census, second_started.duration_since(started).as_secs_f64())
        }),
        after,
        top: opts.top,
    };
    let report = build_report(input, &policy);
    if output.json {
        fds_json::write(&report, out)?;
    } else {
        fds_table::write(&report, output.style, out)?;
    }
    Ok(if report.findings.is_empty() {
        Outcome::Steady
    } else {
        Outcome::Found
    })
}

/// Streams one process's rows: the socket tables first (a row is named when it is printed),
/// then each descriptor's link and fdinfo, a slice at a time, so memory follows the socket
/// tables and one slice, not the number of descriptors.
fn list(
    target: &Target,
    filter: &RowFilter,
    output: &Output,
    json: &mut JsonArray,
    out: &mut impl Write,
) -> Result<()> {
    let mut rows = AllRows::default();
    net::read_socket_tables(target, &mut rows)?;
    let sockets = SocketIndex::new(rows.0);
    let listing = fds::list_fds(target)?;
    let info = fdinfo::open_fdinfo_dir(target)?;
    if !output.json {
        fds_list::write_heading(target.pid, target.comm().as_deref(), output.style, out)?;
    }
    let (mut shown, mut vanished) = (0u64, 0u64);
    let mut entries = Vec::with_capacity(LIST_CHUNK);
    for chunk in listing.fds.chunks(LIST_CHUNK) {
        vanished += fds::read_fds(target, listing.dir(), chunk, |e| entries.push(e))?.vanished;
        for entry in entries.drain(..) {
            let mut row = build_row(entry, &sockets);
            // Every filter is decided by the link: fdinfo is read only for rows kept.
            if !filter.keeps(&row) {
                continue;
            }
            match info.read(target, row.fd)? {
                Some(fdinfo) => add_fdinfo(&mut row, fdinfo),
                // Closed mid-scan: skipped, as the census skips it.
                None => {
                    vanished += 1;
                    continue;
                }
            }
            shown += 1;
            if output.json {
                json.row(target.pid, &row, out)?;
            } else {
                fds_list::write_row(&row, out)?;
            }
        }
    }
    target.ensure_alive()?;
    if !output.json {
        let total = listing.fds.len() as u64 - vanished;
        let filtered = !filter.kinds.is_empty() || filter.pattern.is_some();
        fds_list::write_footer(shown, if filtered { total } else { shown }, vanished, out)?;
    }
    Ok(())
}
