//! `steady runbook [KIND] [--pid PID] [--format markdown]`.

use std::io::Write;

use anyhow::{bail, Result};

use crate::analyze::runbook::{find, CARDS, STEADY};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::render::runbook::{Cards, Format};

pub fn run(
    kind: Option<&str>,
    pid: Option<i32>,
    markdown: bool,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let format = if markdown {
        Format::Markdown
    } else {
        Format::Text
    };
    let cards: Vec<_> = match kind {
        Some(name) => match find(name) {
            Some(card) => vec![card],
            None => bail!(
                "no runbook card `{name}` — the cards are: {}",
                CARDS
                    .iter()
                    .map(|c| c.name)
                    .chain([STEADY.name])
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => CARDS.iter().chain([&STEADY]).collect(),
    };
    let cards = Cards {
        cards,
        pid,
        format,
        index: kind.is_none(),
    };
    output.format().render(&cards, out)?;
    Ok(Outcome::Steady)
}
