//! Who a unix socket is connected to, from the kernel's sock_diag netlink interface (as
//! `ss -x` learns it): /proc/net/unix does not say. The dump lists every unix socket of
//! steady's own network namespace; only the inodes asked for are kept, so a namespace of
//! 400,000 sockets costs a read, not their memory.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 0x2;
const NLMSG_DONE: u16 = 0x3;
const UDIAG_SHOW_PEER: u32 = 0x4;
const UNIX_DIAG_PEER: u16 = 2;
const NLMSG_HEADER: usize = 16;
const UNIX_DIAG_MSG: usize = 16;
/// The dump arrives in messages of a page or so each: a receive waits this long at most.
const RECEIVE_TIMEOUT_SECONDS: i64 = 2;
/// Messages read before giving up on a dump that does not end (a kernel bug, not a busy
/// host: 400,000 sockets are about 20,000 messages).
const MAX_MESSAGES: usize = 1_000_000;

/// The peer inode of each asked-for unix socket that has a peer.
pub fn unix_peers(wanted: &HashSet<u64>) -> io::Result<HashMap<u64, u64>> {
    let mut peers = HashMap::new();
    if wanted.is_empty() {
        return Ok(peers);
    }
    let socket = open_diag_socket()?;
    send_dump_request(&socket)?;
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..MAX_MESSAGES {
        // SAFETY: buf is a live, writable buffer of buf.len() bytes.
        let n = unsafe { libc::recv(socket.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        match read_messages(&buf[..n as usize], wanted, &mut peers)? {
            Dump::More => continue,
            Dump::Done => return Ok(peers),
        }
    }
    Err(io::Error::other("the unix socket dump did not end"))
}

fn open_diag_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain system calls on a descriptor this function owns.
    unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = OwnedFd::from_raw_fd(fd);
        let timeout = libc::timeval {
            tv_sec: RECEIVE_TIMEOUT_SECONDS,
            tv_usec: 0,
        };
        let rc = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(socket)
    }
}

/// An nlmsghdr and a unix_diag_req asking for every unix socket, in any state, with its peer.
fn dump_request() -> [u8; NLMSG_HEADER + 24] {
    let mut req = [0u8; NLMSG_HEADER + 24];
    req[0..4].copy_from_slice(&((NLMSG_HEADER + 24) as u32).to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // unix_diag_req: family, protocol, pad, states, ino, show, cookie[2].
    req[16] = libc::AF_UNIX as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes());
    req[28..32].copy_from_slice(&UDIAG_SHOW_PEER.to_ne_bytes());
    req
}

fn send_dump_request(socket: &OwnedFd) -> io::Result<()> {
    let req = dump_request();
    // SAFETY: a zeroed sockaddr_nl is valid; nl_pid 0 addresses the kernel.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: req and kernel outlive the call; the lengths are theirs.
    let n = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            req.as_ptr().cast(),
            req.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Dump {
    More,
    Done,
}

/// One datagram of the dump: any number of netlink messages, each a unix_diag_msg and its
/// attributes. A truncated or malformed message ends the datagram, never reads past it.
fn read_messages(
    buf: &[u8],
    wanted: &HashSet<u64>,
    peers: &mut HashMap<u64, u64>,
) -> io::Result<Dump> {
    let mut at = 0;
    while at + NLMSG_HEADER <= buf.len() {
        let len = u32_at(buf, at) as usize;
        let kind = u16_at(buf, at + 4);
        if len < NLMSG_HEADER || at + len > buf.len() {
            break;
        }
        let body = &buf[at + NLMSG_HEADER..at + len];
        match kind {
            NLMSG_DONE => return Ok(Dump::Done),
            NLMSG_ERROR => {
                let errno = body
                    .get(0..4)
                    .map_or(0, |_| i32::from_ne_bytes(word(body, 0)));
                return Err(io::Error::from_raw_os_error(errno.saturating_neg()));
            }
            SOCK_DIAG_BY_FAMILY if body.len() >= UNIX_DIAG_MSG => {
                let inode = u64::from(u32_at(body, 4));
                if wanted.contains(&inode) {
                    if let Some(peer) = peer_attribute(&body[UNIX_DIAG_MSG..]) {
                        peers.insert(inode, peer);
                    }
                }
            }
            _ => {}
        }
        at += align4(len);
    }
    Ok(Dump::More)
}

/// The UNIX_DIAG_PEER attribute among a message's rtattrs; 0 (no peer) reads as none.
fn peer_attribute(mut attrs: &[u8]) -> Option<u64> {
    while attrs.len() >= 4 {
        let len = usize::from(u16_at(attrs, 0));
        let kind = u16_at(attrs, 2);
        if len < 4 || len > attrs.len() {
            return None;
        }
        if kind == UNIX_DIAG_PEER && len >= 8 {
            return Some(u64::from(u32_at(attrs, 4))).filter(|&p| p != 0);
        }
        attrs = &attrs[align4(len).min(attrs.len())..];
    }
    None
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn word(buf: &[u8], at: usize) -> [u8; 4] {
    [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(word(buf, at))
}

fn u16_at(buf: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([buf[at], buf[at + 1]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::linux::fs::MetadataExt;
    use std::os::unix::net::UnixStream;

    fn socket_inode(fd: i32) -> u64 {
        std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .unwrap()
            .st_ino()
    }

    #[test]
    fn a_socketpair_names_each_end_as_the_others_peer() {
        let (a, b) = UnixStream::pair().unwrap();
        let (ia, ib) = (socket_inode(a.as_raw_fd()), socket_inode(b.as_raw_fd()));
        let peers = unix_peers(&HashSet::from([ia, ib])).unwrap();
        assert_eq!(peers.get(&ia), Some(&ib));
        assert_eq!(peers.get(&ib), Some(&ia));
        assert_eq!(peers.len(), 2, "only the sockets asked for are kept");
    }

    fn message(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HEADER + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(body);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    fn diag_msg(inode: u32, peer: Option<u32>) -> Vec<u8> {
        let mut body = vec![1, 1, 1, 0];
        body.extend_from_slice(&inode.to_ne_bytes());
        body.extend_from_slice(&[0; 8]);
        // An attribute steady does not read comes first.
        body.extend_from_slice(&[6, 0, 0, 0, 9, 9, 0, 0]);
        if let Some(peer) = peer {
            body.extend_from_slice(&8u16.to_ne_bytes());
            body.extend_from_slice(&UNIX_DIAG_PEER.to_ne_bytes());
            body.extend_from_slice(&peer.to_ne_bytes());
        }
        body
    }

    #[test]
    fn messages_are_read_to_the_end_of_the_dump_and_truncation_stops_safely() {
        let mut buf = message(SOCK_DIAG_BY_FAMILY, &diag_msg(10, Some(11)));
        buf.extend(message(SOCK_DIAG_BY_FAMILY, &diag_msg(12, None)));
        buf.extend(message(SOCK_DIAG_BY_FAMILY, &diag_msg(99, Some(98))));
        let wanted = HashSet::from([10, 12]);
        let mut peers = HashMap::new();
        assert_eq!(
            read_messages(&buf, &wanted, &mut peers).unwrap(),
            Dump::More
        );
        assert_eq!(peers, HashMap::from([(10, 11)]));

        let done = message(NLMSG_DONE, &[0; 4]);
        assert_eq!(
            read_messages(&done, &wanted, &mut peers).unwrap(),
            Dump::Done
        );

        // Every prefix of a datagram reads without a panic.
        for cut in 0..buf.len() {
            let _ = read_messages(&buf[..cut], &wanted, &mut HashMap::new());
        }
        let mut lying = message(SOCK_DIAG_BY_FAMILY, &diag_msg(10, Some(11)));
        lying[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(
            read_messages(&lying, &wanted, &mut HashMap::new()).unwrap(),
            Dump::More
        );
    }

    #[test]
    fn an_error_message_is_the_kernels_errno() {
        let buf = message(NLMSG_ERROR, &(-libc::EPERM).to_ne_bytes());
        let err = read_messages(&buf, &HashSet::new(), &mut HashMap::new()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    }
}
