//! Walks /proc/PID/fd once: readlinkat on each entry, and stat only for path and memfd targets
//! (to tell files from directories and devices, and to learn the bytes a deleted file pins).

use std::os::fd::{AsFd, OwnedFd};

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

/// Calls `visit` for every open descriptor of the target, streaming, so that a million
/// descriptors cost no more memory than the census the caller keeps.
pub fn scan_fds(
    target: &Target,
    mut visit: impl FnMut(FdEntry),
) -> Result<ScanStats, CollectError> {
    let dir_file = target.open_relative("fd")?;
    let at: OwnedFd = dir_file
        .try_clone()
        .map_err(|err| target.io_error("fd", err))?
        .into();
    let mut dir = Dir::from_fd(dir_file.into()).map_err(|err| target.io_error("fd", err.into()))?;
    let mut stats = ScanStats::default();
    for entry in dir.iter() {
        let entry = entry.map_err(|err| target.io_error("fd", err.into()))?;
        let name = entry.file_name();
        let Some(fd) = name.to_str().ok().and_then(|s| s.parse::<i32>().ok()) else {
            continue; // "." and ".."
        };
        let link = match readlinkat(at.as_fd(), name) {
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
                match fstatat(at.as_fd(), name, AtFlags::empty()) {
                    Ok(st) => (
                        path_type(st.st_mode),
                        (st.st_blocks as u64).saturating_mul(512),
                        Some((st.st_dev, st.st_ino)),
                    ),
                    Err(Errno::ENOENT) if target_link_is_synthetic(&target_link) => {
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
    target.ensure_alive()?;
    Ok(stats)
}

/// A memfd's link text names no real path, so a failing stat says nothing about the fd.
fn target_link_is_synthetic(target: &LinkTarget) -> bool {
    matches!(target, LinkTarget::Memfd(_))
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
