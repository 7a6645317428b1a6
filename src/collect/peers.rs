//! `fds --peers`: what each of the target's pipes, unix sockets, TCP connections and eventfds
//! is connected to, then one walk over every process's descriptors under /proc for the
//! other ends. Read-only, and bounded: each process is one readdir and a readlink per
//! descriptor, fdinfo is read only for a pipe or an eventfd the target shares, and at most
//! `HOLDERS_PER_END` holders are kept for any one end.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::Path;

use anyhow::Result;
use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{readlinkat, OFlag};
use nix::sys::stat::Mode;

use crate::analyze::fd_list::{build_row, mode, row_key, SocketIndex};
use crate::analyze::peers::{Peers, TargetEnd};
use crate::collect::fdinfo::open_fdinfo_dir;
use crate::collect::process::Target;
use crate::collect::{fds, net, unix_diag};
use crate::model::fd::LinkTarget;
use crate::model::peer::{Endpoint, Holder, PeerScan};
use crate::model::socket::{AllRows, InetProto, SocketRow, TcpState};
use crate::parse::fd_link::parse_link;
use crate::parse::fdinfo::{parse_fdinfo, FdInfo};

/// A pipe inherited by a thousand forked workers is one line of the answer, not a thousand.
pub const HOLDERS_PER_END: usize = 64;

/// The target's ends, and who holds the other end of each.
pub fn find_peers(target: &Target) -> Result<Peers> {
    let mut ends = target_ends(target)?;
    ends.ends.sort_by_key(|e| e.fd);
    let mut scan = PeerScan::default();
    if ends.unix_held && !same_network_namespace(target) {
        scan.unix_peers_unknown = Some(format!(
            "unix socket peers are read in steady's own network namespace, and PID {} is in \
             another: run steady inside it (nsenter -t {} -n steady fds {} --peers)",
            target.pid, target.pid, target.pid
        ));
    } else if let Some(why) = &ends.unix_failed {
        scan.unix_peers_unknown = Some(format!("unix socket peers could not be read: {why}"));
    }
    let wanted: HashSet<Endpoint> = ends.ends.iter().map(|e| e.endpoint).collect();
    let holders = find_holders(target.proc_root(), &wanted, &mut scan);
    target.ensure_alive()?;
    Ok(Peers {
        pid: target.pid,
        ends: ends.ends,
        holders,
        scan,
    })
}

struct Ends {
    ends: Vec<TargetEnd>,
    /// The target holds unix sockets (whose peers only a dump in its namespace lists).
    unix_held: bool,
    unix_failed: Option<String>,
}

/// Each of the target's descriptors that has another end, with the census group it is in.
fn target_ends(target: &Target) -> Result<Ends> {
    let mut rows = AllRows::default();
    net::read_socket_tables(target, &mut rows)?;
    let reverse = tcp_reverse(&rows.0);
    let unix: HashSet<u64> = rows
        .0
        .iter()
        .filter_map(|r| match r {
            SocketRow::Unix(u) => Some(u.inode),
            _ => None,
        })
        .collect();
    let tcp: HashMap<u64, (SocketAddr, SocketAddr)> = rows
        .0
        .iter()
        .filter_map(|r| match r {
            SocketRow::Inet(s) if s.proto == InetProto::Tcp && s.state != TcpState::Listen => {
                Some((s.inode, (s.local, s.remote)))
            }
            _ => None,
        })
        .collect();
    let sockets = SocketIndex::new(rows.0);

    let listing = fds::list_fds(target)?;
    let mut entries = Vec::new();
    fds::read_fds(target, listing.dir(), &listing.fds, |e| entries.push(e))?;
    let unix_inodes: HashSet<u64> = entries
        .iter()
        .filter_map(|e| match e.target {
            LinkTarget::Socket(inode) if unix.contains(&inode) => Some(inode),
            _ => None,
        })
        .collect();
    let (unix_peers, unix_failed) = match unix_diag::unix_peers(&unix_inodes) {
        Ok(peers) => (peers, None),
        Err(err) => (HashMap::new(), Some(err.to_string())),
    };
    let info = open_fdinfo_dir(target)?;
    let mut out = Ends {
        ends: Vec::new(),
        unix_held: !unix_inodes.is_empty(),
        unix_failed,
    };
    for entry in entries {
        let fd = entry.fd;
        let link = entry.target.clone();
        let row = build_row(entry, &sockets);
        let (endpoint, fdinfo) = match link {
            LinkTarget::Pipe(inode) => (Some(Endpoint::Pipe(inode)), info.read(target, fd)?),
            LinkTarget::Anon(name) if name == "eventfd" => {
                let fdinfo = info.read(target, fd)?;
                (
                    fdinfo.and_then(|i| i.eventfd_id).map(Endpoint::Eventfd),
                    fdinfo,
                )
            }
            LinkTarget::Socket(inode) if unix.contains(&inode) => {
                (unix_peers.get(&inode).copied().map(Endpoint::Socket), None)
            }
            LinkTarget::Socket(inode) => (
                tcp.get(&inode)
                    .and_then(|&(local, remote)| reverse.get(&(remote, local)))
                    .map(|&peer| Endpoint::Socket(peer)),
                None,
            ),
            _ => (None, None),
        };
        if let Some(endpoint) = endpoint {
            out.ends.push(TargetEnd {
                fd,
                key: row_key(&row),
                endpoint,
                mode: fdinfo.and_then(|i| i.flags).map(mode),
            });
        }
    }
    Ok(out)
}

/// Each TCP connection of the namespace by (local, remote): the one at the other end of
/// a connection is the one whose addresses are the same two swapped.
fn tcp_reverse(rows: &[SocketRow]) -> HashMap<(SocketAddr, SocketAddr), u64> {
    rows.iter()
        .filter_map(|r| match r {
            SocketRow::Inet(s)
                if s.proto == InetProto::Tcp && s.state != TcpState::Listen && s.inode != 0 =>
            {
                Some(((s.local, s.remote), s.inode))
            }
            _ => None,
        })
        .collect()
}

fn same_network_namespace(target: &Target) -> bool {
    let ours = std::fs::read_link("/proc/self/ns/net").ok();
    let theirs = std::fs::read_link(
        target
            .proc_root()
            .join(target.pid.to_string())
            .join("ns/net"),
    )
    .ok();
    ours.is_some() && ours == theirs
}

/// Every process's descriptors, looking for the wanted ends. steady's own are left out: they
/// are the scan's, not the system's.
fn find_holders(
    proc_root: &Path,
    wanted: &HashSet<Endpoint>,
    scan: &mut PeerScan,
) -> HashMap<Endpoint, Vec<Holder>> {
    let mut holders: HashMap<Endpoint, Vec<Holder>> = HashMap::new();
    if wanted.is_empty() {
        return holders;
    }
    let pipes: HashSet<u64> = wanted
        .iter()
        .filter_map(|e| match e {
            Endpoint::Pipe(i) => Some(*i),
            _ => None,
        })
        .collect();
    let sockets: HashSet<u64> = wanted
        .iter()
        .filter_map(|e| match e {
            Endpoint::Socket(i) => Some(*i),
            _ => None,
        })
        .collect();
    let eventfds = wanted.iter().any(|e| matches!(e, Endpoint::Eventfd(_)));
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return holders;
    };
    let mut name = String::new();
    for pid in dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
    {
        let base = proc_root.join(pid.to_string());
        let fd_dir = match Dir::open(
            &base.join("fd"),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(dir) => dir,
            Err(Errno::EACCES | Errno::EPERM) => {
                scan.processes_hidden += 1;
                continue;
            }
            // Exited since the listing.
            Err(_) => continue,
        };
        scan.processes_read += 1;
        let mut comm: Option<Option<String>> = None;
        let mut fd_dir = fd_dir;
        let numbers: Vec<i32> = fd_dir
            .iter()
            .flatten()
            .filter_map(|e| e.file_name().to_str().ok()?.parse().ok())
            .collect();
        for fd in numbers {
            scan.descriptors_read += 1;
            name.clear();
            name.push_str(&fd.to_string());
            let Ok(link) = readlinkat(fd_dir.as_fd(), name.as_str()) else {
                continue;
            };
            let endpoint = match parse_link(&link.to_string_lossy()) {
                LinkTarget::Pipe(inode) if pipes.contains(&inode) => Endpoint::Pipe(inode),
                LinkTarget::Socket(inode) if sockets.contains(&inode) => Endpoint::Socket(inode),
                LinkTarget::Anon(n) if eventfds && n == "eventfd" => {
                    match read_fdinfo(&base, fd).and_then(|i| i.eventfd_id) {
                        Some(id) if wanted.contains(&Endpoint::Eventfd(id)) => {
                            Endpoint::Eventfd(id)
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            let held = holders.entry(endpoint).or_default();
            if held.len() >= HOLDERS_PER_END {
                continue;
            }
            let mode = match endpoint {
                Endpoint::Socket(_) => None,
                _ => read_fdinfo(&base, fd).and_then(|i| i.flags).map(mode),
            };
            let comm = comm
                .get_or_insert_with(|| {
                    std::fs::read_to_string(base.join("comm"))
                        .ok()
                        .map(|c| c.trim_end().to_string())
                })
                .clone();
            held.push(Holder {
                pid,
                comm,
                fd,
                mode,
            });
        }
    }
    holders
}

fn read_fdinfo(base: &Path, fd: i32) -> Option<FdInfo> {
    let mut file = std::fs::File::open(base.join("fdinfo").join(fd.to_string())).ok()?;
    // The pos, flags and eventfd-id lines come first (see collect::fdinfo).
    let mut buf = [0u8; 512];
    let n = std::io::Read::read(&mut file, &mut buf).ok()?;
    Some(parse_fdinfo(&String::from_utf8_lossy(&buf[..n])))
}
