//! The arguments of triage, metrics, serve, runbook and generate.

use super::*;

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
    /// The card to print (all of them when left out)
    #[arg(value_parser = runbook_kinds(), value_name = "KIND")]
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
