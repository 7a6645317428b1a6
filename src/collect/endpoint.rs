//! Finds the target's pprof endpoint without an agent: the TCP ports the process itself
//! listens on, each probed with a short GET /debug/pprof/ — when `contact` allows it.

use std::collections::HashSet;
use std::net::SocketAddr;

use thiserror::Error;

use crate::collect::contact::{self, Bounds};
use crate::collect::process::Target;
use crate::collect::{fds, net};
use crate::error::CollectError;
use crate::model::fd::LinkTarget;
use crate::model::socket::{InetProto, SocketRow, SocketSink, TcpState};

/// Where the target serves /debug/pprof, e.g. `http://127.0.0.1:6060/debug/pprof`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub base: String,
}

impl Endpoint {
    /// `profile` with its query, e.g. `heap?debug=1`.
    pub fn url(&self, profile: &str) -> String {
        format!("{}/{profile}", self.base)
    }

    /// From `--url`: the handler's base, with or without `/debug/pprof`.
    pub fn from_url(url: &str) -> Endpoint {
        let trimmed = url.trim_end_matches('/');
        let base = match trimmed.find("/debug/pprof") {
            Some(at) => trimmed[..at + "/debug/pprof".len()].to_string(),
            None => format!("{trimmed}/debug/pprof"),
        };
        Endpoint { base }
    }

    pub fn from_port(port: u16) -> Endpoint {
        Endpoint {
            base: format!("http://127.0.0.1:{port}/debug/pprof"),
        }
    }
}

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Collect(#[from] CollectError),

    #[error("process {pid} is not a Go program (its executable has no Go build info), and steady sends HTTP only to Go programs' own ports: another service may read a GET as its wire protocol — give --port or --url to name a pprof endpoint you know")]
    NotGo { pid: i32 },

    #[error("process {pid} listens on no TCP port, so it serves no /debug/pprof — for a Go service, import net/http/pprof and serve it on a loopback port; steady still reads /proc (try `steady heap snapshot {pid}` for smaps)")]
    NoListeners { pid: i32 },

    #[error("none of the {count} TCP ports process {pid} listens on ({ports}) serves /debug/pprof — give the address with --url or --port")]
    NotFound {
        pid: i32,
        count: usize,
        ports: String,
    },

    #[error("process {pid} is in another network namespace, so its loopback ports are not reachable from here — run steady inside its pod (`kubectl exec`, or `kubectl debug --target`), or give a reachable --url")]
    OtherNetns { pid: i32 },
}

/// The TCP addresses the target itself listens on, from its descriptors and its namespace.
pub fn listening_addresses(target: &Target) -> Result<Vec<SocketAddr>, CollectError> {
    let mut inodes = HashSet::new();
    fds::scan_fds(target, |entry| {
        if let LinkTarget::Socket(inode) = entry.target {
            inodes.insert(inode);
        }
    })?;
    let mut sink = OwnListeners {
        inodes,
        addrs: Vec::new(),
    };
    net::read_socket_tables(target, &mut sink)?;
    let mut addrs = sink.addrs;
    addrs.sort();
    addrs.dedup();
    Ok(addrs)
}

/// Keeps the listening TCP addresses among the target's own sockets.
struct OwnListeners {
    inodes: HashSet<u64>,
    addrs: Vec<SocketAddr>,
}

impl SocketSink for OwnListeners {
    fn wants(&self, inode: u64) -> bool {
        self.inodes.contains(&inode)
    }

    fn add(&mut self, row: SocketRow) {
        if let SocketRow::Inet(s) = row {
            if s.proto == InetProto::Tcp
                && s.state == TcpState::Listen
                && self.inodes.contains(&s.inode)
            {
                self.addrs.push(s.local);
            }
        }
    }
}

/// Probes each address the target listens on (wildcards through loopback) and returns the
/// first that serves the pprof index, with the probe's own bounds.
pub fn discover(target: &Target) -> Result<Endpoint, DiscoverError> {
    discover_within(target, Bounds::default())
}

/// [`discover`], never beyond the user's `--timeout` and `--max-bytes`. What may be contacted
/// is `contact`'s to decide: nothing at all unless the target is a Go program in steady's
/// network namespace, and then only the ports it listens on.
pub fn discover_within(target: &Target, bounds: Bounds) -> Result<Endpoint, DiscoverError> {
    contact::may_probe(target)?;
    let addrs = listening_addresses(target)?;
    if addrs.is_empty() {
        return Err(DiscoverError::NoListeners { pid: target.pid });
    }
    for addr in contact::probe_addresses(&addrs) {
        if contact::probe(addr, bounds) {
            return Ok(Endpoint {
                base: format!("http://{addr}/debug/pprof"),
            });
        }
    }
    Err(DiscoverError::NotFound {
        pid: target.pid,
        count: addrs.len(),
        ports: addrs
            .iter()
            .map(|a| a.port().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_wildcards() {
        assert_eq!(
            Endpoint::from_url("http://10.0.0.5:6060").base,
            "http://10.0.0.5:6060/debug/pprof"
        );
        assert_eq!(
            Endpoint::from_url("http://127.0.0.1:6060/debug/pprof/heap?gc=1").base,
            "http://127.0.0.1:6060/debug/pprof"
        );
        assert_eq!(
            Endpoint::from_port(6060).url("heap?debug=1"),
            "http://127.0.0.1:6060/debug/pprof/heap?debug=1"
        );
    }
}
