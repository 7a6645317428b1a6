//! The arguments of the commands that read one process: fds, limits, stacks.

use super::*;

#[derive(Debug, Args)]
pub struct FdsArgs {
    /// Process ID of the target, or several separated by commas (1,42,77): one report each
    #[arg(value_parser = parse_pid_list, value_name = "PID[,PID…]", required_unless_present = "name", conflicts_with = "name")]
    pub pids: Option<PidList>,

    /// Every process whose command name or executable path matches REGEX (one report each)
    #[arg(long, value_parser = parse_regex, value_name = "REGEX")]
    pub name: Option<Regex>,

    /// Show this many groups (0 for all)
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub top: usize,

    /// Scan twice, this long apart, and show growth per group (e.g. 30s, 5m; at least 1s)
    #[arg(long, value_parser = parse_over, value_name = "DURATION")]
    pub over: Option<Duration>,

    /// One row per descriptor, like lsfd: number, kind, target, inode, open flags, mode, position, bytes a deleted file pins
    #[arg(long, conflicts_with = "over")]
    pub list: bool,

    /// With --list: only descriptors of these kinds, comma-separated (tcp,pipe; the names of the KIND column)
    #[arg(long, value_parser = parse_kinds, value_name = "KIND[,KIND…]", requires = "list")]
    pub kind: Option<KindList>,

    /// With --list: only descriptors whose target (path, address, `pipe`…) matches REGEX
    #[arg(long = "match", value_parser = parse_regex, value_name = "REGEX", requires = "list")]
    pub pattern: Option<Regex>,

    /// Who holds the other end of each pipe, unix socket, TCP connection within the network namespace and eventfd (lsfd's ENDPOINTS): reads every process's descriptor table once
    #[arg(long)]
    pub peers: bool,
}

/// `tcp,pipe`: descriptor kinds as the census names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindList(pub Vec<FdKind>);

#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// Process ID of the target, or several separated by commas (1,42,77)
    #[arg(value_parser = parse_pid_list, value_name = "PID[,PID…]", required_unless_present = "name", conflicts_with = "name")]
    pub pids: Option<PidList>,

    /// Every process whose command name or executable path matches REGEX (one report each)
    #[arg(long, value_parser = parse_regex, value_name = "REGEX")]
    pub name: Option<Regex>,

    /// Show every resource limit (prlimit's table), not only RLIMIT_NOFILE
    #[arg(long)]
    pub all: bool,

    /// Change a limit of the live process, as prlimit: NOFILE=4096:8192, NOFILE=4096: (soft only), NOFILE=:8192 (hard only), CORE=unlimited (a single value sets both); repeat for several
    #[arg(long = "set", value_parser = parse_set, value_name = "RESOURCE=SOFT:HARD")]
    pub set: Vec<LimitRequest>,

    /// Change RLIMIT_NOFILE to SOFT (the hard limit stays), or SOFT:HARD
    #[arg(long, value_parser = parse_nofile, value_name = "SOFT[:HARD]")]
    pub set_nofile: Option<LimitRequest>,
}

/// `4242`, or `1,42,77`: a list is reported as a list even when it holds one PID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidList {
    pub pids: Vec<i32>,
    pub is_list: bool,
}

#[derive(Debug, Args)]
pub struct StacksArgs {
    /// Process ID of the target (not needed with --file)
    #[arg(value_parser = parse_pid, required_unless_present = "file")]
    pub pid: Option<i32>,

    /// Only goroutines (needs a pprof endpoint or --file)
    #[arg(long, conflicts_with = "threads")]
    pub goroutines: bool,

    /// Only OS threads
    #[arg(long)]
    pub threads: bool,

    /// Read a goroutine dump from FILE (`-` for stdin): ?debug=2 or ?debug=1 output, or a SIGQUIT/panic dump from the logs
    #[arg(long, value_name = "FILE", conflicts_with = "threads")]
    pub file: Option<String>,

    /// Also merge stacks that differ only in line numbers
    #[arg(long)]
    pub similar: bool,

    /// A group is stuck when all its members with an age waited this many minutes or more (and it holds 5+ goroutines or waits on a lock)
    #[arg(long, default_value_t = 10, value_name = "MINUTES")]
    pub stuck_after: u32,

    /// Keep groups with a frame (function or file; for threads: name, syscall, wchan, kernel stack) matching REGEX
    #[arg(long = "match", value_name = "REGEX")]
    pub pattern: Option<String>,

    /// Keep groups whose state contains STATE (e.g. "chan receive", "IO wait", "locked to thread"; for threads D, S, R or a syscall)
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,

    /// Keep groups with at least N members
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_count: u64,

    /// Show this many groups (0 for all)
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Fetch the full ?debug=2 dump only below this many goroutines
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_full_dump: u64,

    /// Fetch ?debug=2 whatever the count, accepting its stop-the-world pause
    #[arg(long)]
    pub allow_stw: bool,

    /// Threads: sample CPU twice, this long apart, to tell spinning threads from blocked ones
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub over: Option<Duration>,

    /// Print folded stacks (`a;b;c count`) of the groups that pass the filters instead of the table: the goroutines, or the threads with --threads or when there are none
    #[arg(long)]
    pub folded: bool,

    /// Write a flame graph (SVG) of the groups that pass the filters: the goroutines, or the threads with --threads or when there are none
    #[arg(long, value_name = "FILE.svg")]
    pub flame: Option<PathBuf>,

    /// The pprof handler to use instead of discovering it
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub url: Option<String>,

    /// The loopback port that serves /debug/pprof
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Refuse dumps larger than this
    #[arg(long, value_parser = parse_bytes, default_value = "1GiB", value_name = "SIZE")]
    pub max_bytes: u64,
}
