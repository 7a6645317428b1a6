//! A heap snapshot: what was true of the process at one moment. Stored as JSON next to the
//! profile bytes (which are kept exactly as served, so `go tool pprof FILE` reads them).

use serde::{Deserialize, Serialize};

use crate::model::go::{GoEnv, GoInfo};
use crate::model::memory::{CgroupMemory, Mapping, MemStats, ProcMemory};

pub const SNAPSHOT_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub schema_version: u32,
    /// Seconds since the epoch, when the snapshot was taken.
    pub taken_at: f64,
    pub pid: i32,
    pub comm: Option<String>,
    pub exe: Option<String>,
    pub go: Option<GoInfo>,
    pub go_env: Option<GoEnv>,
    /// The pprof handler the profile came from.
    pub endpoint: Option<String>,
    /// The profile file's name, next to this JSON, when there is one.
    pub profile_file: Option<String>,
    pub memory: ProcMemory,
    pub memstats: Option<MemStats>,
    /// The MemStats were read right after a GC steady forced (`--gc`), not whenever the
    /// target's own last GC happened to end.
    #[serde(default)]
    pub memstats_after_forced_gc: bool,
    pub cgroup: Option<CgroupMemory>,
    /// /proc/PID/smaps, for processes without a profile endpoint.
    pub mappings: Option<Vec<Mapping>>,
    pub warnings: Vec<String>,
}

/// A snapshot in memory: its facts and, for Go targets, the profile bytes as served.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub meta: SnapshotMeta,
    pub profile: Option<Vec<u8>>,
}

impl SnapshotMeta {
    /// For a bare profile file with no facts beside it.
    pub fn bare() -> SnapshotMeta {
        SnapshotMeta {
            schema_version: SNAPSHOT_SCHEMA,
            taken_at: 0.0,
            pid: 0,
            comm: None,
            exe: None,
            go: None,
            go_env: None,
            endpoint: None,
            profile_file: None,
            memory: ProcMemory::default(),
            memstats: None,
            memstats_after_forced_gc: false,
            cgroup: None,
            mappings: None,
            warnings: Vec::new(),
        }
    }
}

/// What `heap snapshot` wrote, for its report: the facts, the files, and whether a pprof
/// profile is among them (a non-Go target gets its smaps only).
pub struct Written<'a> {
    pub meta: &'a SnapshotMeta,
    pub files: &'a [std::path::PathBuf],
    pub profile: bool,
}
