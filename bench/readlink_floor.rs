//! The floor for `steady fds`: readdir of /proc/PID/fd and one readlink per entry, nothing
//! else, then one read of the socket tables. With `--fdinfo`, the floor for `fds --list`:
//! each entry's /proc/PID/fdinfo/N read as well (open, read, close), single-threaded, as lsfd
//! reads it. Built as an example so the benchmark compares compiled code with compiled code.
//!
//! Usage: readlink_floor PROC_ROOT PID [--tables] [--fdinfo]

use std::fs;
use std::io::Read;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(&args[1]).join(&args[2]);
    let fdinfo = args.iter().any(|a| a == "--fdinfo");
    let mut links = 0usize;
    let mut bytes = 0usize;
    let mut info = [0u8; 512];
    for entry in fs::read_dir(root.join("fd")).expect("fd dir").flatten() {
        if let Ok(target) = fs::read_link(entry.path()) {
            links += 1;
            bytes += target.as_os_str().len();
        }
        if fdinfo {
            if let Ok(mut f) = fs::File::open(root.join("fdinfo").join(entry.file_name())) {
                bytes += f.read(&mut info).unwrap_or(0);
            }
        }
    }
    if args.iter().any(|a| a == "--tables") {
        let mut buf = Vec::with_capacity(1 << 20);
        for table in ["tcp", "tcp6", "udp", "udp6", "unix", "netlink"] {
            if let Ok(mut f) = fs::File::open(root.join("net").join(table)) {
                buf.clear();
                let _ = f.read_to_end(&mut buf);
                bytes += buf.len();
            }
        }
    }
    println!("{links} {bytes}");
}
