//! Parses the command line, dispatches, and maps the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use steady::cli::{Cli, ColorMode, Command};
use steady::commands::fds::FdsOptions;
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
        Command::Generate(args) => {
            commands::generate::run(&args.out)?;
            Outcome::Steady
        }
    };
    out.flush()?;
    Ok(outcome)
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
