//! Flame graphs (SVG, via inferno) and folded stacks.

use std::io::{self, Write};

use inferno::flamegraph::{self, Options};

use crate::render::text::sanitize;

/// `lines` are folded stacks with one value (`a;b;c 123`) or two (`a;b;c 100 150`, base and
/// new) for a differential graph, which colours growth red and shrinkage blue.
pub fn write_svg(
    lines: &[String],
    title: &str,
    count_name: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut options = Options::default();
    options.title = title.to_string();
    options.count_name = count_name.to_string();
    if lines.is_empty() {
        // inferno refuses empty input; an empty profile still gets a (blank) graph.
        let placeholder = ["(no samples) 1".to_string()];
        return flamegraph::from_lines(&mut options, placeholder.iter().map(String::as_str), out)
            .map_err(io::Error::other);
    }
    flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), out)
        .map_err(io::Error::other)
}

/// Frame names come from the target (a thread can name itself anything), so control
/// characters are escaped before they reach a terminal.
pub fn write_folded(lines: &[String], out: &mut impl Write) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{}", sanitize(line))?;
    }
    Ok(())
}
