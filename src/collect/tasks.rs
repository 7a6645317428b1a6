//! Reads the target's threads from /proc/PID/task/*: name, state, syscall, wchan, kernel
//! stack (where readable) and CPU time.

use std::io::Read;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::stacks::ThreadSample;
use crate::parse::syscall::{parse_kernel_stack, parse_syscall, syscall_name, SyscallState};

/// The threads, and whether kernel stacks could be read (they need CAP_SYS_ADMIN).
pub struct Threads {
    pub threads: Vec<ThreadSample>,
    pub kernel_stacks_readable: bool,
    pub clock_ticks_per_second: u64,
}

pub fn read_threads(target: &Target) -> Result<Threads, CollectError> {
    let tasks = target
        .process()
        .tasks()
        .map_err(|err| target.error("task", err))?;
    let mut threads = Vec::new();
    let mut stacks_readable = false;
    for task in tasks.flatten() {
        // A thread that exits mid-scan is simply gone.
        let Ok(stat) = task.stat() else { continue };
        let tid = task.tid;
        let read = |name: &str| -> Option<String> {
            let mut text = String::new();
            target
                .open_relative(&format!("task/{tid}/{name}"))
                .ok()?
                .read_to_string(&mut text)
                .ok()?;
            Some(text)
        };
        let syscall = read("syscall")
            .and_then(|t| parse_syscall(&t))
            .map(|s| match s {
                SyscallState::Running => "running".to_string(),
                SyscallState::NotInSyscall => "-".to_string(),
                SyscallState::Call(n) => syscall_name(std::env::consts::ARCH, n),
            });
        // wchan reads "0" both when access is denied and when the thread is running.
        let wchan = read("wchan")
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty() && w != "0");
        let kernel_stack = read("stack").map(|s| parse_kernel_stack(&s));
        stacks_readable |= kernel_stack.is_some();
        threads.push(ThreadSample {
            tid,
            name: stat.comm,
            state: stat.state,
            syscall,
            wchan,
            kernel_stack,
            cpu_ticks: stat.utime + stat.stime,
        });
    }
    target.ensure_alive()?;
    Ok(Threads {
        threads,
        kernel_stacks_readable: stacks_readable,
        clock_ticks_per_second: procfs::ticks_per_second(),
    })
}

/// Process CPU time (seconds, all threads) and thread count, from /proc/PID/stat alone: cheap
/// enough for every sample.
pub fn read_cpu_and_threads(target: &Target) -> Result<(f64, u64), CollectError> {
    let stat = target
        .process()
        .stat()
        .map_err(|err| target.error("stat", err))?;
    let ticks = procfs::ticks_per_second().max(1) as f64;
    Ok((
        (stat.utime + stat.stime) as f64 / ticks,
        stat.num_threads.max(0) as u64,
    ))
}
