//! The other ends of what a process holds (`fds --peers`, lsfd's ENDPOINTS): pipes, unix
//! sockets, TCP connections within the namespace and eventfds, found by what identifies them
//! across processes.

use serde::Serialize;

/// What another descriptor must be to be an end of something the target holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Any descriptor of the same pipe (`pipe:[inode]`, or a FIFO's inode).
    Pipe(u64),
    /// The socket at the other end: a unix socket's peer, or the TCP socket whose local
    /// and remote addresses are the target's swapped.
    Socket(u64),
    /// The same eventfd (fdinfo's `eventfd-id`; every eventfd's link reads the same).
    Eventfd(u64),
}

/// One descriptor, in some process, that is an end of something the target holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    pub comm: Option<String>,
    pub fd: i32,
    /// `r`, `w` or `rw` from fdinfo's flags; None when they could not be read.
    pub mode: Option<&'static str>,
}

/// A process at the other end of some of a census group's descriptors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupPeer {
    pub pid: i32,
    pub comm: Option<String>,
    /// `r`, `w` or `rw`: which end it holds (a pipe's read end is `r`).
    pub mode: Option<&'static str>,
    /// How many of the group's descriptors it is at the other end of.
    pub fds: u64,
}

/// How far the search for other ends went: every process under /proc is read, and those
/// steady may not read are counted, not guessed at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeerScan {
    pub processes_read: u64,
    /// Processes whose descriptor table steady may not read (another user's, without
    /// CAP_SYS_PTRACE): an end held there is not shown.
    pub processes_hidden: u64,
    pub descriptors_read: u64,
    /// Why unix socket peers are unknown, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_peers_unknown: Option<String>,
}
