//! What one entry of /proc/PID/fd points at, once classified.

use serde::Serialize;

/// The kind of a descriptor, as named in the JSON `by_kind` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FdKind {
    File,
    DeletedFile,
    Directory,
    Device,
    Pipe,
    Tcp,
    Udp,
    Unix,
    Netlink,
    SocketOther,
    Memfd,
    Eventfd,
    Eventpoll,
    Timerfd,
    Inotify,
    Signalfd,
    Pidfd,
    IoUring,
    AnonOther,
    Other,
}

impl FdKind {
    /// Every kind, in the order tables and JSON list them.
    pub const ALL: [FdKind; 20] = [
        FdKind::File,
        FdKind::DeletedFile,
        FdKind::Directory,
        FdKind::Device,
        FdKind::Pipe,
        FdKind::Tcp,
        FdKind::Udp,
        FdKind::Unix,
        FdKind::Netlink,
        FdKind::SocketOther,
        FdKind::Memfd,
        FdKind::Eventfd,
        FdKind::Eventpoll,
        FdKind::Timerfd,
        FdKind::Inotify,
        FdKind::Signalfd,
        FdKind::Pidfd,
        FdKind::IoUring,
        FdKind::AnonOther,
        FdKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::DeletedFile => "deleted_file",
            FdKind::Directory => "directory",
            FdKind::Device => "device",
            FdKind::Pipe => "pipe",
            FdKind::Tcp => "tcp",
            FdKind::Udp => "udp",
            FdKind::Unix => "unix",
            FdKind::Netlink => "netlink",
            FdKind::SocketOther => "socket_other",
            FdKind::Memfd => "memfd",
            FdKind::Eventfd => "eventfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Timerfd => "timerfd",
            FdKind::Inotify => "inotify",
            FdKind::Signalfd => "signalfd",
            FdKind::Pidfd => "pidfd",
            FdKind::IoUring => "io_uring",
            FdKind::AnonOther => "anon_other",
            FdKind::Other => "other",
        }
    }

    /// The kind named `name` (as `name()` spells it), for `--kind tcp,pipe`.
    pub fn from_name(name: &str) -> Option<FdKind> {
        FdKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the fd link names, as parsed from its `readlink` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// An absolute path; `deleted` when the kernel appended " (deleted)".
    Path {
        path: String,
        deleted: bool,
    },
    Socket(u64),
    Pipe(u64),
    /// `anon_inode:[eventfd]`, `anon_inode:inotify`, `pidfd:[…]`: the name without brackets.
    Anon(String),
    /// `/memfd:NAME (deleted)`: the name.
    Memfd(String),
    /// Anything else the kernel prints (`net:[…]`, `mnt:[…]`, …), kept verbatim.
    Other(String),
}

/// File type of a path target, from stat on the descriptor itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathType {
    Regular,
    Directory,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

/// One classified descriptor, handed by the collector to the census one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub fd: i32,
    pub target: LinkTarget,
    /// For path targets: the type and the bytes the open file holds on disk.
    pub path_type: PathType,
    pub allocated_bytes: u64,
    /// (device, inode) of the open file for path and memfd targets, so a file open twice
    /// is not counted twice in the bytes it pins.
    pub file_id: Option<(u64, u64)>,
}
