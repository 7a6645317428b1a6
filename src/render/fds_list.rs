//! `steady fds PID --list`: one line (or one JSON object) per descriptor, written as each is
//! read. Columns have fixed widths rather than a measured table, so nothing waits for the
//! last row; the target is last, where a long path or address can run on.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::census::Direction;
use crate::analyze::fd_list::{flag_names, mode, FdRow};
use crate::model::peer::{Holder, PeerScan};
use crate::render::error_json::TargetError;
use crate::render::format::Format;
use crate::render::peers::{endpoints, scan_line};
use crate::render::sink::Sink;
use crate::render::text::{self, sanitize};

/// `fds --list` written as the scan goes, one implementation per format: the streaming
/// counterpart of `format::Renderer`, since no report waits for the last row.
pub trait ListWriter {
    /// A process's first line, before its first row (or alone, when it has none).
    fn heading(&mut self, pid: i32, comm: Option<&str>) -> io::Result<()>;
    fn row(&mut self, pid: i32, row: &FdRow, peers: Option<&RowPeers<'_>>) -> io::Result<()>;
    /// After a process's rows.
    fn footer(&mut self, footer: &Footer<'_>) -> io::Result<()>;
    /// A process that could not be listed, in place of its rows.
    fn error(&mut self, pid: i32, kind: &str, line: &str) -> io::Result<()>;
    /// After every process: how many were listed and how many not, for several.
    fn end(&mut self, listed: usize, failed: usize, several: bool) -> io::Result<()>;
    /// Whether a document is open that an error must go into rather than end (a JSON array).
    fn open(&self) -> bool;
}

/// After one process's rows: how many were shown of how many, how many closed while being
/// read, and (under `--peers`) what the search for other ends read.
pub struct Footer<'a> {
    pub shown: u64,
    pub total: u64,
    pub vanished: u64,
    pub peer_scan: Option<&'a PeerScan>,
}

/// The writer for the format asked for.
pub fn list_writer<'a>(format: Format, out: &'a mut dyn Write) -> Box<dyn ListWriter + 'a> {
    match format {
        Format::Terminal(style) => Box::new(TerminalList {
            sink: Sink::new(out, style),
            processes: 0,
        }),
        Format::Json => Box::new(JsonList {
            out,
            array: JsonArray::default(),
        }),
    }
}

struct TerminalList<'a> {
    sink: Sink<'a>,
    /// Processes headed or failed so far: a blank line goes before each one after the first.
    processes: usize,
}

impl TerminalList<'_> {
    fn separate(&mut self) -> io::Result<()> {
        if self.processes > 0 {
            writeln!(self.sink)?;
        }
        self.processes += 1;
        Ok(())
    }
}

impl ListWriter for TerminalList<'_> {
    fn heading(&mut self, pid: i32, comm: Option<&str>) -> io::Result<()> {
        self.separate()?;
        let pid = self.sink.paint(&format!("PID {pid}"), 1);
        writeln!(
            self.sink,
            "{pid} {}",
            comm.map(sanitize).unwrap_or_default()
        )?;
        writeln!(
            self.sink,
            "{:>6}  {:<14} {:<4} {:>10} {:>10}  {:<30} TARGET",
            "FD", "KIND", "MODE", "POS", "INODE", "FLAGS"
        )
    }

    fn row(&mut self, _pid: i32, row: &FdRow, peers: Option<&RowPeers<'_>>) -> io::Result<()> {
        write_row(row, peers.map(|p| p.holders.as_slice()), &mut self.sink)
    }

    fn footer(&mut self, footer: &Footer<'_>) -> io::Result<()> {
        write_footer(footer, &mut self.sink)
    }

    fn error(&mut self, pid: i32, _kind: &str, line: &str) -> io::Result<()> {
        self.separate()?;
        let pid = self.sink.paint(&format!("PID {pid}"), 1);
        writeln!(self.sink, "{pid} {}", sanitize(line))
    }

    fn end(&mut self, listed: usize, failed: usize, several: bool) -> io::Result<()> {
        if !several {
            return Ok(());
        }
        let mut line = format!(
            "{} listed",
            text::plural(listed as u64, "process", "processes")
        );
        if failed > 0 {
            line.push_str(&format!(" · {failed} not readable"));
        }
        writeln!(self.sink, "\n{line}")
    }

    fn open(&self) -> bool {
        false
    }
}

struct JsonList<'a> {
    out: &'a mut dyn Write,
    array: JsonArray,
}

impl ListWriter for JsonList<'_> {
    fn heading(&mut self, _pid: i32, _comm: Option<&str>) -> io::Result<()> {
        Ok(())
    }

    fn row(&mut self, pid: i32, row: &FdRow, peers: Option<&RowPeers<'_>>) -> io::Result<()> {
        self.array.row(pid, row, peers, &mut *self.out)
    }

    /// Each row carries its own `pid`; the counts are the array's length.
    fn footer(&mut self, _footer: &Footer<'_>) -> io::Result<()> {
        Ok(())
    }

    fn error(&mut self, pid: i32, kind: &str, line: &str) -> io::Result<()> {
        self.array.error(pid, kind, line, &mut *self.out)
    }

    fn end(&mut self, _listed: usize, _failed: usize, _several: bool) -> io::Result<()> {
        self.array.end(&mut *self.out)
    }

    fn open(&self) -> bool {
        self.array.started()
    }
}

/// `peers`, under `--peers`: the other ends, shown after the target.
fn write_row(row: &FdRow, peers: Option<&[&Holder]>, out: &mut dyn Write) -> io::Result<()> {
    let kind = match row.socket_type {
        Some(ty) => format!("{} {ty}", row.kind.name()),
        None => row.kind.name().to_string(),
    };
    let dash = || "-".to_string();
    let flags = row
        .flags
        .map(|f| flag_names(f).join("|"))
        .unwrap_or_else(dash);
    let pos = row.pos.map(|p| p.to_string()).unwrap_or_else(dash);
    let inode = row.inode.map(|i| i.to_string()).unwrap_or_else(dash);
    let mode = row.flags.map(mode).unwrap_or("-");
    let ends = peers
        .filter(|p| !p.is_empty())
        .map(|p| format!("  <> {}", endpoints(p)))
        .unwrap_or_default();
    writeln!(
        out,
        "{:>6}  {kind:<14} {mode:<4} {pos:>10} {inode:>10}  {flags:<30} {}{ends}",
        row.fd,
        target_label(row)
    )
}

/// `LISTEN 127.0.0.1:8080`, `ESTABLISHED -> 10.0.3.7:5432`, `/var/log/app.log pins 3.0 GiB`.
fn target_label(row: &FdRow) -> String {
    let mut label = String::new();
    if let Some(state) = &row.state {
        label.push_str(state);
        label.push(' ');
    }
    if row.direction == Some(Direction::Outbound) {
        label.push_str("-> ");
    }
    label.push_str(&sanitize(&row.target));
    if let Some(bytes) = row.pinned_bytes.filter(|b| *b > 0) {
        label.push_str(&format!(" pins {}", text::bytes(bytes)));
    }
    label
}

/// After the rows: how many were shown, how many closed while being read, and what the
/// search for other ends read.
fn write_footer(footer: &Footer<'_>, out: &mut dyn Write) -> io::Result<()> {
    let Footer {
        shown,
        total,
        vanished,
        peer_scan,
    } = *footer;
    let mut line = if shown == total {
        text::plural(total, "descriptor", "descriptors")
    } else {
        format!(
            "{} of {} descriptors",
            text::count(shown),
            text::count(total)
        )
    };
    if vanished > 0 {
        line.push_str(&format!(" · {} closed while being read", vanished));
    }
    writeln!(out, "  {line}")?;
    for line in peer_scan.map(scan_line).unwrap_or_default() {
        writeln!(out, "  {}", sanitize(&line))?;
    }
    Ok(())
}

/// One row on the wire. Field names are a contract with scripts: add, never rename.
#[derive(Serialize)]
struct RowJson<'a> {
    pid: i32,
    fd: i32,
    kind: &'static str,
    target: &'a str,
    state: Option<&'a str>,
    direction: Option<Direction>,
    socket_type: Option<&'static str>,
    inode: Option<u64>,
    /// The access mode first, then the notable flags: `["O_RDWR", "O_APPEND"]`.
    flags: Option<Vec<&'static str>>,
    /// fdinfo's `flags:` as the kernel prints it (octal), every bit included.
    flags_octal: Option<String>,
    mode: Option<&'static str>,
    pos: Option<u64>,
    pinned_bytes: Option<u64>,
    /// Under `--peers`: the descriptors, in any process, at the other end of this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    peers: Option<Vec<PeerJson<'a>>>,
    /// Under `--peers`: false when some process could not be read (or, for a unix socket,
    /// its namespace's peers could not be), so an end may be missing from `peers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    peers_complete: Option<bool>,
}

#[derive(Serialize)]
struct PeerJson<'a> {
    pid: i32,
    comm: Option<&'a str>,
    fd: i32,
    /// `r`, `w` or `rw`; null for a socket (its fdinfo is not read).
    mode: Option<&'static str>,
}

/// Under `--peers`: one row's other ends, and whether the search saw everything.
pub struct RowPeers<'a> {
    pub holders: Vec<&'a Holder>,
    pub complete: bool,
}

/// A JSON array written one element at a time.
#[derive(Debug, Default)]
struct JsonArray {
    started: bool,
    elements: u64,
}

impl JsonArray {
    fn started(&self) -> bool {
        self.started
    }

    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.started = true;
        write!(out, "[")
    }

    fn row(
        &mut self,
        pid: i32,
        row: &FdRow,
        peers: Option<&RowPeers<'_>>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let json = RowJson {
            pid,
            fd: row.fd,
            kind: row.kind.name(),
            target: &row.target,
            state: row.state.as_deref(),
            direction: row.direction,
            socket_type: row.socket_type,
            inode: row.inode,
            flags: row.flags.map(flag_names),
            flags_octal: row.flags.map(|f| format!("0{f:o}")),
            mode: row.flags.map(mode),
            pos: row.pos,
            pinned_bytes: row.pinned_bytes,
            peers: peers.map(|p| {
                p.holders
                    .iter()
                    .map(|h| PeerJson {
                        pid: h.pid,
                        comm: h.comm.as_deref(),
                        fd: h.fd,
                        mode: h.mode,
                    })
                    .collect()
            }),
            peers_complete: peers.map(|p| p.complete),
        };
        self.separate(out)?;
        serde_json::to_writer(&mut *out, &json)?;
        Ok(())
    }

    /// A target that could not be read, in the `--json` error shape with its PID.
    fn error(&mut self, pid: i32, kind: &str, line: &str, out: &mut dyn Write) -> io::Result<()> {
        self.separate(out)?;
        serde_json::to_writer(&mut *out, &TargetError::new("fds", pid, kind, line))?;
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.started {
            self.begin(out)?;
        }
        if self.elements > 0 {
            writeln!(out)?;
        }
        writeln!(out, "]")
    }

    fn separate(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.started {
            self.begin(out)?;
        }
        write!(out, "{}\n  ", if self.elements == 0 { "" } else { "," })?;
        self.elements += 1;
        Ok(())
    }
}
