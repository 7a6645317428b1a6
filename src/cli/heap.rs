//! The arguments of `steady heap` and its actions.

use super::*;

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
