//! Looks at the target's executable and environment without running anything in it: the Go
//! build info (version, main module) and the Go runtime settings from /proc/PID/environ.

use std::io::Read;

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::go::{GoEnv, GoInfo};

/// Go binaries carry a build-info blob that starts with this magic (the .go.buildinfo
/// section); a chunked scan finds it without parsing ELF, in constant memory.
const GO_BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";
const SCAN_LIMIT: usize = 256 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;
/// Bytes kept after the magic: the header plus the version and module strings.
const INFO_WINDOW: usize = 64 * 1024;

pub fn is_go_binary(target: &Target) -> bool {
    read_go_info(target).is_some()
}

/// What the target's executable says about it.
#[derive(Debug, Clone)]
pub enum ExeKind {
    Go(GoInfo),
    /// Read to the end (or the scan limit): no Go build info.
    NotGo,
}

/// The Go build info of the target's executable, or None when it is not a Go binary — or
/// when the executable cannot be read: [`inspect_exe`] tells those apart.
pub fn read_go_info(target: &Target) -> Option<GoInfo> {
    match inspect_exe(target) {
        Ok(ExeKind::Go(info)) => Some(info),
        _ => None,
    }
}

/// Reads the target's executable through /proc/PID/exe. An executable that cannot be opened
/// is an error naming why (another user's process, a missing capability, a kernel thread,
/// an exited process), never a quiet "not Go".
pub fn inspect_exe(target: &Target) -> Result<ExeKind, CollectError> {
    if target.is_kernel_thread() {
        return Err(target.kernel_thread_error(
            "it serves no /debug/pprof; give the PID of a user-space process",
        ));
    }
    // Scanning a large executable costs a read of up to 256 MiB: once per run is enough.
    if let Some(kind) = target.exe_kind.get() {
        return Ok(kind.clone());
    }
    let file = target.open_relative("exe")?;
    let kind = match find_after_magic(file) {
        Some(window) => ExeKind::Go(parse_build_info(&window)),
        None => ExeKind::NotGo,
    };
    Ok(target.exe_kind.get_or_init(|| kind).clone())
}

pub fn read_go_env(target: &Target) -> GoEnv {
    let Ok(env) = target.process().environ() else {
        return GoEnv::default();
    };
    let get = |key: &str| {
        env.get(std::ffi::OsStr::new(key))
            .map(|v| v.to_string_lossy().into_owned())
    };
    GoEnv {
        gomemlimit: get("GOMEMLIMIT"),
        gogc: get("GOGC"),
        gomaxprocs: get("GOMAXPROCS"),
        readable: true,
    }
}

/// Returns the bytes from the magic on (up to INFO_WINDOW), scanning in constant memory.
fn find_after_magic(mut reader: impl Read) -> Option<Vec<u8>> {
    let keep = GO_BUILDINFO_MAGIC.len() - 1;
    let mut buf = vec![0u8; CHUNK + keep];
    let mut carried = 0;
    let mut scanned = 0;
    while scanned < SCAN_LIMIT {
        let n = match reader.read(&mut buf[carried..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        let filled = carried + n;
        if let Some(at) = buf[..filled]
            .windows(GO_BUILDINFO_MAGIC.len())
            .position(|w| w == GO_BUILDINFO_MAGIC)
        {
            let mut window = buf[at..filled].to_vec();
            if window.len() < INFO_WINDOW {
                let mut rest = Vec::new();
                let _ = reader
                    .take((INFO_WINDOW - window.len()) as u64)
                    .read_to_end(&mut rest);
                window.extend_from_slice(&rest);
            }
            return Some(window);
        }
        carried = keep.min(filled);
        buf.copy_within(filled - carried..filled, 0);
        scanned += n;
    }
    None
}

/// Go ≥ 1.18: a 32-byte header (magic, pointer size, flags with bit 2 = inline strings), then
/// two varint-prefixed strings: the Go version and the module info.
pub fn parse_build_info(window: &[u8]) -> GoInfo {
    const HEADER: usize = 32;
    const FLAG_INLINE: u8 = 0x2;
    let mut info = GoInfo::default();
    let Some(&flags) = window.get(GO_BUILDINFO_MAGIC.len() + 1) else {
        return info;
    };
    if flags & FLAG_INLINE == 0 || window.len() < HEADER {
        return info;
    }
    let mut rest = &window[HEADER..];
    let Some(version) = read_varint_string(&mut rest) else {
        return info;
    };
    info.version = Some(String::from_utf8_lossy(version).into_owned()).filter(|v| !v.is_empty());
    if let Some(modinfo) = read_varint_string(&mut rest) {
        // The module info is framed by 16-byte sentinels; its lines are tab-separated.
        let text = String::from_utf8_lossy(modinfo);
        for line in text.lines() {
            let mut fields = line.split('\t');
            match (fields.next(), fields.next()) {
                (Some(kind), Some(value)) if kind.ends_with("path") => {
                    info.path = Some(value.to_string())
                }
                (Some("mod"), Some(value)) => info.module = Some(value.to_string()),
                _ => {}
            }
        }
    }
    info
}

fn read_varint_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let (&byte, tail) = rest.split_first()?;
        *rest = tail;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    if rest.len() < len {
        return None;
    }
    let (s, tail) = rest.split_at(len);
    *rest = tail;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = GO_BUILDINFO_MAGIC.to_vec();
        b.push(8); // pointer size
        b.push(FLAG_INLINE_FOR_TEST);
        b.resize(32, 0);
        b.push(version.len() as u8);
        b.extend_from_slice(version.as_bytes());
        b.push(modinfo.len() as u8);
        b.extend_from_slice(modinfo.as_bytes());
        b
    }
    const FLAG_INLINE_FOR_TEST: u8 = 0x2;

    #[test]
    fn finds_build_info_across_chunk_boundaries() {
        let mut data = vec![0u8; CHUNK - 5];
        data.extend_from_slice(&blob(
            "go1.19.8",
            "0w\u{af}\x0c\u{92}t\x08\x02A\u{e1}\u{c1}\x07\u{e6}\u{d6}\x18\u{e6}path\texample.com/api/cmd/server\nmod\texample.com/api\t(devel)\t\n",
        ));
        data.extend_from_slice(&[0u8; 100]);
        let window = find_after_magic(&data[..]).unwrap();
        let info = parse_build_info(&window);
        assert_eq!(info.version.as_deref(), Some("go1.19.8"));
        assert_eq!(info.path.as_deref(), Some("example.com/api/cmd/server"));
        assert_eq!(info.module.as_deref(), Some("example.com/api"));
    }

    #[test]
    fn not_go_or_old_format() {
        assert!(find_after_magic(&vec![0u8; 3 * CHUNK][..]).is_none());
        assert!(find_after_magic(&b""[..]).is_none());
        let mut old = GO_BUILDINFO_MAGIC.to_vec();
        old.extend_from_slice(&[8, 0]);
        old.resize(64, 0);
        assert_eq!(parse_build_info(&old), GoInfo::default());
        // Truncated strings give what could be read, never a panic.
        let mut cut = blob("go1.21.0", "path\tx\n");
        cut.truncate(36);
        assert_eq!(parse_build_info(&cut).version, None);
    }
}
