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
}

/// One line of a recording: the facts first, then samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordLine {
    Facts(TargetFacts),
    Sample(Sample),
}
