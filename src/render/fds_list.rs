//! `steady fds PID --list`: one line (or one JSON object) per descriptor, written as each is
//! read. Columns have fixed widths rather than a measured table, so nothing waits for the
//! last row; the target is last, where a long path or address can run on.

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::census::Direction;
use crate::analyze::fd_list::{flag_names, mode, FdRow};
use crate::model::peer::{Holder, PeerScan};
use crate::render::error_json::TargetError;
use crate::render::peers::{endpoints, scan_line};
use crate::render::text::{self, paint, sanitize};
use crate::render::Style;

/// The heading of one process's rows.
pub fn write_heading(
    pid: i32,
    comm: Option<&str>,
    style: Style,
    out: &mut (impl Write + ?Sized),
) -> io::Result<()> {
    writeln!(
        out,
        "{} {}",
        paint(&format!("PID {pid}"), 1, style.color),
        comm.map(sanitize).unwrap_or_default()
    )?;
    writeln!(
        out,
        "{:>6}  {:<14} {:<4} {:>10} {:>10}  {:<30} TARGET",
        "FD", "KIND", "MODE", "POS", "INODE", "FLAGS"
    )
}

/// `peers`, under `--peers`: the other ends, shown after the target.
pub fn write_row(row: &FdRow, peers: Option<&[&Holder]>, out: &mut impl Write) -> io::Result<()> {
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

/// Under the rows, with `--peers`: what the search for other ends read.
pub fn write_peer_scan(scan: &PeerScan, out: &mut impl Write) -> io::Result<()> {
    for line in scan_line(scan) {
        writeln!(out, "  {}", sanitize(&line))?;
    }
    Ok(())
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

/// After the rows: how many were shown, and how many closed while being read.
pub fn write_footer(shown: u64, total: u64, vanished: u64, out: &mut impl Write) -> io::Result<()> {
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
    writeln!(out, "  {line}")
}

/// A target that could not be listed, in place of its rows.
pub fn write_error(pid: i32, line: &str, style: Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {}",
        paint(&format!("PID {pid}"), 1, style.color),
        sanitize(line)
    )
}

/// Under several targets' rows.
pub fn write_summary(listed: usize, failed: usize, out: &mut impl Write) -> io::Result<()> {
    let mut line = format!(
        "{} listed",
        text::plural(listed as u64, "process", "processes")
    );
    if failed > 0 {
        line.push_str(&format!(" · {failed} not readable"));
    }
    writeln!(out, "{line}")
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
pub struct JsonArray {
    started: bool,
    elements: u64,
}

impl JsonArray {
    pub fn started(&self) -> bool {
        self.started
    }

    pub fn begin(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.started = true;
        write!(out, "[")
    }

    pub fn row(
        &mut self,
        pid: i32,
        row: &FdRow,
        peers: Option<&RowPeers<'_>>,
        out: &mut impl Write,
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
    pub fn error(
        &mut self,
        pid: i32,
        kind: &str,
        line: &str,
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.separate(out)?;
        serde_json::to_writer(&mut *out, &TargetError::new("fds", pid, kind, line))?;
        Ok(())
    }

    pub fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            self.begin(out)?;
        }
        if self.elements > 0 {
            writeln!(out)?;
        }
        writeln!(out, "]")
    }

    fn separate(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            self.begin(out)?;
        }
        write!(out, "{}\n  ", if self.elements == 0 { "" } else { "," })?;
        self.elements += 1;
        Ok(())
    }
}
