//! What this steady process itself may do: effective user and capabilities.

use std::fs;

pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_RESOURCE: u32 = 24;

/// Whether our effective capability set holds `cap`, from the CapEff line of /proc/self/status.
pub fn has_capability(cap: u32) -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|mask| mask & (1u64 << cap) != 0)
}

pub fn effective_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}
