//! A test target: opens a known mix of descriptors, holds them, optionally keeps opening
//! more (a leak), and exits on its own after --lifetime seconds. Talks over loopback only.
//!
//! Prints one ready line on stdout: `READY pid=<pid> port=<tcp listener port>`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Spec {
    dir: PathBuf,
    pipes: usize,
    tcp: usize,
    unix_pairs: usize,
    files: usize,
    deleted: usize,
    eventfds: usize,
    leak: Option<String>,
    leak_every: Duration,
    leak_max: usize,
    lifetime: Duration,
}

fn parse_args() -> Spec {
    let mut spec = Spec {
        dir: std::env::temp_dir(),
        pipes: 0,
        tcp: 0,
        unix_pairs: 0,
        files: 0,
        deleted: 0,
        eventfds: 0,
        leak: None,
        leak_every: Duration::from_millis(100),
        leak_max: 10_000,
        lifetime: Duration::from_secs(60),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        let n = || value.parse::<usize>().expect("numeric value");
        match pair[0].as_str() {
            "--dir" => spec.dir = PathBuf::from(&value),
            "--pipes" => spec.pipes = n(),
            "--tcp" => spec.tcp = n(),
            "--unix-pairs" => spec.unix_pairs = n(),
            "--files" => spec.files = n(),
            "--deleted" => spec.deleted = n(),
            "--eventfds" => spec.eventfds = n(),
            "--leak" => spec.leak = Some(value),
            "--leak-every-ms" => spec.leak_every = Duration::from_millis(n() as u64),
            "--leak-max" => spec.leak_max = n(),
            "--lifetime" => spec.lifetime = Duration::from_secs(n() as u64),
            other => panic!("unknown argument {other}"),
        }
    }
    spec
}

fn check(rc: libc::c_int, what: &str) -> OwnedFd {
    assert!(rc >= 0, "{what}: {}", std::io::Error::last_os_error());
    // SAFETY: rc is a descriptor the kernel just returned to us and nothing else owns.
    unsafe { OwnedFd::from_raw_fd(rc) }
}

fn pipe_pair() -> [OwnedFd; 2] {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2");
    [check(fds[0], "pipe"), check(fds[1], "pipe")]
}

fn main() {
    // Whatever the test harness leaked into us (jobserver pipes…) would blur exact counts.
    // SAFETY: closes descriptors this process does not use; 0-2 stay.
    unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    let spec = parse_args();
    let deadline = Instant::now() + spec.lifetime;
    let mut held: Vec<OwnedFd> = Vec::new();
    let mut streams: Vec<TcpStream> = Vec::new();

    for _ in 0..spec.pipes {
        held.extend(pipe_pair());
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
    let port = listener.local_addr().unwrap().port();
    for _ in 0..spec.tcp {
        let client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        streams.push(client);
        streams.push(server);
    }
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let mut pairs = Vec::new();
    for _ in 0..spec.unix_pairs {
        pairs.push(UnixStream::pair().expect("socketpair"));
    }
    let sock_path = spec.dir.join("fd_mix.sock");
    let _ = fs::remove_file(&sock_path);
    let unix_listener = UnixListener::bind(&sock_path).expect("bind unix");

    let mut files = Vec::new();
    for i in 0..spec.files {
        let path = spec.dir.join(format!("open-{i}.txt"));
        files.push(File::create(&path).expect("create file"));
    }
    for i in 0..spec.deleted {
        let path = spec.dir.join(format!("deleted-{i}.log"));
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .expect("create");
        f.write_all(&vec![b'x'; 64 * 1024]).unwrap();
        f.sync_all().unwrap();
        fs::remove_file(&path).unwrap();
        files.push(f);
    }
    files.push(File::open(&spec.dir).expect("open dir"));

    // SAFETY (all below): plain syscalls that return a new descriptor or -1.
    for _ in 0..spec.eventfds {
        held.push(check(
            unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) },
            "eventfd",
        ));
    }
    held.push(check(
        unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) },
        "epoll",
    ));
    held.push(check(
        unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC) },
        "timerfd",
    ));
    held.push(check(
        unsafe { libc::inotify_init1(libc::IN_CLOEXEC) },
        "inotify",
    ));
    let mut mask: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe { libc::sigemptyset(&mut mask) };
    unsafe { libc::sigaddset(&mut mask, libc::SIGUSR1) };
    held.push(check(
        unsafe { libc::signalfd(-1, &mask, libc::SFD_CLOEXEC) },
        "signalfd",
    ));
    held.push(check(
        unsafe { libc::memfd_create(c"fd_mix".as_ptr(), libc::MFD_CLOEXEC) },
        "memfd",
    ));

    println!("READY pid={} port={port}", std::process::id());
    std::io::stdout().flush().unwrap();

    let mut leaked = 0;
    while Instant::now() < deadline {
        std::thread::sleep(
            spec.leak_every
                .min(deadline.saturating_duration_since(Instant::now())),
        );
        if leaked >= spec.leak_max {
            continue;
        }
        match spec.leak.as_deref() {
            Some("pipe") => held.extend(pipe_pair()),
            Some("tcp") => {
                if let Ok(client) = TcpStream::connect(("127.0.0.1", port)) {
                    streams.push(client);
                    if let Ok((server, _)) = listener.accept() {
                        streams.push(server);
                    }
                }
            }
            Some("file") => {
                let path = spec.dir.join(format!("leak-{leaked}.txt"));
                files.push(File::create(&path).expect("create leak file"));
            }
            Some(other) => panic!("unknown leak kind {other}"),
            None => continue,
        }
        leaked += 1;
    }
    drop((udp, unix_listener, pairs, files, held, streams));
    let _ = fs::remove_file(&sock_path);
}
