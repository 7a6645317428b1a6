//! `steady fds PID [--over DURATION]`.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::analyze::fds::{build_report, ReportInput};
use crate::analyze::policy::FdPolicy;
use crate::collect::census_scan::take_census;
use crate::collect::process::Target;
use crate::collect::{clock, limits};
use crate::commands::{Output, ProcSource};
use crate::exit::Outcome;
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
            let message = format!("second scan of PID {} in", target.pid);
            let bar = WaitBar::new(over, &message, output.progress);
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
