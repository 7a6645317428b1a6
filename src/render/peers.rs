//! How the other ends of descriptors read at a terminal: lsfd's ENDPOINTS form for one
//! descriptor (`4242,worker,0r-`), a summary per census group, and what the search read.

use crate::model::peer::{GroupPeer, Holder, PeerScan};
use crate::render::text::{self, sanitize};

/// Groups name this many processes, then how many more.
const SHOWN_PER_GROUP: usize = 3;

/// `PID,COMMAND,FD` and, where fdinfo was read, `r-`, `-w` or `rw`, as lsfd writes it.
pub fn endpoint(h: &Holder) -> String {
    let comm = h.comm.as_deref().map(sanitize).unwrap_or_default();
    format!("{},{comm},{}{}", h.pid, h.fd, lsfd_mode(h.mode))
}

fn lsfd_mode(mode: Option<&str>) -> &'static str {
    match mode {
        Some("r") => "r-",
        Some("w") => "-w",
        Some("rw") => "rw",
        _ => "",
    }
}

/// A descriptor's other ends, `; `-separated; `-` when none was seen.
pub fn endpoints(holders: &[&Holder]) -> String {
    if holders.is_empty() {
        return "-".to_string();
    }
    holders
        .iter()
        .map(|h| endpoint(h))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `PID 4242 worker (read end) ×255, PID 77 sh (write end), +2 more`.
pub fn group_summary(peers: &[GroupPeer]) -> String {
    if peers.is_empty() {
        return "-".to_string();
    }
    let mut parts: Vec<String> = peers
        .iter()
        .take(SHOWN_PER_GROUP)
        .map(|p| {
            let comm = p.comm.as_deref().map(sanitize).unwrap_or_default();
            let end = match p.mode {
                Some("r") => " (read end)",
                Some("w") => " (write end)",
                _ => "",
            };
            let times = if p.fds > 1 {
                format!(" ×{}", text::count(p.fds))
            } else {
                String::new()
            };
            format!("PID {} {comm}{end}{times}", p.pid)
        })
        .collect();
    if peers.len() > SHOWN_PER_GROUP {
        parts.push(format!("+{} more", peers.len() - SHOWN_PER_GROUP));
    }
    parts.join(", ")
}

/// What the search read, and what it could not: `other ends: read 312 processes (18,204
/// descriptors); 4 processes not readable (another user's: run as root or with
/// CAP_SYS_PTRACE)`.
pub fn scan_line(scan: &PeerScan) -> Vec<String> {
    let mut line = format!(
        "other ends: read {} ({})",
        text::plural(scan.processes_read, "process", "processes"),
        text::plural(scan.descriptors_read, "descriptor", "descriptors")
    );
    if scan.processes_hidden > 0 {
        line.push_str(&format!(
            "; {} not readable (another user's: an end held there is not shown; run as root \
             or with CAP_SYS_PTRACE)",
            text::plural(scan.processes_hidden, "process", "processes")
        ));
    }
    let mut lines = vec![line];
    lines.extend(scan.unix_peers_unknown.clone());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_read_as_lsfd_writes_them() {
        let h = |pid, fd, mode| Holder {
            pid,
            comm: Some("cat\u{202e}x".to_string()),
            fd,
            mode,
        };
        let (r, w, s) = (h(7, 0, Some("r")), h(8, 1, Some("w")), h(9, 4, None));
        assert_eq!(
            endpoints(&[&r, &w, &s]),
            "7,cat\\u{202e}x,0r-; 8,cat\\u{202e}x,1-w; 9,cat\\u{202e}x,4"
        );
        assert_eq!(endpoints(&[]), "-");
    }

    #[test]
    fn a_group_names_its_largest_peers_then_how_many_more() {
        let p = |pid, mode, fds| GroupPeer {
            pid,
            comm: Some("worker".to_string()),
            mode,
            fds,
        };
        let peers = [
            p(1, Some("r"), 1200),
            p(2, Some("w"), 1),
            p(3, None, 2),
            p(4, None, 1),
            p(5, None, 1),
        ];
        assert_eq!(
            group_summary(&peers),
            "PID 1 worker (read end) ×1,200, PID 2 worker (write end), PID 3 worker ×2, +2 more"
        );
    }
}
