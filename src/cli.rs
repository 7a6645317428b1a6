//! The command line, as clap sees it. Nothing past `commands/` sees these types: each
//! subcommand turns its args into a plain options struct first.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use regex::Regex;

use crate::analyze::limits::{LimitRequest, Spelling, Wanted};
use crate::model::limits::Resource;

#[derive(Debug, Parser)]
#[command(
    name = "steady",
    version,
    about = "Attach to a drifting service by PID: what is growing, how fast, where, and what to do next",
    long_about = "steady attaches to a running process by PID, reads /proc (and, for Go services, the runtime's \
/debug/pprof endpoint) without restarting or stopping anything, and tells what is drifting out of steady state: \
memory, file descriptors, goroutines, threads, allocator fragmentation, the latency tail.\n\n\
Exit status: 0 when nothing was found, 1 when drift, a leak or a near-full limit was found, 2 on error or bad usage.",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print one JSON document on stdout instead of tables (stable field names, with a schema_version)
    #[arg(long, global = true)]
    pub json: bool,

    /// Colour the tables: auto colours only on a terminal and honours NO_COLOR
    #[arg(long, global = true, value_enum, default_value_t = ColorMode::Auto, value_name = "WHEN")]
    pub color: ColorMode,

    /// Give up on any single fetch from the target after this long (e.g. 500ms, 10s)
    #[arg(long, global = true, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub timeout: Duration,

    /// Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)
    #[arg(
        long,
        global = true,
        hide = true,
        default_value = "/proc",
        value_name = "DIR"
    )]
    pub proc_root: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count open file descriptors by kind and group them so the pile-up stands out
    #[command(
        long_about = "Reads /proc/PID/fd once, classifies every descriptor (files, deleted files and the bytes they \
pin, directories, devices, pipes, sockets resolved through the target's own network namespace, memfds, eventfd, epoll, \
timerfd, inotify, signalfd, pidfd, io_uring and other anon inodes), groups them so the pile-up stands out (TCP by state \
and remote endpoint, listeners by port, unix sockets by path, files by path or by directory) and holds the count \
against RLIMIT_NOFILE and fs.nr_open.\n\nWith --over, scans twice and shows which groups grew, how fast, and when the \
soft limit is reached at that rate.\n\nExit status: 1 when the count is at 80% of the soft limit or more, or grew \
by 10 or more during --over; 0 otherwise; 2 on error."
    )]
    Fds(FdsArgs),

    /// Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request
    #[command(
        long_about = "Reads RLIMIT_NOFILE from /proc/PID/limits (readable without privileges), fs.nr_open and the \
current descriptor count; --all lists every limit with prlimit's names. Several targets (1,42,77, or --name REGEX) \
give one report each and a summary line (JSON: an array of the single-PID documents).\n\n\
--set RESOURCE=SOFT:HARD changes a limit of the live process with prlimit(2), in prlimit's syntax (SOFT: for the \
soft limit only, :HARD for the hard limit only, one value for both, numbers or unlimited); --set-nofile SOFT is the \
shortcut for the NOFILE soft limit. steady refuses a soft limit below what the process already uses (descriptors \
open, memory mapped, CPU seconds used...) and anything above fs.nr_open. Raising or lowering a hard limit, or \
changing another user's process, needs CAP_SYS_RESOURCE. Go programs raise their own soft limit to the hard limit \
at start, so for them only the hard limit matters.\n\nExit status: 1 when a count is at 80% of the soft limit or \
more (after any change), 0 otherwise, 2 on error or refusal."
    )]
    Limits(LimitsArgs),

    /// Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps
    #[command(
        long_about = "Heap profiles of a live service without an agent: steady finds the target's /debug/pprof \
endpoint among the TCP ports the process itself listens on, fetches the heap profile (never anything that stops the \
target's world), and reads what the kernel says of its memory. For processes without an endpoint it records \
/proc/PID/smaps instead.\n\nA SOURCE is a PID (a live snapshot is taken) or a file written by `steady heap \
snapshot` (or any pprof heap profile, e.g. from `curl .../debug/pprof/heap`).\n\nExit status: `diff` exits 1 \
when memory grew (a leak, fragmentation or native growth), 0 otherwise; `snapshot`, `top` and `list` exit 0; 2 on error."
    )]
    Heap(HeapArgs),

    /// Goroutines and threads grouped by identical stack, stuck ones first; safe in production
    #[command(
        long_about = "Groups a Go target's goroutines (from its /debug/pprof endpoint, a dump file, or stdin) and any \
process's threads (from /proc/PID/task) by identical stack, largest first and stuck ones before them, with wait \
reasons and ages.\n\nDo no harm: the goroutine count is read first with ?debug=1 (a short, constant pause); the full \
?debug=2 dump, which stops the target's world for a time that grows with the goroutine count, is fetched only below \
--max-full-dump goroutines or with --allow-stw.\n\nA goroutine group is stuck when every member that reports a wait \
age has waited --stuck-after minutes or more and the group holds at least 5 goroutines or waits on a lock \
(sync.Mutex.Lock, sync.RWMutex.Lock, sync.Cond.Wait, semacquire outside a WaitGroup): main in select, an accept loop in IO wait or a \
small idle pool is how a healthy service waits.\n\nExit status: 1 when stuck goroutines or stuck threads (D state \
through the whole --over window) are found, 0 otherwise, 2 on error."
    )]
    Stacks(StacksArgs),

    /// Sample the process over a window, tell which kind of drift it is, and print the card that fits
    #[command(
        long_about = "The command to run first. Samples the target every --interval for --window (a progress bar \
counts down on stderr): RSS and its anon/file split, descriptors by kind and group, threads, CPU, the cgroup memory \
usage, and for Go targets the goroutine count and runtime memory (fetched every few intervals, never with a \
stop-the-world dump). Then fits a robust (Theil-Sen) slope per series, after a warm-up, tells a step from a slope, \
and names each drift found — memory-drift, fd-exhaustion, goroutine-leak, thread-leak, allocator-fragmentation, \
deadline-drift — with its rate, the time until the limit, a confidence and the evidence, followed by the runbook card \
filled with the numbers and the next commands. Growth that follows from another is named as its consequence.\n\n\
--record FILE appends each sample as a JSON line; --from FILE judges a recording, so a slow leak can be watched for \
hours and judged later.\n\nExit status: 0 when steady, 1 when any drift is found, 2 on error."
    )]
    Triage(TriageArgs),

    /// Print the runbook cards: all of them listed, or one by kind
    Runbook(RunbookArgs),

    /// Print one Prometheus/OpenMetrics exposition of the targets' state now (for node_exporter's textfile collector)
    #[command(
        long_about = "Reads each target once — descriptors open against the soft and hard limit, descriptors by kind, \
the largest descriptor groups (at most --top, so the series count stays fixed), threads, CPU, RSS (anon/file), the \
cgroup memory usage and limit, and for Go targets (their /debug/pprof endpoint discovered as triage does) goroutines, \
the live heap after the last GC, HeapInuse, HeapIdle, HeapReleased, NumGC, GOMEMLIMIT and GOGC — and prints them as \
one text exposition: steady_ metrics in base units, labels pid, comm and exe, HELP and TYPE lines, no timestamps, \
closed by # EOF. -o FILE writes it atomically (a temp file, then a rename), for node_exporter's textfile collector: \
`steady metrics --name myservice -o /var/lib/node_exporter/textfile/steady.prom` from cron.\n\nNever asks a Go \
target for a GC or a stop-the-world dump.\n\nExit status: 0 when the exposition was written, 2 on error (a PID \
that does not exist, a file that cannot be written)."
    )]
    Metrics(MetricsArgs),

    /// Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape
    #[command(
        long_about = "A small HTTP/1.1 server on --listen (loopback unless --allow-remote) that answers GET /metrics \
with the exposition `steady metrics` prints, read afresh on every scrape: /proc figures each time, Go runtime \
figures at most every --go-interval (kept in between; steady_go_figures_age_seconds says how old). With --name, \
processes that start or exit are followed from one scrape to the next.\n\nRead-only: no request reaches the \
targets (anything but GET /metrics is 404 or 405), so none can force a GC, a goroutine dump or a limit change. \
Request heads are bounded in size and time; at most --max-scrapes connections are served at once, more get 503. \
SIGTERM or Ctrl-C stops it cleanly.\n\nExit status: 0 after a clean stop, 2 on error."
    )]
    Serve(ServeArgs),

    /// Write shell completions and man pages (for packaging)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct FdsArgs {
    /// Process ID of the target
    #[arg(value_parser = parse_pid)]
    pub pid: i32,

    /// Show this many groups (0 for all)
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub top: usize,

    /// Scan twice, this long apart, and show growth per group (e.g. 30s, 5m; at least 1s)
    #[arg(long, value_parser = parse_over, value_name = "DURATION")]
    pub over: Option<Duration>,
}

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
#[command(arg_required_else_help = true)]
pub struct HeapArgs {
    #[command(subcommand)]
    pub action: HeapAction,
}

#[derive(Debug, Subcommand)]
pub enum HeapAction {
    /// Save the heap profile exactly as served (go tool pprof reads it) with what was true then
    Snapshot(HeapSnapshotArgs),
    /// The functions (or lines) holding the most memory in one profile
    Top(HeapTopArgs),
    /// What grew between two profiles, or over a window of a live process
    Diff(HeapDiffArgs),
    /// Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)
    List(HeapListArgs),
}

#[derive(Debug, Args)]
pub struct HeapListArgs {
    /// Functions whose name matches this regular expression (e.g. 'main\.leak', '^bufio\.')
    #[arg(value_parser = parse_regex, value_name = "REGEX")]
    pub pattern: Regex,

    /// A PID, or a snapshot / pprof file
    pub source: String,

    /// Which values to read (Go leaves the profile's default unset)
    #[arg(long, value_name = "TYPE", default_value = "inuse_space",
          value_parser = ["inuse_space", "inuse_objects", "alloc_space", "alloc_objects"])]
    pub sample: String,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus
    #[arg(long, value_parser = parse_regex, value_name = "REGEX")]
    pub focus: Option<Regex>,

    /// Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore
    #[arg(long, value_parser = parse_regex, value_name = "REGEX")]
    pub ignore: Option<Regex>,
}

#[derive(Debug, Args)]
pub struct HeapSnapshotArgs {
    /// Process ID of the target
    #[arg(value_parser = parse_pid)]
    pub pid: i32,

    /// Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct HeapTopArgs {
    /// A PID, or a snapshot / pprof file
    pub source: String,

    #[command(flatten)]
    pub view: ProfileViewArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct HeapDiffArgs {
    /// The earlier snapshot file, or a PID with --over
    pub base: String,

    /// The later snapshot file (or PID); leave out with --over
    pub new: Option<String>,

    /// Take both snapshots of the live PID, this long apart (e.g. 30m; at least 1s), and show growth per minute
    #[arg(long, value_parser = parse_over, value_name = "DURATION")]
    pub over: Option<Duration>,

    #[command(flatten)]
    pub view: ProfileViewArgs,

    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub struct ProfileViewArgs {
    /// Which values to read (Go leaves the profile's default unset)
    #[arg(long, value_name = "TYPE", default_value = "inuse_space",
          value_parser = ["inuse_space", "inuse_objects", "alloc_space", "alloc_objects"])]
    pub sample: String,

    /// Per file:line instead of per function
    #[arg(long)]
    pub lines: bool,

    /// Sort by cumulative instead of flat values
    #[arg(long)]
    pub cum: bool,

    /// Show this many entries (0 for all)
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,

    /// Write a flame graph (a differential one for diff) as SVG
    #[arg(long, value_name = "FILE.svg")]
    pub flame: Option<PathBuf>,

    /// Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table
    #[arg(long)]
    pub folded: bool,

    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub url: Option<String>,

    /// The loopback port that serves /debug/pprof, instead of discovering it
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Ask the runtime for a GC first (?gc=1), so the profile shows what is live now
    #[arg(long)]
    pub gc: bool,

    /// Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)
    #[arg(long, value_parser = parse_bytes, default_value = "256MiB", value_name = "SIZE")]
    pub max_bytes: u64,
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

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// Process ID of the target (not needed with --from)
    #[arg(value_parser = parse_pid, required_unless_present = "from")]
    pub pid: Option<i32>,

    /// How long to sample
    #[arg(long, value_parser = parse_duration, default_value = "60s", value_name = "DURATION")]
    pub window: Duration,

    /// Time between samples
    #[arg(long, value_parser = parse_duration, default_value = "1s", value_name = "DURATION")]
    pub interval: Duration,

    /// Time one GET of this loopback URL each interval, to measure latency drift
    #[arg(long, value_name = "URL")]
    pub probe: Option<String>,

    /// Append each sample to FILE as a JSON line
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub record: Option<PathBuf>,

    /// Judge a recording made with --record instead of sampling
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// The pprof handler to use instead of discovering it
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub url: Option<String>,

    /// The loopback port that serves /debug/pprof
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Force a GC before each Go sample, so memory is judged on exact live figures even when
    /// the target collects rarely (costs the target a full GC each time)
    #[arg(long, conflicts_with = "from")]
    pub gc: bool,

    /// Sample the whole window even when a verdict is sure sooner
    #[arg(long, conflicts_with = "from")]
    pub full_window: bool,

    /// At the end, ask the runtime's goroutine leak detector (/debug/pprof/goroutineleak, Go
    /// 1.26 built with GOEXPERIMENT=goroutineleakprofile, or 1.27): it runs a special GC whose
    /// cost can grow quadratically with the heap, and it never reports I/O waits
    #[arg(long, conflicts_with = "from")]
    pub leak_profile: bool,

    /// With --from: judge every window of this width along the recording, one line per offset
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "from")]
    pub sliding: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Process IDs of the targets
    #[arg(value_parser = parse_pid, required_unless_present = "name", conflicts_with = "name")]
    pub pids: Vec<i32>,

    /// Every process whose command name (comm) or executable file name matches REGEX
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub name: Option<regex::Regex>,

    /// Write the exposition to FILE atomically (temp file + rename) instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Descriptor groups per target in steady_fd_group_open (at most 20)
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=20))]
    pub top: u8,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve /metrics on (loopback unless --allow-remote)
    #[arg(long, default_value = "127.0.0.1:9977", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,

    /// Allow a --listen address other than loopback
    #[arg(long)]
    pub allow_remote: bool,

    /// Follow every process whose command name (comm) or executable file name matches REGEX
    #[arg(long, value_name = "REGEX", value_parser = parse_regex, required_unless_present = "pid", conflicts_with = "pid")]
    pub name: Option<regex::Regex>,

    /// Process IDs of the targets
    #[arg(long, value_parser = parse_pid, num_args = 1.., value_name = "PID")]
    pub pid: Vec<i32>,

    /// Fetch Go runtime figures at most this often per target, and serve the last ones between
    #[arg(long, value_parser = parse_duration, default_value = "15s", value_name = "DURATION")]
    pub go_interval: Duration,

    /// Descriptor groups per target in steady_fd_group_open (at most 20)
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=20))]
    pub top: u8,

    /// Connections served at once; more are answered 503
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_scrapes: u16,
}

#[derive(Debug, Args)]
pub struct RunbookArgs {
    /// The card to print: memory-drift, fd-exhaustion, goroutine-leak, thread-leak, allocator-fragmentation, deadline-drift or steady
    pub kind: Option<String>,

    /// Fill the PID into the card's commands
    #[arg(long, value_parser = parse_pid)]
    pub pid: Option<i32>,

    /// text for a terminal, markdown for an incident channel
    #[arg(long, value_enum, default_value_t = CardFormat::Text)]
    pub format: CardFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CardFormat {
    Text,
    Markdown,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write completions/ and man/ into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn parse_pid(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i64>() {
        Ok(pid) if pid > 0 && pid <= i32::MAX as i64 => Ok(pid as i32),
        Ok(_) => {
            Err("a PID is a positive number, e.g. 4242 (find it with `pgrep NAME`)".to_string())
        }
        Err(_) => Err("a PID is a number, e.g. 4242 (find it with `pgrep NAME`)".to_string()),
    }
}

/// `90`, `90s`, `500ms`, `5m`, `1h30m`, `2h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration; write e.g. 30s, 500ms, 5m or 1h30m");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value.saturating_mul(60)),
            "h" => Duration::from_secs(value.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `1048576`, `512KiB`, `64MiB`, `1GiB` (also KB/MB/GB, read as binary units).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a size; write e.g. 64MiB, 512KiB or 1048576");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

/// A --name pattern, e.g. `^myservice$` or `api|worker`.
pub fn parse_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|e| {
        let why = e.to_string();
        let last = why.lines().last().unwrap_or("invalid").trim().to_string();
        format!("`{text}` is not a regular expression ({last}); write e.g. '^myservice$'")
    })
}

pub fn parse_nofile(text: &str) -> Result<LimitRequest, String> {
    let number = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!("`{s}` is not a count; write SOFT or SOFT:HARD, e.g. 65536 or 65536:65536")
        })
    };
    let (soft, hard) = match text.split_once(':') {
        Some((soft, hard)) => (number(soft)?, Wanted::Value(number(hard)?)),
        None => (number(text)?, Wanted::Keep),
    };
    Ok(LimitRequest {
        resource: Resource::Nofile,
        soft: Wanted::Value(soft),
        hard,
        spelling: Spelling::SetNofile,
    })
}

/// prlimit's syntax: `RESOURCE=SOFT:HARD`, `SOFT:` (soft only), `:HARD` (hard only), or one
/// value for both; each a number or `unlimited`.
pub fn parse_set(text: &str) -> Result<LimitRequest, String> {
    let names = || {
        Resource::ALL
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (name, value) = text.split_once('=').ok_or_else(|| {
        format!("`{text}` is not RESOURCE=SOFT:HARD; write e.g. NOFILE=4096:8192, NOFILE=:8192 or CORE=unlimited")
    })?;
    let resource = Resource::from_name(name).ok_or_else(|| {
        format!(
            "`{name}` is not a resource prlimit knows; use one of {}",
            names()
        )
    })?;
    let one = |s: &str| -> Result<Wanted, String> {
        match s.trim() {
            "unlimited" => Ok(Wanted::Unlimited),
            n => n.parse::<u64>().map(Wanted::Value).map_err(|_| {
                format!(
                    "`{n}` is not a limit; write a number or `unlimited`, e.g. {}=4096:8192",
                    resource.name()
                )
            }),
        }
    };
    let (soft, hard) = match value.split_once(':') {
        Some(("", "")) => {
            return Err(format!(
                "`{text}` sets nothing; write {0}=SOFT:HARD, {0}=SOFT: or {0}=:HARD",
                resource.name()
            ))
        }
        Some(("", hard)) => (Wanted::Keep, one(hard)?),
        Some((soft, "")) => (one(soft)?, Wanted::Keep),
        Some((soft, hard)) => (one(soft)?, one(hard)?),
        None => {
            let both = one(value)?;
            (both, both)
        }
    };
    Ok(LimitRequest {
        resource,
        soft,
        hard,
        spelling: Spelling::Set,
    })
}

pub fn parse_pid_list(text: &str) -> Result<PidList, String> {
    // `42,` is a list of one: a report as a list, for a script that joins PIDs with commas.
    let pids = text
        .strip_suffix(',')
        .unwrap_or(text)
        .split(',')
        .map(parse_pid)
        .collect::<Result<Vec<i32>, String>>()?;
    Ok(PidList {
        pids,
        is_list: text.contains(','),
    })
}

/// `--over` of fds and heap diff: two readings this far apart make a rate. Shorter than a
/// second, one scan of a large process (≈100 ms for 20k descriptors) or one profile fetch is
/// a large part of the window, and the rate per minute extrapolates noise: refused, as triage
/// refuses a window too short to judge.
pub fn parse_over(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < MIN_OVER {
        return Err(format!(
            "--over {text} is too short to measure growth: the two readings would be a large part of the window — use 1s or more (30s to 5m is usual)"
        ));
    }
    Ok(d)
}

/// The shortest `--over` window (see [`parse_over`]).
pub const MIN_OVER: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Shell words of a card's command: plain words and 'single-quoted' ones.
    fn words(command: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut word = String::new();
        let (mut quoted, mut any) = (false, false);
        for c in command.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    any = true;
                }
                ' ' if !quoted => {
                    if any {
                        out.push(std::mem::take(&mut word));
                        any = false;
                    }
                }
                c => {
                    word.push(c);
                    any = true;
                }
            }
        }
        if any {
            out.push(word);
        }
        out
    }

    #[test]
    fn every_command_a_runbook_card_prints_parses_with_the_real_cli() {
        use crate::analyze::runbook::{next_steps, CARDS, STEADY};
        // Every card, variants too (the fd-exhaustion card for accepted connections).
        let cards = CARDS.iter().chain([&STEADY]);
        let mut checked = 0;
        for c in cards {
            for step in next_steps(c, Some(4242)) {
                let args = words(&step.command);
                assert_eq!(args[0], "steady", "{}", step.command);
                if let Err(err) = Cli::try_parse_from(&args) {
                    panic!("`{}` does not parse: {err}", step.command);
                }
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} commands");
        assert_eq!(
            words("steady stacks 1 --state 'locked to thread'"),
            ["steady", "stacks", "1", "--state", "locked to thread"]
        );
    }

    #[test]
    fn durations() {
        let cases = [
            ("30", Some(30_000)),
            ("30s", Some(30_000)),
            ("500ms", Some(500)),
            ("5m", Some(300_000)),
            ("1h30m", Some(5_400_000)),
            ("1m30s", Some(90_000)),
            ("", None),
            ("m", None),
            ("5x", None),
            ("-5s", None),
            ("1.5s", None),
        ];
        for (text, want) in cases {
            let got = parse_duration(text).ok().map(|d| d.as_millis() as u64);
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid("4242"), Ok(4242));
        assert!(parse_pid("0").is_err());
        assert!(parse_pid("-1").is_err());
        assert!(parse_pid("abc").is_err());
        assert!(parse_pid("99999999999").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512kb"), Ok(512 << 10));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("12XB").is_err());
    }

    #[test]
    fn nofile_requests() {
        let nofile = |soft, hard| LimitRequest {
            resource: Resource::Nofile,
            soft,
            hard,
            spelling: Spelling::SetNofile,
        };
        assert_eq!(
            parse_nofile("4096"),
            Ok(nofile(Wanted::Value(4096), Wanted::Keep))
        );
        assert_eq!(
            parse_nofile("4096:8192"),
            Ok(nofile(Wanted::Value(4096), Wanted::Value(8192)))
        );
        assert!(parse_nofile("lots").is_err());
        assert!(parse_nofile("1:").is_err());
    }

    #[test]
    fn set_requests_follow_prlimit() {
        let set = |resource, soft, hard| {
            Ok(LimitRequest {
                resource,
                soft,
                hard,
                spelling: Spelling::Set,
            })
        };
        use Wanted::{Keep, Unlimited, Value};
        let cases = [
            (
                "NOFILE=4096:8192",
                set(Resource::Nofile, Value(4096), Value(8192)),
            ),
            ("NOFILE=:8192", set(Resource::Nofile, Keep, Value(8192))),
            ("NOFILE=4096:", set(Resource::Nofile, Value(4096), Keep)),
            // One value sets both, as prlimit --nofile=4096 does.
            (
                "NOFILE=4096",
                set(Resource::Nofile, Value(4096), Value(4096)),
            ),
            ("CORE=unlimited", set(Resource::Core, Unlimited, Unlimited)),
            ("core=0:unlimited", set(Resource::Core, Value(0), Unlimited)),
            ("RTTIME=unlimited:", set(Resource::Rttime, Unlimited, Keep)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_set(text), want, "{text}");
        }
        for bad in [
            "NOFILE",
            "FILES=1",
            "NOFILE=:",
            "NOFILE=lots",
            "CORE=infinity",
            "NOFILE=1:2:3",
        ] {
            assert!(parse_set(bad).is_err(), "{bad}");
        }
        assert!(parse_set("FILES=1").unwrap_err().contains("AS, CORE, CPU"));
    }

    #[test]
    fn pid_lists_and_over_windows() {
        assert_eq!(
            parse_pid_list("1,42,77"),
            Ok(PidList {
                pids: vec![1, 42, 77],
                is_list: true
            })
        );
        assert!(!parse_pid_list("42").unwrap().is_list);
        assert_eq!(
            parse_pid_list("42,"),
            Ok(PidList {
                pids: vec![42],
                is_list: true
            })
        );
        assert!(parse_pid_list("1,,2").is_err());
        assert!(parse_pid_list(",").is_err());
        assert!(parse_pid_list("1,x").is_err());
        for short in ["0s", "0", "500ms", "999ms"] {
            assert!(parse_over(short).is_err(), "{short}");
        }
        assert_eq!(parse_over("1s"), Ok(Duration::from_secs(1)));
        assert!(parse_over("soon").is_err());
    }
}
