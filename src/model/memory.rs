//! Memory figures of a process: what the kernel says (status, cgroup, smaps) and what the
//! Go runtime says (MemStats).

use serde::{Deserialize, Serialize};

/// From /proc/PID/status, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcMemory {
    pub vm_rss: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
}

/// The cgroup v2 memory controller of the process, in bytes; limit None when "max".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CgroupMemory {
    pub path: String,
    pub usage: Option<u64>,
    pub limit: Option<u64>,
}

/// The `# runtime.MemStats` trailer of /debug/pprof/heap?debug=1, in bytes (counts for objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemStats {
    pub alloc: u64,
    pub total_alloc: u64,
    pub sys: u64,
    pub heap_alloc: u64,
    pub heap_sys: u64,
    pub heap_idle: u64,
    pub heap_inuse: u64,
    pub heap_released: u64,
    pub heap_objects: u64,
    pub stack_inuse: u64,
    pub stack_sys: u64,
    pub mspan_sys: u64,
    pub mcache_sys: u64,
    pub buck_hash_sys: u64,
    pub gc_sys: u64,
    pub other_sys: u64,
    pub next_gc: u64,
    /// GC cycles completed (forced ones included).
    pub num_gc: u64,
    /// When the last GC cycle ended (LastGC), ns since the epoch; 0 before the first GC.
    /// Default: snapshot files written before it was recorded.
    #[serde(default)]
    pub last_gc_unix_ns: u64,
    /// When the last four cycles ended (the PauseEnd ring), most recent first, ns since the
    /// epoch; 0 for cycles that did not run. A background GC publishes the heap profile of the
    /// cycle before it, so a profile taken without `?gc=1` is as of one of these.
    #[serde(default)]
    pub recent_gc_ends_unix_ns: [u64; 4],
}

/// One mapping of /proc/PID/smaps, sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub perms: String,
    /// The path, or a kernel name like [heap] and [stack]; empty for anonymous memory.
    pub name: String,
    pub rss: u64,
    pub anonymous: u64,
    pub private_dirty: u64,
    pub swap: u64,
}
