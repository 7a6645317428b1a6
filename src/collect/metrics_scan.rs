//! Reads the targets of `steady metrics` and `steady serve`: which processes (by PID or by a
//! name pattern, re-matched on every read), and for each what one triage sample reads — the
//! same census, /proc and Go fetches (`sampler::sample_proc`, `sampler::fetch_go_figures`) —
//! plus the limits. Go figures are fetched at most every `go_interval` and kept in between.
//! Never asks a target for anything but what triage reads: no forced GC, no debug=2 dump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use regex::Regex;

use crate::analyze::census::FdCensus;
use crate::analyze::drift::memory::marked_at_gc_end;
use crate::analyze::metrics::Reading;
use crate::analyze::policy::FdPolicy;
use crate::collect::census_scan::take_censuses;
use crate::collect::endpoint::{self, Endpoint};
use crate::collect::facts::read_facts;
use crate::collect::process::Target;
use crate::collect::sampler::{fetch_go_figures, sample_proc};
use crate::error::CollectError;
use crate::model::sample::Sample;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Which processes to read.
#[derive(Debug, Clone)]
pub enum Selection {
    Pids(Vec<i32>),
    /// Every process whose command name (comm) or executable file name matches.
    Name(Regex),
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub proc_root: PathBuf,
    pub timeout: Duration,
    /// Go figures are fetched at most this often per target; Duration::ZERO fetches each read.
    pub go_interval: Duration,
}

/// One process followed across reads: its handle (which guards against PID reuse), its pprof
/// endpoint once found, and its last Go figures.
struct Watched {
    target: Target,
    exe: String,
    endpoint: Option<Endpoint>,
    last_discovery: Option<Instant>,
    go: Option<(Instant, Sample)>,
    /// The Go fetches either side of the last GC end seen: (the last before, the first
    /// after), which with the latest give what that GC marked live.
    gc_bracket: Option<(Sample, Sample)>,
}

impl Watched {
    fn open(pid: i32, proc_root: &Path) -> Result<Watched> {
        let target = Target::open(pid, proc_root)?;
        let exe = target
            .process()
            .exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Watched {
            target,
            exe,
            endpoint: None,
            last_discovery: None,
            go: None,
            gc_bracket: None,
        })
    }

    fn read(&mut self, opts: &ReadOptions, census: Result<FdCensus>) -> Result<Reading> {
        let census = census?;
        let facts = read_facts(&self.target, Path::new(CGROUP_ROOT), None)?;
        let mut sample = sample_proc(&self.target, census)?;
        let go_age_seconds = if facts.is_go {
            self.refresh_go(opts);
            self.go.as_ref().map(|(at, go)| {
                copy_go_fields(go, &mut sample);
                at.elapsed().as_secs_f64()
            })
        } else {
            None
        };
        let heap_marked = self
            .gc_bracket
            .as_ref()
            .zip(self.go.as_ref())
            .and_then(|((before, first), (_, latest))| marked_at_gc_end(before, first, latest));
        Ok(Reading {
            heap_marked,
            pid: self.target.pid,
            comm: self.target.comm().unwrap_or_default(),
            exe: self.exe.clone(),
            facts,
            sample,
            go_age_seconds,
        })
    }

    fn refresh_go(&mut self, opts: &ReadOptions) {
        let due = |at: Option<Instant>| at.is_none_or(|at| at.elapsed() >= opts.go_interval);
        if !due(self.go.as_ref().map(|(at, _)| *at)) {
            return;
        }
        if self.endpoint.is_none() && due(self.last_discovery) {
            self.last_discovery = Some(Instant::now());
            self.endpoint = endpoint::discover(&self.target).ok();
        }
        let Some(e) = &self.endpoint else {
            return;
        };
        let mut go = Sample::default();
        if fetch_go_figures(e, opts.timeout, false, &mut go).any {
            if let Some((_, before)) = self.go.take() {
                if before.num_gc.is_some() && before.num_gc != go.num_gc {
                    self.gc_bracket = Some((before, go.clone()));
                }
            }
            self.go = Some((Instant::now(), go));
        } else {
            // The endpoint went away (a restart on another port): look again next time,
            // and say nothing rather than figures that no longer hold.
            self.endpoint = None;
            self.go = None;
            self.gc_bracket = None;
        }
    }
}

fn copy_go_fields(from: &Sample, to: &mut Sample) {
    to.goroutines = from.goroutines;
    to.goroutines_io_wait = from.goroutines_io_wait;
    to.heap_alloc = from.heap_alloc;
    to.total_alloc = from.total_alloc;
    to.memstats_t = from.memstats_t;
    to.heap_inuse = from.heap_inuse;
    to.heap_idle = from.heap_idle;
    to.heap_released = from.heap_released;
    to.next_gc = from.next_gc;
    to.stack_inuse = from.stack_inuse;
    to.num_gc = from.num_gc;
    to.last_gc = from.last_gc;
    to.heap_live_profile = from.heap_live_profile;
    to.prev_gc = from.prev_gc;
    to.gc_forced = from.gc_forced;
}

/// The targets, followed from one read to the next.
pub struct Watcher {
    selection: Selection,
    opts: ReadOptions,
    watched: BTreeMap<i32, Watched>,
}

impl Watcher {
    pub fn new(selection: Selection, opts: ReadOptions) -> Watcher {
        Watcher {
            selection,
            opts,
            watched: BTreeMap::new(),
        }
    }

    /// Reads every target now. With PIDs, each PID's outcome (an exited one is an error and
    /// is opened afresh next time); with a name, the outcomes of the processes that match
    /// now, leaving out the ones that exit between the match and the read.
    pub fn read_all(&mut self) -> Vec<(i32, Result<Reading>)> {
        let (pids, strict) = match &self.selection {
            Selection::Pids(pids) => (pids.clone(), true),
            Selection::Name(re) => (find_by_name(&self.opts.proc_root, re), false),
        };
        self.watched.retain(|pid, _| pids.contains(pid));
        let mut refused: BTreeMap<i32, anyhow::Error> = BTreeMap::new();
        for &pid in &pids {
            if !self.watched.contains_key(&pid) {
                match Watched::open(pid, &self.opts.proc_root) {
                    Ok(w) => {
                        self.watched.insert(pid, w);
                    }
                    Err(err) => {
                        refused.insert(pid, err);
                    }
                }
            }
        }
        // One census pass over every target, so targets that share a network namespace read
        // its socket tables once between them.
        let targets: Vec<&Target> = self.watched.values().map(|w| &w.target).collect();
        let mut censuses: BTreeMap<i32, Result<FdCensus>> = self
            .watched
            .keys()
            .copied()
            .zip(take_censuses(&targets, &FdPolicy::default()))
            .collect();
        let mut out = Vec::new();
        for pid in pids {
            let read = match (self.watched.get_mut(&pid), censuses.remove(&pid)) {
                (Some(w), Some(census)) => w.read(&self.opts, census),
                _ => Err(refused
                    .remove(&pid)
                    .unwrap_or_else(|| anyhow::anyhow!("process {pid} was not read"))),
            };
            if let Err(err) = &read {
                self.watched.remove(&pid);
                // A process that matched the name and exited before it was read is simply
                // not there; one that cannot be read (permissions) is said.
                if !strict && is_gone(err) {
                    continue;
                }
            }
            out.push((pid, read));
        }
        out
    }
}

fn is_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<CollectError>(),
            Some(CollectError::ProcessGone { .. } | CollectError::NoSuchProcess { .. })
        )
    })
}

/// PIDs whose comm or executable file name matches `re`, steady itself left out.
pub fn find_by_name(proc_root: &Path, re: &Regex) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            let base = proc_root.join(pid.to_string());
            let comm = std::fs::read_to_string(base.join("comm")).unwrap_or_default();
            if re.is_match(comm.trim_end_matches('\n')) {
                return true;
            }
            std::fs::read_link(base.join("exe")).is_ok_and(|exe| {
                exe.file_name()
                    .is_some_and(|n| re.is_match(&n.to_string_lossy()))
            })
        })
        .collect();
    pids.sort_unstable();
    pids
}
