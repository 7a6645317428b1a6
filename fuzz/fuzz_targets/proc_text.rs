//! The other /proc and cgroup text steady reads about a target: fd link targets, task
//! syscall and kernel stack, status, stat, limits (procfs parses those three), cgroup and
//! cpu.max, GOMEMLIMIT from the environment. Every parser sees every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfs::process::{Limits, Stat, Status};
use procfs::FromRead;
use steady::collect::facts::parse_go_bytes;
use steady::parse::cgroup::{parse_cgroup, parse_cpu_max};
use steady::parse::fd_link::parse_link;
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
    let _ = Status::from_read(data);
    let _ = Stat::from_read(data);
    let _ = Limits::from_read(data);
});
