//! Classifies the text of a /proc/PID/fd/N link (what readlink returns).

use crate::model::fd::{FdKind, LinkTarget, PathType};

const DELETED_SUFFIX: &str = " (deleted)";

pub fn parse_link(text: &str) -> LinkTarget {
    if let Some(rest) = text.strip_prefix("/memfd:") {
        let name = rest.strip_suffix(DELETED_SUFFIX).unwrap_or(rest);
        return LinkTarget::Memfd(name.to_string());
    }
    if text.starts_with('/') {
        return match text.strip_suffix(DELETED_SUFFIX) {
            Some(path) => LinkTarget::Path {
                path: path.to_string(),
                deleted: true,
            },
            None => LinkTarget::Path {
                path: text.to_string(),
                deleted: false,
            },
        };
    }
    if let Some(inode) = bracketed_inode(text, "socket:") {
        return LinkTarget::Socket(inode);
    }
    if let Some(inode) = bracketed_inode(text, "pipe:") {
        return LinkTarget::Pipe(inode);
    }
    if let Some(name) = text.strip_prefix("anon_inode:") {
        return LinkTarget::Anon(strip_brackets(name).to_string());
    }
    // Since Linux 6.9 pidfds live on pidfs and read as `pidfd:[inode]`.
    if text.starts_with("pidfd:") {
        return LinkTarget::Anon("pidfd".to_string());
    }
    LinkTarget::Other(text.to_string())
}

/// The kind a descriptor is counted under, given its link and, for paths, what stat said.
pub fn kind_of(target: &LinkTarget, path_type: PathType) -> FdKind {
    match target {
        LinkTarget::Path { deleted, .. } => match path_type {
            PathType::Directory => FdKind::Directory,
            PathType::CharDevice | PathType::BlockDevice => FdKind::Device,
            PathType::Fifo => FdKind::Pipe,
            PathType::Socket => FdKind::SocketOther,
            PathType::Regular | PathType::Unknown if *deleted => FdKind::DeletedFile,
            PathType::Regular | PathType::Unknown => FdKind::File,
        },
        // Refined to tcp/udp/unix/netlink once the socket tables are read.
        LinkTarget::Socket(_) => FdKind::SocketOther,
        LinkTarget::Pipe(_) => FdKind::Pipe,
        LinkTarget::Memfd(_) => FdKind::Memfd,
        LinkTarget::Anon(name) => anon_kind(name),
        LinkTarget::Other(_) => FdKind::Other,
    }
}

fn anon_kind(name: &str) -> FdKind {
    match name {
        "eventfd" => FdKind::Eventfd,
        "eventpoll" => FdKind::Eventpoll,
        "timerfd" => FdKind::Timerfd,
        "inotify" => FdKind::Inotify,
        "signalfd" => FdKind::Signalfd,
        "pidfd" => FdKind::Pidfd,
        "io_uring" => FdKind::IoUring,
        _ => FdKind::AnonOther,
    }
}

fn bracketed_inode(text: &str, prefix: &str) -> Option<u64> {
    text.strip_prefix(prefix)?
        .strip_prefix('[')?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn strip_brackets(name: &str) -> &str {
    name.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str, deleted: bool) -> LinkTarget {
        LinkTarget::Path {
            path: p.to_string(),
            deleted,
        }
    }

    #[test]
    fn parses_every_link_form_the_kernel_prints() {
        let cases = [
            ("/var/log/app.log", path("/var/log/app.log", false)),
            ("/tmp/x (deleted)", path("/tmp/x", true)),
            (
                "/tmp/name with spaces",
                path("/tmp/name with spaces", false),
            ),
            ("socket:[123456]", LinkTarget::Socket(123456)),
            ("pipe:[98]", LinkTarget::Pipe(98)),
            ("anon_inode:[eventfd]", LinkTarget::Anon("eventfd".into())),
            ("anon_inode:inotify", LinkTarget::Anon("inotify".into())),
            ("anon_inode:bpf-map", LinkTarget::Anon("bpf-map".into())),
            ("pidfd:[5731]", LinkTarget::Anon("pidfd".into())),
            (
                "/memfd:jit-cache (deleted)",
                LinkTarget::Memfd("jit-cache".into()),
            ),
            (
                "net:[4026531840]",
                LinkTarget::Other("net:[4026531840]".into()),
            ),
            (
                "socket:[not-a-number]",
                LinkTarget::Other("socket:[not-a-number]".into()),
            ),
            ("", LinkTarget::Other(String::new())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_link(text), want, "link {text:?}");
        }
    }

    #[test]
    fn kinds_follow_link_and_stat() {
        let cases = [
            (
                path("/dev/null", false),
                PathType::CharDevice,
                FdKind::Device,
            ),
            (
                path("/dev/sda", false),
                PathType::BlockDevice,
                FdKind::Device,
            ),
            (path("/srv", false), PathType::Directory, FdKind::Directory),
            (path("/run/fifo", false), PathType::Fifo, FdKind::Pipe),
            (path("/data/a", false), PathType::Regular, FdKind::File),
            (
                path("/data/a", true),
                PathType::Regular,
                FdKind::DeletedFile,
            ),
            (path("/data/b", false), PathType::Unknown, FdKind::File),
            (
                LinkTarget::Anon("eventpoll".into()),
                PathType::Unknown,
                FdKind::Eventpoll,
            ),
            (
                LinkTarget::Anon("timerfd".into()),
                PathType::Unknown,
                FdKind::Timerfd,
            ),
            (
                LinkTarget::Anon("signalfd".into()),
                PathType::Unknown,
                FdKind::Signalfd,
            ),
            (
                LinkTarget::Anon("io_uring".into()),
                PathType::Unknown,
                FdKind::IoUring,
            ),
            (
                LinkTarget::Anon("perf_event".into()),
                PathType::Unknown,
                FdKind::AnonOther,
            ),
            (
                LinkTarget::Memfd("x".into()),
                PathType::Regular,
                FdKind::Memfd,
            ),
            (LinkTarget::Pipe(1), PathType::Unknown, FdKind::Pipe),
            (
                LinkTarget::Other("mnt:[1]".into()),
                PathType::Unknown,
                FdKind::Other,
            ),
        ];
        for (target, ty, want) in cases {
            assert_eq!(kind_of(&target, ty), want, "{target:?} {ty:?}");
        }
    }
}
