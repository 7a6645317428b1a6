//! `steady generate --out DIR`: completions and man pages from the clap definition.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::commands::{completion_values, man_page};

pub fn run(out: &Path) -> Result<()> {
    let completions = out.join("completions");
    let man = out.join("man");
    fs::create_dir_all(&completions)
        .with_context(|| format!("creating {}", completions.display()))?;
    fs::create_dir_all(&man).with_context(|| format!("creating {}", man.display()))?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = visible(&built());
        clap_complete::generate_to(shell, &mut cmd, "steady", &completions)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    add_values(&completions)?;
    let cmd = built();
    write_man(&cmd, "steady", None, &man)?;
    write_sub_pages(&cmd, "steady", &man)
}

/// clap's fish generator completes the values of flags but not of positional arguments, and
/// its elvish and PowerShell generators complete no values at all: those are added to what
/// they wrote (bash and zsh complete both already).
fn add_values(dir: &Path) -> Result<()> {
    let values = completion_values::collect(&visible_command());
    let edit = |file: &str, add: &dyn Fn(&str) -> Option<String>| -> Result<()> {
        let path = dir.join(file);
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let text = add(&text).with_context(|| {
            format!(
                "{} is not laid out as this clap_complete version writes it",
                path.display()
            )
        })?;
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    edit("steady.fish", &|t| {
        Some(format!("{t}{}", completion_values::fish(&values)))
    })?;
    edit("steady.elv", &|t| completion_values::elvish(t, &values))?;
    edit("_steady.ps1", &|t| {
        completion_values::powershell(t, &values)
    })
}

/// What the completions are generated from.
pub fn visible_command() -> clap::Command {
    visible(&built())
}

/// Built, so global flags and the version are in every subcommand.
fn built() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// The command without its hidden subcommands and flags, which the shells' generators would
/// otherwise offer (`generate`, `--proc-root`). clap has no way to drop a subcommand, so the
/// tree is copied with only what a user should see.
fn visible(cmd: &clap::Command) -> clap::Command {
    // clap's `help` subcommand lists every subcommand again, hidden ones unmarked.
    let hidden: Vec<&str> = cmd
        .get_subcommands()
        .filter(|s| s.is_hide_set())
        .map(|s| s.get_name())
        .collect();
    copy_visible(cmd, &hidden)
}

fn copy_visible(cmd: &clap::Command, hidden: &[&str]) -> clap::Command {
    let mut copy = clap::Command::new(cmd.get_name().to_string())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true);
    if let Some(about) = cmd.get_about() {
        copy = copy.about(about.clone());
    }
    if let Some(about) = cmd.get_long_about() {
        copy = copy.long_about(about.clone());
    }
    if let Some(bin) = cmd.get_bin_name() {
        copy = copy.bin_name(bin.to_string());
    }
    if let Some(version) = cmd.get_version() {
        copy = copy.version(version.to_string());
    }
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        copy = copy.arg(arg.clone().global(false));
    }
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && !hidden.contains(&s.get_name()))
    {
        copy = copy.subcommand(copy_visible(sub, hidden));
    }
    copy
}

/// One page per visible subcommand, nested ones too (`steady-heap-diff`). clap's own `help`
/// subcommand gets none: `steady help fds` shows what `man steady-fds` does.
fn write_sub_pages(cmd: &clap::Command, prefix: &str, dir: &Path) -> Result<()> {
    let (_, exit) = man_page::split_exit_status(cmd);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("{prefix}-{}", sub.get_name());
        write_man(&sub.clone().name(name.clone()), &name, exit.as_deref(), dir)?;
        write_sub_pages(sub, &name, dir)?;
    }
    Ok(())
}

fn write_man(cmd: &clap::Command, name: &str, parent_exit: Option<&str>, dir: &Path) -> Result<()> {
    let mut buf = Vec::new();
    man_page::render(cmd, name, parent_exit, &mut buf)?;
    let path = dir.join(format!("{name}.1"));
    fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))
}
