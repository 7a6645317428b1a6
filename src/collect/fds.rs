//! Walks /proc/PID/fd: readlinkat on each entry, and stat only for path and memfd targets
//! (to tell files from directories and devices, and to learn the bytes a deleted file pins).
//!
//! The listing is taken once; the links can then be read in slices, on several threads.

use std::fmt::Write as _;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{readlinkat, AtFlags};
use nix::sys::stat::{fstatat, SFlag};

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::fd::{FdEntry, LinkTarget, PathType};
use crate::parse::fd_link::parse_link;

/// What the scan saw besides the entries it handed on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// Descriptors listed by readdir that closed before we could read them.
    pub vanished: u64,
}

impl ScanStats {
    pub fn combine(self, other: ScanStats) -> ScanStats {
        ScanStats {
            vanished: self.vanished + other.vanished,
        }
    }
}

/// The descriptor numbers of the target, and a handle on its fd directory to read them with.
pub struct FdListing {
    dir: OwnedFd,
    pub fds: Vec<i32>,
}

impl FdListing {
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

/// One readdir pass over /proc/PID/fd.
pub fn list_fds(target: &Target) -> Result<FdListing, CollectError> {
    let dir_file = target.open_relative("fd")?;
    let at: OwnedFd = dir_file
        .try_clone()
        .map_err(|err| target.io_error("fd", err))?
        .into();
    let mut dir = Dir::from_fd(dir_file.into()).map_err(|err| target.io_error("fd", err.into()))?;
    let mut fds = Vec::new();
    for entry in dir.iter() {
        let entry = entry.map_err(|err| target.io_error("fd", err.into()))?;
        // "." and ".." are not numbers.
        if let Some(fd) = entry
            .file_name()
            .to_str()
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
        {
            fds.push(fd);
        }
    }
    Ok(FdListing { dir: at, fds })
}

/// Reads the links of `fds` (a slice of a listing) and calls `visit` for each open one.
pub fn read_fds(
    target: &Target,
    dir: BorrowedFd<'_>,
    fds: &[i32],
    mut visit: impl FnMut(FdEntry),
) -> Result<ScanStats, CollectError> {
    let mut stats = ScanStats::default();
    let mut name = String::with_capacity(12);
    for &fd in fds {
        name.clear();
        let _ = write!(name, "{fd}");
        let link = match readlinkat(dir, name.as_str()) {
            Ok(link) => link,
            Err(Errno::ENOENT) => {
                stats.vanished += 1;
                continue;
            }
            Err(err) => return Err(target.io_error("fd", err.into())),
        };
        let target_link = parse_link(&link.to_string_lossy());
        let (path_type, allocated_bytes, file_id) = match &target_link {
            LinkTarget::Path { .. } | LinkTarget::Memfd(_) => {
                // Follows the magic link: the open file itself, even when its name is gone.
                match fstatat(dir, name.as_str(), AtFlags::empty()) {
                    Ok(st) => (
                        path_type(st.st_mode),
                        (st.st_blocks as u64).saturating_mul(512),
                        Some((st.st_dev, st.st_ino)),
                    ),
                    // A memfd's link text names no real path: a failed stat says nothing.
                    Err(Errno::ENOENT) if matches!(target_link, LinkTarget::Memfd(_)) => {
                        (PathType::Unknown, 0, None)
                    }
                    Err(Errno::ENOENT) => {
                        stats.vanished += 1;
                        continue;
                    }
                    Err(_) => (PathType::Unknown, 0, None),
                }
            }
            _ => (PathType::Unknown, 0, None),
        };
        visit(FdEntry {
            fd,
            target: target_link,
            path_type,
            allocated_bytes,
            file_id,
        });
    }
    Ok(stats)
}

/// Every open descriptor of the target, streamed to `visit` on this thread.
pub fn scan_fds(target: &Target, visit: impl FnMut(FdEntry)) -> Result<ScanStats, CollectError> {
    let listing = list_fds(target)?;
    let stats = read_fds(target, listing.dir(), &listing.fds, visit)?;
    target.ensure_alive()?;
    Ok(stats)
}

fn path_type(mode: u32) -> PathType {
    match SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFREG => PathType::Regular,
        SFlag::S_IFDIR => PathType::Directory,
        SFlag::S_IFCHR => PathType::CharDevice,
        SFlag::S_IFBLK => PathType::BlockDevice,
        SFlag::S_IFIFO => PathType::Fifo,
        SFlag::S_IFSOCK => PathType::Socket,
        _ => PathType::Unknown,
    }
}
