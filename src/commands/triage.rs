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
use crate::collect::endpoint::{self, Endpoint};
use crate::collect::facts::read_facts;
use crate::collect::goroutines::{fetch_goroutines, GoroutineFetch};
use crate::collect::http;
use crate::collect::memory::{read_cgroup_memory, read_proc_memory};
use crate::collect::process::Target;
use crate::collect::{clock, tasks};
use crate::commands::fds::take_census;
use crate::commands::Output;
use crate::exit::Outcome;
use crate::model::sample::{RecordLine, Sample, TargetFacts};
use crate::parse::goroutines::parse_dump;
use crate::parse::memstats::parse_memstats;
use crate::render::progress::WaitBar;
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
    let (facts, samples, extras) = match &opts.from {
        Some(path) => {
            let (facts, samples) = read_recording(path)?;
            (facts, samples, Extras::default())
        }
        None => {
            let pid = opts.pid.context("give a PID, or a recording with --from")?;
            sample_live(pid, opts)?
        }
    };
    let report = classify(&facts, &samples, &extras, &policy);
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
    let endpoint = if facts.is_go {
        opts.endpoint
            .clone()
            .or_else(|| endpoint::discover(&target).ok())
    } else {
        None
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
    for step in 0..=steps {
        let due = opts.interval * step;
        clock::wait(due.saturating_sub(started.elapsed()), |_| {
            bar.set(started.elapsed())
        });
        let census = take_census(&target, &fd_policy)?;
        let mut sample = sample_proc(&target, census)?;
        if let (Some(e), true) = (&endpoint, step % go_every == 0 || step == steps) {
            sample_go(e, opts.timeout, &mut sample);
        }
        if let Some(url) = &opts.probe {
            let began = Instant::now();
            match http::get(url, opts.timeout, 1 << 20) {
                Ok(_) => sample.probe_seconds = Some(began.elapsed().as_secs_f64()),
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
    let extras = match &endpoint {
        Some(e) => final_goroutines(e, opts.timeout),
        None => Extras::default(),
    };
    Ok((facts, samples, extras))
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
fn sample_go(endpoint: &Endpoint, timeout: Duration, sample: &mut Sample) {
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
        },
        Err(_) => Extras::default(),
    }
}

fn check_loopback(url: &str) -> Result<()> {
    let host = url
        .strip_prefix("http://")
        .context(
            "--probe takes a plain http:// URL on loopback, e.g. http://127.0.0.1:8080/healthz",
        )?
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    if !loopback {
        bail!("--probe must point at loopback (127.0.0.1, localhost or [::1]): steady only times requests on this machine");
    }
    Ok(())
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
        if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
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

fn read_recording(path: &Path) -> Result<(TargetFacts, Vec<Sample>)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut facts = None;
    let mut samples = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RecordLine>(&line) {
            Ok(RecordLine::Facts(f)) => facts = Some(f),
            Ok(RecordLine::Sample(s)) => samples.push(s),
            Err(err) => bail!("{}:{}: not a steady recording line ({err}) — pass a file written by `steady triage --record`", path.display(), n + 1),
        }
    }
    let facts = facts.with_context(|| {
        format!(
            "{} has no facts line — was it written by `steady triage --record`?",
            path.display()
        )
    })?;
    samples.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok((facts, samples))
}
