//! Word wrapping of prose (headers, notes, findings, runbook cards) at the output width, the
//! one place that decides where a line breaks. Pure: the width arrives in `Style`.
//!
//! Lines break only between words, so a number (`19,000`), an identifier (`GOMEMLIMIT`) or a
//! flag is never cut in two; an inline command in backticks is kept whole when it fits, so it
//! can still be copied. A word longer than the line stays whole and overflows: cutting it would
//! break the very thing the reader copies (a path, a frame name). Continuation lines take the
//! paragraph's indentation. No line ends in a space.

/// Below this, wrapping would make one word a line; a narrower terminal gets this width.
const NARROWEST: usize = 20;

/// Fills `text` into lines no wider than `width` (in characters), the first line after
/// `first`, the rest after `rest`. `None` leaves the text on one line, as it is: piped output
/// stays one finding a line for grep. Returns the lines joined by '\n', without a final one.
pub fn fill(text: &str, width: Option<usize>, first: &str, rest: &str) -> String {
    let Some(width) = width else {
        return format!("{first}{text}").trim_end().to_string();
    };
    let width = width.max(NARROWEST);
    let mut lines: Vec<String> = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for token in tokens(text) {
        let prefix = if lines.is_empty() { first } else { rest };
        let room = width.saturating_sub(columns(prefix));
        // An inline command that cannot fit even on a line of its own is prose after all.
        let words = if columns(token) > room && token.contains(' ') {
            token.split(' ').filter(|w| !w.is_empty()).collect()
        } else {
            vec![token]
        };
        for word in words {
            let len = columns(&line);
            let add = columns(word) + usize::from(!empty);
            if !empty && len + add > width {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
    }
    lines.push(line);
    lines
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The columns a piece of text takes: colour escapes (`ESC [ ... m`) take none.
fn columns(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (false, _) => n += 1,
            (true, 'm') => in_escape = false,
            (true, _) => {}
        }
    }
    n
}

/// Words, with a backtick span (`steady limits 7 --set-nofile 20000`) as one token.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let end = if let Some(inside) = rest.strip_prefix('`') {
            match inside.find('`') {
                // Through the closing backtick and whatever is glued to it ("`x`," or "`x`)").
                Some(close) => {
                    let after = close + 2;
                    after + rest[after..].find(' ').unwrap_or(rest.len() - after)
                }
                None => rest.find(' ').unwrap_or(rest.len()),
            }
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    out
}

/// Writes `text` filled as by `fill`, and a line break.
pub fn para(
    out: &mut (impl std::io::Write + ?Sized),
    width: Option<usize>,
    first: &str,
    rest: &str,
    text: &str,
) -> std::io::Result<()> {
    writeln!(out, "{}", fill(text, width, first, rest))
}

/// Writes a line of prose wrapped at `width`: its leading spaces are its indentation, and the
/// continuation lines sit two columns deeper, under its text.
pub fn line(
    out: &mut (impl std::io::Write + ?Sized),
    width: Option<usize>,
    text: &str,
) -> std::io::Result<()> {
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    para(out, width, indent, &format!("{indent}  "), body)
}

/// A paragraph after a short label ("note:", "!"), its continuation lines under the text; the
/// label painted as given (`shown`), its width taken from the plain `label`.
pub fn labelled(label: &str, shown: &str, text: &str, width: Option<usize>) -> String {
    let indent = " ".repeat(label.chars().count() + 1);
    let filled = fill(text, width, &indent, &indent);
    let body = filled.strip_prefix(indent.as_str()).unwrap_or(&filled);
    format!("{shown} {body}").trim_end().to_string()
}

/// The text's lines, each filled on its own: for text that already holds line breaks.
pub fn fill_lines(text: &str, width: Option<usize>, first: &str, rest: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| fill(l, width, if i == 0 { first } else { rest }, rest))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn breaks_between_words_and_keeps_the_indentation() {
        let text = "descriptors grew +19,000 (+1,186/min); the soft limit is reached in ~2h13m at hard 19,000 with GOMEMLIMIT unset";
        for width in [20, 33, 40, 61, 80] {
            let got = fill(text, Some(width), "    - ", "      ");
            assert!(widest(&got) <= width, "{width}: {got}");
            let words: Vec<&str> = got.split_whitespace().filter(|w| *w != "-").collect();
            assert_eq!(words.join(" "), text, "{width}: a word was cut");
            for line in got.lines().skip(1) {
                assert!(line.starts_with("      ") && !line.starts_with("       "));
            }
            assert!(got.lines().all(|l| !l.ends_with(' ')));
        }
    }

    #[test]
    fn no_width_leaves_the_line_alone() {
        assert_eq!(fill("a  b", None, "  ", "    "), "  a  b");
        assert_eq!(fill("", None, "  ", "  "), "");
    }

    #[test]
    fn a_long_word_overflows_rather_than_breaks() {
        let path = "/very/long/path/to/some/file/that/does/not/fit/in/twenty/columns.go:27";
        let got = fill(&format!("at {path} here"), Some(30), "", "  ");
        assert_eq!(got, format!("at\n  {path}\n  here"));
    }

    #[test]
    fn inline_commands_stay_whole_when_they_fit() {
        let text = "buy time with `steady limits 4242 --set-nofile 20000` (up to the hard limit), then look";
        let got = fill(text, Some(50), "", "");
        assert!(
            got.lines()
                .any(|l| l.contains("`steady limits 4242 --set-nofile 20000`")),
            "{got}"
        );
        // Too long for any line: broken at its spaces like prose.
        let got = fill(text, Some(20), "", "");
        assert!(widest(&got) <= 20, "{got}");
    }

    #[test]
    fn colour_takes_no_columns() {
        let red = "\x1b[31m+1,200\x1b[0m";
        let got = fill(&format!("aaaa {red} bbbb"), Some(20), "", "");
        assert_eq!(got, format!("aaaa {red} bbbb"));
    }

    #[test]
    fn the_narrowest_width_is_a_floor() {
        let got = fill("one two three four five six", Some(3), "", "");
        assert!(widest(&got) <= NARROWEST);
    }

    #[test]
    fn each_line_of_a_multiline_text_is_filled() {
        assert_eq!(
            fill_lines("aaa bbb\nccc ddd", Some(20), "* ", "  "),
            "* aaa bbb\n  ccc ddd"
        );
    }
}
