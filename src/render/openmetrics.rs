//! Writes metric families as a text exposition that Prometheus, promtool and node_exporter's
//! textfile collector all parse: HELP and TYPE lines, no timestamps, label values escaped as
//! the format says (backslash, double quote, newline), values in Go's float syntax, and a
//! closing `# EOF` (which OpenMetrics requires and the 0.0.4 text format reads as a comment).
//!
//! Counters are named with their `_total` suffix on the TYPE line too: that is the 0.0.4 text
//! format, which `serve` announces in its Content-Type and the textfile collector reads;
//! OpenMetrics proper would name the family without the suffix.

use std::io::{self, Write};

use crate::analyze::metrics::Family;
use crate::render::format::{OpenMetrics, Renderer};

/// The Content-Type `serve` answers with.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

impl Renderer<[Family]> for OpenMetrics {
    fn render(&self, families: &[Family], out: &mut dyn Write) -> io::Result<()> {
        write(families, out)
    }
}

fn write(families: &[Family], out: &mut dyn Write) -> io::Result<()> {
    for f in families {
        if f.points.is_empty() {
            continue;
        }
        writeln!(out, "# HELP {} {}", f.name, escape_help(f.help))?;
        writeln!(out, "# TYPE {} {}", f.name, f.kind.name())?;
        for p in &f.points {
            out.write_all(f.name.as_bytes())?;
            if !p.labels.is_empty() {
                out.write_all(b"{")?;
                for (i, (name, value)) in p.labels.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    write!(out, "{name}=\"{}\"", escape_label(value))?;
                }
                out.write_all(b"}")?;
            }
            writeln!(out, " {}", number(p.value))?;
        }
    }
    writeln!(out, "# EOF")
}

/// Label values: `\` → `\\`, `"` → `\"`, newline → `\n`; everything else as it is (UTF-8).
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: `\` → `\\`, newline → `\n`.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::metrics::{MetricType, Point};

    #[test]
    fn exposition_is_escaped_and_closed() {
        let fams = vec![
            Family {
                name: "steady_fds_open",
                help: "Open file descriptors of the process.",
                kind: MetricType::Gauge,
                points: vec![Point {
                    labels: vec![("pid", "7".into()), ("comm", "a\"b\\c\nd".into())],
                    value: 12.0,
                }],
            },
            Family {
                name: "steady_empty",
                help: "x",
                kind: MetricType::Gauge,
                points: vec![],
            },
            Family {
                name: "steady_cpu_seconds_total",
                help: "CPU.",
                kind: MetricType::Counter,
                points: vec![
                    Point {
                        labels: vec![],
                        value: 1.5,
                    },
                    Point {
                        labels: vec![("pid", "8".into())],
                        value: f64::INFINITY,
                    },
                ],
            },
        ];
        let mut out = Vec::new();
        write(&fams, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP steady_fds_open Open file descriptors of the process.\n\
             # TYPE steady_fds_open gauge\n\
             steady_fds_open{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\"} 12\n\
             # HELP steady_cpu_seconds_total CPU.\n\
             # TYPE steady_cpu_seconds_total counter\n\
             steady_cpu_seconds_total 1.5\n\
             steady_cpu_seconds_total{pid=\"8\"} +Inf\n\
             # EOF\n"
        );
    }
}
