//! The one way a table is set up for a terminal: no borders, columns fitted to the output
//! width (the same width prose wraps at), colour only when asked.

use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};

use crate::render::Style;

pub fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table.load_style(NOTHING);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    // comfy-table would ask the terminal itself; the width was decided once (COLUMNS, then
    // the terminal), so both prose and tables follow it, and piped output is not squeezed.
    table.force_no_tty();
    if let Some(width) = style.width {
        table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
    }
    if style.color {
        table.enforce_styling();
    }
    table
}

/// The table as text without the padding comfy-table leaves after the last column: a pasted
/// or piped report carries no trailing spaces.
pub fn rendered(table: &Table) -> String {
    table
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
