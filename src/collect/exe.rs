//! Looks at the target's executable without running anything in it.

use std::io::Read;

use crate::collect::process::Target;

/// Go binaries carry a build-info blob that starts with this magic (the .go.buildinfo
/// section); a chunked scan finds it without parsing ELF, in constant memory.
const GO_BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";
const SCAN_LIMIT: usize = 256 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;

pub fn is_go_binary(target: &Target) -> bool {
    match target.process().open_relative("exe") {
        Ok(file) => contains_magic(file),
        Err(_) => false,
    }
}

fn contains_magic(mut reader: impl Read) -> bool {
    let keep = GO_BUILDINFO_MAGIC.len() - 1;
    let mut buf = vec![0u8; CHUNK + keep];
    let mut carried = 0;
    let mut scanned = 0;
    while scanned < SCAN_LIMIT {
        let n = match reader.read(&mut buf[carried..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let filled = carried + n;
        if buf[..filled]
            .windows(GO_BUILDINFO_MAGIC.len())
            .any(|w| w == GO_BUILDINFO_MAGIC)
        {
            return true;
        }
        carried = keep.min(filled);
        buf.copy_within(filled - carried..filled, 0);
        scanned += n;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_magic_across_chunk_boundaries() {
        let mut data = vec![0u8; CHUNK - 5];
        data.extend_from_slice(GO_BUILDINFO_MAGIC);
        data.extend_from_slice(&[0u8; 100]);
        assert!(contains_magic(&data[..]));
        assert!(!contains_magic(&vec![0u8; 3 * CHUNK][..]));
        assert!(!contains_magic(&b""[..]));
    }
}
