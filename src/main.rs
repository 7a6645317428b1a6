//! Parses the command line, dispatches, and maps the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use steady::analyze::heap::Granularity;
use steady::cli::{Cli, ColorMode, Command, FetchArgs, HeapAction, ProfileViewArgs};
use steady::collect::endpoint::Endpoint;
use steady::collect::snapshot::FetchOptions;
use steady::commands::fds::FdsOptions;
use steady::commands::heap::{HeapOptions, HeapRequest, ViewOptions};
use steady::commands::limits::LimitsOptions;
use steady::commands::{self, Output, ProcSource};
use steady::exit::{Outcome, TROUBLE};
use steady::render::Style;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("steady: {} — see `steady --help`", usage_line(&err));
            return ExitCode::from(TROUBLE);
        }
    };
    match run(cli) {
        Ok(outcome) => outcome.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("steady: {err:#}");
            ExitCode::from(TROUBLE)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let output = Output {
        json: cli.global.json,
        style: Style {
            color: use_color(cli.global.color),
        },
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let source = |pid| ProcSource {
        pid,
        proc_root: cli.global.proc_root.clone(),
    };
    let outcome = match &cli.command {
        Command::Fds(args) => {
            let opts = FdsOptions {
                source: source(args.pid),
                top: args.top,
                over: args.over,
            };
            commands::fds::run(&opts, &output, &mut out)?
        }
        Command::Limits(args) => {
            let opts = LimitsOptions {
                source: source(args.pid),
                all: args.all,
                set_nofile: args.set_nofile,
            };
            commands::limits::run(&opts, &output, &mut out)?
        }
        Command::Heap(args) => {
            let (request, view, fetch) = heap_request(&args.action);
            let opts = HeapOptions {
                proc_root: cli.global.proc_root.clone(),
                fetch: FetchOptions {
                    endpoint: fetch
                        .url
                        .as_deref()
                        .map(Endpoint::from_url)
                        .or(fetch.port.map(Endpoint::from_port)),
                    gc: fetch.gc,
                    timeout: cli.global.timeout,
                    max_bytes: fetch.max_bytes,
                    allow_smaps: true,
                },
                view: ViewOptions {
                    sample: view.map_or_else(|| "inuse_space".to_string(), |v| v.sample.clone()),
                    granularity: if view.is_some_and(|v| v.lines) {
                        Granularity::Lines
                    } else {
                        Granularity::Functions
                    },
                    by_cum: view.is_some_and(|v| v.cum),
                    top: view.map_or(20, |v| v.top),
                    flame: view.and_then(|v| v.flame.clone()),
                    folded: view.is_some_and(|v| v.folded),
                },
            };
            commands::heap::run(&request, &opts, &output, &mut out)?
        }
        Command::Generate(args) => {
            commands::generate::run(&args.out)?;
            Outcome::Steady
        }
    };
    out.flush()?;
    Ok(outcome)
}

fn heap_request(action: &HeapAction) -> (HeapRequest, Option<&ProfileViewArgs>, &FetchArgs) {
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
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// clap's message without its "error: " prefix, usage block and tip: one line.
fn usage_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = message.join(" ");
    let text = joined.strip_prefix("error: ").unwrap_or(&joined);
    if text.is_empty() {
        "invalid usage".to_string()
    } else {
        text.to_string()
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
