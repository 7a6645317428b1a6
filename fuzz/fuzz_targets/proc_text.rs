//! The other /proc and cgroup text steady reads about a target: fd link targets, task
//! syscall and kernel stack, status, stat, limits (procfs parses those three), cgroup and
//! cpu.max, GOMEMLIMIT from the environment, fdinfo. Every parser sees every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfs::process::{Limits, Stat, Status};
use procfs::FromRead;
use steady::collect::facts::parse_go_bytes;
use steady::parse::cgroup::{parse_cgroup, parse_cpu_max};
use steady::analyze::fd_list::{flag_names, mode};
use steady::parse::fd_link::parse_link;
use steady::parse::fdinfo::parse_fdinfo;
use steady::parse::syscall::{parse_kernel_stack, parse_syscall, syscall_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let _ = parse_link(line);
        let _ = parse_go_bytes(line);
    }
    if let Some(steady::parse::syscall::SyscallState::Call(n)) = parse_syscall(&text) {
        let _ = syscall_name("x86_64", n);
        let _ = syscall_name("aarch64", n);
    }
    let _ = parse_kernel_stack(&text);
    for entry in parse_cgroup(&text) {
        let _ = (entry.is_unified(), entry.has_controller("memory"));
    }
    let _ = parse_cpu_max(&text);
    if let Some(flags) = parse_fdinfo(&text).flags {
        let _ = (flag_names(flags), mode(flags));
    }
    let _ = Status::from_read(data);
    if kernel_stat_shape(&text) {
        let _ = Stat::from_read(data);
    }
    let _ = Limits::from_read(data);
});

/// procfs 0.18 slices /proc/PID/stat from the first '(' to the last ')' without checking their
/// order or what follows (found here; upstream, see FUZZING.md). The kernel always writes
/// `PID (comm) S ...` (the first '(' follows the PID, the last ')' closes comm), so only that
/// shape is fed to it: the rest of its parser is still fuzzed.
fn kernel_stat_shape(text: &str) -> bool {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && t[digits..].starts_with(" (")
        && t.rfind(')')
            .is_some_and(|end| end > digits + 1 && t[end..].starts_with(") "))
}
