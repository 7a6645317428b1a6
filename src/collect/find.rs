//! Finds processes by name: every PID under the procfs root whose command name or executable
//! path matches a pattern. Reads /proc/PID/stat and the /proc/PID/exe link only.

use std::fs;
use std::path::Path;

use regex::Regex;

/// Matching PIDs, ascending, without steady itself. A process whose executable cannot be read
/// (another user's, a kernel thread) is matched on its command name alone; one that exits
/// during the scan is left out.
pub fn find_processes(proc_root: &Path, pattern: &Regex) -> Vec<i32> {
    let own = std::process::id() as i32;
    let Ok(entries) = fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != own)
        .filter(|&pid| {
            let dir = proc_root.join(pid.to_string());
            let comm = fs::read_to_string(dir.join("comm")).ok();
            let exe = fs::read_link(dir.join("exe")).ok();
            comm.is_some_and(|c| pattern.is_match(c.trim_end_matches('\n')))
                || exe.is_some_and(|e| pattern.is_match(&e.to_string_lossy()))
        })
        .collect();
    pids.sort_unstable();
    pids
}
