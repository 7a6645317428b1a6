//! `steady triage PID [--window 60s] [--interval 1s] [--probe URL] [--record FILE]` and
//! `steady triage --from FILE [--sliding 60s]`.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::analyze::drift::{classify, sliding_windows, DriftKind, Extras, TriageReport};
use crate::analyze::policy::{DriftPolicy, StacksPolicy};
use crate::analyze::stacks::{goroutine_report, GroupFilter};
use crate::collect::endpoint::{self, Endpoint};
use crate::collect::facts::read_facts;
use crate::collect::goroutines::{fetch_goroutines, GoroutineFetch};
use crate::collect::http;
use crate::collect::interrupt;
use crate::collect::process::Target;
use crate::collect::sampler::{Event, Sampler, SamplerConfig};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::model::sample::{GoroutineSnapshot, RecordLine, Sample, TargetFacts};
use crate::model::stacks::GoroutineDump;
use crate::parse::goroutines::parse_dump;
use crate::render::progress::WaitBar;
use crate::render::text::duration;
use crate::render::triage_text::{Sliding, Triaged};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
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
    /// Force a GC before each MemStats read.
    pub gc: bool,
    /// Sample the whole window even when a verdict is sure sooner.
    pub full_window: bool,
    /// At the end, fetch the runtime's goroutine leak profile (a special GC in the target).
    pub leak_profile: bool,
    /// With --from: judge every window of this width along the recording.
    pub sliding: Option<Duration>,
}

/// What a live window or a recording gave to judge.
struct Taken {
    facts: TargetFacts,
    samples: Vec<Sample>,
    extras: Extras,
    stopped_early: Option<String>,
}

pub fn run(opts: &TriageOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let policy = DriftPolicy::default();
    let taken = match (&opts.from, opts.pid) {
        (Some(_), Some(pid)) => {
            bail!("give either PID {pid} to sample or --from FILE to judge a recording, not both")
        }
        (Some(path), None) => {
            let taken = read_recording(path)?;
            if let Some(width) = opts.sliding {
                return slide(&taken, width, opts.interval, &policy, output, out);
            }
            taken
        }
        (None, Some(pid)) => {
            if opts.sliding.is_some() {
                bail!("--sliding judges a recording: give it with --from FILE (record one with --record)");
            }
            check_window(opts, &policy)?;
            sample_live(pid, opts, &policy, output.progress)?
        }
        (None, None) => bail!("give a PID to sample, or a recording with --from FILE"),
    };
    let mut report = classify(&taken.facts, &taken.samples, &taken.extras, &policy);
    report.stopped_early = taken.stopped_early;
    if !report.judged {
        if taken.extras.exited {
            bail!(
                "process {} exited after {}; nothing judged ({} samples, at least {} needed after the first {:.0}% of the window)",
                taken.facts.pid,
                duration(report.window_seconds),
                report.samples,
                policy.min_samples,
                policy.warmup_fraction * 100.0
            );
        }
        bail!(
            "only {} samples over {:.0}s: too few to judge drift (at least {} after the first {:.0}% of the window) — sample longer with --window, or more often with --interval",
            report.samples,
            report.window_seconds,
            policy.min_samples,
            policy.warmup_fraction * 100.0
        );
    }
    let triaged = Triaged {
        report: &report,
        exited: taken.extras.exited,
    };
    output.format().render(&triaged, out)?;
    Ok(if !report.verdicts.is_empty() {
        Outcome::Found
    } else if taken.extras.exited {
        // Nothing grew before it died, but a process that is gone is not steady.
        Outcome::Incomplete
    } else {
        Outcome::Steady
    })
}

fn slide(
    taken: &Taken,
    width: Duration,
    interval: Duration,
    policy: &DriftPolicy,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let span = match (taken.samples.first(), taken.samples.last()) {
        (Some(a), Some(b)) => b.t - a.t,
        _ => 0.0,
    };
    if span + 1e-6 < width.as_secs_f64() {
        bail!(
            "the recording spans {}, shorter than --sliding {}: give a narrower window",
            duration(span),
            duration(width.as_secs_f64())
        );
    }
    let windows = sliding_windows(
        &taken.facts,
        &taken.samples,
        width.as_secs_f64(),
        interval.as_secs_f64().max(1.0),
        policy,
    );
    let sliding = Sliding {
        facts: &taken.facts,
        width: width.as_secs_f64(),
        windows: &windows,
    };
    output.format().render(&sliding, out)?;
    Ok(if windows.iter().any(|w| w.kind.is_some()) {
        Outcome::Found
    } else {
        Outcome::Steady
    })
}

fn sample_live(
    pid: i32,
    opts: &TriageOptions,
    policy: &DriftPolicy,
    progress: bool,
) -> Result<Taken> {
    if let Some(url) = &opts.probe {
        check_loopback(url)?;
        // A probe that fails now would fail every sample and leave the latency unjudged.
        http::get(url, opts.timeout, 1 << 20).map_err(|err| {
            anyhow::anyhow!(
                "--probe fails before the window starts: {err} (fix the URL, or leave --probe out)"
            )
        })?;
    }
    let target = Target::open(pid, &opts.proc_root)?;
    let mut facts = read_facts(&target, Path::new(CGROUP_ROOT), opts.probe.as_deref())?;
    facts.forced_gc = opts.gc && facts.is_go;
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
    if opts.gc && endpoint.is_none() {
        bail!("--gc forces GC cycles through the pprof endpoint, and PID {pid} has none steady can reach — give it with --port or --url, or leave --gc out");
    }
    let mut recorder = match &opts.record {
        Some(path) => Some(Recorder::open(path, &facts)?),
        None => None,
    };
    let bar = WaitBar::new(
        opts.window,
        &format!("sampling every {:?} · Ctrl-C judges now", opts.interval),
        progress,
    );
    let config = SamplerConfig {
        window: opts.window,
        interval: opts.interval,
        timeout: opts.timeout,
        probe: opts.probe.clone(),
        endpoint: endpoint.clone(),
        force_gc: facts.forced_gc,
        identity_max_goroutines: policy.identity_max_goroutines,
        identity_min_group: policy.stuck_group_min,
    };
    interrupt::catch_next();
    let mut sampler = Sampler::new(&target, config, |elapsed| {
        bar.set(elapsed);
        !interrupt::interrupted()
    });
    let mut samples: Vec<Sample> = Vec::new();
    let mut snapshots: Vec<GoroutineSnapshot> = Vec::new();
    let mut leading: Vec<Option<DriftKind>> = Vec::new();
    let mut stopped_early = None;
    let mut exited = false;
    while let Some(event) = sampler.next() {
        let sample = match event {
            Ok(Event::Sample(sample)) => sample,
            Ok(Event::Goroutines(snapshot)) => {
                if let Some(r) = recorder.as_mut() {
                    r.append(&RecordLine::Goroutines(snapshot.clone()))?;
                }
                keep_first_and_latest(&mut snapshots, snapshot);
                continue;
            }
            // An exit (a crash, the OOM killer) ends the window; what came before it is
            // still worth judging.
            Err(err) if is_gone(&err) && !samples.is_empty() => {
                exited = true;
                notes.insert(
                    0,
                    format!(
                        "process {pid} exited {} into the window; judged the {} samples taken before",
                        duration(sampler.elapsed().as_secs_f64()),
                        samples.len()
                    ),
                );
                break;
            }
            Err(err) if is_gone(&err) => {
                bail!("process {pid} exited before the first sample; nothing judged")
            }
            Err(err) => return Err(err),
        };
        if let Some(r) = recorder.as_mut() {
            r.append(&RecordLine::Sample(sample.clone()))?;
        }
        samples.push(sample);
        let elapsed = sampler.elapsed().as_secs_f64();
        if elapsed < policy.early_min_seconds {
            continue;
        }
        let so_far = Extras {
            goroutine_snapshots: snapshots.clone(),
            ..Extras::default()
        };
        let report = classify(&facts, &samples, &so_far, policy);
        bar.say(&format!("{} · Ctrl-C judges now", hypothesis(&report)));
        if opts.full_window {
            continue;
        }
        leading.push(
            report
                .verdicts
                .iter()
                .find(|v| v.consequence_of.is_none() && v.confidence >= policy.early_confidence)
                .map(|v| v.kind),
        );
        if let Some(kind) = sure(&leading, policy.early_stable_judgements) {
            stopped_early = Some(format!(
                "stopped after {} of {}: {} held at {:.0}% confidence or more for {} judgements running (--full-window samples it all)",
                duration(elapsed),
                duration(opts.window.as_secs_f64()),
                kind.name(),
                policy.early_confidence * 100.0,
                policy.early_stable_judgements
            ));
            break;
        }
    }
    let (go_tries, go_fetched) = (sampler.go_tries, sampler.go_fetched);
    drop(sampler);
    if interrupt::interrupted() && stopped_early.is_none() && !exited {
        stopped_early = Some(format!(
            "Ctrl-C after {}: judged the {} samples taken so far",
            duration(samples.last().map_or(0.0, |s| s.t) - samples.first().map_or(0.0, |s| s.t)),
            samples.len()
        ));
    }
    interrupt::release();
    bar.finish();
    if go_tries > 0 && go_fetched == 0 {
        notes.push(format!(
            "{NO_GO_FIGURES}: every fetch from {} failed",
            endpoint.as_ref().map_or(String::new(), |e| e.base.clone())
        ));
    }
    let mut extras = match &endpoint {
        Some(e) if go_fetched > 0 && !exited => final_goroutines(e, opts.timeout),
        _ => Extras::default(),
    };
    if let (Some(e), true, false) = (&endpoint, opts.leak_profile, exited) {
        match fetch_leak_profile(e, opts.timeout) {
            Ok(dump) => extras.leak_profile = Some(dump),
            Err(why) => notes.push(why),
        }
    }
    extras.notes = notes;
    extras.goroutine_snapshots = snapshots;
    extras.exited = exited;
    Ok(Taken {
        facts,
        samples,
        extras,
        stopped_early,
    })
}

/// The kind every one of the last `runs` judgements led with, when they agree.
fn sure(leading: &[Option<DriftKind>], runs: usize) -> Option<DriftKind> {
    let last = leading.get(leading.len().checked_sub(runs)?..)?;
    let kind = (*last.first()?)?;
    last.iter().all(|k| *k == Some(kind)).then_some(kind)
}

/// What the progress bar says while the window runs: the leading verdict so far, short
/// enough to fit beside the bar at 80 columns.
fn hypothesis(report: &TriageReport) -> String {
    match report.verdicts.iter().find(|v| v.consequence_of.is_none()) {
        Some(v) => {
            let rate = if v.unit == "bytes" {
                crate::render::text::bytes_rate(v.rate_per_min)
            } else {
                crate::render::text::rate(v.rate_per_min)
            };
            format!("{} {rate} ({:.0}%)", v.kind.name(), v.confidence * 100.0)
        }
        None => "nothing growing so far".to_string(),
    }
}

fn keep_first_and_latest(snapshots: &mut Vec<GoroutineSnapshot>, snapshot: GoroutineSnapshot) {
    if snapshots.len() >= 2 {
        snapshots.pop();
    }
    snapshots.push(snapshot);
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

/// `/debug/pprof/goroutineleak?debug=1`: goroutines the runtime's special GC found blocked on
/// what nothing live can reach. A runtime without it answers 404.
fn fetch_leak_profile(endpoint: &Endpoint, timeout: Duration) -> Result<GoroutineDump, String> {
    let url = endpoint.url("goroutineleak?debug=1");
    match http::get(&url, timeout, MAX_GO_BYTES) {
        Ok(page) => parse_dump(page.body.as_slice(), &url, false)
            .map_err(|e| format!("--leak-profile: {e}")),
        Err(http::FetchError::Status { status: 404, .. }) => Err(format!(
            "--leak-profile: {url} is not served: the target's runtime has no goroutine leak profile (Go 1.26 built with GOEXPERIMENT=goroutineleakprofile, or Go 1.27 and later)"
        )),
        Err(e) => Err(format!("--leak-profile: {e}")),
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
            ..Extras::default()
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
            let recorded = read_recording(path)?.facts;
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

    fn append(&mut self, line: &RecordLine) -> Result<()> {
        writeln!(self.file, "{}", serde_json::to_string(line)?)?;
        Ok(())
    }
}

fn read_recording(path: &Path) -> Result<Taken> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {} — check the file name", path.display()))?;
    let mut facts = None;
    let mut samples = Vec::new();
    let mut bad: Option<(usize, String)> = None;
    let mut notes = Vec::new();
    let mut snapshots = Vec::new();
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
            Ok(RecordLine::Goroutines(g)) => keep_first_and_latest(&mut snapshots, g),
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
    Ok(Taken {
        facts,
        samples,
        extras: Extras {
            notes,
            goroutine_snapshots: snapshots,
            ..Extras::default()
        },
        stopped_early: None,
    })
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
