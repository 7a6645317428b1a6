//! Reads the target's threads from /proc/PID/task/*: name, state, syscall, wchan, kernel
//! stack (where readable) and CPU time.

use std::io::Read;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::stacks::ThreadSample;
use crate::parse::syscall::{parse_kernel_stack, parse_syscall, syscall_name, SyscallState};

/// The threads, and what of them could not be read, and why.
pub struct Threads {
    pub threads: Vec<ThreadSample>,
    pub kernel_stacks_readable: bool,
    pub clock_ticks_per_second: u64,
    /// Threads whose syscall file was refused (wchan then reads "0" too), and the first refusal.
    pub syscall_unreadable: usize,
    pub syscall_error: Option<CollectError>,
    /// The first refusal of a kernel stack (they need CAP_SYS_ADMIN as well as ptrace access).
    pub stack_error: Option<CollectError>,
}

pub fn read_threads(target: &Target) -> Result<Threads, CollectError> {
    let tasks = target
        .process()
        .tasks()
        .map_err(|err| target.error("task", err))?;
    let mut threads = Vec::new();
    let mut stacks_readable = false;
    let mut syscall_unreadable = 0;
    let mut syscall_error = None;
    let mut stack_error = None;
    // A kernel thread's syscall file reads all zeros (syscall 0 on x86_64 is read): it never
    // enters a syscall from user space.
    let kernel_thread = target.is_kernel_thread();
    for task in tasks.flatten() {
        // A thread that exits mid-scan is simply gone.
        let Ok(stat) = task.stat() else { continue };
        let tid = task.tid;
        let read = |name: &str| -> Result<String, CollectError> {
            let rel = format!("task/{tid}/{name}");
            let mut text = String::new();
            target
                .open_relative(&rel)?
                .read_to_string(&mut text)
                .map_err(|err| target.io_error(&rel, err))?;
            Ok(text)
        };
        // Only refusals are worth a note: a thread that exited between readdir and the read
        // is just gone.
        let keep = |slot: &mut Option<CollectError>, r: Result<String, CollectError>| match r {
            Ok(text) => Some(text),
            Err(err @ CollectError::PermissionDenied { .. }) => {
                slot.get_or_insert(err);
                None
            }
            Err(_) => None,
        };
        let syscall_text = read("syscall");
        if matches!(syscall_text, Err(CollectError::PermissionDenied { .. })) {
            syscall_unreadable += 1;
        }
        let syscall = keep(&mut syscall_error, syscall_text)
            .and_then(|t| parse_syscall(&t))
            .map(|s| match s {
                _ if kernel_thread => "-".to_string(),
                SyscallState::Running => "running".to_string(),
                SyscallState::NotInSyscall => "-".to_string(),
                SyscallState::Call(n) => syscall_name(std::env::consts::ARCH, n),
            });
        // wchan reads "0" both when access is denied and when the thread is running.
        let wchan = read("wchan")
            .ok()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty() && w != "0");
        let kernel_stack = keep(&mut stack_error, read("stack")).map(|s| parse_kernel_stack(&s));
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
        syscall_unreadable,
        syscall_error,
        stack_error,
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
