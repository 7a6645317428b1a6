//! Parses /proc/PID/task/TID/syscall and kernel stacks, and names syscall numbers.

use crate::parse::syscall_names::{AARCH64, X86_64};

/// What a thread is doing in the kernel, from its `syscall` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyscallState {
    /// On a CPU right now.
    Running,
    /// Blocked, but not in a system call (a page fault, for instance).
    NotInSyscall,
    /// In this system call.
    Call(u32),
}

/// `202 0x7ffd… 0x80 …`, `running`, or `-1 0x… 0x…`.
pub fn parse_syscall(text: &str) -> Option<SyscallState> {
    let first = text.split_whitespace().next()?;
    match first {
        "running" => Some(SyscallState::Running),
        "-1" => Some(SyscallState::NotInSyscall),
        n => n.parse().ok().map(SyscallState::Call),
    }
}

/// The name of syscall `number` on `arch` (as `std::env::consts::ARCH` spells it).
pub fn syscall_name(arch: &str, number: u32) -> String {
    let table = match arch {
        "x86_64" => X86_64,
        "aarch64" | "riscv64" | "loongarch64" => AARCH64,
        _ => &[],
    };
    table
        .binary_search_by_key(&number, |(n, _)| *n)
        .map(|i| table[i].1.to_string())
        .unwrap_or_else(|_| format!("syscall_{number}"))
}

/// `[<0>] futex_wait_queue+0x60/0x90` lines → `futex_wait_queue`, innermost first.
pub fn parse_kernel_stack(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let symbol = line.split_once("] ").map_or(line, |(_, s)| s).trim();
            let name = symbol.split('+').next()?.trim();
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_lines() {
        assert_eq!(
            parse_syscall("202 0xc000 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x46e0c3\n"),
            Some(SyscallState::Call(202))
        );
        assert_eq!(parse_syscall("running\n"), Some(SyscallState::Running));
        assert_eq!(
            parse_syscall("-1 0x7ffd 0x46e0c3\n"),
            Some(SyscallState::NotInSyscall)
        );
        assert_eq!(parse_syscall(""), None);
        assert_eq!(parse_syscall("garbage"), None);
    }

    #[test]
    fn names_by_arch() {
        assert_eq!(syscall_name("x86_64", 202), "futex");
        assert_eq!(syscall_name("x86_64", 232), "epoll_wait");
        assert_eq!(syscall_name("x86_64", 0), "read");
        assert_eq!(syscall_name("aarch64", 98), "futex");
        assert_eq!(syscall_name("aarch64", 22), "epoll_pwait");
        assert_eq!(syscall_name("aarch64", 63), "read");
        assert_eq!(syscall_name("x86_64", 9999), "syscall_9999");
        assert_eq!(syscall_name("mips", 1), "syscall_1");
    }

    #[test]
    fn kernel_stacks() {
        let text = "[<0>] futex_wait_queue+0x60/0x90\n[<0>] futex_wait+0x185/0x270\n[<0>] do_syscall_64+0x5b/0x80\n";
        assert_eq!(
            parse_kernel_stack(text),
            vec!["futex_wait_queue", "futex_wait", "do_syscall_64"]
        );
        assert!(parse_kernel_stack("").is_empty());
    }
}
