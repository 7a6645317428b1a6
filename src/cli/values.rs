//! The value parsers behind the arguments: PIDs, durations, sizes, limits.

use super::*;

pub fn parse_pid(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i64>() {
        Ok(pid) if pid > 0 && pid <= i32::MAX as i64 => Ok(pid as i32),
        Ok(_) => {
            Err("a PID is a positive number, e.g. 4242 (find it with `pgrep NAME`)".to_string())
        }
        Err(_) => Err("a PID is a number, e.g. 4242 (find it with `pgrep NAME`)".to_string()),
    }
}

/// The runbook cards by kind, so a misspelt one gets clap's "did you mean" and every shell
/// completes them.
pub fn runbook_kinds() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::analyze::runbook::card_names())
}

/// `90`, `90s`, `500ms`, `5m`, `1h30m`, `2h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration; write e.g. 30s, 500ms, 5m or 1h30m");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value.saturating_mul(60)),
            "h" => Duration::from_secs(value.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `1048576`, `512KiB`, `64MiB`, `1GiB` (also KB/MB/GB, read as binary units).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a size; write e.g. 64MiB, 512KiB or 1048576");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

/// A --name pattern, e.g. `^myservice$` or `api|worker`.
pub fn parse_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|e| {
        let why = e.to_string();
        let last = why.lines().last().unwrap_or("invalid").trim().to_string();
        format!("`{text}` is not a regular expression ({last}); write e.g. '^myservice$'")
    })
}

pub fn parse_nofile(text: &str) -> Result<LimitRequest, String> {
    let number = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!("`{s}` is not a count; write SOFT or SOFT:HARD, e.g. 65536 or 65536:65536")
        })
    };
    let (soft, hard) = match text.split_once(':') {
        Some((soft, hard)) => (number(soft)?, Wanted::Value(number(hard)?)),
        None => (number(text)?, Wanted::Keep),
    };
    Ok(LimitRequest {
        resource: Resource::Nofile,
        soft: Wanted::Value(soft),
        hard,
        spelling: Spelling::SetNofile,
    })
}

/// prlimit's syntax: `RESOURCE=SOFT:HARD`, `SOFT:` (soft only), `:HARD` (hard only), or one
/// value for both; each a number or `unlimited`.
pub fn parse_set(text: &str) -> Result<LimitRequest, String> {
    let names = || {
        Resource::ALL
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (name, value) = text.split_once('=').ok_or_else(|| {
        format!("`{text}` is not RESOURCE=SOFT:HARD; write e.g. NOFILE=4096:8192, NOFILE=:8192 or CORE=unlimited")
    })?;
    let resource = Resource::from_name(name).ok_or_else(|| {
        format!(
            "`{name}` is not a resource prlimit knows; use one of {}",
            names()
        )
    })?;
    let one = |s: &str| -> Result<Wanted, String> {
        match s.trim() {
            "unlimited" => Ok(Wanted::Unlimited),
            n => n.parse::<u64>().map(Wanted::Value).map_err(|_| {
                format!(
                    "`{n}` is not a limit; write a number or `unlimited`, e.g. {}=4096:8192",
                    resource.name()
                )
            }),
        }
    };
    let (soft, hard) = match value.split_once(':') {
        Some(("", "")) => {
            return Err(format!(
                "`{text}` sets nothing; write {0}=SOFT:HARD, {0}=SOFT: or {0}=:HARD",
                resource.name()
            ))
        }
        Some(("", hard)) => (Wanted::Keep, one(hard)?),
        Some((soft, "")) => (one(soft)?, Wanted::Keep),
        Some((soft, hard)) => (one(soft)?, one(hard)?),
        None => {
            let both = one(value)?;
            (both, both)
        }
    };
    Ok(LimitRequest {
        resource,
        soft,
        hard,
        spelling: Spelling::Set,
    })
}

/// `--kind tcp,pipe`.
pub fn parse_kinds(text: &str) -> Result<KindList, String> {
    text.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|name| {
            FdKind::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = FdKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "`{name}` is not a descriptor kind; use one of {}",
                    names.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|kinds| {
            if kinds.is_empty() {
                Err("--kind needs at least one kind, e.g. tcp,pipe".to_string())
            } else {
                Ok(KindList(kinds))
            }
        })
}

pub fn parse_pid_list(text: &str) -> Result<PidList, String> {
    // `42,` is a list of one: a report as a list, for a script that joins PIDs with commas.
    let pids = text
        .strip_suffix(',')
        .unwrap_or(text)
        .split(',')
        .map(parse_pid)
        .collect::<Result<Vec<i32>, String>>()?;
    Ok(PidList {
        pids,
        is_list: text.contains(','),
    })
}

/// `--over` of fds and heap diff: two readings this far apart make a rate. Shorter than a
/// second, one scan of a large process (≈100 ms for 20k descriptors) or one profile fetch is
/// a large part of the window, and the rate per minute extrapolates noise: refused, as triage
/// refuses a window too short to judge.
pub fn parse_over(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < MIN_OVER {
        return Err(format!(
            "--over {text} is too short to measure growth: the two readings would be a large part of the window — use 1s or more (30s to 5m is usual)"
        ));
    }
    Ok(d)
}

/// The shortest `--over` window (see [`parse_over`]).
pub const MIN_OVER: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("30", Some(30_000)),
            ("30s", Some(30_000)),
            ("500ms", Some(500)),
            ("5m", Some(300_000)),
            ("1h30m", Some(5_400_000)),
            ("1m30s", Some(90_000)),
            ("", None),
            ("m", None),
            ("5x", None),
            ("-5s", None),
            ("1.5s", None),
        ];
        for (text, want) in cases {
            let got = parse_duration(text).ok().map(|d| d.as_millis() as u64);
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid("4242"), Ok(4242));
        assert!(parse_pid("0").is_err());
        assert!(parse_pid("-1").is_err());
        assert!(parse_pid("abc").is_err());
        assert!(parse_pid("99999999999").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512kb"), Ok(512 << 10));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("12XB").is_err());
    }

    #[test]
    fn nofile_requests() {
        let nofile = |soft, hard| LimitRequest {
            resource: Resource::Nofile,
            soft,
            hard,
            spelling: Spelling::SetNofile,
        };
        assert_eq!(
            parse_nofile("4096"),
            Ok(nofile(Wanted::Value(4096), Wanted::Keep))
        );
        assert_eq!(
            parse_nofile("4096:8192"),
            Ok(nofile(Wanted::Value(4096), Wanted::Value(8192)))
        );
        assert!(parse_nofile("lots").is_err());
        assert!(parse_nofile("1:").is_err());
    }

    #[test]
    fn set_requests_follow_prlimit() {
        let set = |resource, soft, hard| {
            Ok(LimitRequest {
                resource,
                soft,
                hard,
                spelling: Spelling::Set,
            })
        };
        use Wanted::{Keep, Unlimited, Value};
        let cases = [
            (
                "NOFILE=4096:8192",
                set(Resource::Nofile, Value(4096), Value(8192)),
            ),
            ("NOFILE=:8192", set(Resource::Nofile, Keep, Value(8192))),
            ("NOFILE=4096:", set(Resource::Nofile, Value(4096), Keep)),
            // One value sets both, as prlimit --nofile=4096 does.
            (
                "NOFILE=4096",
                set(Resource::Nofile, Value(4096), Value(4096)),
            ),
            ("CORE=unlimited", set(Resource::Core, Unlimited, Unlimited)),
            ("core=0:unlimited", set(Resource::Core, Value(0), Unlimited)),
            ("RTTIME=unlimited:", set(Resource::Rttime, Unlimited, Keep)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_set(text), want, "{text}");
        }
        for bad in [
            "NOFILE",
            "FILES=1",
            "NOFILE=:",
            "NOFILE=lots",
            "CORE=infinity",
            "NOFILE=1:2:3",
        ] {
            assert!(parse_set(bad).is_err(), "{bad}");
        }
        assert!(parse_set("FILES=1").unwrap_err().contains("AS, CORE, CPU"));
    }

    #[test]
    fn pid_lists_and_over_windows() {
        assert_eq!(
            parse_pid_list("1,42,77"),
            Ok(PidList {
                pids: vec![1, 42, 77],
                is_list: true
            })
        );
        assert!(!parse_pid_list("42").unwrap().is_list);
        assert_eq!(
            parse_pid_list("42,"),
            Ok(PidList {
                pids: vec![42],
                is_list: true
            })
        );
        assert!(parse_pid_list("1,,2").is_err());
        assert!(parse_pid_list(",").is_err());
        assert!(parse_pid_list("1,x").is_err());
        for short in ["0s", "0", "500ms", "999ms"] {
            assert!(parse_over(short).is_err(), "{short}");
        }
        assert_eq!(parse_over("1s"), Ok(Duration::from_secs(1)));
        assert!(parse_over("soon").is_err());
    }
}
