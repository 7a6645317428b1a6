//! The one seam between a command and its output. A command builds a report value and hands
//! it to the renderer of the format asked for; each format is a type, as hyperfine's exporters
//! are, and each report it can write is an `impl Renderer<Report>` for it, in that format's
//! module (`fds_table`, `fds_json`…). A new format is a new type and its impls, not an `if`
//! in every command.

use std::io::{self, Write};

use crate::render::sink::Sink;
use crate::render::Style;

pub trait Renderer<R: ?Sized> {
    fn render(&self, report: &R, out: &mut dyn Write) -> io::Result<()>;
}

/// Tables and prose for a person, written through one [`Sink`].
#[derive(Debug, Clone, Copy)]
pub struct Terminal(pub Style);

/// The `--json` documents: stable field names and a schema version.
#[derive(Debug, Clone, Copy)]
pub struct Json;

/// The Prometheus/OpenMetrics text exposition (`steady metrics`, `steady serve`).
#[derive(Debug, Clone, Copy)]
pub struct OpenMetrics;

impl Terminal {
    /// Runs a terminal renderer on a sink over `out`.
    pub fn sink<'a>(&self, out: &'a mut dyn Write) -> Sink<'a> {
        Sink::new(out, self.0)
    }
}

/// The format the user asked for, for reports every command can print both ways.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    Terminal(Style),
    Json,
}

impl Format {
    pub fn render<R: ?Sized>(self, report: &R, out: &mut dyn Write) -> io::Result<()>
    where
        Terminal: Renderer<R>,
        Json: Renderer<R>,
    {
        match self {
            Format::Terminal(style) => Terminal(style).render(report, out),
            Format::Json => Json.render(report, out),
        }
    }

    pub fn is_json(self) -> bool {
        matches!(self, Format::Json)
    }
}
