//! One man page: clap_mangen's sections, with a SYNOPSIS that shows every argument and its
//! value, and the EXIT STATUS, EXAMPLES and SEE ALSO sections a man page reader looks for.

use std::io::Write;

use anyhow::{Context, Result};

/// Examples per page: (page, [(command, what it shows)]). Every command parses with the real
/// clap definition (a test), so a renamed flag fails it.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "steady",
        &[
            (
                "steady triage 4242",
                "what is drifting in process 4242, and the runbook card that fits",
            ),
            (
                "steady fds 4242 --over 30s",
                "which descriptor groups grow, and when the limit is reached",
            ),
            (
                "steady heap diff 4242 --over 5m",
                "which functions' live heap grew over five minutes",
            ),
            (
                "steady stacks 4242",
                "goroutines and threads grouped by stack, stuck ones first",
            ),
        ],
    ),
    (
        "steady-fds",
        &[
            (
                "steady fds 4242",
                "descriptors by kind and group, against RLIMIT_NOFILE",
            ),
            (
                "steady fds 4242 --over 30s",
                "the groups that grew in 30 seconds, their rate and ETA",
            ),
            (
                "steady fds 4242 --json",
                "the same as one JSON document, for a script",
            ),
        ],
    ),
    (
        "steady-limits",
        &[
            (
                "steady limits 4242",
                "RLIMIT_NOFILE and the descriptors open against it",
            ),
            (
                "steady limits 4242 --all",
                "every resource limit, as prlimit shows them",
            ),
            (
                "steady limits 4242 --set NOFILE=65536:65536",
                "raise the limit of the live process (needs CAP_SYS_RESOURCE above the hard limit)",
            ),
        ],
    ),
    (
        "steady-heap",
        &[
            (
                "steady heap snapshot 4242",
                "save the live heap profile and the process's memory facts",
            ),
            (
                "steady heap diff 4242 --over 5m",
                "two snapshots five minutes apart, and what grew",
            ),
            (
                "steady heap top heap.pb.gz --top 10",
                "the ten functions holding the most live heap in a saved profile",
            ),
        ],
    ),
    (
        "steady-heap-snapshot",
        &[
            (
                "steady heap snapshot 4242",
                "heap-4242-YYYYMMDDTHHMMSS.pb.gz in the current directory",
            ),
            (
                "steady heap snapshot 4242 --gc -o before.pb.gz",
                "after a GC the runtime is asked for (a full GC in the target)",
            ),
        ],
    ),
    (
        "steady-heap-top",
        &[
            (
                "steady heap top 4242",
                "the functions holding the most live heap now",
            ),
            (
                "steady heap top heap.pb.gz --focus 'main\\.' --lines",
                "per line, only the stacks through package main",
            ),
            (
                "steady heap top heap.pb.gz --flame heap.svg",
                "a flame graph of the profile",
            ),
        ],
    ),
    (
        "steady-heap-diff",
        &[
            (
                "steady heap diff before.pb.gz after.pb.gz",
                "what grew between two saved snapshots",
            ),
            (
                "steady heap diff 4242 --over 10m --gc",
                "the same on the live process, both readings right after a GC",
            ),
        ],
    ),
    (
        "steady-heap-list",
        &[(
            "steady heap list 'main\\.leak' heap.pb.gz",
            "the live heap of each line of the matching functions",
        )],
    ),
    (
        "steady-stacks",
        &[
            (
                "steady stacks 4242",
                "goroutines (Go) and native threads grouped by stack, stuck ones first",
            ),
            (
                "steady stacks 4242 --state 'chan receive'",
                "only the goroutines waiting to receive",
            ),
            (
                "steady stacks --file dump.txt",
                "a goroutine dump saved from a log or a SIGQUIT",
            ),
        ],
    ),
    (
        "steady-triage",
        &[
            (
                "steady triage 4242",
                "sample for a minute (less when the answer is sure) and print the card that fits",
            ),
            (
                "steady triage 4242 --window 5m --probe http://127.0.0.1:8080/healthz",
                "five minutes, with the latency of a health check",
            ),
            (
                "steady triage 4242 --record window.jsonl",
                "keep the samples, to judge again later",
            ),
            (
                "steady triage --from window.jsonl --sliding 60s",
                "the verdict of every minute of a recording",
            ),
        ],
    ),
    (
        "steady-runbook",
        &[
            ("steady runbook", "the cards, one line each"),
            (
                "steady runbook fd-exhaustion --pid 4242",
                "one card, its commands filled in for process 4242",
            ),
            (
                "steady runbook memory-drift --format markdown",
                "a card to paste into an incident channel",
            ),
        ],
    ),
    (
        "steady-metrics",
        &[(
            "steady metrics 4242",
            "one Prometheus exposition of what triage reads, on stdout",
        )],
    ),
    (
        "steady-serve",
        &[(
            "steady serve --name 'api|worker' --listen 127.0.0.1:9464",
            "serve /metrics for every process whose name matches, as they come and go",
        )],
    ),
];

/// Pages beyond steady's own, per page.
const SEE_ALSO_OTHERS: &[(&str, &str)] = &[
    ("steady-fds", "lsof(8), lsfd(1), proc(5)"),
    ("steady-limits", "prlimit(1), getrlimit(2)"),
    ("steady-stacks", "proc(5)"),
    ("steady-metrics", "prometheus(1)"),
    ("steady-serve", "prometheus(1)"),
];

/// What `parent_exit` (the nearest page above with one) says, when this page's long help has
/// no "Exit status:" paragraph of its own.
pub fn render(
    cmd: &clap::Command,
    name: &str,
    parent_exit: Option<&str>,
    out: &mut dyn Write,
) -> Result<()> {
    let (description, exit) = split_exit_status(cmd);
    let man = clap_mangen::Man::new(description.clone());
    let failed = |section: &str| format!("rendering {section} of the man page {name}");
    man.render_title(out).with_context(|| failed("the title"))?;
    man.render_name_section(out)
        .with_context(|| failed("NAME"))?;
    writeln!(out, ".SH SYNOPSIS\n{}", synopsis(&description, name))?;
    man.render_description_section(out)
        .with_context(|| failed("DESCRIPTION"))?;
    man.render_options_section(out)
        .with_context(|| failed("OPTIONS"))?;
    if description.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)
            .with_context(|| failed("SUBCOMMANDS"))?;
    }
    let exit = exit
        .or(parent_exit.map(str::to_string))
        .unwrap_or_else(|| "0 on success, 2 on error or bad usage.".to_string());
    writeln!(out, ".SH \"EXIT STATUS\"\n{}", escape(&exit))?;
    if let Some((_, examples)) = EXAMPLES.iter().find(|(page, _)| *page == name) {
        writeln!(out, ".SH EXAMPLES")?;
        for (command, what) in *examples {
            writeln!(out, ".TP\n\\fB{}\\fR\n{}", escape(command), escape(what))?;
        }
    }
    writeln!(out, ".SH \"SEE ALSO\"\n{}", escape(&see_also(cmd, name)))?;
    man.render_version_section(out)
        .with_context(|| failed("VERSION"))?;
    Ok(())
}

/// The command with its "Exit status:" paragraph moved out of the description, and that
/// paragraph.
pub fn split_exit_status(cmd: &clap::Command) -> (clap::Command, Option<String>) {
    let Some(long) = cmd.get_long_about().map(|a| a.to_string()) else {
        return (cmd.clone(), None);
    };
    let Some(at) = long.find("Exit status: ") else {
        return (cmd.clone(), None);
    };
    let exit = long[at + "Exit status: ".len()..].trim();
    let (exit, rest) = match exit.find("\n\n") {
        Some(end) => (&exit[..end], exit[end..].trim()),
        None => (exit, ""),
    };
    let before = long[..at].trim_end();
    let description = [before, rest]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    let exit = exit.to_string();
    (cmd.clone().long_about(description), Some(exit))
}

/// `steady fds [--top N] [--over DURATION] … PID`: every visible argument with its value.
fn synopsis(cmd: &clap::Command, name: &str) -> String {
    let mut words = vec![format!("\\fB{}\\fR", escape(&name.replace('-', " ")))];
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        let Some(flag) = arg
            .get_long()
            .map(|l| format!("--{l}"))
            .or(arg.get_short().map(|s| format!("-{s}")))
        else {
            continue;
        };
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        let value = match arg.get_value_names() {
            Some(names) if takes_value => format!(" \\fI{}\\fR", escape(&names.join(" "))),
            _ => String::new(),
        };
        let word = format!("\\fB{}\\fR{value}", escape(&flag));
        words.push(if arg.is_required_set() {
            word
        } else {
            format!("[{word}]")
        });
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let value = arg
            .get_value_names()
            .map(|n| n.join(" "))
            .unwrap_or_else(|| arg.get_id().to_string());
        let value = format!("\\fI{}\\fR", escape(&value));
        words.push(if arg.is_required_set() {
            value
        } else {
            format!("[{value}]")
        });
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        words.push("\\fISUBCOMMAND\\fR".to_string());
    }
    words.join(" ")
}

fn see_also(cmd: &clap::Command, name: &str) -> String {
    let mut pages: Vec<String> = Vec::new();
    if name != "steady" {
        pages.push("steady(1)".to_string());
    }
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        pages.push(format!("{name}-{}(1)", sub.get_name()));
    }
    if name == "steady-triage" {
        pages.push("steady-runbook(1)".to_string());
    }
    if let Some((_, others)) = SEE_ALSO_OTHERS.iter().find(|(page, _)| *page == name) {
        pages.push(others.to_string());
    }
    pages.join(", ")
}

/// Roff: a hyphen is `\-`, a backslash `\e`, and a line may not start with `.` or `'`.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    use crate::cli::Cli;

    #[test]
    fn every_example_parses_with_the_real_cli() {
        for (page, examples) in EXAMPLES {
            for (command, _) in *examples {
                let words = shell_words(command);
                assert!(
                    Cli::try_parse_from(&words).is_ok(),
                    "{page}: `{command}` does not parse: {}",
                    Cli::try_parse_from(&words).unwrap_err()
                );
            }
        }
    }

    /// Plain words and 'single-quoted' ones, as the examples are written.
    fn shell_words(command: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        for c in command.chars() {
            match c {
                '\'' => quoted = !quoted,
                ' ' if !quoted => words.push(std::mem::take(&mut word)),
                c => word.push(c),
            }
        }
        words.push(word);
        words.retain(|w| !w.is_empty());
        words
    }

    #[test]
    fn the_exit_status_paragraph_leaves_the_description() {
        let mut cmd = Cli::command();
        cmd.build();
        let triage = cmd.find_subcommand("triage").unwrap();
        let (description, exit) = split_exit_status(triage);
        assert_eq!(
            exit.as_deref(),
            Some("0 when steady, 1 when any drift is found, 2 on error.")
        );
        let long = description.get_long_about().unwrap().to_string();
        assert!(!long.contains("Exit status") && long.len() > 100, "{long}");
    }

    #[test]
    fn the_synopsis_shows_values() {
        let mut cmd = Cli::command();
        cmd.build();
        let fds = cmd.find_subcommand("fds").unwrap();
        let line = synopsis(fds, "steady-fds");
        assert!(line.starts_with("\\fBsteady fds\\fR"), "{line}");
        assert!(
            line.contains("[\\fB\\-\\-over\\fR \\fIDURATION\\fR]"),
            "{line}"
        );
        assert!(!line.contains("proc\\-root"), "{line}");
    }
}
