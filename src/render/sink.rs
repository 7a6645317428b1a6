//! Where the terminal renderers write: the output and how it may look, in one value, so a
//! renderer asks the sink for colour, width and tables instead of threading a `Style` (and a
//! `color: bool`) through every function.

use std::io::{self, Write};

use comfy_table::Table;

use crate::render::table::{new_table, rendered};
use crate::render::text::paint;
use crate::render::{wrap, Style};

pub struct Sink<'a> {
    out: &'a mut dyn Write,
    style: Style,
}

impl<'a> Sink<'a> {
    pub fn new(out: &'a mut dyn Write, style: Style) -> Sink<'a> {
        Sink { out, style }
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// The columns prose and tables fit in; None when not wrapping (piped, for grep).
    pub fn width(&self) -> Option<usize> {
        self.style.width
    }

    /// `text` in an SGR colour (31 red, 33 yellow, 1 bold…) when colour is on.
    pub fn paint(&self, text: &str, code: u8) -> String {
        paint(text, code, self.style.color)
    }

    /// A table set up for this output (see `table::new_table`).
    pub fn table(&self) -> Table {
        new_table(self.style)
    }

    /// Writes a table and a line break, without trailing spaces.
    pub fn put_table(&mut self, table: &mut Table) -> io::Result<()> {
        writeln!(self.out, "{}", rendered(table))
    }

    /// A line of prose wrapped at the width: its leading spaces are its indentation, the
    /// continuation lines two columns deeper (`wrap::line`).
    pub fn prose(&mut self, text: &str) -> io::Result<()> {
        wrap::line(&mut *self.out, self.style.width, text)
    }

    /// A paragraph filled at the width, first and continuation lines indented as given.
    pub fn para(&mut self, first: &str, rest: &str, text: &str) -> io::Result<()> {
        wrap::para(&mut *self.out, self.style.width, first, rest, text)
    }

    /// A paragraph after a short label (`!`, `note:`), painted in `code`.
    pub fn labelled(&mut self, label: &str, code: u8, text: &str) -> io::Result<()> {
        let shown = self.paint(label, code);
        writeln!(
            self.out,
            "{}",
            wrap::labelled(label, &shown, text, self.style.width)
        )
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `writeln!` for a line of prose on a [`Sink`]: formatted, then wrapped at its width.
macro_rules! proseln {
    ($sink:expr, $($fmt:tt)+) => {
        $sink.prose(&format!($($fmt)+))
    };
}
