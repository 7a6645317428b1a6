//! Reads /proc/PID/fdinfo/N for `fds --list`, through one handle on the fdinfo directory
//! (openat per descriptor: no path walk, and the handle pins the process as the fd one does).

use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::parse::fdinfo::{parse_fdinfo, FdInfo};

/// The pos, flags and ino lines come first; what follows (epoll's watched descriptors,
/// inotify's marks) can be long and is not read.
const HEAD: usize = 512;

pub struct FdInfoDir {
    dir: OwnedFd,
}

pub fn open_fdinfo_dir(target: &Target) -> Result<FdInfoDir, CollectError> {
    let file = target.open_relative("fdinfo")?;
    Ok(FdInfoDir { dir: file.into() })
}

impl FdInfoDir {
    /// None when the descriptor closed since it was listed.
    pub fn read(&self, target: &Target, fd: i32) -> Result<Option<FdInfo>, CollectError> {
        let name = fd.to_string();
        let file = match openat(
            self.dir.as_fd(),
            name.as_str(),
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(file) => file,
            Err(Errno::ENOENT) => return Ok(None),
            Err(err) => return Err(target.io_error("fdinfo", err.into())),
        };
        let mut buf = [0u8; HEAD];
        let n = match nix::unistd::read(&file, &mut buf) {
            Ok(n) => n,
            // The descriptor closed between open and read.
            Err(Errno::ENOENT) => return Ok(None),
            Err(err) => return Err(target.io_error("fdinfo", err.into())),
        };
        let text = String::from_utf8_lossy(&buf[..n]);
        Ok(Some(parse_fdinfo(&text)))
    }
}
