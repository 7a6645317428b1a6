//! A socket as the target's network namespace describes it (/proc/PID/net/*).

use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InetProto {
    Tcp,
    Udp,
}

/// One row of tcp, tcp6, udp or udp6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    pub proto: InetProto,
    pub inode: u64,
    pub state: TcpState,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// Kernel socket states as numbered in include/net/tcp_states.h (UDP reuses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
    Unknown(u8),
}

impl TcpState {
    pub fn from_code(code: u8) -> TcpState {
        match code {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Close,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
            12 => TcpState::NewSynRecv,
            other => TcpState::Unknown(other),
        }
    }

    pub fn name(self) -> String {
        match self {
            TcpState::Established => "ESTABLISHED".into(),
            TcpState::SynSent => "SYN_SENT".into(),
            TcpState::SynRecv => "SYN_RECV".into(),
            TcpState::FinWait1 => "FIN_WAIT1".into(),
            TcpState::FinWait2 => "FIN_WAIT2".into(),
            TcpState::TimeWait => "TIME_WAIT".into(),
            TcpState::Close => "CLOSE".into(),
            TcpState::CloseWait => "CLOSE_WAIT".into(),
            TcpState::LastAck => "LAST_ACK".into(),
            TcpState::Listen => "LISTEN".into(),
            TcpState::Closing => "CLOSING".into(),
            TcpState::NewSynRecv => "NEW_SYN_RECV".into(),
            TcpState::Unknown(code) => format!("STATE_{code:02X}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnixType {
    Stream,
    Dgram,
    SeqPacket,
    Other(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnixState {
    Unconnected,
    Connecting,
    Connected,
    Disconnecting,
    Listening,
    Other(u8),
}

/// One row of /proc/PID/net/unix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocket {
    pub inode: u64,
    pub ty: UnixType,
    pub state: UnixState,
    /// Filesystem path, `@name` for the abstract namespace, None when unbound.
    pub path: Option<String>,
}

/// One row of /proc/PID/net/netlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetlinkSocket {
    pub inode: u64,
    pub protocol: u32,
}

/// Any socket row that matched one of the target's descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketRow {
    Inet(InetSocket),
    Unix(UnixSocket),
    Netlink(NetlinkSocket),
    /// Raw IP and packet sockets: counted as `socket_other`, but named (`raw icmp`,
    /// `packet`) rather than left unknown.
    Other {
        inode: u64,
        label: String,
    },
}

impl SocketRow {
    pub fn inode(&self) -> u64 {
        match self {
            SocketRow::Inet(s) => s.inode,
            SocketRow::Unix(s) => s.inode,
            SocketRow::Netlink(s) => s.inode,
            SocketRow::Other { inode, .. } => *inode,
        }
    }
}

/// Where the socket tables' rows go: the reader asks which inodes are wanted, so that rows of
/// other processes in the namespace are dropped while reading.
pub trait SocketSink {
    fn wants(&self, inode: u64) -> bool;
    fn add(&mut self, row: SocketRow);
}

/// Keeps every row that some descriptor can hold (for reading the tables before the inodes
/// are known). TIME_WAIT and other orphaned sockets show inode 0: no descriptor has them.
#[derive(Debug, Default)]
pub struct AllRows(pub Vec<SocketRow>);

impl SocketSink for AllRows {
    fn wants(&self, inode: u64) -> bool {
        inode != 0
    }

    fn add(&mut self, row: SocketRow) {
        self.0.push(row);
    }
}
