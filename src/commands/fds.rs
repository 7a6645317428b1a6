//! `steady fds PID[,PID…] | --name REGEX [--over DURATION]`, and the same with
//! `--list [--kind K,…] [--match RE]`.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::analyze::census::FdCensus;
use crate::analyze::fd_list::RowFilter;
use crate::analyze::fds::{build_report, summarize, FdReport, ReportInput};
use crate::analyze::peers;
use crate::analyze::policy::FdPolicy;
use crate::collect::census_scan::take_census;
use crate::collect::peers::find_peers;
use crate::collect::process::Target;
use crate::collect::{clock, limits, list_scan};
use crate::commands::targets::{self, Read, Targets};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::model::fd::FdKind;
use crate::render::fds_json::Entry;
use crate::render::fds_list::{list_writer, Footer, ListWriter, RowPeers};
use crate::render::progress::WaitBar;
use crate::render::several::Several;

#[derive(Debug, Clone)]
pub struct FdsOptions {
    pub targets: Targets,
    pub proc_root: PathBuf,
    pub top: usize,
    pub over: Option<Duration>,
    /// `--list`, with its filters: one row per descriptor instead of the census.
    pub list: Option<RowFilter>,
    /// `--peers`: who holds the other end of each pipe, socket and eventfd.
    pub peers: bool,
}

pub fn run(opts: &FdsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = FdPolicy::default();
    if let Some(filter) = &opts.list {
        return run_list(opts, filter, output, out);
    }
    if let Targets::One(pid) = opts.targets {
        let report = read_reports(&[pid], false, opts, &policy, output.progress)
            .pop()
            .expect("one target, one result")
            .result?;
        output.format().render(&report, out)?;
        return Ok(outcome(&[&report]));
    }
    let pids = opts.targets.resolve(&opts.proc_root)?;
    let results = read_reports(
        &pids,
        opts.targets.by_name(),
        opts,
        &policy,
        output.progress,
    );
    let failed = targets::failures(&results);
    let mut errors = failed.iter();
    let entries: Vec<Entry> = results
        .iter()
        .map(|r| match &r.result {
            Ok(report) => Entry::Report(report),
            Err(_) => {
                let (pid, line, kind) = errors.next().expect("one error per failed result");
                Entry::Error {
                    pid: *pid,
                    kind,
                    line,
                }
            }
        })
        .collect();
    let reports: Vec<&FdReport> = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .collect();
    let summary = summarize(&reports);
    output.format().render(
        &Several {
            entries: &entries,
            summary: &summary,
        },
        out,
    )?;
    if !failed.is_empty() {
        // With --json the array already holds each error: no second document on stdout.
        if output.json {
            return Ok(Outcome::Incomplete);
        }
        out.flush()?;
        return Err(targets::incomplete("descriptors", &failed));
    }
    Ok(outcome(&reports))
}

fn outcome(reports: &[&FdReport]) -> Outcome {
    if reports.iter().any(|r| !r.findings.is_empty()) {
        Outcome::Found
    } else {
        Outcome::Steady
    }
}

/// Every target's report. Under `--over` each is scanned once, then all wait out one window
/// together, then each is scanned again: three processes take one window, not three.
fn read_reports(
    pids: &[i32],
    by_name: bool,
    opts: &FdsOptions,
    policy: &FdPolicy,
    progress: bool,
) -> Vec<Read<FdReport>> {
    let firsts = targets::read_each(pids, by_name, |pid| {
        let target = Target::open(pid, &opts.proc_root)?;
        let before = match opts.over {
            Some(_) => {
                let started = Instant::now();
                Some((take_census(&target, policy)?, started))
            }
            None => None,
        };
        Ok((target, before))
    });
    if let Some(over) = opts
        .over
        .filter(|_| firsts.iter().any(|r| r.result.is_ok()))
    {
        let what = match firsts.as_slice() {
            [one] => format!("PID {}", one.pid),
            many => format!("{} processes", many.len()),
        };
        let bar = WaitBar::new(over, &format!("second scan of {what} in"), progress);
        clock::wait(over, |elapsed| bar.set(elapsed));
        bar.finish();
    }
    let mut reports = Vec::new();
    for first in firsts {
        let result = first
            .result
            .and_then(|(target, before)| second_scan(&target, before, opts, policy));
        match result {
            // Exited during the window: found by name, it is no longer a target.
            Err(err) if by_name && targets::exited(&err) => {}
            result => reports.push(Read {
                pid: first.pid,
                result,
            }),
        }
    }
    reports
}

fn second_scan(
    target: &Target,
    before: Option<(FdCensus, Instant)>,
    opts: &FdsOptions,
    policy: &FdPolicy,
) -> Result<FdReport> {
    let second_started = Instant::now();
    let after = take_census(target, policy)?;
    let input = ReportInput {
        pid: target.pid,
        comm: target.comm(),
        limit: limits::read_nofile(target)?,
        nr_open: limits::read_nr_open(target),
        before: before.map(|(census, started)| {
            (census, second_started.duration_since(started).as_secs_f64())
        }),
        after,
        top: opts.top,
    };
    let mut report = build_report(input, policy);
    if opts.peers {
        peers::attach(&mut report, &find_peers(target)?);
    }
    Ok(report)
}

/// `--list` on every target: rows as they are read. A target that cannot be read is one
/// line (or one error element) among the others.
fn run_list(
    opts: &FdsOptions,
    filter: &RowFilter,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let pids = opts.targets.resolve(&opts.proc_root)?;
    let several = !matches!(opts.targets, Targets::One(_));
    let mut writer = list_writer(output.format(), out);
    let (mut listed, mut failed) = (0usize, Vec::new());
    for &pid in &pids {
        let result = Target::open(pid, &opts.proc_root)
            .map_err(anyhow::Error::from)
            .and_then(|target| list(&target, opts, filter, writer.as_mut()));
        match result {
            Ok(()) => listed += 1,
            Err(err) if opts.targets.by_name() && targets::exited(&err) => {}
            Err(err) if is_broken_pipe(&err) => return Err(err),
            // One target: the plain error, as every command gives it, unless a JSON array
            // is already open (it is closed with the error in it, so stdout stays JSON).
            Err(err) if !(several || writer.open()) => return Err(err),
            Err(err) => {
                let line = targets::one_line(&err);
                let kind = crate::error::kind_of(&err);
                writer.error(pid, kind, &line)?;
                failed.push((pid, line, kind));
            }
        }
    }
    writer.end(listed, failed.len(), several)?;
    drop(writer);
    if failed.is_empty() {
        Ok(Outcome::Steady)
    } else if output.json {
        Ok(Outcome::Incomplete)
    } else {
        out.flush()?;
        Err(targets::incomplete("descriptors", &failed))
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Streams one process's rows as the scan hands them on.
fn list(
    target: &Target,
    opts: &FdsOptions,
    filter: &RowFilter,
    writer: &mut dyn ListWriter,
) -> Result<()> {
    let peers = if opts.peers {
        Some(find_peers(target)?)
    } else {
        None
    };
    // The heading waits for the first row (or the end of an empty scan), so a process that
    // cannot be read at all is one line, not a heading and an error.
    let comm = target.comm();
    let mut headed = false;
    let mut shown = 0u64;
    let stats = list_scan::scan_rows(target, filter, |row| {
        if !headed {
            writer.heading(target.pid, comm.as_deref())?;
            headed = true;
        }
        shown += 1;
        let ends = peers.as_ref().map(|p| RowPeers {
            holders: p.of_fd(row.fd),
            complete: p.scan.processes_hidden == 0
                && (row.kind != FdKind::Unix || p.scan.unix_peers_unknown.is_none()),
        });
        writer.row(target.pid, row, ends.as_ref())?;
        Ok(())
    })?;
    if !headed {
        writer.heading(target.pid, comm.as_deref())?;
    }
    let filtered = !filter.kinds.is_empty() || filter.pattern.is_some();
    writer.footer(&Footer {
        shown,
        total: if filtered {
            stats.listed - stats.vanished
        } else {
            shown
        },
        vanished: stats.vanished,
        peer_scan: peers.as_ref().map(|p| &p.scan),
    })?;
    Ok(())
}
