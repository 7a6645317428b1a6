//! Resource limits of a process, as /proc/PID/limits and prlimit(2) report them, named as
//! prlimit(1) names them.

/// None means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPair {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// One resource limit, in prlimit(1)'s order (alphabetical by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Locks,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Rttime,
    Sigpending,
    Stack,
}

impl Resource {
    pub const ALL: [Resource; 16] = [
        Resource::As,
        Resource::Core,
        Resource::Cpu,
        Resource::Data,
        Resource::Fsize,
        Resource::Locks,
        Resource::Memlock,
        Resource::Msgqueue,
        Resource::Nice,
        Resource::Nofile,
        Resource::Nproc,
        Resource::Rss,
        Resource::Rtprio,
        Resource::Rttime,
        Resource::Sigpending,
        Resource::Stack,
    ];

    /// prlimit's RESOURCE column: `NOFILE`.
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// prlimit's DESCRIPTION column.
    pub fn description(self) -> &'static str {
        self.row().1
    }

    /// The stable snake_case name of the JSON documents (from /proc/PID/limits' wording).
    pub fn key(self) -> &'static str {
        self.row().2
    }

    /// The unit of the JSON documents.
    pub fn unit(self) -> &'static str {
        self.row().3
    }

    /// prlimit's UNITS column (the JSON keeps its shorter `us`).
    pub fn prlimit_unit(self) -> &'static str {
        match self {
            Resource::Rttime => "microsecs",
            other => other.unit(),
        }
    }

    fn row(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Resource::As => ("AS", "address space limit", "address_space", "bytes"),
            Resource::Core => ("CORE", "max core file size", "core_file_size", "bytes"),
            Resource::Cpu => ("CPU", "CPU time", "cpu_time", "seconds"),
            Resource::Data => ("DATA", "max data size", "data_size", "bytes"),
            Resource::Fsize => ("FSIZE", "max file size", "file_size", "bytes"),
            Resource::Locks => (
                "LOCKS",
                "max number of file locks held",
                "file_locks",
                "locks",
            ),
            Resource::Memlock => (
                "MEMLOCK",
                "max locked-in-memory address space",
                "locked_memory",
                "bytes",
            ),
            Resource::Msgqueue => (
                "MSGQUEUE",
                "max bytes in POSIX mqueues",
                "msgqueue_size",
                "bytes",
            ),
            Resource::Nice => (
                "NICE",
                "max nice prio allowed to raise",
                "nice_priority",
                "",
            ),
            Resource::Nofile => ("NOFILE", "max number of open files", "open_files", "files"),
            Resource::Nproc => ("NPROC", "max number of processes", "processes", "processes"),
            Resource::Rss => ("RSS", "max resident set size", "resident_set", "bytes"),
            Resource::Rtprio => ("RTPRIO", "max real-time priority", "realtime_priority", ""),
            Resource::Rttime => (
                "RTTIME",
                "timeout for real-time tasks",
                "realtime_timeout",
                "us",
            ),
            Resource::Sigpending => (
                "SIGPENDING",
                "max number of pending signals",
                "pending_signals",
                "signals",
            ),
            Resource::Stack => ("STACK", "max stack size", "stack_size", "bytes"),
        }
    }

    /// prlimit's name, in any case (`NOFILE`, `nofile`).
    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// One resource and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLimit {
    pub resource: Resource,
    pub limit: LimitPair,
}

/// What the process already uses of a resource, where a limit below it does harm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usage {
    /// The resource has no figure steady holds a lower limit against.
    Untracked,
    /// It has one, and it could not be read (the reason, e.g. "steady cannot read /proc/PID/fd").
    Unknown(String),
    Known(u64),
}
