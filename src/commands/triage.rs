//! `steady triage PID [--window 60s] [--interval 1s] [--probe URL] [--record FILE]` and
//! `steady triage --from FILE`.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::analyze::census::FdCensus;
use crate::analyze::drift::{classify, Extras};
use crate::analyze::policy::{DriftPolicy, FdPolicy, StacksPolicy};
use crate::analyze::stacks::{goroutine_report, GroupFilter};
use crate::collect::census_scan::take_census;
use crate::collect::endpoint::{self, Endpoint};
use crate::collect::facts::read_facts;
use crate::collect::goroutines::{fetch_goroutines, GoroutineFetch};
use crate::collect::http;
use crate::collect::memory::{read_cgroup_memory, read_proc_memory};
use crate::collect::process::Target;
use crate::collect::{clock, tasks};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::model::sample::{RecordLine, Sample, TargetFacts};
use crate::parse::goroutines::parse_dump;
use crate::parse::memstats::parse_memstats;
use crate::render::progress::WaitBar;
use crate::render::text::duration;
use crate::render::{triage_json, triage_table};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// Go figures cost the target CPU (each fetch walks its goroutines or heap buckets), so they
/// are taken at most this often, never with a stop-the-world dump.
const GO_PERIOD: Duration = Duration::from_secs(2);
const MAX_GO_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct TriageOptions {
    pub pid: Option<i32>,
    pub proc_root: PathBuf,
    pub window: Duration,
    pub interval: Duration,
    pub probe: Option<String>,
    pub record: Option<PathBuf>,
    pub from: Option<PathBuf>,
    pub endpoint: Option<Endpoint>,
    pub timeout: Duration,
}

pub fn run(opts: &TriageOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = DriftPolicy::default();
    let (facts, samples, extras) = match (&opts.from, opts.pid) {
        (Some(_), Some(pid)) => {
            bail!("give either PID {pid} to sample or --from FILE to judge a recording, not both")
        }
        (Some(path), None) => read_recording(path)?,
        (None, Some(pid)) => {
            check_window(opts, &policy)?;
            sample_live(pid, opts)?
        }
        (None, None) => bail!("give a PID to sample, or a recording with --from FILE"),
    };
    let report = classify(&facts, &samples, &extras, &policy);
    if !report.judged {
        let gone = extras
            .notes
            .first()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        bail!(
            "only {} samples over {:.0}s{gone}: too few to judge drift (at least {} after the first {:.0}% of the window) — sample longer with --window, or more often with --interval",
            report.samples,
            report.window_seconds,
            policy.min_samples,
            policy.warmup_fraction * 100.0
        );
    }
    if output.json {
        triage_json::write(&report, out)?;
    } else {
        triage_table::write(&report, output.style, out)?;
    }
    Ok(if report.verdicts.is_empty() {
        Outcome::Steady
    } else {
        Outcome::Found
    })
}

fn sample_live(pid: i32, opts: &TriageOptions) -> Result<(TargetFacts, Vec<Sample>, Extras)> {
    if let Some(url) = &opts.probe {
        check_loopback(url)?;
    }
    let target = Target::open(pid, &opts.proc_root)?;
    let facts = read_facts(&target, Path::new(CGROUP_ROOT), opts.probe.as_deref())?;
    let mut notes = Vec::new();
    let endpoint = match (&opts.endpoint, facts.is_go) {
        (Some(e), _) => {
            // An address the user gave must work: judging without it would be silent.
            http::get(&e.url("goroutine?debug=1"), opts.timeout, MAX_GO_BYTES)?;
            Some(e.clone())
        }
        (None, true) => match endpoint::discover(&target) {
            Ok(e) => Some(e),
            Err(err) => {
                notes.push(format!("{NO_GO_FIGURES}: {err}"));
                None
            }
        },
        (None, false) => None,
    };
    let mut recorder = match &opts.record {
        Some(path) => Some(Recorder::open(path, &facts)?),
        None => None,
    };
    let fd_policy = FdPolicy::default();
    let steps = (opts.window.as_secs_f64() / opts.interval.as_secs_f64().max(0.001))
        .round()
        .max(1.0) as u32;
    let bar = WaitBar::new(
        opts.window,
        &format!("sampling PID {pid} every {:?}", opts.interval),
    );
    let started = Instant::now();
    let go_every = (GO_PERIOD.as_secs_f64() / opts.interval.as_secs_f64().max(0.001))
        .ceil()
        .max(1.0) as u32;
    let mut samples = Vec::new();
    let (mut go_tries, mut go_fetched) = (0, 0);
    for step in 0..=steps {
        let due = opts.interval * step;
        clock::wait(due.saturating_sub(started.elapsed()), |_| {
            bar.set(started.elapsed())
        });
        let taken =
            take_census(&target, &fd_policy).and_then(|census| sample_proc(&target, census));
        let mut sample = match taken {
            Ok(sample) => sample,
            // An exit (a crash, the OOM killer) ends the window; what came before it is
            // still worth judging.
            Err(err) if is_gone(&err) && !samples.is_empty() => {
                notes.insert(
                    0,
                    format!(
                        "process {pid} exited {} into the window; judged the {} samples taken before",
                        duration(started.elapsed().as_secs_f64()),
                        samples.len()
                    ),
                );
                break;
            }
            Err(err) => return Err(err),
        };
        if let (Some(e), true) = (&endpoint, step % go_every == 0 || step == steps) {
            go_tries += 1;
            go_fetched += usize::from(sample_go(e, opts.timeout, &mut sample));
        }
        if let Some(url) = &opts.probe {
            let began = Instant::now();
            match http::get(url, opts.timeout, 1 << 20) {
                Ok(_) => sample.probe_seconds = Some(began.elapsed().as_secs_f64()),
                // A request that ran out of time is the slowest of the tail, not a gap in it.
                Err(http::FetchError::Timeout { .. }) => {
                    sample.probe_seconds = Some(began.elapsed().as_secs_f64());
                    sample.probe_failed = true;
                }
                Err(_) => sample.probe_failed = true,
            }
        }
        if let Some(r) = recorder.as_mut() {
            r.append(&sample)?;
        }
        samples.push(sample);
        bar.set(started.elapsed());
    }
    bar.finish();
    if go_tries > 0 && go_fetched == 0 {
        notes.push(format!(
            "{NO_GO_FIGURES}: every fetch from {} failed",
            endpoint.as_ref().map_or(String::new(), |e| e.base.clone())
        ));
    }
    let mut extras = match &endpoint {
        Some(e) if go_fetched > 0 => final_goroutines(e, opts.timeout),
        _ => Extras::default(),
    };
    extras.notes = notes;
    Ok((facts, samples, extras))
}

/// Below this, samples would follow each other with no pause: a census of 20,000 descriptors
/// takes about 100 ms.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

const NO_GO_FIGURES: &str =
    "goroutines and runtime memory were not sampled, so only what /proc shows was judged (give the pprof address with --port or --url)";

fn is_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<crate::error::CollectError>(),
            Some(crate::error::CollectError::ProcessGone { .. })
        )
    })
}

/// Refuses, before any waiting, a window that cannot hold enough samples to judge.
fn check_window(opts: &TriageOptions, policy: &DriftPolicy) -> Result<()> {
    if opts.interval < MIN_INTERVAL {
        bail!("--interval {} is shorter than one scan of a large process's /proc takes — use 100ms or more (1s is usual)", duration(opts.interval.as_secs_f64()));
    }
    let interval = opts.interval.as_secs_f64();
    let after_warmup =
        (opts.window.as_secs_f64() * (1.0 - policy.warmup_fraction) / interval).floor() as usize;
    if after_warmup < policy.min_samples {
        let needed = interval * policy.min_samples as f64 / (1.0 - policy.warmup_fraction);
        bail!(
            "--window {} at --interval {} gives too few samples to judge drift — use --window {}s or more, or a shorter --interval",
            duration(opts.window.as_secs_f64()),
            duration(interval),
            needed.ceil()
        );
    }
    Ok(())
}

fn sample_proc(target: &Target, census: FdCensus) -> Result<Sample> {
    let memory = read_proc_memory(target)?;
    let (cpu_seconds, threads) = tasks::read_cpu_and_threads(target)?;
    let mut groups: Vec<(String, u64)> = census
        .groups
        .iter()
        .map(|g| {
            let state = g
                .key
                .state
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            let arrow = if g.key.direction == Some(crate::analyze::census::Direction::Outbound) {
                " -> "
            } else {
                " "
            };
            (
                format!("{}{state}{arrow}{}", g.key.kind.name(), g.key.target),
                g.count,
            )
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    groups.truncate(20);
    Ok(Sample {
        t: clock::now_unix(),
        rss: memory.vm_rss,
        rss_anon: memory.rss_anon,
        rss_file: memory.rss_file,
        threads,
        cpu_seconds,
        fds: census.total,
        fds_by_kind: crate::model::fd::FdKind::ALL
            .iter()
            .filter(|k| census.by_kind[k.index()] > 0)
            .map(|k| (k.name().to_string(), census.by_kind[k.index()]))
            .collect(),
        fd_groups: groups.into_iter().collect(),
        cgroup_usage: read_cgroup_memory(target, Path::new(CGROUP_ROOT)).and_then(|c| c.usage),
        ..Sample::default()
    })
}

/// The goroutine count (with how many wait on I/O) from ?debug=1, and MemStats from
/// heap?debug=1: neither stops the world for long. A failed fetch leaves the fields empty.
fn sample_go(endpoint: &Endpoint, timeout: Duration, sample: &mut Sample) -> bool {
    if let Ok(page) = http::get(&endpoint.url("goroutine?debug=1"), timeout, MAX_GO_BYTES) {
        if let Ok(dump) = parse_dump(page.body.as_slice(), "goroutines", false) {
            sample.goroutines = Some(dump.total);
            let io_wait = dump
                .groups
                .iter()
                .filter(|g| {
                    g.frames
                        .iter()
                        .any(|f| f.function == "internal/poll.runtime_pollWait")
                })
                .map(|g| g.count)
                .sum();
            sample.goroutines_io_wait = Some(io_wait);
        }
    }
    if let Ok(page) = http::get_tail(
        &endpoint.url("heap?debug=1"),
        timeout,
        http::MEMSTATS_TAIL,
        MAX_GO_BYTES,
    ) {
        if let Some(m) = parse_memstats(&String::from_utf8_lossy(&page.body)) {
            sample.heap_alloc = Some(m.heap_alloc);
            sample.heap_inuse = Some(m.heap_inuse);
            sample.heap_idle = Some(m.heap_idle);
            sample.heap_released = Some(m.heap_released);
            sample.next_gc = Some(m.next_gc);
            sample.stack_inuse = Some(m.stack_inuse);
        }
    }
    sample.goroutines.is_some() || sample.heap_alloc.is_some()
}

fn final_goroutines(endpoint: &Endpoint, timeout: Duration) -> Extras {
    let fetch = GoroutineFetch {
        timeout,
        max_bytes: MAX_GO_BYTES,
        max_full_dump: 10_000,
        allow_stw: false,
        similar: false,
    };
    match fetch_goroutines(endpoint, &fetch) {
        Ok(fetched) => Extras {
            final_goroutine_groups: goroutine_report(
                fetched.dump,
                &GroupFilter::default(),
                &StacksPolicy::default(),
                5,
            )
            .groups,
            notes: Vec::new(),
        },
        Err(_) => Extras::default(),
    }
}

/// Only loopback is probed: the URL must be plain http:// to 127.0.0.0/8, [::1] or
/// localhost, with no user part (`http://127.0.0.1@elsewhere/` is elsewhere).
fn check_loopback(url: &str) -> Result<()> {
    if !is_loopback_url(url) {
        bail!("--probe must be a plain http:// URL on loopback (127.0.0.1, localhost or [::1]), e.g. http://127.0.0.1:8080/healthz: steady only times requests on this machine");
    }
    Ok(())
}

fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').is_some_and(|(addr, port)| {
            (port.is_empty() || port.starts_with(':'))
                && addr
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|a| a.is_loopback())
        }),
        None => {
            let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|a| a.is_loopback())
        }
    }
}

/// Appends the facts (once, for a new file) and every sample as JSON lines.
struct Recorder {
    file: std::fs::File,
}

impl Recorder {
    fn open(path: &Path, facts: &TargetFacts) -> Result<Recorder> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for --record", path.display()))?;
        if file.metadata().map(|m| m.len()).unwrap_or(0) > 0 {
            // Appending a second process's samples would be judged as one series.
            let recorded = read_recording(path)?.0;
            if recorded.pid != facts.pid {
                bail!(
                    "{} records PID {}, not {} — record each process to its own file",
                    path.display(),
                    recorded.pid,
                    facts.pid
                );
            }
        } else {
            writeln!(
                file,
                "{}",
                serde_json::to_string(&RecordLine::Facts(facts.clone()))?
            )?;
        }
        Ok(Recorder { file })
    }

    fn append(&mut self, sample: &Sample) -> Result<()> {
        writeln!(
            self.file,
            "{}",
            serde_json::to_string(&RecordLine::Sample(sample.clone()))?
        )?;
        Ok(())
    }
}

fn read_recording(path: &Path) -> Result<(TargetFacts, Vec<Sample>, Extras)> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {} — check the file name", path.display()))?;
    let mut facts = None;
    let mut samples = Vec::new();
    let mut bad: Option<(usize, String)> = None;
    let mut notes = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| {
            format!(
                "{} is not text — pass a file written by `steady triage --record`",
                path.display()
            )
        })?;
        if line.trim().is_empty() {
            continue;
        }
        // A bad line is fatal only when more follows it: a recorder killed mid-write leaves
        // a torn last line, and the samples before it are good.
        if let Some((at, err)) = bad.take() {
            bail!("{}:{at}: not a steady recording line ({err}) — pass a file written by `steady triage --record`", path.display());
        }
        match serde_json::from_str::<RecordLine>(&line) {
            Ok(RecordLine::Facts(f)) => facts = Some(f),
            Ok(RecordLine::Sample(s)) => samples.push(s),
            Err(err) => bad = Some((n + 1, err.to_string())),
        }
    }
    if let Some((at, _)) = bad {
        notes.push(format!(
            "line {at} of {} is cut short (the recorder was stopped mid-write) and was skipped",
            path.display()
        ));
    }
    let facts = facts.with_context(|| {
        format!(
            "{} has no facts line — was it written by `steady triage --record`?",
            path.display()
        )
    })?;
    samples.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok((
        facts,
        samples,
        Extras {
            notes,
            ..Extras::default()
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::is_loopback_url;

    #[test]
    fn only_loopback_is_probed() {
        for ok in [
            "http://127.0.0.1:8080/healthz",
            "http://127.1.2.3/x",
            "http://localhost:9/",
            "HTTP://LOCALHOST/",
            "http://[::1]:8080/x",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback_url(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1@evil.example/x",
            "http://127.evil.example/x",
            "http://10.0.0.1/healthz",
            "https://127.0.0.1/",
            "http://[::2]/",
            "http://[::1]evil/",
            "127.0.0.1:8080",
            "http://localhost.evil.example/",
        ] {
            assert!(!is_loopback_url(bad), "{bad}");
        }
    }
}
