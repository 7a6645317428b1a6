//! Reads the text of /proc/PID/fdinfo/N: the file position, the open flags (octal, as the
//! kernel prints them) and, since Linux 5.14, the inode. Lines it does not know are ignored:
//! epoll, inotify and timerfd descriptors add their own.

/// What fdinfo says about one descriptor. A field the kernel did not print is None.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FdInfo {
    pub pos: Option<u64>,
    /// The open file's status flags and the descriptor's O_CLOEXEC, as one number.
    pub flags: Option<u32>,
    pub ino: Option<u64>,
    /// An eventfd's id (Linux 5.19+): every eventfd's link reads `anon_inode:[eventfd]`, so
    /// this is what tells two processes hold the same one.
    pub eventfd_id: Option<u64>,
}

pub fn parse_fdinfo(text: &str) -> FdInfo {
    let mut info = FdInfo::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "pos" => info.pos = value.parse().ok(),
            "flags" => info.flags = u32::from_str_radix(value, 8).ok(),
            "ino" => info.ino = value.parse().ok(),
            "eventfd-id" => info.eventfd_id = value.parse().ok(),
            _ => {}
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_fdinfo_parses() {
        let cases = [
            (
                "pos:\t1234\nflags:\t02100002\nmnt_id:\t24\nino:\t3\n",
                FdInfo {
                    pos: Some(1234),
                    flags: Some(0o2100002),
                    ino: Some(3),
                    eventfd_id: None,
                },
            ),
            // An epoll descriptor, and a kernel before 5.14 (no ino line).
            (
                "pos:\t0\nflags:\t02\nmnt_id:\t15\ntfd:        5 events:       19 data:                5  pos:0 ino:1c3 sdev:8\n",
                FdInfo {
                    pos: Some(0),
                    flags: Some(0o2),
                    ino: None,
                    eventfd_id: None,
                },
            ),
            // An eventfd on this machine's kernel (6.18), read from /proc/self/fdinfo.
            (
                "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\neventfd-count:                0\neventfd-id: 1\neventfd-semaphore: 0\n",
                FdInfo {
                    pos: Some(0),
                    flags: Some(0o2000002),
                    ino: Some(1038),
                    eventfd_id: Some(1),
                },
            ),
            ("", FdInfo::default()),
            (
                "pos: x\nflags: 9\n",
                FdInfo {
                    pos: None,
                    flags: None,
                    ino: None,
                    eventfd_id: None,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_fdinfo(text), want, "{text:?}");
        }
    }
}
