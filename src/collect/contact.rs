//! Decides what steady may contact on the target's behalf, and how. steady never leaves a
//! target worse off, and a request to a port that speaks another protocol (a database, a
//! message broker) can do harm: it may read a GET as a malformed command, log it, or drop
//! other clients. So without an address the user named (`--port`, `--url`):
//!
//! - only Go programs are contacted (their executable carries Go build info), since only Go
//!   serves /debug/pprof; an executable that cannot be read is an error, not a guess;
//! - only when steady shares the target's network namespace, so that the addresses read from
//!   its sockets are the target's own: loopback, or a local address of that namespace;
//! - only ports the target itself listens on (matched by socket inode, not by namespace);
//! - with one HTTP GET each, no redirects, bounded by the probe's limits and never more than
//!   the user's `--timeout` and `--max-bytes`.
//!
//! `endpoint::discover` asks this module; `http` only ever sends GET.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::collect::endpoint::DiscoverError;
use crate::collect::exe::{inspect_exe, ExeKind};
use crate::collect::http;
use crate::collect::process::Target;
use crate::model::go::GoInfo;

/// How long one probe may take: a pprof index answers in milliseconds.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
/// The pprof index is a few KiB.
pub const PROBE_MAX_BYTES: u64 = 1024 * 1024;

/// The user's bounds on any one fetch.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub timeout: Duration,
    pub max_bytes: u64,
}

impl Bounds {
    /// A probe's bounds: the probe's own, never above the user's.
    pub fn probe(self) -> Bounds {
        Bounds {
            timeout: self.timeout.min(PROBE_TIMEOUT),
            max_bytes: self.max_bytes.min(PROBE_MAX_BYTES),
        }
    }
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            timeout: PROBE_TIMEOUT,
            max_bytes: PROBE_MAX_BYTES,
        }
    }
}

/// The target may be probed: it is a Go program and shares steady's network namespace.
pub fn may_probe(target: &Target) -> Result<GoInfo, DiscoverError> {
    let info = match inspect_exe(target)? {
        ExeKind::Go(info) => info,
        ExeKind::NotGo => return Err(DiscoverError::NotGo { pid: target.pid }),
    };
    if in_other_netns(target) {
        return Err(DiscoverError::OtherNetns { pid: target.pid });
    }
    Ok(info)
}

/// Where to send a probe for each address the target listens on: wildcards through the
/// loopback address of their family, others as they are (they are local addresses of the
/// namespace steady shares with the target). Each port once.
pub fn probe_addresses(listening: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for addr in listening {
        let to = reachable(*addr);
        if !out.contains(&to) {
            out.push(to);
        }
    }
    // Loopback first: an index is the same on every address, and loopback never leaves the host.
    out.sort_by_key(|a| (!a.ip().is_loopback(), *a));
    out
}

/// One GET of the pprof index at `addr`; true when it answers like one.
pub fn probe(addr: SocketAddr, bounds: Bounds) -> bool {
    let bounds = bounds.probe();
    match http::get(
        &format!("http://{addr}/debug/pprof/"),
        bounds.timeout,
        bounds.max_bytes,
    ) {
        Ok(page) => {
            let text = String::from_utf8_lossy(&page.body);
            text.contains("/debug/pprof/") || text.contains("Types of profiles available")
        }
        Err(_) => false,
    }
}

/// A wildcard listener is reached through the loopback address of its family.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// True only when both namespace links can be read and differ.
pub fn in_other_netns(target: &Target) -> bool {
    let ours = std::fs::read_link("/proc/self/ns/net");
    let theirs = std::fs::read_link(
        target
            .proc_root()
            .join(target.pid.to_string())
            .join("ns/net"),
    );
    matches!((ours, theirs), (Ok(a), Ok(b)) if a != b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_go_through_loopback_and_each_port_once() {
        let listening: Vec<SocketAddr> = ["0.0.0.0:80", "127.0.0.1:80", "10.0.0.2:81", "[::]:82"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let got: Vec<String> = probe_addresses(&listening)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["127.0.0.1:80", "[::1]:82", "10.0.0.2:81"]);
        assert_eq!(
            reachable("[::]:80".parse().unwrap()).to_string(),
            "[::1]:80"
        );
    }

    #[test]
    fn probes_never_exceed_the_users_bounds() {
        let user = Bounds {
            timeout: Duration::from_millis(200),
            max_bytes: 10 << 20,
        };
        let probe = user.probe();
        assert_eq!(probe.timeout, Duration::from_millis(200));
        assert_eq!(probe.max_bytes, PROBE_MAX_BYTES);
        let small = Bounds {
            timeout: Duration::from_secs(30),
            max_bytes: 4096,
        }
        .probe();
        assert_eq!((small.timeout, small.max_bytes), (PROBE_TIMEOUT, 4096));
    }
}
