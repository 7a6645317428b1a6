//! Memory as the kernel sees it: /proc/PID/status, the cgroup v2 memory controller, smaps.

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::memory::{CgroupMemory, Mapping, ProcMemory};
use crate::parse::cgroup::parse_cgroup;
use crate::parse::smaps::parse_smaps;

const KIB: u64 = 1024;

pub fn read_proc_memory(target: &Target) -> Result<ProcMemory, CollectError> {
    let status = target
        .process()
        .status()
        .map_err(|err| target.error("status", err))?;
    Ok(ProcMemory {
        vm_rss: status.vmrss.unwrap_or(0) * KIB,
        rss_anon: status.rssanon.unwrap_or(0) * KIB,
        rss_file: status.rssfile.unwrap_or(0) * KIB,
        rss_shmem: status.rssshmem.unwrap_or(0) * KIB,
    })
}

/// The memory usage and limit of the process's cgroup: v2 (unified, also the hybrid
/// layout's /unified mount), else the v1 memory controller. None when unreadable.
pub fn read_cgroup_memory(target: &Target, cgroup_root: &Path) -> Option<CgroupMemory> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut target.open_relative("cgroup").ok()?, &mut text).ok()?;
    let mut v2_path = None;
    let mut v1_path = None;
    for entry in parse_cgroup(&text) {
        if entry.is_unified() {
            v2_path = Some(entry.path.trim().to_string());
        } else if entry.has_controller("memory") {
            v1_path = Some(entry.path.trim().to_string());
        }
    }
    let read = |dir: &Path, name: &str| fs::read_to_string(dir.join(name)).ok();
    if let Some(path) = &v2_path {
        for mount in [cgroup_root.to_path_buf(), cgroup_root.join("unified")] {
            let dir = mount.join(path.trim_start_matches('/'));
            if let Some(max) = read(&dir, "memory.max") {
                return Some(CgroupMemory {
                    path: path.clone(),
                    usage: read(&dir, "memory.current").and_then(|v| v.trim().parse().ok()),
                    limit: match max.trim() {
                        "max" => None,
                        n => n.parse().ok(),
                    },
                });
            }
        }
    }
    let path = v1_path?;
    let dir = cgroup_root
        .join("memory")
        .join(path.trim_start_matches('/'));
    // v1 writes "no limit" as the largest page-aligned i64.
    let limit = read(&dir, "memory.limit_in_bytes")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(CgroupMemory {
        path,
        usage: read(&dir, "memory.usage_in_bytes").and_then(|v| v.trim().parse().ok()),
        limit: (limit < (1 << 62)).then_some(limit),
    })
}

pub fn read_smaps(target: &Target) -> Result<Vec<Mapping>, CollectError> {
    let mut bytes = Vec::new();
    target
        .open_relative("smaps")?
        .read_to_end(&mut bytes)
        .map_err(|err| target.io_error("smaps", err))?;
    // File names need not be UTF-8.
    Ok(parse_smaps(&String::from_utf8_lossy(&bytes)))
}
