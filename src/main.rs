//! Parses the command line, dispatches, and maps the outcome to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use steady::cli::Cli;
use steady::commands;
use steady::config::{self, Job};
use steady::error::kind_of;
use steady::exit::{Outcome, TROUBLE};
use steady::render::error_json;

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
        // `steady` or `steady heap` alone: the usage with the list of subcommands, as an error.
        Err(err) if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            return ExitCode::from(TROUBLE);
        }
        Err(err) => {
            let line = format!("{} — see `steady --help`", usage_line(&err));
            return trouble("usage", &line, json_on_command_line());
        }
    };
    let json = cli.global.json;
    match run(cli) {
        Ok(outcome) => outcome.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => trouble(kind_of(&err), &one_line(&message(&err)), json),
    }
}

/// The one line on stderr; with --json, also one JSON document on stdout, so that a script
/// reading stdout always gets JSON.
fn trouble(kind: &str, line: &str, json: bool) -> ExitCode {
    eprintln!("steady: {line}");
    if json {
        let _ = error_json::write(kind, line, &mut io::stdout().lock());
    }
    ExitCode::from(TROUBLE)
}

/// Whether --json was given, when clap could not parse the rest: a script asked for JSON.
fn json_on_command_line() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// The error and its causes, each said once: most of our messages already quote their
/// source, and anyhow's `{:#}` would repeat it.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

/// Errors are one line: some sources (regex, for one) explain themselves over several.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let (job, output) = config::from_cli(cli);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = match &job {
        Job::Fds(opts) => commands::fds::run(opts, &output, &mut out)?,
        Job::Limits(opts) => commands::limits::run(opts, &output, &mut out)?,
        Job::Heap(request, opts) => commands::heap::run(request, opts, &output, &mut out)?,
        Job::Stacks(opts) => commands::stacks::run(opts, &output, &mut out)?,
        Job::Triage(opts) => commands::triage::run(opts, &output, &mut out)?,
        Job::Runbook {
            kind,
            pid,
            markdown,
        } => commands::runbook::run(kind.as_deref(), *pid, *markdown, &output, &mut out)?,
        Job::Metrics(opts) => commands::metrics::run(opts, &output, &mut out)?,
        Job::Serve(opts) => commands::serve::run(opts, &output)?,
        Job::Generate(dir) => {
            commands::generate::run(dir)?;
            Outcome::Steady
        }
    };
    out.flush()?;
    Ok(outcome)
}

/// clap's message without its "error: " prefix, usage block and tip: one line.
fn usage_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    // The message, and clap's "did you mean" tips, without the usage block after them.
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    let joined = message.join("; ");
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
