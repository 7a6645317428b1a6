//! A test target that is not a Go program: a raw TCP listener on loopback (a stand-in for a
//! database or broker that reads whatever arrives as its own protocol) that appends every
//! connection and byte it receives to `DIR/received`, and holds open each `--open PATH`.
//! With `--churn 1` it also opens and closes descriptors as fast as it can (well over 10,000
//! a second) and starts short-lived threads in a loop: a target whose /proc changes under the
//! reader. Exits on its own after --lifetime seconds.
//!
//! Prints one ready line on stdout: `READY pid=<pid> port=<tcp listener port>`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let mut dir = std::env::temp_dir();
    let mut lifetime = Duration::from_secs(60);
    let mut open = Vec::new();
    let mut churn = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--dir" => dir = PathBuf::from(value),
            "--lifetime" => lifetime = Duration::from_secs(value.parse().expect("seconds")),
            "--open" => open.push(PathBuf::from(value)),
            "--churn" => churn = value == "1",
            other => panic!("unknown argument {other}"),
        }
    }
    let held: Vec<File> = open
        .iter()
        .map(|p| File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display())))
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
    let port = listener.local_addr().unwrap().port();
    let log_path = dir.join("received");
    File::create(&log_path).expect("create received");
    std::thread::spawn(move || {
        std::thread::sleep(lifetime);
        std::process::exit(0);
    });
    if churn {
        for _ in 0..2 {
            std::thread::spawn(|| loop {
                let batch: Vec<File> = (0..16)
                    .filter_map(|_| File::open("/dev/null").ok())
                    .collect();
                drop(batch);
            });
        }
        std::thread::spawn(|| loop {
            let _ = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1))).join();
        });
    }
    println!("READY pid={} port={port}", std::process::id());
    std::io::stdout().flush().unwrap();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let log_path = log_path.clone();
        std::thread::spawn(move || {
            let mut log = OpenOptions::new().append(true).open(&log_path).unwrap();
            let _ = writeln!(log, "connection from {:?}", stream.peer_addr());
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let _ = writeln!(log, "bytes {:?}", String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    drop(held);
}
