//! Parses /proc/PID/smaps into mappings: the header line of each mapping, then the `Key: N kB`
//! lines steady keeps (Rss, Anonymous, Private_Dirty, Swap).
//!
//! Ours rather than procfs's: procfs 0.18 panics on a mapped file whose name starts with
//! `/SYSV` and is shorter than a System V segment's (found by fuzzing; the target chooses
//! its file names), and steady is built with panic=abort.

use crate::model::memory::Mapping;

/// Every mapping with a readable header line, in order; lines that are neither a header nor
/// a known field are skipped.
pub fn parse_smaps(text: &str) -> Vec<Mapping> {
    let mut maps: Vec<Mapping> = Vec::new();
    for line in text.lines() {
        if let Some(mapping) = parse_header(line) {
            maps.push(mapping);
            continue;
        }
        let Some(current) = maps.last_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let field = match key {
            "Rss" => &mut current.rss,
            "Anonymous" => &mut current.anonymous,
            "Private_Dirty" => &mut current.private_dirty,
            "Swap" => &mut current.swap,
            _ => continue,
        };
        if let Some(bytes) = parse_size(value) {
            *field = bytes;
        }
    }
    maps
}

/// `7f2c8a000000-7f2c8a021000 rw-p 00000000 00:00 0                          [heap]`: the
/// kernel separates the first five fields by one space and pads before the name.
fn parse_header(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?;
    let (offset, dev, inode) = (fields.next()?, fields.next()?, fields.next()?);
    if perms.len() != 4
        || !is_hex(offset)
        || !dev
            .split_once(':')
            .is_some_and(|(a, b)| is_hex(a) && is_hex(b))
        || !inode.bytes().all(|b| b.is_ascii_digit())
        || inode.is_empty()
    {
        return None;
    }
    Some(Mapping {
        start: hex(start)?,
        end: hex(end)?,
        perms: perms.to_string(),
        // As the kernel wrote it: a path (with " (deleted)"), [heap], [stack], [anon:NAME],
        // /SYSV0000abcd (deleted) for System V shared memory; empty for anonymous memory.
        name: fields
            .next()
            .unwrap_or("")
            .trim_start_matches(' ')
            .to_string(),
        rss: 0,
        anonymous: 0,
        private_dirty: 0,
        swap: 0,
    })
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex(text: &str) -> Option<u64> {
    if !is_hex(text) {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

/// `   1234 kB` → bytes.
fn parse_size(value: &str) -> Option<u64> {
    let mut words = value.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        None => Some(n),
        Some("kB") => Some(n.saturating_mul(1024)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = include_str!("../../tests/fixtures/proc/smaps");

    #[test]
    fn recorded_smaps() {
        let maps = parse_smaps(SMAPS);
        assert!(maps.len() >= 3, "{maps:?}");
        assert!(
            maps[0].name.starts_with("/usr/bin/python3"),
            "{}",
            maps[0].name
        );
        assert_eq!(maps[0].perms, "r--p");
        assert!(maps.iter().any(|m| m.name.is_empty() && m.perms == "rw-p"));
        assert!(maps.iter().any(|m| m.name == "[stack]" && m.rss > 0));
        let heap = maps.iter().find(|m| m.name == "[heap]").unwrap();
        assert!(heap.rss > 0 && heap.anonymous > 0);
    }

    #[test]
    fn names_as_the_kernel_writes_them() {
        let text = "\
7f0000000000-7f0000001000 rw-s 00000000 00:01 32768                      /SYSV0000abcd (deleted)
Rss:                   4 kB
Swap:                  8 kB
7f0000001000-7f0000002000 rw-p 00000000 00:00 0 
Rss:                   4 kB
Anonymous:             4 kB
Private_Dirty:         4 kB
VmFlags: rd wr mr mw me ac sd
7f0000002000-7f0000003000 r--p 00000000 fe:00 12                         /srv/my file (deleted)
7f0000003000-7f0000004000 rw-p 00000000 00:00 0                          [anon:go-heap]
";
        let maps = parse_smaps(text);
        let names: Vec<&str> = maps.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "/SYSV0000abcd (deleted)",
                "",
                "/srv/my file (deleted)",
                "[anon:go-heap]"
            ]
        );
        assert_eq!((maps[0].rss, maps[0].swap), (4096, 8192));
        assert_eq!((maps[1].anonymous, maps[1].private_dirty), (4096, 4096));
    }

    #[test]
    fn fuzz_regression_short_sysv_name_and_garbage() {
        // procfs sliced `/SYSV1` as if it held 8 hex digits.
        let found = include_bytes!("../../tests/fixtures/fuzz-regressions/smaps-short-sysv-name");
        let maps = parse_smaps(&String::from_utf8_lossy(found));
        assert_eq!(maps[0].name, "/SYSV16 kB");
        for text in [
            "",
            "Rss: 4 kB\n",
            "0-1 rw-p 0 0:0 0\nRss: 99999999999999999999 kB\nSwap: 18446744073709551615 kB\n",
            "zz-1 rw-p 0 0:0 0\n",
            "1-2 rwxpq 0 0:0 0\n",
        ] {
            let _ = parse_smaps(text);
        }
        let big = parse_smaps("0-1 rw-p 0 0:0 0\nSwap: 18446744073709551615 kB\n");
        assert_eq!(big[0].swap, u64::MAX);
    }
}
