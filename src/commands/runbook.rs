//! `steady runbook [KIND] [--pid PID] [--format markdown]`.

use std::io::Write;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::analyze::runbook::{actions, find, next_steps, CARDS, STEADY};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::render::runbook::{write_card, Format, StepJson};
use crate::render::{wrap, SCHEMA_VERSION};

#[derive(Serialize)]
struct CardJson {
    kind: &'static str,
    /// Which case of its kind the card is for (`inbound`: accepted connections); None for the
    /// kind's main card.
    variant: Option<&'static str>,
    title: &'static str,
    fingerprint: &'static str,
    stop_the_bleeding: Vec<String>,
    diagnose: Vec<StepJson>,
    usual_causes: &'static [&'static str],
    escalate: &'static str,
}

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
    if output.json {
        let docs: Vec<CardJson> = cards
            .iter()
            .map(|c| CardJson {
                kind: c.name,
                variant: c.variant,
                title: c.title,
                fingerprint: c.fingerprint,
                stop_the_bleeding: actions(c, pid),
                diagnose: next_steps(c, pid).into_iter().map(StepJson::from).collect(),
                usual_causes: c.usual_causes,
                escalate: c.escalate,
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({ "schema_version": SCHEMA_VERSION, "command": "runbook", "cards": docs }),
        )?;
        writeln!(out)?;
        return Ok(Outcome::Steady);
    }
    if kind.is_none() && !markdown {
        let width = output.style.width;
        let indent = " ".repeat(25);
        for c in &cards {
            wrap::para(out, width, &format!("{:<24} ", c.name), &indent, c.title)?;
        }
        writeln!(out)?;
        wrap::para(
            out,
            width,
            "",
            "",
            "`steady runbook KIND` prints one; --format markdown for an incident channel.",
        )?;
        return Ok(Outcome::Steady);
    }
    for (i, c) in cards.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_card(c, pid, None, format, output.style.width, out)?;
    }
    Ok(Outcome::Steady)
}
