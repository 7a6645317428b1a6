//! Turns the parsed command line into plain option structs, once, before any collection:
//! nothing past this file sees clap types.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::analyze::fd_list::RowFilter;
use crate::analyze::heap::Granularity;
use crate::analyze::heap::SampleFilter;
use crate::analyze::policy::StacksPolicy;
use crate::cli::{
    CardFormat, Cli, ColorMode, Command, FetchArgs, FilterArgs, HeapAction, ProfileViewArgs,
};
use crate::collect::endpoint::Endpoint;
use crate::collect::goroutines::GoroutineFetch;
use crate::collect::metrics_scan::{ReadOptions, Selection};
use crate::collect::snapshot::FetchOptions;
use crate::commands::fds::FdsOptions;
use crate::commands::heap::{HeapOptions, HeapRequest, ViewOptions};
use crate::commands::limits::LimitsOptions;
use crate::commands::metrics::MetricsOptions;
use crate::commands::serve::ServeOptions;
use crate::commands::stacks::{StacksOptions, Which};
use crate::commands::targets::Targets;
use crate::commands::triage::TriageOptions;
use crate::commands::Output;
use crate::render::Style;

/// What to run, fully decided.
#[derive(Debug, Clone)]
pub enum Job {
    Fds(FdsOptions),
    Limits(LimitsOptions),
    Heap(HeapRequest, HeapOptions),
    Stacks(StacksOptions),
    Triage(TriageOptions),
    Runbook {
        kind: Option<String>,
        pid: Option<i32>,
        markdown: bool,
    },
    Metrics(MetricsOptions),
    Serve(ServeOptions),
    Generate(PathBuf),
}

pub fn from_cli(cli: Cli) -> (Job, Output) {
    let global = cli.global;
    let output = Output {
        json: global.json,
        style: Style {
            color: use_color(global.color),
            width: output_width(),
        },
        progress: show_progress(
            global.json,
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ),
    };
    let job = match cli.command {
        Command::Fds(args) => Job::Fds(FdsOptions {
            targets: Targets::from_args(args.name, args.pids.map(|l| (l.pids, l.is_list))),
            proc_root: global.proc_root.clone(),
            top: args.top,
            over: args.over,
            list: args.list.then(|| RowFilter {
                kinds: args.kind.map(|k| k.0).unwrap_or_default(),
                pattern: args.pattern,
            }),
            peers: args.peers,
        }),
        Command::Limits(args) => Job::Limits(LimitsOptions {
            targets: Targets::from_args(args.name, args.pids.map(|l| (l.pids, l.is_list))),
            proc_root: global.proc_root.clone(),
            all: args.all,
            set: args.set_nofile.into_iter().chain(args.set).collect(),
        }),
        Command::Heap(args) => {
            let (request, view, fetch) = heap_parts(&args.action);
            let mut view = view_options(view);
            if let HeapAction::List(a) = &args.action {
                view.sample = a.sample.clone();
                view.filter = filter(&a.filter);
            }
            let opts = HeapOptions {
                proc_root: global.proc_root.clone(),
                fetch: FetchOptions {
                    endpoint: fetch
                        .url
                        .as_deref()
                        .map(Endpoint::from_url)
                        .or(fetch.port.map(Endpoint::from_port)),
                    gc: fetch.gc,
                    timeout: global.timeout,
                    max_bytes: fetch.max_bytes,
                    allow_smaps: true,
                },
                view,
            };
            Job::Heap(request, opts)
        }
        Command::Stacks(args) => Job::Stacks(StacksOptions {
            pid: args.pid,
            proc_root: global.proc_root.clone(),
            which: if args.goroutines {
                Which::Goroutines
            } else if args.threads {
                Which::Threads
            } else {
                Which::Both
            },
            file: args.file,
            endpoint: args
                .url
                .as_deref()
                .map(Endpoint::from_url)
                .or(args.port.map(Endpoint::from_port)),
            fetch: GoroutineFetch {
                timeout: global.timeout,
                max_bytes: args.max_bytes,
                max_full_dump: args.max_full_dump,
                allow_stw: args.allow_stw,
                similar: args.similar,
            },
            policy: StacksPolicy {
                stuck_after_minutes: args.stuck_after,
                ..StacksPolicy::default()
            },
            pattern: args.pattern,
            state: args.state,
            min_count: args.min_count,
            top: args.top,
            over: args.over,
            folded: args.folded,
            flame: args.flame,
        }),
        Command::Triage(args) => Job::Triage(TriageOptions {
            pid: args.pid,
            proc_root: global.proc_root.clone(),
            window: args.window,
            interval: args.interval,
            probe: args.probe,
            record: args.record,
            from: args.from,
            endpoint: args
                .url
                .as_deref()
                .map(Endpoint::from_url)
                .or(args.port.map(Endpoint::from_port)),
            timeout: global.timeout,
            gc: args.gc,
            full_window: args.full_window,
            leak_profile: args.leak_profile,
            sliding: args.sliding,
        }),
        Command::Runbook(args) => Job::Runbook {
            kind: args.kind,
            pid: args.pid,
            markdown: args.format == CardFormat::Markdown,
        },
        Command::Metrics(args) => Job::Metrics(MetricsOptions {
            selection: selection(args.pids, args.name),
            read: ReadOptions {
                proc_root: global.proc_root.clone(),
                timeout: global.timeout,
                go_interval: Duration::ZERO,
            },
            top: usize::from(args.top),
            out: args.out,
        }),
        Command::Serve(args) => Job::Serve(ServeOptions {
            listen: args.listen,
            allow_remote: args.allow_remote,
            selection: selection(args.pid, args.name),
            read: ReadOptions {
                proc_root: global.proc_root.clone(),
                timeout: global.timeout,
                go_interval: args.go_interval,
            },
            top: usize::from(args.top),
            max_scrapes: usize::from(args.max_scrapes),
        }),
        Command::Generate(args) => Job::Generate(args.out),
    };
    (job, output)
}

fn selection(pids: Vec<i32>, name: Option<regex::Regex>) -> Selection {
    match name {
        Some(re) => Selection::Name(re),
        None => Selection::Pids(pids),
    }
}

fn view_options(view: Option<&ProfileViewArgs>) -> ViewOptions {
    match view {
        Some(v) => ViewOptions {
            sample: v.sample.clone(),
            granularity: if v.lines {
                Granularity::Lines
            } else {
                Granularity::Functions
            },
            by_cum: v.cum,
            top: v.top,
            flame: v.flame.clone(),
            folded: v.folded,
            filter: filter(&v.filter),
        },
        // `snapshot` shows no profile view.
        None => ViewOptions {
            sample: "inuse_space".to_string(),
            granularity: Granularity::Functions,
            by_cum: false,
            top: 20,
            flame: None,
            folded: false,
            filter: SampleFilter::default(),
        },
    }
}

fn filter(args: &FilterArgs) -> SampleFilter {
    SampleFilter {
        focus: args.focus.clone(),
        ignore: args.ignore.clone(),
    }
}

fn heap_parts(action: &HeapAction) -> (HeapRequest, Option<&ProfileViewArgs>, &FetchArgs) {
    match action {
        HeapAction::Snapshot(a) => (
            HeapRequest::Snapshot {
                pid: a.pid,
                out: a.out.clone(),
            },
            None,
            &a.fetch,
        ),
        HeapAction::Top(a) => (
            HeapRequest::Top {
                source: a.source.clone(),
            },
            Some(&a.view),
            &a.fetch,
        ),
        HeapAction::List(a) => (
            HeapRequest::List {
                pattern: a.pattern.clone(),
                source: a.source.clone(),
            },
            None,
            &a.fetch,
        ),
        HeapAction::Diff(a) => (
            HeapRequest::Diff {
                base: a.base.clone(),
                new: a.new.clone(),
                over: a.over,
            },
            Some(&a.view),
            &a.fetch,
        ),
    }
}

fn use_color(mode: ColorMode) -> bool {
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// A progress bar only for a person watching: never with --json, and not when stdout is not a
/// terminal even if stderr is one (`steady fds PID --over 1m | tee`, or `kubectl exec -t`,
/// which merges stderr into the stdout a script reads).
fn show_progress(json: bool, stdout_tty: bool, stderr_tty: bool) -> bool {
    !json && stdout_tty && stderr_tty
}

/// The width prose and tables fit in: COLUMNS when set (as ls(1) does, so a script or a pager
/// can ask for one), else the terminal's width when stdout is one. Piped output without
/// COLUMNS is not wrapped: a finding stays one line for grep, and there is no width to honour.
fn output_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS").ok();
    if let Some(n) = columns
        .as_deref()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        if n > 0 {
            return Some(n);
        }
    }
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ fills the winsize we own; the descriptor is our stdout.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(test)]
mod tests {
    use super::show_progress;

    #[test]
    fn the_progress_bar_needs_a_person_on_both_streams() {
        // (json, stdout a terminal, stderr a terminal) → shown
        for (json, out, err, shown) in [
            (false, true, true, true),
            (true, true, true, false),
            (false, false, true, false),
            (false, true, false, false),
            (true, false, true, false),
            (false, false, false, false),
        ] {
            assert_eq!(show_progress(json, out, err), shown, "{json} {out} {err}");
        }
    }
}
