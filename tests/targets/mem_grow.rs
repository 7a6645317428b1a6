//! A test target without any profile endpoint: it reserves one anonymous mapping and touches
//! more of it at a steady rate, so its RSS grows in that one region. Exits on its own.
//!
//! Prints `READY pid=<pid> port=0`. Args: --dir DIR (ignored) --mib-per-sec N --max-mib N
//! --lifetime SECS.

use std::io::Write;
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

fn main() {
    let mut rate = 8usize;
    let mut max = 256usize;
    let mut lifetime = 60u64;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--dir" => {}
            "--mib-per-sec" => rate = value.parse().expect("number"),
            "--max-mib" => max = value.parse().expect("number"),
            "--lifetime" => lifetime = value.parse().expect("number"),
            other => panic!("unknown argument {other}"),
        }
    }
    // SAFETY: a fresh private anonymous mapping; we only write inside its bounds.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            max * MIB,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    assert_ne!(base, libc::MAP_FAILED, "mmap");
    println!("READY pid={} port=0", std::process::id());
    std::io::stdout().flush().unwrap();
    let start = Instant::now();
    let mut touched = 0usize;
    while start.elapsed() < Duration::from_secs(lifetime) {
        let want = ((start.elapsed().as_secs_f64() * rate as f64) as usize).min(max);
        while touched < want {
            // SAFETY: touched < max, so the whole MiB lies inside the mapping.
            unsafe { std::ptr::write_bytes((base as *mut u8).add(touched * MIB), 1, MIB) };
            touched += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
