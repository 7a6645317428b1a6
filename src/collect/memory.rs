//! Memory as the kernel sees it: /proc/PID/status, the cgroup v2 memory controller, smaps.

use std::fs;
use std::path::Path;

use procfs::process::MMapPath;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::memory::{CgroupMemory, Mapping, ProcMemory};

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

/// The process's cgroup v2 memory usage and limit. None on cgroup v1 or when unreadable.
pub fn read_cgroup_memory(target: &Target, cgroup_root: &Path) -> Option<CgroupMemory> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut target.open_relative("cgroup").ok()?, &mut text).ok()?;
    // cgroup v2 has the single line "0::/path".
    let path = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))?
        .trim()
        .to_string();
    let dir = cgroup_root.join(path.trim_start_matches('/'));
    let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
    let usage = read("memory.current").and_then(|v| v.trim().parse().ok());
    // Inside a cgroup namespace the path can be "/" while the files sit at the mount root.
    let limit_text = read("memory.max")?;
    let limit = match limit_text.trim() {
        "max" => None,
        n => n.parse().ok(),
    };
    Some(CgroupMemory { path, usage, limit })
}

pub fn read_smaps(target: &Target) -> Result<Vec<Mapping>, CollectError> {
    let maps = target
        .process()
        .smaps()
        .map_err(|err| target.error("smaps", err))?;
    Ok(maps
        .into_iter()
        .map(|m| {
            let get = |key: &str| m.extension.map.get(key).copied().unwrap_or(0);
            let name = match &m.pathname {
                MMapPath::Path(p) => p.to_string_lossy().into_owned(),
                MMapPath::Heap => "[heap]".to_string(),
                MMapPath::Stack => "[stack]".to_string(),
                MMapPath::TStack(tid) => format!("[stack:{tid}]"),
                MMapPath::Vdso => "[vdso]".to_string(),
                MMapPath::Vvar => "[vvar]".to_string(),
                MMapPath::Vsyscall => "[vsyscall]".to_string(),
                MMapPath::Anonymous => String::new(),
                MMapPath::Vsys(key) => format!("SYSV{key:08x}"),
                MMapPath::Other(s) => s.clone(),
                MMapPath::Rollup => "[rollup]".to_string(),
            };
            Mapping {
                start: m.address.0,
                end: m.address.1,
                perms: m.perms.as_str(),
                name,
                rss: get("Rss"),
                anonymous: get("Anonymous"),
                private_dirty: get("Private_Dirty"),
                swap: get("Swap"),
            }
        })
        .collect())
}
