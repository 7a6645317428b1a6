//! `steady fds PID --peers`: two real processes joined by a pipe, a unix socketpair, a
//! loopback TCP connection and a shared eventfd, each end placed at a descriptor number
//! the test chose, so the other end of every one is known before steady looks.

use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use serde::Deserialize;
use serde_json::Value;

use crate::holders::{spawn_holding, Holder};
use crate::support::{steady, steady_json};

#[derive(Debug, Deserialize)]
struct Row {
    fd: i32,
    kind: String,
    peers: Vec<Peer>,
    peers_complete: bool,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Peer {
    pid: i32,
    comm: Option<String>,
    fd: i32,
    mode: Option<String>,
}

// The target's ends, and the peer's.
const PIPE_WRITE: RawFd = 40;
const UNIX: RawFd = 41;
const TCP: RawFd = 42;
const EVENTFD: RawFd = 43;
const SELF_READ: RawFd = 44;
const SELF_WRITE: RawFd = 45;
const PIPE_READ: RawFd = 50;
const UNIX_PEER: RawFd = 51;
const TCP_PEER: RawFd = 52;
const EVENTFD_PEER: RawFd = 53;

fn pipe() -> [OwnedFd; 2] {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: the kernel just returned these and nothing else owns them.
    unsafe { [OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])] }
}

/// The target and its peer. The test's own copies are closed when this returns, so the
/// only holders left are the two processes.
fn spawn_pair() -> (Holder, Holder) {
    let joined = pipe();
    let self_pipe = pipe();
    let (unix, unix_peer) = UnixStream::pair().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (tcp_peer, _) = listener.accept().unwrap();
    // SAFETY: eventfd returns a new descriptor or -1.
    let eventfd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(eventfd >= 0, "eventfd");
    // SAFETY: the descriptor is new and owned here alone.
    let eventfd = unsafe { OwnedFd::from_raw_fd(eventfd) };
    let target = spawn_holding(vec![
        (joined[1].as_raw_fd(), PIPE_WRITE),
        (unix.as_raw_fd(), UNIX),
        (tcp.as_raw_fd(), TCP),
        (eventfd.as_raw_fd(), EVENTFD),
        (self_pipe[0].as_raw_fd(), SELF_READ),
        (self_pipe[1].as_raw_fd(), SELF_WRITE),
    ]);
    let peer = spawn_holding(vec![
        (joined[0].as_raw_fd(), PIPE_READ),
        (unix_peer.as_raw_fd(), UNIX_PEER),
        (tcp_peer.as_raw_fd(), TCP_PEER),
        (eventfd.as_raw_fd(), EVENTFD_PEER),
    ]);
    (target, peer)
}

fn row(rows: &[Row], fd: RawFd) -> &Row {
    rows.iter()
        .find(|r| r.fd == fd)
        .unwrap_or_else(|| panic!("no fd {fd} in {rows:#?}"))
}

fn peer(pid: i32, fd: RawFd, mode: Option<&str>) -> Peer {
    Peer {
        pid,
        comm: Some("sleep".to_string()),
        fd,
        mode: mode.map(str::to_string),
    }
}

#[test]
fn each_descriptors_other_end_is_the_process_and_descriptor_the_test_joined_it_to() {
    let (target, other) = spawn_pair();
    let pid = target.pid.to_string();
    let (rows, code): (Vec<Row>, i32) = steady_json(&["fds", &pid, "--list", "--peers"]);
    assert_eq!(code, 0);
    let cases = [
        (PIPE_WRITE, "pipe", peer(other.pid, PIPE_READ, Some("r"))),
        (UNIX, "unix", peer(other.pid, UNIX_PEER, None)),
        (TCP, "tcp", peer(other.pid, TCP_PEER, None)),
        (
            EVENTFD,
            "eventfd",
            peer(other.pid, EVENTFD_PEER, Some("rw")),
        ),
        (SELF_READ, "pipe", peer(target.pid, SELF_WRITE, Some("w"))),
        (SELF_WRITE, "pipe", peer(target.pid, SELF_READ, Some("r"))),
    ];
    for (fd, kind, want) in cases {
        let r = row(&rows, fd);
        assert_eq!(r.kind, kind, "fd {fd}");
        assert_eq!(r.peers, [want], "fd {fd}: {r:?}");
    }
    // Root reads every process: nothing can have been hidden.
    if crate::support::has_capability(19) {
        assert!(rows.iter().all(|r| r.peers_complete), "{rows:#?}");
    }
    // /dev/null (0-2) has no other end.
    assert!(row(&rows, 0).peers.is_empty());

    compare_with_ss(&target, &other);

    let text = steady(&["fds", &pid, "--list", "--peers"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{PIPE_WRITE} ")))
        .unwrap_or_else(|| panic!("no row for fd {PIPE_WRITE}:\n{stdout}"));
    assert!(
        line.ends_with(&format!("<> {},sleep,{PIPE_READ}r-", other.pid)),
        "lsfd's ENDPOINTS form: {line}"
    );
    assert!(stdout.contains("other ends: read "), "{stdout}");
}

#[test]
fn census_groups_name_the_process_at_the_other_end() {
    let (target, other) = spawn_pair();
    let pid = target.pid.to_string();
    let (doc, code): (Value, i32) = steady_json(&["fds", &pid, "--peers", "--top", "0"]);
    assert_eq!(code, 0);
    let groups = doc["groups"].as_array().unwrap();
    let peers_of = |kind: &str| -> Vec<(i64, Option<String>, u64)> {
        let group = groups
            .iter()
            .find(|g| g["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} group in {doc:#}"));
        group["peers"]
            .as_array()
            .unwrap_or_else(|| panic!("no peers on {group:#}"))
            .iter()
            .map(|p| {
                (
                    p["pid"].as_i64().unwrap(),
                    p["mode"].as_str().map(str::to_string),
                    p["fds"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (t, o) = (i64::from(target.pid), i64::from(other.pid));
    // Three pipe ends: the one the peer reads, and the self-pipe's two, each other's.
    let mut pipe = peers_of("pipe");
    pipe.sort();
    let mut want = vec![
        (o, Some("r".to_string()), 1),
        (t, Some("r".to_string()), 1),
        (t, Some("w".to_string()), 1),
    ];
    want.sort();
    assert_eq!(pipe, want);
    assert_eq!(peers_of("unix"), [(o, None, 1)]);
    assert_eq!(peers_of("tcp"), [(o, None, 1)]);
    assert_eq!(peers_of("eventfd"), [(o, Some("rw".to_string()), 1)]);
    assert!(doc["peer_scan"]["processes_read"].as_u64().unwrap() >= 2);
    assert!(doc["peer_scan"]["descriptors_read"].as_u64().unwrap() >= 10);

    let text = steady(&["fds", &pid, "--peers"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("OTHER END"), "{stdout}");
    assert!(
        stdout.contains(&format!("PID {} sleep (read end)", other.pid)),
        "{stdout}"
    );
}

fn socket_inode(pid: i32, fd: RawFd) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/fd/{fd}"))
        .unwrap()
        .ino()
}

/// ss (iproute2) learns unix peers from the same sock_diag interface, independently of
/// steady: its row for the target's socket names the peer's inode, and the peer's row names
/// the process and descriptor steady named.
fn compare_with_ss(target: &Holder, other: &Holder) {
    let out = match std::process::Command::new("ss").args(["-xpH"]).output() {
        Ok(out) if out.status.success() => out,
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "ss (iproute2) is missing under CI=true: .ci/run installs it"
            );
            eprintln!("ss not installed: the unix peers are not compared with it");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let (ours, theirs) = (
        socket_inode(target.pid, UNIX),
        socket_inode(other.pid, UNIX_PEER),
    );
    // `u_str ESTAB 0 0 * LOCAL_INODE * PEER_INODE users:(("sleep",pid=N,fd=M))`
    let row = |inode: u64| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|f| f.get(5).is_some_and(|i| *i == inode.to_string()))
            .unwrap_or_else(|| panic!("ss lists no unix socket {inode}:\n{text}"))
    };
    assert_eq!(
        row(ours)[7],
        theirs.to_string(),
        "ss names the peer steady found"
    );
    let users = row(theirs).join(" ");
    assert!(
        users.contains(&format!("pid={},fd={UNIX_PEER}", other.pid)),
        "ss: {users}"
    );
}
