//! What this steady process itself may do: effective user and capabilities.

use std::fs;

pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_RESOURCE: u32 = 24;

/// Whether our effective capability set holds `cap`.
pub fn has_capability(cap: u32) -> bool {
    own_effective_caps() & (1u64 << cap) != 0
}

/// The CapEff mask of /proc/self/status; 0 when it cannot be read.
pub fn own_effective_caps() -> u64 {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status_caps(&status, "CapEff").unwrap_or(0)
}

/// A capability mask (`CapEff`, `CapPrm`…) from the text of a /proc/PID/status file. Read
/// from the text, not through procfs's typed status: that parse fails as a whole on a field
/// it does not know, and a missing mask must not turn into "holds no capabilities".
pub fn status_caps(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        u64::from_str_radix(rest.trim(), 16).ok()
    })
}

/// Names of the capabilities set in `mask`, as capabilities(7) spells them.
pub fn capability_names(mask: u64) -> Vec<String> {
    const NAMES: [&str; 41] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];
    (0..64u32)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| {
            NAMES
                .get(bit as usize)
                .map_or_else(|| format!("capability {bit}"), |n| n.to_string())
        })
        .collect()
}

pub fn effective_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_capabilities() {
        assert_eq!(capability_names(1 << 24), vec!["CAP_SYS_RESOURCE"]);
        assert_eq!(
            capability_names((1 << 19) | (1 << 21)),
            vec!["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]
        );
        assert_eq!(capability_names(1 << 50), vec!["capability 50"]);
        assert!(capability_names(0).is_empty());
    }

    #[test]
    fn reads_masks_from_status_text() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001fffff7ffff\n";
        assert_eq!(status_caps(status, "CapPrm"), Some(0x1ff_ffff_ffff));
        assert_eq!(status_caps(status, "CapEff"), Some(0x1ff_fff7_ffff));
        assert_eq!(status_caps(status, "CapBnd"), None);
    }
}
