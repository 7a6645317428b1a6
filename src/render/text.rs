//! Small text helpers shared by the renderers: sanitising target strings for a terminal,
//! and numbers, sizes, durations and percentages written the way people read them.

use std::fmt::Write as _;

/// Makes a string from the target safe for a terminal: control characters (ESC, BEL, CR,
/// C1 controls…) become visible `\x1b`-style escapes instead of acting on the terminal, and so
/// do invisible format characters (Unicode category Cf: the bidi overrides and isolates that
/// reorder a line, zero-width spaces and joiners, the BOM…) and the line and paragraph
/// separators U+2028/U+2029, as fd does. A file named `x\u{202e}gol.exe` would otherwise print
/// as `xexe.log`. JSON keeps the exact bytes; only what reaches a terminal is escaped.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_invisible_format(c) {
            let code = c as u32;
            if code <= 0xff {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Unicode general category Cf (format characters, Unicode 16), plus U+2028 LINE SEPARATOR
/// and U+2029 PARAGRAPH SEPARATOR (Zl, Zp), which some terminals treat as line breaks.
fn is_invisible_format(c: char) -> bool {
    const RANGES: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let code = c as u32;
    RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < code {
                std::cmp::Ordering::Less
            } else if lo > code {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// 19002 → "19,002".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed count with its sign: "+412", "-3", "0".
pub fn signed(n: i64) -> String {
    match n {
        0 => "0".to_string(),
        n if n > 0 => format!("+{}", count(n as u64)),
        n => format!("-{}", count(n.unsigned_abs())),
    }
}

pub fn rate(per_min: f64) -> String {
    if per_min == 0.0 {
        "0/min".to_string()
    } else if per_min.abs() >= 10.0 {
        let whole = per_min.round() as i64;
        format!("{}/min", signed(whole))
    } else {
        format!("{per_min:+.1}/min")
    }
}

/// A rate of countable things with its unit: "+1,200 goroutines/min" (whole numbers from 10
/// up, one decimal below, where the decimal still says something).
pub fn rate_of(per_min: f64, unit: &str) -> String {
    let body = rate(per_min);
    let number = body.strip_suffix("/min").unwrap_or(&body);
    format!("{number} {unit}/min")
}

/// Bytes per minute, in binary units like every other size: "+1.5 MiB/min", "-512 B/min".
pub fn bytes_rate(per_min: f64) -> String {
    format!("{}/min", signed_bytes(per_min))
}

/// A signed size: "+30.0 MiB", "-1.2 GiB", "0 B".
pub fn signed_bytes(v: f64) -> String {
    let magnitude = bytes(v.abs().round() as u64);
    match v.round() {
        0.0 => magnitude,
        r if r > 0.0 => format!("+{magnitude}"),
        _ => format!("-{magnitude}"),
    }
}

/// A percentage, one decimal, that never rounds a real share away: 0.04 → "<0.1%",
/// 99.97 → ">99.9%", 0 → "0%", 100 → "100%".
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "-".to_string();
    }
    if p == 0.0 || p == 100.0 {
        return format!("{p:.0}%");
    }
    if p > 0.0 && p < 0.05 {
        return "<0.1%".to_string();
    }
    if p > 99.95 && p < 100.0 {
        return ">99.9%".to_string();
    }
    if p < 0.0 && p > -0.05 {
        return ">-0.1%".to_string();
    }
    format!("{p:.1}%")
}

/// `part` as a share of `whole`: "-" when there is no whole.
pub fn share(part: f64, whole: f64) -> String {
    if whole == 0.0 {
        "-".to_string()
    } else {
        percent(part * 100.0 / whole)
    }
}

/// 7980 → "2h13m", 95 → "1m35s", 12 → "12s", days for the long ones.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "never".to_string();
    }
    // Under a second (an --interval, a probe), seconds would round to a misleading 0s.
    if seconds > 0.0 && seconds < 0.9995 {
        return format!("{}ms", (seconds * 1000.0).round());
    }
    let s = seconds.max(0.0).round() as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m{sec:02}s"),
        (0, _, _) => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h"),
    }
}

/// "1 descriptor", "2 descriptors".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Binary units, one decimal: "1.5 GiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn limit(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), count)
}

/// Wraps `text` in an ANSI colour when colour is on. `code` is an SGR number (31 red…).
pub fn paint(text: &str, code: u8, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_defuses_escape_sequences() {
        assert_eq!(sanitize("/tmp/\x1b[2Jevil\x07"), "/tmp/\\x1b[2Jevil\\x07");
        assert_eq!(sanitize("line\nbreak\r"), "line\\x0abreak\\x0d");
        assert_eq!(sanitize("\u{9b}31m"), "\\x9b31m");
        assert_eq!(sanitize("/var/log/café.log"), "/var/log/café.log");
    }

    #[test]
    fn sanitize_defuses_invisible_format_characters() {
        let cases = [
            // Right-to-left override: "x\u{202e}gol.exe" would show as "xexe.log".
            ("x\u{202e}gol.exe", "x\\u{202e}gol.exe"),
            // Left-to-right and right-to-left embeddings, pop, isolates.
            (
                "\u{202a}a\u{202b}b\u{202c}",
                "\\u{202a}a\\u{202b}b\\u{202c}",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}",
                "\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
            ),
            // Marks, zero-width characters, BOM, soft hyphen.
            ("\u{200e}\u{200f}\u{061c}", "\\u{200e}\\u{200f}\\u{61c}"),
            (
                "a\u{200b}b\u{200d}c\u{2060}d",
                "a\\u{200b}b\\u{200d}c\\u{2060}d",
            ),
            ("\u{feff}x\u{ad}", "\\u{feff}x\\xad"),
            // Line and paragraph separators.
            ("a\u{2028}b\u{2029}c", "a\\u{2028}b\\u{2029}c"),
            // Tag characters, which can hide text.
            ("\u{e0001}\u{e0041}", "\\u{e0001}\\u{e0041}"),
        ];
        for (raw, shown) in cases {
            assert_eq!(sanitize(raw), shown, "{raw:?}");
        }
        // Visible text of every script stays as it is.
        for kept in [
            "日本語.txt",
            "файл",
            "שלום.txt",
            "مرحبا",
            "🙂",
            "a\u{301}",
            "\u{2027}\u{2030}",
        ] {
            assert_eq!(sanitize(kept), kept);
        }
    }

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_048_576), "1,048,576");
        assert_eq!(signed(412), "+412");
        assert_eq!(signed(-1200), "-1,200");
        assert_eq!(rate(412.4), "+412/min");
        assert_eq!(rate(1186.2), "+1,186/min");
        assert_eq!(rate(-25.0), "-25/min");
        assert_eq!(rate(0.5), "+0.5/min");
        assert_eq!(rate(0.0), "0/min");
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(1200, "file", "files"), "1,200 files");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(limit(None), "unlimited");
    }

    #[test]
    fn rates_and_shares_never_hide_a_real_count() {
        assert_eq!(rate_of(1200.3, "goroutines"), "+1,200 goroutines/min");
        assert_eq!(rate_of(2.46, "threads"), "+2.5 threads/min");
        assert_eq!(rate_of(-14.6, "fds"), "-15 fds/min");
        assert_eq!(bytes_rate(30.0 * 1024.0 * 1024.0), "+30.0 MiB/min");
        assert_eq!(bytes_rate(-10_445.0), "-10.2 KiB/min");
        assert_eq!(bytes_rate(0.2), "0 B/min");
        assert_eq!(percent(5.0 * 100.0 / 20_000.0), "<0.1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(24.41), "24.4%");
        assert_eq!(percent(99.99), ">99.9%");
        assert_eq!(percent(100.0), "100%");
        assert_eq!(share(1.0, 1_000_000.0), "<0.1%");
        assert_eq!(share(1.0, 0.0), "-");
        assert_eq!(share(-1.0, 1_000_000.0), ">-0.1%");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(12.0), "12s");
        assert_eq!(duration(95.0), "1m35s");
        assert_eq!(duration(7980.0), "2h13m");
        assert_eq!(duration(200_000.0), "2d07h");
        assert_eq!(duration(f64::INFINITY), "never");
    }
}
