//! The command line, as clap sees it. Nothing past `commands/` sees these types: each
//! subcommand turns its args into a plain options struct first.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use regex::Regex;

use crate::analyze::limits::{LimitRequest, Spelling, Wanted};
use crate::model::fd::FdKind;
use crate::model::limits::Resource;

mod drift;
mod heap;
mod process;
mod values;

pub use drift::*;
pub use heap::*;
pub use process::*;
pub use values::*;

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
    fn the_kubernetes_manifests_run_a_command_that_parses() {
        for (name, manifest) in [
            (
                "steady-daemonset.yaml",
                include_str!("../../deploy/kubernetes/steady-daemonset.yaml"),
            ),
            (
                "steady-sidecar.yaml",
                include_str!("../../deploy/kubernetes/steady-sidecar.yaml"),
            ),
        ] {
            let line = manifest
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix("args: "))
                .unwrap_or_else(|| panic!("{name}: no args line"));
            // A flow sequence of double-quoted strings is a JSON array.
            let args: Vec<String> = serde_json::from_str(line).expect(name);
            let argv: Vec<&str> = ["steady"]
                .into_iter()
                .chain(args.iter().map(String::as_str))
                .collect();
            if let Err(err) = Cli::try_parse_from(&argv) {
                panic!("{name}: `{}` does not parse: {err}", argv.join(" "));
            }
        }
    }
}
