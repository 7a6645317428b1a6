//! `steady generate --out DIR`: completions and man pages from the clap definition.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

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
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "steady", &completions)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    let mut cmd = Cli::command();
    // Building propagates global flags and the version into the subcommands' pages.
    cmd.build();
    write_man(&cmd, "steady", &man)?;
    write_sub_pages(&cmd, "steady", &man)
}

/// One page per visible subcommand, nested ones too (`steady-heap-diff`). clap's own `help`
/// subcommand gets none: `steady help fds` shows what `man steady-fds` does.
fn write_sub_pages(cmd: &clap::Command, prefix: &str, dir: &Path) -> Result<()> {
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("{prefix}-{}", sub.get_name());
        write_man(&sub.clone().name(name.clone()), &name, dir)?;
        write_sub_pages(sub, &name, dir)?;
    }
    Ok(())
}

fn write_man(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .with_context(|| format!("rendering the man page {name}"))?;
    let path = dir.join(format!("{name}.1"));
    fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))
}
