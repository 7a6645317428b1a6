//! `fds --list`: one row per descriptor, named as the census names its groups, with what
//! fdinfo adds (open flags, position, inode). Pure: rows are built one at a time from what
//! the collector read, so the command can print each as soon as it is made.

use std::collections::{HashMap, HashSet};

use regex::Regex;

use crate::analyze::census::{link_key, socket_key, unlisted_socket_key, Direction, GroupKey};
use crate::model::fd::{FdEntry, FdKind, LinkTarget};
use crate::model::socket::{InetProto, SocketRow, TcpState};
use crate::parse::fd_link::kind_of;
use crate::parse::fdinfo::FdInfo;

/// One descriptor.
#[derive(Debug, Clone, PartialEq)]
pub struct FdRow {
    pub fd: i32,
    pub kind: FdKind,
    pub target: String,
    pub state: Option<String>,
    pub direction: Option<Direction>,
    pub socket_type: Option<&'static str>,
    pub inode: Option<u64>,
    /// fdinfo's `flags:`, None when it could not be read.
    pub flags: Option<u32>,
    pub pos: Option<u64>,
    /// Disk or memory held by a deleted file or a memfd (its allocated blocks).
    pub pinned_bytes: Option<u64>,
}

/// The target's namespace sockets by inode, and the ports listened on there (which tell an
/// accepted connection from a dialled one, as in the census).
#[derive(Debug, Default)]
pub struct SocketIndex {
    rows: HashMap<u64, SocketRow>,
    listen_ports: HashSet<u16>,
}

impl SocketIndex {
    pub fn new(rows: Vec<SocketRow>) -> SocketIndex {
        let mut index = SocketIndex::default();
        for row in rows {
            if let SocketRow::Inet(s) = &row {
                if s.proto == InetProto::Tcp && s.state == TcpState::Listen {
                    index.listen_ports.insert(s.local.port());
                }
            }
            index.rows.insert(row.inode(), row);
        }
        index
    }

    fn key(&self, inode: u64) -> GroupKey {
        self.rows
            .get(&inode)
            .map(|row| socket_key(row, &self.listen_ports))
            .unwrap_or_else(unlisted_socket_key)
    }
}

/// Which rows `--kind` and `--match` keep.
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// Empty keeps every kind.
    pub kinds: Vec<FdKind>,
    /// Searched in the target as the row shows it.
    pub pattern: Option<Regex>,
}

impl RowFilter {
    pub fn keeps_kind(&self, kind: FdKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    pub fn keeps(&self, row: &FdRow) -> bool {
        self.keeps_kind(row.kind)
            && self
                .pattern
                .as_ref()
                .is_none_or(|p| p.is_match(&row.target))
    }
}

/// The row of one descriptor, before fdinfo is read (the filter may drop it first).
pub fn build_row(entry: FdEntry, sockets: &SocketIndex) -> FdRow {
    let kind = kind_of(&entry.target, entry.path_type);
    let link_inode = match &entry.target {
        LinkTarget::Socket(inode) | LinkTarget::Pipe(inode) => Some(*inode),
        _ => None,
    };
    let inode = link_inode.or(entry.file_id.map(|(_, ino)| ino));
    let pins = matches!(kind, FdKind::DeletedFile | FdKind::Memfd);
    let key = link_key(kind, entry.target).unwrap_or_else(|inode| sockets.key(inode));
    FdRow {
        fd: entry.fd,
        kind: key.kind,
        target: key.target,
        state: key.state,
        direction: key.direction,
        socket_type: key.socket_type,
        inode,
        flags: None,
        pos: None,
        pinned_bytes: pins.then_some(entry.allocated_bytes),
    }
}

/// The census group the row's descriptor is counted in.
pub fn row_key(row: &FdRow) -> GroupKey {
    GroupKey {
        kind: row.kind,
        target: row.target.clone(),
        state: row.state.clone(),
        direction: row.direction,
        socket_type: row.socket_type,
    }
}

/// Adds what /proc/PID/fdinfo/N said.
pub fn add_fdinfo(row: &mut FdRow, info: FdInfo) {
    row.flags = info.flags;
    row.pos = info.pos;
    row.inode = row.inode.or(info.ino);
}

/// The access mode as open(2) spells it.
pub fn access_mode(flags: u32) -> &'static str {
    match flags as i32 & libc::O_ACCMODE {
        libc::O_RDONLY => "O_RDONLY",
        libc::O_WRONLY => "O_WRONLY",
        libc::O_RDWR => "O_RDWR",
        // O_PATH descriptors and the odd `3` some drivers accept.
        _ => "O_ACCMODE",
    }
}

/// `r`, `w` or `rw`; empty for an O_PATH descriptor, which can do neither.
pub fn mode(flags: u32) -> &'static str {
    if flags as i32 & libc::O_PATH != 0 {
        return "";
    }
    match flags as i32 & libc::O_ACCMODE {
        libc::O_RDONLY => "r",
        libc::O_WRONLY => "w",
        _ => "rw",
    }
}

/// The flags worth showing beside the access mode, in this order. O_LARGEFILE is left out:
/// every 64-bit open sets it, so it says nothing (the raw number is in the JSON).
const NOTABLE: [(i32, &str); 9] = [
    (libc::O_APPEND, "O_APPEND"),
    (libc::O_NONBLOCK, "O_NONBLOCK"),
    (libc::O_CLOEXEC, "O_CLOEXEC"),
    (libc::O_SYNC, "O_SYNC"),
    (libc::O_DSYNC, "O_DSYNC"),
    (libc::O_DIRECT, "O_DIRECT"),
    (libc::O_NOATIME, "O_NOATIME"),
    (libc::O_PATH, "O_PATH"),
    (libc::O_DIRECTORY, "O_DIRECTORY"),
];

/// The access mode, then each notable flag that is set: `["O_RDWR", "O_APPEND"]`.
pub fn flag_names(flags: u32) -> Vec<&'static str> {
    let bits = flags as i32;
    let mut names = vec![access_mode(flags)];
    for (flag, name) in NOTABLE {
        // O_SYNC includes O_DSYNC's bit: name only the stronger one.
        let set = bits & flag == flag;
        let implied = flag == libc::O_DSYNC && bits & libc::O_SYNC == libc::O_SYNC;
        if set && !implied {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fd::PathType;
    use crate::model::socket::InetSocket;

    fn entry(fd: i32, target: LinkTarget) -> FdEntry {
        FdEntry {
            fd,
            target,
            path_type: PathType::Unknown,
            allocated_bytes: 0,
            file_id: None,
        }
    }

    #[test]
    fn flags_read_as_open_spells_them() {
        let cases: [(u32, &[&str], &str); 6] = [
            (0o100000, &["O_RDONLY"], "r"),
            (0o2100002, &["O_RDWR", "O_CLOEXEC"], "rw"),
            (0o102001, &["O_WRONLY", "O_APPEND"], "w"),
            (0o4000, &["O_RDONLY", "O_NONBLOCK"], "r"),
            (0o4010001, &["O_WRONLY", "O_SYNC"], "w"),
            (0o12000000, &["O_RDONLY", "O_CLOEXEC", "O_PATH"], ""),
        ];
        for (flags, names, want_mode) in cases {
            assert_eq!(flag_names(flags), names, "{flags:o}");
            assert_eq!(mode(flags), want_mode, "{flags:o}");
        }
    }

    #[test]
    fn rows_are_named_as_the_census_names_groups() {
        let sockets = SocketIndex::new(vec![
            SocketRow::Inet(InetSocket {
                proto: InetProto::Tcp,
                inode: 10,
                state: TcpState::Listen,
                local: "127.0.0.1:45381".parse().unwrap(),
                remote: "0.0.0.0:0".parse().unwrap(),
            }),
            SocketRow::Inet(InetSocket {
                proto: InetProto::Tcp,
                inode: 11,
                state: TcpState::Established,
                local: "127.0.0.1:45381".parse().unwrap(),
                remote: "127.0.0.1:50000".parse().unwrap(),
            }),
        ]);
        let listen = build_row(entry(3, LinkTarget::Socket(10)), &sockets);
        assert_eq!(
            (listen.kind, listen.target.as_str(), listen.inode),
            (FdKind::Tcp, "127.0.0.1:45381", Some(10))
        );
        assert_eq!(listen.direction, Some(Direction::Listen));
        let accepted = build_row(entry(4, LinkTarget::Socket(11)), &sockets);
        assert_eq!(accepted.target, "127.0.0.1 -> :45381");
        assert_eq!(accepted.direction, Some(Direction::Inbound));
        let gone = build_row(entry(5, LinkTarget::Socket(12)), &sockets);
        assert_eq!(gone.kind, FdKind::SocketOther);

        let mut deleted = build_row(
            FdEntry {
                fd: 6,
                target: LinkTarget::Path {
                    path: "/tmp/x.log".into(),
                    deleted: true,
                },
                path_type: PathType::Regular,
                allocated_bytes: 8192,
                file_id: Some((1, 77)),
            },
            &sockets,
        );
        add_fdinfo(
            &mut deleted,
            FdInfo {
                pos: Some(12),
                flags: Some(0o100002),
                ino: Some(99),
                eventfd_id: None,
            },
        );
        assert_eq!(deleted.kind, FdKind::DeletedFile);
        assert_eq!(
            (deleted.inode, deleted.pinned_bytes, deleted.pos),
            (Some(77), Some(8192), Some(12)),
            "the inode stat gave wins over fdinfo's"
        );
        let pipe = build_row(entry(7, LinkTarget::Pipe(5)), &sockets);
        assert_eq!((pipe.target.as_str(), pipe.inode), ("pipe", Some(5)));
        assert_eq!(pipe.pinned_bytes, None);
    }

    #[test]
    fn filters_keep_kinds_and_matching_targets() {
        let row = build_row(entry(3, LinkTarget::Pipe(5)), &SocketIndex::default());
        let all = RowFilter::default();
        assert!(all.keeps(&row));
        let tcp = RowFilter {
            kinds: vec![FdKind::Tcp],
            pattern: None,
        };
        assert!(!tcp.keeps(&row));
        let pipes = RowFilter {
            kinds: vec![FdKind::Tcp, FdKind::Pipe],
            pattern: Some(Regex::new("^pi").unwrap()),
        };
        assert!(pipes.keeps(&row));
        let other = RowFilter {
            kinds: vec![],
            pattern: Some(Regex::new("socket").unwrap()),
        };
        assert!(!other.keeps(&row));
    }
}
