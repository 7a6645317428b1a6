//! Resource limits of a process, as /proc/PID/limits and prlimit(2) report them.

/// None means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPair {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// One line of /proc/PID/limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLimit {
    pub name: &'static str,
    pub unit: &'static str,
    pub limit: LimitPair,
}
