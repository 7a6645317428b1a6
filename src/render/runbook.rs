//! Runbook cards as text or Markdown, alone (`steady runbook`) or filled with what triage
//! measured.

use std::io::{self, Write};

use crate::analyze::drift::Verdict;
use serde::Serialize;

use crate::analyze::runbook::{actions, next_steps, Card, NextStep};
use crate::render::format::{Json, Renderer, Terminal};
use crate::render::{text, wrap, SCHEMA_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
}

/// A next step on the wire: the command exactly as it can be run, and what it shows.
#[derive(Serialize)]
pub struct StepJson {
    pub command: String,
    pub why: Option<String>,
}

impl From<NextStep> for StepJson {
    fn from(s: NextStep) -> Self {
        StepJson {
            command: s.command,
            why: s.why,
        }
    }
}

/// What `steady runbook` prints: the cards asked for, with the PID filled in.
pub struct Cards<'a> {
    pub cards: Vec<&'a Card>,
    pub pid: Option<i32>,
    pub format: Format,
    /// No kind named: an index of the cards, one line each, rather than every card whole.
    pub index: bool,
}

impl Renderer<Cards<'_>> for Terminal {
    fn render(&self, cards: &Cards<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut sink = self.sink(out);
        if cards.index && cards.format == Format::Text {
            let indent = " ".repeat(25);
            for c in &cards.cards {
                sink.para(&format!("{:<24} ", c.name), &indent, c.title)?;
            }
            writeln!(sink)?;
            return sink.para(
                "",
                "",
                "`steady runbook KIND` prints one; --format markdown for an incident channel.",
            );
        }
        let width = sink.width();
        for (i, c) in cards.cards.iter().enumerate() {
            if i > 0 {
                writeln!(sink)?;
            }
            write_card(c, cards.pid, None, cards.format, width, &mut sink)?;
        }
        Ok(())
    }
}

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

#[derive(Serialize)]
struct CardsJson {
    schema_version: u32,
    command: &'static str,
    cards: Vec<CardJson>,
}

impl Renderer<Cards<'_>> for Json {
    fn render(&self, cards: &Cards<'_>, out: &mut dyn Write) -> io::Result<()> {
        let pid = cards.pid;
        let doc = CardsJson {
            schema_version: SCHEMA_VERSION,
            command: "runbook",
            cards: cards
                .cards
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
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

/// One line of what was measured, for the top of a filled card.
pub fn measured(v: &Verdict) -> String {
    if let (Some(stuck), true) = (&v.stuck, v.rate_per_min == 0.0) {
        return format!(
            "{} goroutines stuck in {} for {}+",
            text::count(stuck.goroutines),
            stuck.state,
            text::duration(stuck.waited_seconds)
        );
    }
    let rate = match v.unit {
        "bytes" => text::bytes_rate(v.rate_per_min),
        "seconds" => format!("{:+.1} ms/min", v.rate_per_min * 1000.0),
        unit => text::rate_of(v.rate_per_min, unit),
    };
    let eta = match (v.eta_seconds, v.limit) {
        (Some(s), Some((name, limit))) => {
            let limit = if v.unit == "bytes" {
                text::bytes(limit as u64)
            } else {
                text::count(limit as u64)
            };
            format!("; {name} {limit} reached in ~{}", text::duration(s))
        }
        _ => String::new(),
    };
    format!("{rate}{eta}")
}

pub fn write_card(
    card: &Card,
    pid: Option<i32>,
    verdict: Option<&Verdict>,
    format: Format,
    width: Option<usize>,
    out: &mut impl Write,
) -> io::Result<()> {
    let md = format == Format::Markdown;
    // Markdown is reflowed by whatever shows it (a chat, a wiki): only the text form wraps.
    let width = if md { None } else { width };
    let heading = |out: &mut dyn Write, h: &str| -> io::Result<()> {
        if md {
            writeln!(out, "\n**{h}**\n")
        } else {
            writeln!(out, "\n  {h}")
        }
    };
    let item = |out: &mut dyn Write, i: &str| -> io::Result<()> {
        if md {
            writeln!(out, "- {i}")
        } else {
            wrap::para(out, width, "    - ", "      ", i)
        }
    };
    let body = |out: &mut dyn Write, b: &str| -> io::Result<()> {
        if md {
            writeln!(out, "{b}")
        } else {
            wrap::para(out, width, "    ", "    ", b)
        }
    };
    if md {
        writeln!(out, "### {}", card.title)?;
    } else {
        wrap::para(out, width, "", "   ", &format!("== {} ==", card.title))?;
    }
    if let Some(v) = verdict {
        let line = format!("Measured: {}", measured(v));
        if md {
            writeln!(out, "\n{line}")?;
        } else {
            wrap::para(out, width, "  ", "  ", &line)?;
        }
        for e in &v.evidence {
            item(
                out,
                &text::sanitize(&crate::render::triage_text::describe(e)),
            )?;
        }
    }
    heading(out, "Fingerprint")?;
    body(out, card.fingerprint)?;
    heading(out, "Stop the bleeding")?;
    for a in actions(card, pid) {
        item(out, &a)?;
    }
    heading(out, "Diagnose")?;
    for step in next_steps(card, pid) {
        match (md, step.why) {
            (true, Some(why)) => writeln!(out, "- `{}` — {why}", step.command)?,
            (true, None) => writeln!(out, "- `{}`", step.command)?,
            (false, why) => write_step(out, &step.command, why.as_deref(), width)?,
        }
    }
    heading(out, "Usual root causes")?;
    for c in card.usual_causes {
        item(out, c)?;
    }
    heading(out, "Escalate or roll back")?;
    body(out, card.escalate)?;
    Ok(())
}

/// A command to copy and what it shows: on one line when both fit, else the command alone on
/// its line (never broken, whatever its length) and the reason wrapped under it.
fn write_step(
    out: &mut dyn Write,
    command: &str,
    why: Option<&str>,
    width: Option<usize>,
) -> io::Result<()> {
    let Some(why) = why else {
        return writeln!(out, "    - {command}");
    };
    let line = format!("    - {command}   ({why})");
    if width.is_none_or(|w| line.chars().count() <= w) {
        return writeln!(out, "{line}");
    }
    writeln!(out, "    - {command}")?;
    wrap::para(out, width, "      (", "       ", &format!("{why})"))
}
