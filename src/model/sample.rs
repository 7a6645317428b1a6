//! One sample of a process during `steady triage`: what /proc, the cgroup and (for Go) the
//! runtime said at one moment. Written as a JSON line by `--record`, read back by `--from`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Sample {
    /// Seconds since the epoch.
    pub t: f64,
    pub rss: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub threads: u64,
    /// utime + stime, in seconds.
    pub cpu_seconds: f64,
    pub fds: u64,
    /// Descriptors per kind name (`tcp`, `pipe`, …).
    pub fds_by_kind: BTreeMap<String, u64>,
    /// The largest descriptor groups, "kind state target" → count, for the evidence.
    pub fd_groups: BTreeMap<String, u64>,
    pub cgroup_usage: Option<u64>,
    /// Go runtime figures, fetched at a lower rate: None in the samples between.
    pub goroutines: Option<u64>,
    pub heap_alloc: Option<u64>,
    pub heap_inuse: Option<u64>,
    pub heap_idle: Option<u64>,
    pub heap_released: Option<u64>,
    /// The GC's next target: with GOGC=100 twice the heap that was live after the last GC,
    /// a steadier measure of live memory than HeapAlloc, which includes garbage.
    #[serde(default)]
    pub next_gc: Option<u64>,
    pub stack_inuse: Option<u64>,
    /// GC cycles completed so far (MemStats NumGC): the live-heap figures below change only
    /// when it does.
    #[serde(default)]
    pub num_gc: Option<u64>,
    /// When the last GC ended, seconds since the epoch.
    #[serde(default)]
    pub last_gc: Option<f64>,
    /// Bytes in use by the heap profile's records, scaled for sampling: garbage made since
    /// is not in it. A background GC publishes the profile of the cycle before it, so this is
    /// as of the GC that ended at `prev_gc`.
    #[serde(default)]
    pub heap_live_profile: Option<u64>,
    /// When the cycle before the last one ended, seconds since the epoch.
    #[serde(default)]
    pub prev_gc: Option<f64>,
    /// Bytes allocated since the process started (MemStats TotalAlloc): with HeapAlloc it
    /// gives the bytes freed so far (TotalAlloc − HeapAlloc), which grow only as a GC's
    /// sweep frees its garbage.
    #[serde(default)]
    pub total_alloc: Option<u64>,
    /// When the MemStats above were read (the heap fetch ended), seconds since the epoch:
    /// `t` is taken before /proc is read, up to a fetch or two earlier.
    #[serde(default)]
    pub memstats_t: Option<f64>,
    /// This sample's MemStats were read right after a GC that steady forced (`--gc`).
    #[serde(default)]
    pub gc_forced: bool,
    /// Goroutines waiting in IO wait or select, for inferring deadline drift.
    pub goroutines_io_wait: Option<u64>,
    /// Latency of one `--probe` request, in seconds; None when it failed or was not asked for.
    pub probe_seconds: Option<f64>,
    pub probe_failed: bool,
}

/// What is fixed for the whole window, read once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TargetFacts {
    pub pid: i32,
    pub comm: Option<String>,
    pub go_version: Option<String>,
    pub nofile_soft: Option<u64>,
    pub nofile_hard: Option<u64>,
    pub cgroup_memory_limit: Option<u64>,
    /// GOMEMLIMIT in bytes, when set and parseable.
    pub gomemlimit: Option<u64>,
    pub gomemlimit_set: bool,
    pub gomaxprocs: Option<u64>,
    /// CPUs the cgroup quota allows (cpu.max quota / period), when limited.
    pub cpu_quota: Option<f64>,
    pub cpus_online: u64,
    pub is_go: bool,
    pub probe_url: Option<String>,
    /// GOGC as the target's environment gives it ("100", "off"); None when unset or unread.
    #[serde(default)]
    pub gogc: Option<String>,
    /// Each Go sample forced a GC first (`--gc`).
    #[serde(default)]
    pub forced_gc: bool,
}

impl TargetFacts {
    /// The GC percentage in force as far as the environment tells: 100 when unset, None when
    /// off or unreadable as a number.
    pub fn gc_percent(&self) -> Option<f64> {
        match self.gogc.as_deref().map(str::trim) {
            None | Some("") => Some(100.0),
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            Some(v) => v.parse::<f64>().ok().filter(|p| *p > 0.0),
        }
    }
}

/// Every goroutine of one `?debug=2` dump, by ID: two of them show whether the same
/// goroutines waited in the same place all the while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoroutineSnapshot {
    pub t: f64,
    pub goroutines: Vec<GoroutineRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoroutineRecord {
    pub id: u64,
    /// The wait reason without ages or markers: `sync.Mutex.Lock`, `chan send`, `semacquire`.
    pub state: String,
    /// A hash of the function and line of every frame: equal stacks, equal keys.
    pub stack_key: u64,
    /// (function, `file:line`), leaf first.
    pub frames: Vec<(String, String)>,
}

/// One line of a recording: the facts first, then samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordLine {
    Facts(TargetFacts),
    Sample(Sample),
    Goroutines(GoroutineSnapshot),
}
