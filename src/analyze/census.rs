//! The descriptor census: an accumulator fed one descriptor and one socket row at a time,
//! so memory follows the number of groups and sockets, not the number of descriptors.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::model::fd::{FdEntry, FdKind, LinkTarget};
use crate::model::socket::{
    InetProto, InetSocket, SocketRow, TcpState, UnixSocket, UnixState, UnixType,
};
use crate::parse::fd_link::kind_of;
use crate::parse::net::netlink_protocol_name;

/// Which way a TCP or UDP socket faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A listening socket, or an unconnected UDP socket bound to a local port.
    Listen,
    /// Accepted from a peer, on a port something in the namespace listens on.
    Inbound,
    /// Opened by the process towards a remote endpoint.
    Outbound,
}

/// What makes descriptors one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub kind: FdKind,
    pub target: String,
    pub state: Option<String>,
    pub direction: Option<Direction>,
    pub socket_type: Option<&'static str>,
}

impl GroupKey {
    fn plain(kind: FdKind, target: impl Into<String>) -> GroupKey {
        GroupKey {
            kind,
            target: target.into(),
            state: None,
            direction: None,
            socket_type: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FdGroup {
    pub key: GroupKey,
    pub count: u64,
    /// Distinct paths behind the group: 1 for one file, more for a collapsed directory.
    pub files: u64,
    /// Disk or memory the group's files hold (deleted files and memfds).
    pub allocated_bytes: u64,
    /// A few of the descriptor numbers, where they are actionable.
    pub fds: Vec<i32>,
    /// Change since the first scan, under `--over`.
    pub delta: Option<i64>,
    pub rate_per_min: Option<f64>,
    pub eta_seconds: Option<f64>,
}

impl FdGroup {
    pub fn new(key: GroupKey) -> FdGroup {
        FdGroup {
            key,
            count: 0,
            files: 1,
            allocated_bytes: 0,
            fds: Vec::new(),
            delta: None,
            rate_per_min: None,
            eta_seconds: None,
        }
    }
}

/// One finished scan.
#[derive(Debug, Clone, PartialEq)]
pub struct FdCensus {
    pub total: u64,
    pub vanished: u64,
    pub by_kind: [u64; FdKind::ALL.len()],
    pub groups: Vec<FdGroup>,
}

impl FdCensus {
    pub fn kind_count(&self, kind: FdKind) -> u64 {
        self.by_kind[kind.index()]
    }
}

/// A socket inode held by the process and how many descriptors refer to it.
#[derive(Debug, Clone, Copy)]
struct HeldSocket {
    inode: u64,
    fds: u64,
    matched: bool,
}

pub struct Census {
    fd_samples: usize,
    total: u64,
    by_kind: [u64; FdKind::ALL.len()],
    groups: HashMap<GroupKey, FdGroup>,
    counted_files: HashSet<(u64, u64)>,
    socket_inodes: Vec<u64>,
    sockets: Vec<HeldSocket>,
    rows: Vec<SocketRow>,
    listen_ports: HashSet<u16>,
}

impl Census {
    pub fn new(fd_samples: usize) -> Census {
        Census {
            fd_samples,
            total: 0,
            by_kind: [0; FdKind::ALL.len()],
            groups: HashMap::new(),
            counted_files: HashSet::new(),
            socket_inodes: Vec::new(),
            sockets: Vec::new(),
            rows: Vec::new(),
            listen_ports: HashSet::new(),
        }
    }

    pub fn add(&mut self, entry: FdEntry) {
        self.total += 1;
        let kind = kind_of(&entry.target, entry.path_type);
        let key = match entry.target {
            // Counted by kind once the socket tables say what it is.
            LinkTarget::Socket(inode) => {
                self.socket_inodes.push(inode);
                return;
            }
            LinkTarget::Path { path, .. } => GroupKey::plain(kind, path),
            LinkTarget::Pipe(_) => GroupKey::plain(kind, "pipe"),
            LinkTarget::Memfd(name) => GroupKey::plain(kind, format!("memfd:{name}")),
            LinkTarget::Anon(name) => GroupKey::plain(kind, name),
            LinkTarget::Other(text) => GroupKey::plain(kind, text),
        };
        self.by_kind[kind.index()] += 1;
        let pins = matches!(kind, FdKind::DeletedFile | FdKind::Memfd);
        let first_sighting = match entry.file_id {
            Some(id) if pins => self.counted_files.insert(id),
            _ => true,
        };
        let group = self
            .groups
            .entry(key)
            .or_insert_with_key(|k| FdGroup::new(k.clone()));
        group.count += 1;
        if pins {
            if first_sighting {
                group.allocated_bytes += entry.allocated_bytes;
            }
            if group.fds.len() < self.fd_samples {
                group.fds.push(entry.fd);
            }
        }
    }

    /// Call once the descriptor scan is over, before feeding socket rows.
    pub fn end_fd_scan(&mut self) {
        let mut inodes = std::mem::take(&mut self.socket_inodes);
        inodes.sort_unstable();
        for inode in inodes {
            match self.sockets.last_mut() {
                Some(last) if last.inode == inode => last.fds += 1,
                _ => self.sockets.push(HeldSocket {
                    inode,
                    fds: 1,
                    matched: false,
                }),
            }
        }
    }

    pub fn wants_socket(&self, inode: u64) -> bool {
        self.find(inode).is_some()
    }

    fn find(&self, inode: u64) -> Option<usize> {
        self.sockets.binary_search_by_key(&inode, |s| s.inode).ok()
    }

    pub fn add_socket_row(&mut self, row: SocketRow) {
        if let SocketRow::Inet(s) = &row {
            if s.proto == InetProto::Tcp && s.state == TcpState::Listen {
                self.listen_ports.insert(s.local.port());
            }
        }
        if let Some(i) = self.find(row.inode()) {
            if !self.sockets[i].matched {
                self.sockets[i].matched = true;
                self.rows.push(row);
            }
        }
    }

    pub fn finish(mut self, vanished: u64) -> FdCensus {
        let rows = std::mem::take(&mut self.rows);
        for row in rows {
            let fds = self.sockets[self.find(row.inode()).expect("rows are matched")].fds;
            let key = match &row {
                SocketRow::Inet(s) => inet_key(s, &self.listen_ports),
                SocketRow::Unix(s) => unix_key(s),
                SocketRow::Netlink(s) => {
                    GroupKey::plain(FdKind::Netlink, netlink_protocol_name(s.protocol))
                }
            };
            self.count_group(key, fds);
        }
        let unmatched: u64 = self
            .sockets
            .iter()
            .filter(|s| !s.matched)
            .map(|s| s.fds)
            .sum();
        if unmatched > 0 {
            let key = GroupKey::plain(
                FdKind::SocketOther,
                "socket (not in tcp/udp/unix/netlink tables)",
            );
            self.count_group(key, unmatched);
        }
        FdCensus {
            total: self.total,
            vanished,
            by_kind: self.by_kind,
            groups: self.groups.into_values().collect(),
        }
    }

    fn count_group(&mut self, key: GroupKey, fds: u64) {
        self.by_kind[key.kind.index()] += fds;
        let group = self
            .groups
            .entry(key)
            .or_insert_with_key(|k| FdGroup::new(k.clone()));
        group.count += fds;
    }
}

/// TCP: listeners by local port, accepted connections by (state, local port, peer address),
/// outbound ones by (state, remote endpoint). UDP: bound by local port, connected by remote.
fn inet_key(s: &InetSocket, listen_ports: &HashSet<u16>) -> GroupKey {
    let (kind, state) = match s.proto {
        InetProto::Tcp => (FdKind::Tcp, s.state.name()),
        InetProto::Udp if s.state == TcpState::Established => {
            (FdKind::Udp, "CONNECTED".to_string())
        }
        InetProto::Udp => (FdKind::Udp, "UNCONN".to_string()),
    };
    let (direction, target) = match (s.proto, s.state) {
        (InetProto::Tcp, TcpState::Listen) => (Direction::Listen, format!(":{}", s.local.port())),
        (InetProto::Udp, state) if state != TcpState::Established => {
            (Direction::Listen, format!(":{}", s.local.port()))
        }
        (InetProto::Tcp, _) if listen_ports.contains(&s.local.port()) => (
            Direction::Inbound,
            format!("{} -> :{}", s.remote.ip(), s.local.port()),
        ),
        _ => (Direction::Outbound, s.remote.to_string()),
    };
    GroupKey {
        kind,
        target,
        state: Some(state),
        direction: Some(direction),
        socket_type: None,
    }
}

fn unix_key(s: &UnixSocket) -> GroupKey {
    let state = match s.state {
        UnixState::Unconnected => "UNCONNECTED".to_string(),
        UnixState::Connecting => "CONNECTING".to_string(),
        UnixState::Connected => "CONNECTED".to_string(),
        UnixState::Disconnecting => "DISCONNECTING".to_string(),
        UnixState::Listening => "LISTEN".to_string(),
        UnixState::Other(code) => format!("STATE_{code:02X}"),
    };
    let socket_type = match s.ty {
        UnixType::Stream => "stream",
        UnixType::Dgram => "dgram",
        UnixType::SeqPacket => "seqpacket",
        UnixType::Other(_) => "other",
    };
    GroupKey {
        kind: FdKind::Unix,
        target: s.path.clone().unwrap_or_else(|| "(unnamed)".to_string()),
        state: Some(state),
        direction: None,
        socket_type: Some(socket_type),
    }
}
