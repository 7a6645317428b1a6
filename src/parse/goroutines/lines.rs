//! The shapes of single dump lines: headers, frames, locations, log prefixes. Pure functions
//! over one line's bytes, shared by the line reader and the block scanner.

use super::MAX_LINE;

/// What the line reader makes of a raw line before looking at it: cut at [`MAX_LINE`], less a
/// trailing `\r` and a log timestamp. The scanner must see lines exactly as the reader does.
pub(super) fn line_view(raw: &[u8]) -> &[u8] {
    let line = &raw[..raw.len().min(MAX_LINE)];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    strip_log_timestamp(line)
}

/// Whether the line reader would end a goroutine block at this line: an empty line, or the
/// header of the next goroutine or `?debug=1` record.
pub(super) fn ends_block(raw: &[u8]) -> bool {
    // Every such line starts with one of these bytes (a timestamp starts with a digit), and
    // almost no frame line does: most lines are decided here without looking further.
    match raw.first() {
        None => true,
        Some(b'g' | b'0'..=b'9' | b'\r') => {
            let view = line_view(raw);
            view.is_empty() || parse_header(view).is_some() || parse_counted_header(view).is_some()
        }
        Some(_) => false,
    }
}

/// `kubectl logs --timestamps` puts an RFC 3339 time and a space before every line, the
/// dump's included: `2026-11-23T03:23:20.123456789Z goroutine 1 [running]:`.
pub(super) fn strip_log_timestamp(line: &[u8]) -> &[u8] {
    let looks_like_time = line.len() > 20
        && line[..4].iter().all(u8::is_ascii_digit)
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b'T';
    if !looks_like_time {
        return line;
    }
    // The zone follows the seconds (index 19 on): `Z`, `+01:00` or `-05:00`.
    match line.iter().position(|&b| b == b' ') {
        Some(space)
            if space > 19
                && (line[..space].ends_with(b"Z")
                    || line[19..space].iter().any(|&b| b == b'+' || b == b'-')) =>
        {
            &line[space + 1..]
        }
        _ => line,
    }
}

/// `goroutine 5 [chan receive, 8 minutes]:` (Go ≥1.23 may add `gp=… m=…` before the bracket).
pub(super) fn parse_header(line: &[u8]) -> Option<(u64, &[u8])> {
    let rest = line.strip_prefix(b"goroutine ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = parse_u64(&rest[..digits])?;
    let rest = &rest[digits..];
    let open = rest.iter().position(|&b| b == b'[')?;
    let body = rest[open + 1..].strip_suffix(b"]:")?;
    Some((id, body))
}

/// `118 @ 0x43b296 0x44a8d2 …`
pub(super) fn parse_counted_header(line: &[u8]) -> Option<u64> {
    let at = find(line, b" @ ")?;
    let count = parse_u64(&line[..at])?;
    line[at + 3..].starts_with(b"0x").then_some(count)
}

/// `main.(*T).m(0xc000010000, {0x1, 0x2})` → `main.(*T).m`.
pub(super) fn function_name(line: &[u8]) -> &[u8] {
    if line.ends_with(b")") {
        if let Some(open) = line.iter().rposition(|&b| b == b'(') {
            if open > 0 {
                return &line[..open];
            }
        }
    }
    line
}

/// `/src/main.go:27 +0x1d` → (`/src/main.go`, 27).
pub(super) fn parse_location(location: &[u8]) -> (&[u8], u32) {
    let location = match find(location, b" +0x") {
        Some(at) => &location[..at],
        None => trim(location),
    };
    match location.iter().rposition(|&b| b == b':') {
        Some(colon) => (
            &location[..colon],
            parse_u32(&location[colon + 1..]).unwrap_or(0),
        ),
        None => (location, 0),
    }
}

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

pub(super) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

pub(super) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
}

pub(super) fn parse_u32(bytes: &[u8]) -> Option<u32> {
    parse_u64(bytes).and_then(|n| u32::try_from(n).ok())
}
