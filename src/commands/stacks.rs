//! `steady stacks [PID] [--goroutines|--threads] [--file FILE]`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use regex::Regex;

use crate::analyze::policy::StacksPolicy;
use crate::analyze::stacks::{folded_goroutines, folded_threads, StacksReport};
use crate::analyze::stacks::{goroutine_report, thread_report, GroupFilter, ThreadInput};
use crate::collect::caps::{has_capability, CAP_SYS_ADMIN};
use crate::collect::contact::Bounds;
use crate::collect::endpoint::{self, DiscoverError, Endpoint};
use crate::collect::goroutines::{fetch_goroutines, GoroutineFetch};
use crate::collect::process::Target;
use crate::collect::{clock, tasks};
use crate::commands::Output;
use crate::error::CollectError;
use crate::exit::Outcome;
use crate::parse::goroutines::{parse_dump, parse_dump_file};
use crate::render::flame;
use crate::render::progress::WaitBar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Goroutines when the target serves them, threads always.
    Both,
    Goroutines,
    Threads,
}

#[derive(Debug, Clone)]
pub struct StacksOptions {
    pub pid: Option<i32>,
    pub proc_root: PathBuf,
    pub which: Which,
    pub file: Option<String>,
    pub endpoint: Option<Endpoint>,
    pub fetch: GoroutineFetch,
    pub policy: StacksPolicy,
    pub pattern: Option<String>,
    pub state: Option<String>,
    pub min_count: u64,
    pub top: usize,
    pub over: Option<Duration>,
    pub folded: bool,
    pub flame: Option<PathBuf>,
}

pub fn run(opts: &StacksOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let filter = GroupFilter {
        pattern: opts
            .pattern
            .as_deref()
            .map(Regex::new)
            .transpose()
            .context("--match is not a valid regular expression")?,
        state: opts.state.clone(),
        min_count: opts.min_count,
    };
    let mut report = StacksReport {
        pid: opts.pid,
        ..StacksReport::default()
    };
    let target = opts
        .pid
        .map(|pid| Target::open(pid, &opts.proc_root))
        .transpose()?;

    let dump = if let Some(file) = &opts.file {
        report.goroutine_source = Some(file.clone());
        Some(read_dump_file(file, opts)?)
    } else if let (Some(target), true) = (&target, opts.which != Which::Threads) {
        // Whether the target may be contacted at all is collect::contact's to decide: only a Go
        // program's own ports are probed, unless the endpoint was named.
        let found = match &opts.endpoint {
            Some(e) => Ok(e.clone()),
            None => endpoint::discover_within(
                target,
                Bounds {
                    timeout: opts.fetch.timeout,
                    max_bytes: opts.fetch.max_bytes,
                },
            ),
        };
        match found {
            Ok(e) => {
                let fetched = fetch_goroutines(&e, &opts.fetch)?;
                report.goroutine_source = Some(fetched.url);
                report.notes.extend(fetched.degraded);
                Some(fetched.dump)
            }
            Err(DiscoverError::NotGo { pid }) if opts.which == Which::Both => {
                report.notes.push(format!(
                    "goroutines left out: process {pid} has no Go build info in its executable, so no \
                     port was probed for /debug/pprof — give --url or --port to look anyway"
                ));
                None
            }
            Err(DiscoverError::Collect(err @ CollectError::PermissionDenied { .. }))
                if opts.which == Which::Both =>
            {
                report.notes.push(format!(
                    "goroutines left out: steady cannot tell whether this is a Go program, since it cannot read the executable: {err}"
                ));
                None
            }
            Err(err) if opts.which == Which::Both => {
                report.notes.push(format!("goroutines left out: {err}"));
                None
            }
            Err(err) => return Err(err.into()),
        }
    } else {
        None
    };
    // Folded stacks and the flame graph hold every group that passed the filters: their widths
    // are shares of the whole, so --top cuts the table and the JSON only.
    let folding = opts.folded || opts.flame.is_some();
    let top = if folding { 0 } else { opts.top };
    report.goroutines = dump.map(|dump| goroutine_report(dump, &filter, &opts.policy, top));

    if let (Some(target), true) = (
        &target,
        opts.which != Which::Goroutines && opts.file.is_none(),
    ) {
        let (before, seconds) = match opts.over {
            Some(over) => {
                let started = Instant::now();
                let first = tasks::read_threads(target)?;
                let bar = WaitBar::new(
                    over,
                    &format!("second thread sample of PID {} in", target.pid),
                    output.progress,
                );
                clock::wait(over, |elapsed| bar.set(elapsed));
                bar.finish();
                (Some(first), started.elapsed().as_secs_f64())
            }
            None => (None, 0.0),
        };
        let now = tasks::read_threads(target)?;
        report.notes.extend(unreadable_notes(&now));
        report.comm = target.comm();
        report.threads = Some(thread_report(
            ThreadInput {
                now: &now.threads,
                before: before.as_ref().map(|b| (b.threads.as_slice(), seconds)),
                ticks_per_second: now.clock_ticks_per_second,
                kernel_stacks_readable: now.kernel_stacks_readable,
            },
            &filter,
            &opts.policy,
            top,
        ));
    } else if let Some(target) = &target {
        report.comm = target.comm();
    }
    if report.goroutines.is_none() && report.threads.is_none() {
        bail!("nothing to show: give a PID, or a goroutine dump with --file");
    }
    if folding {
        write_folded(&report, opts, out)?;
        if let Some(g) = report.goroutines.as_mut() {
            g.cut(opts.top);
        }
        if let Some(t) = report.threads.as_mut() {
            t.cut(opts.top);
        }
    }
    // The folded stacks stand in for the table; the exit status stays the table's.
    if !opts.folded {
        output.format().render(&report, out)?;
    }
    Ok(if report.stuck() {
        Outcome::Found
    } else {
        Outcome::Steady
    })
}

/// Says which thread fields could not be read and why, so a `?` or `-` in the table is never
/// left unexplained.
fn unreadable_notes(threads: &tasks::Threads) -> Vec<String> {
    let mut notes = Vec::new();
    let total = threads.threads.len();
    if let Some(err) = &threads.syscall_error {
        notes.push(format!(
            "SYSCALL and WCHAN unknown for {} of {total} threads (shown as ? and -; the kernel reads wchan as 0 when it refuses): {err}",
            threads.syscall_unreadable
        ));
    }
    if !threads.kernel_stacks_readable && total > 0 {
        let admin = has_capability(CAP_SYS_ADMIN);
        let note = match (&threads.syscall_error, admin) {
            (None, false) => "kernel stacks left out: /proc/PID/task/TID/stack needs CAP_SYS_ADMIN, which this steady lacks — run steady as root with CAP_SYS_ADMIN to see them".to_string(),
            (Some(err), false) => format!(
                "kernel stacks left out: /proc/PID/task/TID/stack needs both access to the threads ({}) and CAP_SYS_ADMIN, and this steady has neither — run steady as root with CAP_SYS_ADMIN and CAP_SYS_PTRACE",
                err.needs()
            ),
            (Some(err), true) => format!(
                "kernel stacks left out: /proc/PID/task/TID/stack is refused like SYSCALL above ({})",
                err.needs()
            ),
            (None, true) => match &threads.stack_error {
                Some(err) => format!("kernel stacks left out: {err}"),
                None => "kernel stacks left out: the kernel shows none (built without CONFIG_STACKTRACE?)".to_string(),
            },
        };
        notes.push(note);
    }
    notes
}

/// The goroutines when there are any, else the threads: one kind per graph, since a goroutine
/// and the thread it runs on would otherwise be counted twice.
fn write_folded(report: &StacksReport, opts: &StacksOptions, out: &mut impl Write) -> Result<()> {
    let (lines, what) = match (&report.goroutines, &report.threads) {
        (Some(g), _) => (folded_goroutines(&g.groups), "goroutines"),
        (None, Some(t)) => (folded_threads(&t.groups), "threads"),
        (None, None) => return Ok(()),
    };
    if let Some(svg) = &opts.flame {
        let mut file = std::io::BufWriter::new(std::fs::File::create(svg).with_context(|| {
            format!(
                "cannot create {} — check that its directory exists and is writable",
                svg.display()
            )
        })?);
        flame::write_svg(&lines, what, what, &mut file)?;
        file.flush()
            .with_context(|| format!("cannot write {} — check the free space", svg.display()))?;
        // Every file written is named on stderr, as heap's are.
        eprintln!("wrote {}", svg.display());
    }
    if opts.folded {
        flame::write_folded(&lines, out)?;
    }
    Ok(())
}

fn read_dump_file(file: &str, opts: &StacksOptions) -> Result<crate::model::stacks::GoroutineDump> {
    // Streamed: memory follows the distinct stacks, not the size of the dump.
    let limit = opts.fetch.max_bytes;
    if file == "-" {
        let stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().take(limit));
        return Ok(parse_dump(stdin, "stdin", opts.fetch.similar)?);
    }
    let handle = std::fs::File::open(file)
        .with_context(|| format!("cannot read {file} — check the file name"))?;
    let meta = handle.metadata().ok();
    if meta.as_ref().map_or(0, |m| m.len()) > limit {
        bail!("{file} is larger than {limit} bytes — raise --max-bytes");
    }
    // A regular file can be cut into parts and read on every core; a pipe or a device
    // (--file /dev/stdin) is read as the stream it is.
    if meta.is_some_and(|m| m.is_file()) {
        return Ok(parse_dump_file(&handle, file, opts.fetch.similar)?);
    }
    let reader = std::io::BufReader::with_capacity(1 << 16, handle);
    Ok(parse_dump(reader, file, opts.fetch.similar)?)
}
