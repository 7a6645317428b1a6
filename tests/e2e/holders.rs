//! `sleep` holding descriptors the test opened, at numbers the test chose, and nothing else
//! but 0-2: a real process whose every descriptor the test knows. Killed by PID and reaped
//! on drop, so a failed assertion leaves nothing behind.

use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

pub struct Holder {
    child: Child,
    pub pid: i32,
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sleep 60` with each (source, destination) pair of `moves` dup'd to its
/// destination number; every other descriptor above 2 is closed.
pub fn spawn_holding(moves: Vec<(RawFd, RawFd)>) -> Holder {
    assert!(
        moves.len() <= 16,
        "spawn_holding moves at most 16 descriptors"
    );
    let mut cmd = Command::new("sleep");
    cmd.arg("60")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls (fcntl, dup2, close_range) between fork and
    // exec, on descriptor numbers computed before the fork, in a fixed-size array.
    unsafe {
        cmd.pre_exec(move || {
            // Out of the way first, so that no move lands on a source not yet moved.
            let mut high = [0; 16];
            for (i, (src, _)) in moves.iter().enumerate() {
                high[i] = libc::fcntl(*src, libc::F_DUPFD_CLOEXEC, 1000);
                if high[i] < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // Whatever the test harness holds without O_CLOEXEC would blur the fd set.
            libc::syscall(libc::SYS_close_range, 3u32, 999u32, 0u32);
            for (i, (_, dst)) in moves.iter().enumerate() {
                // dup2 clears O_CLOEXEC on the copy: it survives exec.
                if libc::dup2(high[i], *dst) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("starting sleep");
    let pid = child.id() as i32;
    let holder = Holder { child, pid };
    // Until exec, the child is a copy of this test binary with every descriptor.
    let exe = format!("/proc/{pid}/exe");
    assert!(crate::support::wait_until(
        std::time::Duration::from_secs(5),
        || std::fs::read_link(&exe).is_ok_and(|p| p.ends_with("sleep"))
    ));
    holder
}
