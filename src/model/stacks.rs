//! Goroutines and threads, as steady groups them.

/// One frame of a goroutine stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
}

/// Goroutines with the same stack and state, as parsed from a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoroutineGroup {
    pub count: u64,
    /// The wait reason, e.g. "chan receive"; "" for debug=1 dumps, which carry none.
    pub state: String,
    /// Shortest and longest wait, in minutes, among the members that reported one.
    pub wait_minutes: Option<(u32, u32)>,
    /// Members whose header carried a wait age at all (Go prints ages only after a GC).
    pub with_age: u64,
    pub locked_to_thread: u64,
    /// Marked `(leaked)` by the runtime (Go 1.26+ with GOEXPERIMENT=goroutineleakprofile, after a
    /// leak-detecting GC such as a /debug/pprof/goroutineleak request): the GC proved that
    /// nothing can ever wake these goroutines. Part of the group key, so a proven leak is never
    /// mixed with live goroutines of the same stack.
    pub leaked: bool,
    /// Leaf first.
    pub frames: Vec<GoFrame>,
    /// True when the dump cut the stack short ("...additional frames elided...").
    pub elided: bool,
    pub created_by: Option<GoFrame>,
    /// A few goroutine IDs, to find them in the raw dump.
    pub sample_ids: Vec<u64>,
}

/// A parsed dump: groups, with how many goroutines it held.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoroutineDump {
    pub total: u64,
    pub groups: Vec<GoroutineGroup>,
    /// False for debug=1 dumps: no states, no ages.
    pub has_states: bool,
}

/// One OS thread of the target, as /proc/PID/task/TID tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSample {
    pub tid: i32,
    pub name: String,
    /// R, S, D, Z, T, t, I…
    pub state: char,
    /// The syscall by name, `running`, or `-` when blocked outside a syscall; None if unreadable.
    pub syscall: Option<String>,
    /// The kernel function the thread sleeps in; None when unreadable or not sleeping.
    pub wchan: Option<String>,
    /// Innermost first; None when /proc/PID/task/TID/stack could not be read.
    pub kernel_stack: Option<Vec<String>>,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
}
