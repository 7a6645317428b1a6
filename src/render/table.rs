//! The one way a table is set up for a terminal: no borders, columns fitted to the output
//! width (the same width prose wraps at), colour only when asked.

use comfy_table::presets::NOTHING;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};

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
pub fn rendered(table: &mut Table) -> String {
    let text = trimmed(table);
    if cuts_words(table, &text) && keep_words_whole(table) {
        return trimmed(table);
    }
    text
}

fn trimmed(table: &Table) -> String {
    table
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the text shows a piece of a word: a token that is no word of any cell.
fn cuts_words(table: &Table, text: &str) -> bool {
    let cells: Vec<String> = table
        .header()
        .into_iter()
        .chain(table.row_iter())
        .flat_map(|row| row.cell_iter().map(|c| c.content()))
        .collect();
    let words: std::collections::HashSet<&str> =
        cells.iter().flat_map(|c| c.split_whitespace()).collect();
    without_colour(text)
        .split_whitespace()
        .any(|w| !words.contains(w))
}

/// The text less its SGR colour escapes (`ESC [ ... m`), which are no part of any word.
fn without_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (false, c) => out.push(c),
            (true, 'm') => in_escape = false,
            (true, _) => {}
        }
    }
    out
}

/// comfy-table narrows a column below its longest word when the table is too wide, and then
/// cuts that word (`SPINNI` / `NG`, `clock_n` / `anoslee`): when it did, each column is held
/// at least as wide as its longest word, if all of them fit together, so it wraps between
/// words instead. When they cannot all fit, a cut is the lesser evil than running past the
/// width. Returns whether it set the widths. Only then: comfy-table's own layout uses the room
/// better when it cuts nothing.
fn keep_words_whole(table: &mut Table) -> bool {
    let Some(width) = table.width() else {
        return false;
    };
    let longest_word = |text: String| {
        text.split_whitespace()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widest_line = |text: String| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    // Per column: its longest word, and its widest line.
    let mut columns: Vec<(usize, usize)> = Vec::new();
    let rows = table.header().into_iter().chain(table.row_iter());
    for row in rows {
        for (i, cell) in row.cell_iter().enumerate() {
            if columns.len() <= i {
                columns.resize(i + 1, (0, 0));
            }
            let content = cell.content();
            columns[i].0 = columns[i].0.max(longest_word(content.clone()));
            columns[i].1 = columns[i].1.max(widest_line(content));
        }
    }
    // Each column has one space of padding either side and no borders (the NOTHING preset).
    let needed: usize = columns.iter().map(|(word, _)| word + 2).sum();
    if needed > usize::from(width) {
        return false;
    }
    for (i, (word, line)) in columns.into_iter().enumerate() {
        let Some(column) = table.column_mut(i) else {
            continue;
        };
        // comfy-table's widths count the column's padding.
        let fixed = Width::Fixed(u16::try_from(word + 2).unwrap_or(u16::MAX));
        // A column of single words never needs to wrap: its width is that word's. comfy-table
        // honours a lower boundary only while it has room to spare, so a fixed width it is.
        column.set_constraint(if word == line {
            ColumnConstraint::Absolute(fixed)
        } else {
            ColumnConstraint::LowerBoundary(fixed)
        });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_no_cut_word() {
        let mut table = new_table(Style {
            color: true,
            width: Some(80),
        });
        table.set_header(vec!["A", "B"]);
        table.add_row(vec![
            comfy_table::Cell::new("stuck").fg(comfy_table::Color::Red),
            comfy_table::Cell::new("x"),
        ]);
        let text = trimmed(&table);
        assert!(text.contains('\x1b'), "{text:?}");
        assert!(!cuts_words(&table, &text));
    }

    #[test]
    fn words_in_cells_are_not_cut_when_they_can_fit() {
        let mut table = new_table(Style {
            color: false,
            width: Some(74),
        });
        table.set_header(vec![
            "COUNT", "STATE", "SYSCALL", "WCHAN", "CPU", "SPINNING", "NAMES",
        ]);
        table.add_row(vec![
            "1",
            "S",
            "clock_nanosleep",
            "hrtimer_nanosleep",
            "0.0s",
            "0",
            "sleep",
        ]);
        let text = rendered(&mut table);
        for word in ["SPINNING", "clock_nanosleep", "hrtimer_nanosleep"] {
            assert!(text.contains(word), "{word} was cut:\n{text}");
        }
        assert!(text.lines().all(|l| l.chars().count() <= 74), "{text}");
    }
}
