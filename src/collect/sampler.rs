//! Samples a live process on a schedule, as an iterator: each item is one sample (or one
//! goroutine dump by ID). Whoever consumes it decides what to do with each — record it,
//! judge it, stop early — so sampling does not know about either.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::analyze::census::{sample_label, FdCensus};
use crate::analyze::policy::FdPolicy;
use crate::collect::census_scan::take_census;
use crate::collect::endpoint::Endpoint;
use crate::collect::http;
use crate::collect::memory::{read_cgroup_memory, read_proc_memory};
use crate::collect::process::Target;
use crate::collect::{clock, tasks};
use crate::model::fd::FdKind;
use crate::model::sample::{GoroutineSnapshot, Sample};
use crate::parse::goroutine_ids::read_goroutine_records;
use crate::parse::goroutines::parse_dump;
use crate::parse::heap_text::HeapTextReader;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// Go figures cost the target CPU (each fetch walks its goroutines or heap buckets), so they
/// are taken at most this often.
const GO_PERIOD: Duration = Duration::from_secs(2);
/// The goroutine dumps by ID are taken at most this often: each stops the target's world
/// for a moment.
const IDENTITY_PERIOD: Duration = Duration::from_secs(10);
const MAX_GO_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub window: Duration,
    pub interval: Duration,
    pub timeout: Duration,
    pub probe: Option<String>,
    pub endpoint: Option<Endpoint>,
    /// Force a GC before each MemStats read (`heap?gc=1`): exact live figures, at the cost
    /// of a full GC in the target each time.
    pub force_gc: bool,
    /// Goroutine dumps by ID are fetched only while the count is below this (their pause
    /// grows with it) and some group holds at least `identity_min_group`.
    pub identity_max_goroutines: u64,
    pub identity_min_group: u64,
}

// One event is alive at a time, moved straight to its consumer: boxing would only add an
// allocation per sample.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    Sample(Sample),
    Goroutines(GoroutineSnapshot),
}

pub struct Sampler<'a> {
    target: &'a Target,
    cfg: SamplerConfig,
    fd_policy: FdPolicy,
    started: Instant,
    step: u32,
    steps: u32,
    go_every: u32,
    /// Called while waiting, with the time since the start; false stops the sampling.
    tick: Box<dyn FnMut(Duration) -> bool + 'a>,
    queued: Option<Event>,
    done: bool,
    largest_group: u64,
    last_identity: Option<Instant>,
    pub go_tries: usize,
    pub go_fetched: usize,
}

impl<'a> Sampler<'a> {
    pub fn new(
        target: &'a Target,
        cfg: SamplerConfig,
        tick: impl FnMut(Duration) -> bool + 'a,
    ) -> Sampler<'a> {
        let interval = cfg.interval.as_secs_f64().max(0.001);
        let steps = (cfg.window.as_secs_f64() / interval).round().max(1.0) as u32;
        let go_every = (GO_PERIOD.as_secs_f64() / interval).ceil().max(1.0) as u32;
        Sampler {
            target,
            cfg,
            fd_policy: FdPolicy::default(),
            started: Instant::now(),
            step: 0,
            steps,
            go_every,
            tick: Box::new(tick),
            queued: None,
            done: false,
            largest_group: 0,
            last_identity: None,
            go_tries: 0,
            go_fetched: 0,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn take(&mut self) -> Result<Sample> {
        let census = take_census(self.target, &self.fd_policy)?;
        let mut sample = sample_proc(self.target, census)?;
        let last = self.step == self.steps;
        if let Some(e) = self.cfg.endpoint.clone() {
            if self.step.is_multiple_of(self.go_every) || last {
                self.go_tries += 1;
                self.go_fetched += usize::from(self.sample_go(&e, &mut sample));
            }
        }
        if let Some(url) = &self.cfg.probe {
            probe(url, self.cfg.timeout, &mut sample);
        }
        Ok(sample)
    }

    /// The Go figures of one sample (see [`fetch_go_figures`]); remembers the largest
    /// goroutine group for the identity dumps.
    fn sample_go(&mut self, endpoint: &Endpoint, sample: &mut Sample) -> bool {
        let fetched = fetch_go_figures(endpoint, self.cfg.timeout, self.cfg.force_gc, sample);
        if let Some(largest) = fetched.largest_group {
            self.largest_group = largest;
        }
        fetched.any
    }

    /// Every goroutine by ID, when a group is large enough to be a pile-up and the count is
    /// small enough for the dump's pause to be short.
    fn identity(&mut self, sample: &Sample) -> Option<GoroutineSnapshot> {
        let endpoint = self.cfg.endpoint.as_ref()?;
        let count = sample.goroutines?;
        let due = self
            .last_identity
            .is_none_or(|at| at.elapsed() >= IDENTITY_PERIOD)
            || self.step == self.steps;
        if !due
            || count >= self.cfg.identity_max_goroutines
            || self.largest_group < self.cfg.identity_min_group
        {
            return None;
        }
        self.last_identity = Some(Instant::now());
        let page = http::get(
            &endpoint.url("goroutine?debug=2"),
            self.cfg.timeout,
            MAX_GO_BYTES,
        )
        .ok()?;
        Some(GoroutineSnapshot {
            t: clock::now_unix(),
            goroutines: read_goroutine_records(&String::from_utf8_lossy(&page.body)),
        })
    }
}

impl Iterator for Sampler<'_> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(event) = self.queued.take() {
            return Some(Ok(event));
        }
        if self.done {
            return None;
        }
        let due = self.cfg.interval * self.step;
        let mut go_on = true;
        let started = self.started;
        let tick = &mut self.tick;
        clock::wait_while(due.saturating_sub(started.elapsed()), |_| {
            go_on = tick(started.elapsed());
            go_on
        });
        if !go_on {
            self.done = true;
            return None;
        }
        let taken = self.take();
        self.done = self.step >= self.steps || taken.is_err();
        let sample = match taken {
            Ok(sample) => sample,
            Err(err) => return Some(Err(err)),
        };
        self.queued = self.identity(&sample).map(Event::Goroutines);
        self.step += 1;
        Some(Ok(Event::Sample(sample)))
    }
}

fn probe(url: &str, timeout: Duration, sample: &mut Sample) {
    let began = Instant::now();
    match http::get(url, timeout, 1 << 20) {
        Ok(_) => sample.probe_seconds = Some(began.elapsed().as_secs_f64()),
        // A request that ran out of time is the slowest of the tail, not a gap in it.
        Err(http::FetchError::Timeout { .. }) => {
            sample.probe_seconds = Some(began.elapsed().as_secs_f64());
            sample.probe_failed = true;
        }
        Err(_) => sample.probe_failed = true,
    }
}

/// What one Go fetch gave besides the sample's fields.
pub(crate) struct GoFetched {
    /// Either the goroutine count or MemStats arrived.
    pub any: bool,
    /// Members of the largest goroutine group, when the goroutine profile was read.
    pub largest_group: Option<u64>,
}

/// The goroutine count (with how many wait on I/O) from ?debug=1, and MemStats with the
/// profile's post-GC in-use total from heap?debug=1: neither stops the world for long.
/// A failed fetch leaves the fields empty. Shared by triage's sampler and `metrics`/`serve`.
pub(crate) fn fetch_go_figures(
    endpoint: &Endpoint,
    timeout: Duration,
    force_gc: bool,
    sample: &mut Sample,
) -> GoFetched {
    let mut largest_group = None;
    if let Ok(page) = http::get(&endpoint.url("goroutine?debug=1"), timeout, MAX_GO_BYTES) {
        if let Ok(dump) = parse_dump(page.body.as_slice(), "goroutines", false) {
            sample.goroutines = Some(dump.total);
            sample.goroutines_io_wait = Some(
                dump.groups
                    .iter()
                    .filter(|g| {
                        g.frames
                            .iter()
                            .any(|f| f.function == "internal/poll.runtime_pollWait")
                    })
                    .map(|g| g.count)
                    .sum(),
            );
            largest_group = Some(dump.groups.iter().map(|g| g.count).max().unwrap_or(0));
        }
    }
    let path = if force_gc {
        "heap?debug=1&gc=1"
    } else {
        "heap?debug=1"
    };
    let mut reader = HeapTextReader::new();
    let fetched = http::get_lines(&endpoint.url(path), timeout, MAX_GO_BYTES, |line| {
        reader.feed(line)
    });
    if fetched.is_ok() {
        let text = reader.finish();
        if let Some(m) = text.memstats {
            sample.heap_alloc = Some(m.heap_alloc);
            sample.total_alloc = Some(m.total_alloc);
            sample.memstats_t = Some(clock::now_unix());
            sample.heap_inuse = Some(m.heap_inuse);
            sample.heap_idle = Some(m.heap_idle);
            sample.heap_released = Some(m.heap_released);
            sample.next_gc = Some(m.next_gc);
            sample.stack_inuse = Some(m.stack_inuse);
            sample.num_gc = Some(m.num_gc);
            sample.last_gc = (m.last_gc_unix_ns > 0).then(|| m.last_gc_unix_ns as f64 / 1e9);
            let prev = m.recent_gc_ends_unix_ns[1];
            sample.prev_gc = (prev > 0).then(|| prev as f64 / 1e9);
            sample.gc_forced = force_gc;
        }
        sample.heap_live_profile = text.inuse_bytes;
    }
    GoFetched {
        any: sample.goroutines.is_some() || sample.heap_alloc.is_some(),
        largest_group,
    }
}

/// What /proc and the cgroup say of the target now, from one census: memory, threads, CPU,
/// descriptors by kind and the 20 largest groups. Shared by triage's sampler and `metrics`.
pub(crate) fn sample_proc(target: &Target, census: FdCensus) -> Result<Sample> {
    let memory = read_proc_memory(target)?;
    let (cpu_seconds, threads) = tasks::read_cpu_and_threads(target)?;
    // Accepted connections from many peers share one name (their local port): summed.
    let mut named: HashMap<String, u64> = HashMap::new();
    for g in &census.groups {
        *named.entry(sample_label(&g.key)).or_default() += g.count;
    }
    let mut groups: Vec<(String, u64)> = named.into_iter().collect();
    // Largest first, ties by name: which groups make the cut does not depend on hashing.
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups.truncate(20);
    Ok(Sample {
        t: clock::now_unix(),
        rss: memory.vm_rss,
        rss_anon: memory.rss_anon,
        rss_file: memory.rss_file,
        threads,
        cpu_seconds,
        fds: census.total,
        fds_by_kind: FdKind::ALL
            .iter()
            .filter(|k| census.by_kind[k.index()] > 0)
            .map(|k| (k.name().to_string(), census.by_kind[k.index()]))
            .collect(),
        fd_groups: groups.into_iter().collect(),
        cgroup_usage: read_cgroup_memory(target, Path::new(CGROUP_ROOT)).and_then(|c| c.usage),
        ..Sample::default()
    })
}
