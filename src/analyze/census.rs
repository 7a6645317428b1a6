//! The descriptor census: an accumulator fed one descriptor and one socket row at a time,
//! so memory follows the number of groups and sockets, not the number of descriptors.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::model::fd::{FdEntry, FdKind, LinkTarget};
use crate::model::socket::{
    InetProto, InetSocket, SocketRow, SocketSink, TcpState, UnixSocket, UnixState, UnixType,
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

impl Direction {
    /// The fds table's DIR column: `in` for a connection the process accepted on its own
    /// listening port, `out` for one it dialled.
    pub fn short(self) -> &'static str {
        match self {
            Direction::Listen => "listen",
            Direction::Inbound => "in",
            Direction::Outbound => "out",
        }
    }
}

/// Ends the name of an accepted-connections group in a triage sample: the clients are many,
/// the port is the process's own.
pub const INBOUND_PEERS: &str = "<- peers";

/// A group's name in a triage sample (`Sample::fd_groups`), which the fd-exhaustion evidence
/// quotes: `kind state target`. A connection the process dialled reads
/// `tcp ESTABLISHED -> 10.0.3.7:5432`; connections it accepted are one group per local port
/// whatever the peer, `tcp ESTABLISHED :8080 <- peers` (a thousand clients are one pile-up,
/// and the sample keeps only its largest groups), so several census groups can share a name.
pub fn sample_label(key: &GroupKey) -> String {
    let state = key
        .state
        .as_deref()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let kind = key.kind.name();
    match (key.direction, inbound_port(&key.target)) {
        (Some(Direction::Inbound), Some(port)) => format!("{kind}{state} :{port} {INBOUND_PEERS}"),
        (Some(Direction::Outbound), _) => format!("{kind}{state} -> {}", key.target),
        _ => format!("{kind}{state} {}", key.target),
    }
}

/// Whether a sample's group name (or evidence quoting it) is connections the process
/// accepted: the current form, or `tcp ESTABLISHED 10.0.9.1 -> :8080` in older recordings.
pub fn is_inbound_label(label: &str) -> bool {
    label.contains(INBOUND_PEERS) || label.contains(" -> :")
}

/// The local port of an accepted-connections group, from its target `peer -> :port`.
fn inbound_port(target: &str) -> Option<u16> {
    target.rsplit_once(" -> :")?.1.parse().ok()
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
    /// Under `--peers`: the processes at the other end of its descriptors.
    pub peers: Option<Vec<crate::model::peer::GroupPeer>>,
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
            peers: None,
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

/// A group while the census counts.
#[derive(Debug, Default)]
struct Tally {
    count: u64,
    pinned_bytes: u64,
    fds: Vec<i32>,
}

/// A socket inode held by the process and how many descriptors refer to it.
#[derive(Debug, Clone, Copy)]
struct HeldSocket {
    inode: u64,
    fds: u32,
    matched: bool,
}

pub struct Census {
    fd_samples: usize,
    total: u64,
    by_kind: [u64; FdKind::ALL.len()],
    /// The key lives once, in the map: a group's own copy is made only when the census ends.
    groups: HashMap<GroupKey, Tally>,
    /// Bytes held by each open file that pins some (deleted files, memfds), by (dev, inode),
    /// with the group it is counted in: a file open twice pins its bytes once.
    pinned: HashMap<(u64, u64), (GroupKey, u64)>,
    socket_inodes: Vec<u64>,
    sockets: Vec<HeldSocket>,
    listen_ports: HashSet<u16>,
}

impl SocketSink for Census {
    fn wants(&self, inode: u64) -> bool {
        self.wants_socket(inode)
    }

    fn add(&mut self, row: SocketRow) {
        self.add_socket_row(row);
    }
}

impl Census {
    pub fn new(fd_samples: usize) -> Census {
        Census {
            fd_samples,
            total: 0,
            by_kind: [0; FdKind::ALL.len()],
            groups: HashMap::new(),
            pinned: HashMap::new(),
            socket_inodes: Vec::new(),
            sockets: Vec::new(),
            listen_ports: HashSet::new(),
        }
    }

    pub fn add(&mut self, entry: FdEntry) {
        self.total += 1;
        let kind = kind_of(&entry.target, entry.path_type);
        let key = match link_key(kind, entry.target) {
            Ok(key) => key,
            // Counted by kind once the socket tables say what it is.
            Err(inode) => {
                self.socket_inodes.push(inode);
                return;
            }
        };
        self.by_kind[kind.index()] += 1;
        let pins = matches!(kind, FdKind::DeletedFile | FdKind::Memfd);
        if let (true, Some(id)) = (pins, entry.file_id) {
            self.pinned
                .entry(id)
                .or_insert_with(|| (key.clone(), entry.allocated_bytes));
        }
        let group = self.groups.entry(key).or_default();
        group.count += 1;
        if pins && group.fds.len() < self.fd_samples {
            group.fds.push(entry.fd);
        }
    }

    /// Adds a census of another slice of the same descriptor table (scanned on another thread).
    pub fn merge(&mut self, other: Census) {
        self.total += other.total;
        for (kind, n) in self.by_kind.iter_mut().zip(other.by_kind) {
            *kind += n;
        }
        for (key, group) in other.groups {
            match self.groups.get_mut(&key) {
                Some(mine) => {
                    mine.count += group.count;
                    let room = self.fd_samples.saturating_sub(mine.fds.len());
                    mine.fds.extend(group.fds.into_iter().take(room));
                }
                None => {
                    self.groups.insert(key, group);
                }
            }
        }
        for (id, pinned) in other.pinned {
            self.pinned.entry(id).or_insert(pinned);
        }
        self.socket_inodes.extend(other.socket_inodes);
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

    /// Counts the descriptors behind a matched row at once: no row is kept. Listening rows
    /// come first in each table, so the listening ports are known when connections arrive.
    pub fn add_socket_row(&mut self, row: SocketRow) {
        if let SocketRow::Inet(s) = &row {
            if s.proto == InetProto::Tcp && s.state == TcpState::Listen {
                self.listen_ports.insert(s.local.port());
            }
        }
        let Some(i) = self.find(row.inode()) else {
            return;
        };
        if self.sockets[i].matched {
            return;
        }
        self.sockets[i].matched = true;
        let fds = u64::from(self.sockets[i].fds);
        let key = socket_key(&row, &self.listen_ports);
        self.count_group(key, fds);
    }

    pub fn finish(mut self, vanished: u64) -> FdCensus {
        for (_, (key, bytes)) in std::mem::take(&mut self.pinned) {
            if let Some(group) = self.groups.get_mut(&key) {
                group.pinned_bytes += bytes;
            }
        }
        let unmatched: u64 = self
            .sockets
            .iter()
            .filter(|s| !s.matched)
            .map(|s| u64::from(s.fds))
            .sum();
        if unmatched > 0 {
            self.count_group(unlisted_socket_key(), unmatched);
        }
        FdCensus {
            total: self.total,
            vanished,
            by_kind: self.by_kind,
            groups: self
                .groups
                .into_iter()
                .map(|(key, tally)| {
                    let mut group = FdGroup::new(key);
                    group.count = tally.count;
                    group.allocated_bytes = tally.pinned_bytes;
                    group.fds = tally.fds;
                    group
                })
                .collect(),
        }
    }

    fn count_group(&mut self, key: GroupKey, fds: u64) {
        self.by_kind[key.kind.index()] += fds;
        self.groups.entry(key).or_default().count += fds;
    }
}

/// The group of a descriptor that is not a socket, named from its link; a socket's inode
/// when it is one (its name is in the socket tables). Shared with `fds --list`, so a row
/// names its target as the census does.
pub fn link_key(kind: FdKind, target: LinkTarget) -> Result<GroupKey, u64> {
    Ok(match target {
        LinkTarget::Socket(inode) => return Err(inode),
        LinkTarget::Path { path, .. } => GroupKey::plain(kind, path),
        LinkTarget::Pipe(_) => GroupKey::plain(kind, "pipe"),
        LinkTarget::Memfd(name) => GroupKey::plain(kind, format!("memfd:{name}")),
        LinkTarget::Anon(name) => GroupKey::plain(kind, name),
        LinkTarget::Other(text) => GroupKey::plain(kind, text),
    })
}

/// A socket's group, from its row in the namespace's tables and the ports listened on there.
pub fn socket_key(row: &SocketRow, listen_ports: &HashSet<u16>) -> GroupKey {
    match row {
        SocketRow::Inet(s) => inet_key(s, listen_ports),
        SocketRow::Unix(s) => unix_key(s),
        SocketRow::Netlink(s) => {
            GroupKey::plain(FdKind::Netlink, netlink_protocol_name(s.protocol))
        }
        SocketRow::Other { label, .. } => GroupKey::plain(FdKind::SocketOther, label.clone()),
    }
}

/// A socket inode that no table of the target's namespace lists (created after the tables
/// were read, or a family steady does not read).
pub fn unlisted_socket_key() -> GroupKey {
    GroupKey::plain(
        FdKind::SocketOther,
        "socket (not in this namespace's socket tables)",
    )
}

/// TCP: listeners by local address and port (`127.0.0.1:8080`, `[::]:80`: a service bound to
/// loopback only is a different answer from one open to the world), accepted connections by
/// (state, local port, peer address), outbound ones by (state, remote endpoint). UDP: bound by
/// local address, connected by remote.
///
/// Accepted connections keep `peer -> :port` without the local address: a wildcard listener
/// accepts on every address of the host, and one pile-up on one port should stay one group.
/// Triage samples, runbooks and older recordings read that form (`sample_label`).
fn inet_key(s: &InetSocket, listen_ports: &HashSet<u16>) -> GroupKey {
    let (kind, state) = match s.proto {
        InetProto::Tcp => (FdKind::Tcp, s.state.name()),
        InetProto::Udp if s.state == TcpState::Established => {
            (FdKind::Udp, "CONNECTED".to_string())
        }
        InetProto::Udp => (FdKind::Udp, "UNCONN".to_string()),
    };
    let (direction, target) = match (s.proto, s.state) {
        (InetProto::Tcp, TcpState::Listen) => (Direction::Listen, s.local.to_string()),
        (InetProto::Udp, state) if state != TcpState::Established => {
            (Direction::Listen, s.local.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fd::PathType;
    use crate::model::socket::{NetlinkSocket, UnixSocket};

    fn entry(fd: i32, target: LinkTarget) -> FdEntry {
        FdEntry {
            fd,
            target,
            path_type: PathType::Unknown,
            allocated_bytes: 0,
            file_id: None,
        }
    }

    fn tcp(inode: u64, state: TcpState, local: &str, remote: &str) -> SocketRow {
        SocketRow::Inet(InetSocket {
            proto: InetProto::Tcp,
            inode,
            state,
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
        })
    }

    fn find<'a>(census: &'a FdCensus, kind: FdKind, target: &str) -> &'a FdGroup {
        census
            .groups
            .iter()
            .find(|g| g.key.kind == kind && g.key.target == target)
            .unwrap_or_else(|| panic!("no {kind:?} {target} in {:#?}", census.groups))
    }

    #[test]
    fn sockets_group_by_direction_state_and_endpoint() {
        let mut census = Census::new(4);
        for (fd, inode) in [
            (3, 100),
            (4, 101),
            (5, 102),
            (6, 103),
            (7, 104),
            (8, 105),
            (9, 106),
        ] {
            census.add(entry(fd, LinkTarget::Socket(inode)));
        }
        // fd 10 is a dup of socket 101: two descriptors, one socket.
        census.add(entry(10, LinkTarget::Socket(101)));
        census.end_fd_scan();
        let rows = [
            tcp(100, TcpState::Listen, "0.0.0.0:8080", "0.0.0.0:0"),
            tcp(
                101,
                TcpState::Established,
                "10.0.0.2:41000",
                "10.0.3.7:5432",
            ),
            tcp(
                102,
                TcpState::Established,
                "10.0.0.2:41001",
                "10.0.3.7:5432",
            ),
            tcp(103, TcpState::CloseWait, "10.0.0.2:41002", "10.0.3.7:5432"),
            tcp(
                104,
                TcpState::Established,
                "10.0.0.2:8080",
                "10.0.9.1:50000",
            ),
            tcp(
                105,
                TcpState::Established,
                "10.0.0.2:8080",
                "10.0.9.1:50001",
            ),
            // Another process's listener in the same namespace, and its connection.
            tcp(999, TcpState::Listen, "0.0.0.0:9090", "0.0.0.0:0"),
            SocketRow::Netlink(NetlinkSocket {
                inode: 106,
                protocol: 0,
            }),
        ];
        for row in rows {
            if census.wants_socket(row.inode())
                || matches!(&row, SocketRow::Inet(s) if s.state == TcpState::Listen)
            {
                census.add_socket_row(row);
            }
        }
        let done = census.finish(0);
        assert_eq!(done.total, 8);
        assert_eq!(done.kind_count(FdKind::Tcp), 7);
        assert_eq!(done.kind_count(FdKind::Netlink), 1);
        assert_eq!(done.kind_count(FdKind::SocketOther), 0);

        let out = done
            .groups
            .iter()
            .find(|g| {
                g.key.target == "10.0.3.7:5432" && g.key.state.as_deref() == Some("ESTABLISHED")
            })
            .unwrap();
        assert_eq!(out.count, 3, "two sockets, one of them dup'd");
        assert_eq!(out.key.direction, Some(Direction::Outbound));
        let wait = done
            .groups
            .iter()
            .find(|g| g.key.state.as_deref() == Some("CLOSE_WAIT"))
            .unwrap();
        assert_eq!((wait.count, wait.key.target.as_str()), (1, "10.0.3.7:5432"));
        let inbound = find(&done, FdKind::Tcp, "10.0.9.1 -> :8080");
        assert_eq!(
            (inbound.count, inbound.key.direction),
            (2, Some(Direction::Inbound))
        );
        let listen = find(&done, FdKind::Tcp, "0.0.0.0:8080");
        assert_eq!(listen.key.direction, Some(Direction::Listen));
        assert_eq!(find(&done, FdKind::Netlink, "route").count, 1);
        assert!(
            done.groups.iter().all(|g| !g.key.target.ends_with(":9090")),
            "not ours"
        );
    }

    #[test]
    fn listeners_keep_their_address() {
        let mut census = Census::new(4);
        for (fd, inode) in [(3, 200), (4, 201), (5, 202), (6, 203)] {
            census.add(entry(fd, LinkTarget::Socket(inode)));
        }
        census.end_fd_scan();
        census.add_socket_row(tcp(200, TcpState::Listen, "[::]:80", "[::]:0"));
        census.add_socket_row(tcp(201, TcpState::Listen, "127.0.0.1:45381", "0.0.0.0:0"));
        census.add_socket_row(SocketRow::Inet(InetSocket {
            proto: InetProto::Udp,
            inode: 202,
            state: TcpState::Close,
            local: "0.0.0.0:8080".parse().unwrap(),
            remote: "0.0.0.0:0".parse().unwrap(),
        }));
        // Accepted on the v6 wildcard listener: still grouped by port alone.
        census.add_socket_row(tcp(203, TcpState::Established, "[::1]:80", "[::1]:50000"));
        let done = census.finish(0);
        for (kind, target) in [
            (FdKind::Tcp, "[::]:80"),
            (FdKind::Tcp, "127.0.0.1:45381"),
            (FdKind::Udp, "0.0.0.0:8080"),
        ] {
            assert_eq!(
                find(&done, kind, target).key.direction,
                Some(Direction::Listen)
            );
        }
        let inbound = find(&done, FdKind::Tcp, "::1 -> :80");
        assert_eq!(inbound.key.direction, Some(Direction::Inbound));
        assert_eq!(sample_label(&inbound.key), "tcp ESTABLISHED :80 <- peers");
    }

    #[test]
    fn sample_labels_tell_accepted_from_dialled() {
        let key = |target: &str, state: &str, direction| GroupKey {
            kind: FdKind::Tcp,
            target: target.into(),
            state: Some(state.into()),
            direction: Some(direction),
            socket_type: None,
        };
        let inbound = sample_label(&key("10.0.9.1 -> :8080", "ESTABLISHED", Direction::Inbound));
        assert_eq!(inbound, "tcp ESTABLISHED :8080 <- peers");
        assert_eq!(
            sample_label(&key("[::1] -> :8080", "CLOSE_WAIT", Direction::Inbound)),
            "tcp CLOSE_WAIT :8080 <- peers",
            "every peer, either family: one name per local port"
        );
        let outbound = sample_label(&key("10.0.3.7:5432", "ESTABLISHED", Direction::Outbound));
        assert_eq!(outbound, "tcp ESTABLISHED -> 10.0.3.7:5432");
        assert_eq!(
            sample_label(&key("127.0.0.1:8080", "LISTEN", Direction::Listen)),
            "tcp LISTEN 127.0.0.1:8080"
        );
        assert_eq!(
            sample_label(&GroupKey::plain(FdKind::Pipe, "pipe")),
            "pipe pipe"
        );
        assert!(is_inbound_label(&inbound));
        assert!(is_inbound_label(
            "tcp ESTABLISHED 10.0.9.1 -> :8080 grew +3"
        ));
        assert!(!is_inbound_label(&outbound));
        assert!(!is_inbound_label("tcp ESTABLISHED -> [::1]:5432"));
    }

    #[test]
    fn sockets_missing_from_every_table_are_socket_other() {
        let mut census = Census::new(4);
        census.add(entry(3, LinkTarget::Socket(7)));
        census.add(entry(4, LinkTarget::Socket(8)));
        census.end_fd_scan();
        census.add_socket_row(SocketRow::Unix(UnixSocket {
            inode: 8,
            ty: UnixType::Dgram,
            state: UnixState::Unconnected,
            path: Some("/dev/log".into()),
        }));
        let done = census.finish(2);
        assert_eq!(done.vanished, 2);
        assert_eq!(done.kind_count(FdKind::SocketOther), 1);
        assert_eq!(done.kind_count(FdKind::Unix), 1);
        let log = find(&done, FdKind::Unix, "/dev/log");
        assert_eq!(log.key.socket_type, Some("dgram"));
        assert_eq!(log.key.state.as_deref(), Some("UNCONNECTED"));
    }

    #[test]
    fn deleted_files_pin_their_bytes_once_per_file() {
        let mut census = Census::new(2);
        let deleted = |fd, id| FdEntry {
            fd,
            target: LinkTarget::Path {
                path: "/var/log/app.log".into(),
                deleted: true,
            },
            path_type: PathType::Regular,
            allocated_bytes: 1 << 20,
            file_id: Some(id),
        };
        census.add(deleted(5, (1, 10)));
        census.add(deleted(6, (1, 10))); // the same file, opened twice
        census.add(deleted(7, (1, 11))); // an older rotation of the same name
        census.end_fd_scan();
        let done = census.finish(0);
        let g = find(&done, FdKind::DeletedFile, "/var/log/app.log");
        assert_eq!(g.count, 3);
        assert_eq!(g.allocated_bytes, 2 << 20);
        assert_eq!(g.fds, vec![5, 6], "samples are capped");
    }

    #[test]
    fn pipes_together_anon_inodes_by_kind() {
        let mut census = Census::new(4);
        for fd in 0..6 {
            census.add(entry(fd, LinkTarget::Pipe(fd as u64 / 2)));
        }
        census.add(entry(6, LinkTarget::Anon("eventfd".into())));
        census.add(entry(7, LinkTarget::Anon("bpf-map".into())));
        census.add(entry(8, LinkTarget::Anon("bpf-map".into())));
        census.end_fd_scan();
        let done = census.finish(0);
        assert_eq!(find(&done, FdKind::Pipe, "pipe").count, 6);
        assert_eq!(find(&done, FdKind::AnonOther, "bpf-map").count, 2);
        assert_eq!(done.kind_count(FdKind::Eventfd), 1);
        assert_eq!(done.groups.len(), 3);
    }
}

/// Replays a recorded /proc snapshot (tests/fixtures/proc) of the fd_mix target: its fd links
/// and its namespace's socket tables, as the kernel printed them.
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::model::fd::PathType;
    use crate::parse::fd_link::parse_link;
    use crate::parse::net::{parse_inet_row, parse_netlink_row, parse_unix_row};

    const LINKS: &str = include_str!("../../tests/fixtures/proc/fd-links.txt");
    const TCP: &str = include_str!("../../tests/fixtures/proc/net-tcp");
    const UDP: &str = include_str!("../../tests/fixtures/proc/net-udp");
    const UNIX: &str = include_str!("../../tests/fixtures/proc/net-unix");
    const NETLINK: &str = include_str!("../../tests/fixtures/proc/net-netlink");

    #[test]
    fn every_recorded_row_parses() {
        assert_eq!(
            TCP.lines()
                .skip(1)
                .filter_map(|l| parse_inet_row(InetProto::Tcp, l))
                .count(),
            8
        );
        assert_eq!(
            UDP.lines()
                .skip(1)
                .filter_map(|l| parse_inet_row(InetProto::Udp, l))
                .count(),
            1
        );
        assert_eq!(UNIX.lines().skip(1).filter_map(parse_unix_row).count(), 7);
        assert_eq!(
            NETLINK
                .lines()
                .skip(1)
                .filter_map(parse_netlink_row)
                .count(),
            10
        );
    }

    #[test]
    fn recorded_target_groups_as_expected() {
        let mut census = Census::new(4);
        for line in LINKS.lines() {
            let (fd, link) = line.split_once(' ').unwrap();
            census.add(FdEntry {
                fd: fd.parse().unwrap(),
                target: parse_link(link.trim_end()),
                path_type: PathType::Unknown,
                allocated_bytes: 0,
                file_id: None,
            });
        }
        census.end_fd_scan();
        let rows = TCP
            .lines()
            .filter_map(|l| parse_inet_row(InetProto::Tcp, l).map(SocketRow::Inet))
            .chain(
                UDP.lines()
                    .filter_map(|l| parse_inet_row(InetProto::Udp, l).map(SocketRow::Inet)),
            )
            .chain(
                UNIX.lines()
                    .filter_map(|l| parse_unix_row(l).map(SocketRow::Unix)),
            )
            .chain(
                NETLINK
                    .lines()
                    .filter_map(|l| parse_netlink_row(l).map(SocketRow::Netlink)),
            );
        for row in rows {
            census.add_socket_row(row);
        }
        let done = census.finish(0);
        let mut got: Vec<(String, String, u64)> = done
            .groups
            .iter()
            .filter(|g| matches!(g.key.kind, FdKind::Tcp | FdKind::Udp | FdKind::Unix))
            .map(|g| {
                (
                    g.key.target.clone(),
                    g.key.state.clone().unwrap_or_default(),
                    g.count,
                )
            })
            .collect();
        got.sort();
        let want = [
            ("(unnamed)", "CONNECTED", 4),
            ("/tmp/mix/fd_mix.sock", "LISTEN", 1),
            ("127.0.0.1 -> :45153", "ESTABLISHED", 3),
            ("127.0.0.1:36257", "UNCONN", 1),
            ("127.0.0.1:45153", "ESTABLISHED", 3),
            ("127.0.0.1:45153", "LISTEN", 1),
        ];
        let want: Vec<(String, String, u64)> = want
            .iter()
            .map(|(t, s, n)| (t.to_string(), s.to_string(), *n))
            .collect();
        assert_eq!(got, want);
        assert_eq!(done.total, 22);
        assert_eq!(done.kind_count(FdKind::SocketOther), 0);
    }
}
