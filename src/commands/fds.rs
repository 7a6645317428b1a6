//! `steady fds PID [--over DURATION]`.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::analyze::census::{Census, FdCensus};
use crate::analyze::fds::{build_report, ReportInput};
use crate::analyze::policy::FdPolicy;
use crate::collect::fds::ScanStats;
use crate::collect::process::Target;
use crate::collect::{clock, fds, limits, net};
use crate::commands::{Output, ProcSource};
use crate::error::CollectError;
use crate::exit::Outcome;
use crate::model::socket::AllRows;
use crate::render::progress::WaitBar;
use crate::render::{fds_json, fds_table};

#[derive(Debug, Clone)]
pub struct FdsOptions {
    pub source: ProcSource,
    pub top: usize,
    pub over: Option<Duration>,
}

pub fn run(opts: &FdsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = FdPolicy::default();
    let target = Target::open(opts.source.pid, &opts.source.proc_root)?;
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

/// Up to this many descriptors the links are read on two threads while a third reads the
/// socket tables whole; beyond it, one thread, and only the target's own socket rows are
/// kept, so a million descriptors stay within a bounded amount of memory.
const PARALLEL_UP_TO: usize = 200_000;
/// Below this, threads cost more than they save.
const PARALLEL_FROM: usize = 256;
/// Links claimed at a time by a worker.
const CHUNK: usize = 512;

/// One scan: every descriptor, then the socket rows that describe the ones that are sockets.
pub fn take_census(target: &Target, policy: &FdPolicy) -> Result<FdCensus> {
    let listing = fds::list_fds(target)?;
    let count = listing.fds.len();
    let mut census = Census::new(policy.fd_samples);
    let (stats, rows) = if (PARALLEL_FROM..=PARALLEL_UP_TO).contains(&count) {
        // Two workers share the links through a cursor; one reads the socket tables first,
        // so the kernel's time formatting them overlaps the other's readlinks.
        let cursor = AtomicUsize::new(0);
        let drain = |census: &mut Census| -> Result<ScanStats, CollectError> {
            let mut stats = ScanStats::default();
            loop {
                let start = cursor.fetch_add(CHUNK, Ordering::Relaxed);
                if start >= count {
                    return Ok(stats);
                }
                let chunk = &listing.fds[start..(start + CHUNK).min(count)];
                stats = stats.combine(fds::read_fds(target, listing.dir(), chunk, |e| {
                    census.add(e)
                })?);
            }
        };
        std::thread::scope(|scope| -> Result<_> {
            let helper = scope.spawn(|| -> Result<_, CollectError> {
                let mut rows = AllRows::default();
                net::read_socket_tables(target, &mut rows)?;
                let mut half = Census::new(policy.fd_samples);
                let stats = drain(&mut half)?;
                Ok((half, stats, rows.0))
            });
            let stats = drain(&mut census)?;
            let (half, half_stats, rows) = joined(helper.join())??;
            census.merge(half);
            Ok((stats.combine(half_stats), rows))
        })?
    } else {
        let stats = fds::read_fds(target, listing.dir(), &listing.fds, |e| census.add(e))?;
        census.end_fd_scan();
        net::read_socket_tables(target, &mut census)?;
        (stats, Vec::new())
    };
    target.ensure_alive()?;
    census.end_fd_scan();
    for row in rows {
        census.add_socket_row(row);
    }
    Ok(census.finish(stats.vanished))
}

fn joined<T>(result: std::thread::Result<T>) -> Result<T> {
    result.map_err(|_| anyhow::anyhow!("internal error: a scan thread panicked"))
}
