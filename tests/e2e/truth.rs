//! The independent truth about a Go target's heap, computed without steady: the runtime's own
//! gctrace lines (one per GC, moved by tests/targets/go/heap_shapes onto DIR/gctrace.log) and
//! the parameters it wrote to DIR/truth.json. Reads only those two files; everything else here
//! is pure.

#![allow(dead_code)]

use std::path::Path;

use serde::Deserialize;

/// One GC end: the runtime's cycle number, when it started (unix seconds), and the heap it
/// marked live. gctrace prints MB as bytes >> 20, so `live_bytes` is a whole number of MiB,
/// rounded down (1 MiB granularity: fine for slopes over a minute).
#[derive(Debug, Clone, PartialEq)]
pub struct GcPoint {
    pub seq: u64,
    pub t_unix: f64,
    pub live_bytes: u64,
}

/// DIR/truth.json as heap_shapes writes it: byte sizes and rates in bytes, times in unix
/// seconds, zero where the mode does not use a field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Truth {
    pub mode: String,
    pub go_version: String,
    pub pid: i32,
    /// The runtime's clock origin: gctrace's `@3.456s` counts from here.
    pub start_unix: f64,
    /// Load starts here (the leak, the churn, the step clock).
    pub ready_unix: f64,
    pub exit_unix: f64,
    pub live_bytes: u64,
    pub live_objects: u64,
    pub garbage_bytes_per_sec: u64,
    pub leak_bytes_per_sec: u64,
    pub max_leak_bytes: u64,
    pub leak_start_unix: f64,
    /// When the leak reaches -max-leak-mib and stops: a slope is only the told rate before it.
    pub leak_end_unix: f64,
    pub step_bytes: u64,
    pub step_at_unix: f64,
    pub stuck_goroutines: u64,
    pub stuck_since_unix: f64,
    pub leak_goroutines_per_sec: u64,
    pub max_leak_goroutines: u64,
    pub memory_limit_bytes: i64,
}

/// Reads DIR/truth.json. Panics with the reason: a test without its truth cannot go on.
pub fn read_truth(dir: &Path) -> Truth {
    let path = dir.join("truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The GC ends logged so far in DIR/gctrace.log, placed in time by truth.json's start. An
/// unfinished last line (the target is still writing it, or was killed mid-line) is left out.
pub fn read_gctrace(dir: &Path) -> Vec<GcPoint> {
    let start = read_truth(dir).start_unix;
    match std::fs::read(dir.join("gctrace.log")) {
        Ok(bytes) => parse_gctrace(&String::from_utf8_lossy(&bytes), start),
        Err(_) => Vec::new(),
    }
}

/// Parses gctrace text. Only lines ended by a newline count: the runtime writes each line in
/// many small writes, so a reader can catch one half done (`150->152->14`), which would parse.
/// Other lines on stderr (a panic, scavenger or finalizer traces) are skipped.
pub fn parse_gctrace(text: &str, start_unix: f64) -> Vec<GcPoint> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => return Vec::new(),
    };
    complete
        .lines()
        .filter_map(|line| parse_line(line, start_unix))
        .collect()
}

/// `gc 12 @3.456s 1%: 0.1+2+0.01 ms clock, ..., 150->152->148 MB, 300 MB goal, ... 2 P`, with
/// an optional ` (forced)` at the end, and since Go 1.26 an optional
/// ` (checking for goroutine leaks)` after the percentage. Same in Go 1.19 and 1.26 otherwise.
fn parse_line(line: &str, start_unix: f64) -> Option<GcPoint> {
    let rest = line.trim_end_matches('\r').strip_prefix("gc ")?;
    let mut words = rest.split_whitespace();
    let seq = words.next()?.parse().ok()?;
    let at: f64 = words
        .next()?
        .strip_prefix('@')?
        .strip_suffix('s')?
        .parse()
        .ok()?;
    // The heap triple is the only `A->B->C MB` field; the goal and stacks fields have no arrows.
    let triple = rest
        .split(", ")
        .find_map(|field| field.strip_suffix(" MB").filter(|f| f.contains("->")))?;
    let mut heap = triple.split("->").map(|n| n.trim().parse::<u64>());
    let (_start, _end, marked) = (heap.next()?.ok()?, heap.next()?.ok()?, heap.next()?.ok()?);
    if heap.next().is_some() {
        return None;
    }
    Some(GcPoint {
        seq,
        t_unix: start_unix + at,
        live_bytes: marked << 20,
    })
}

/// Least-squares slope of live bytes over time, in bytes per minute; None with fewer than
/// three points or when they all share one instant.
pub fn live_slope_per_min(points: &[GcPoint]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    // Centre the times: unix seconds squared lose the sub-second digits in an f64.
    let t0 = points[0].t_unix;
    let mean_t = points.iter().map(|p| p.t_unix - t0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.live_bytes as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for p in points {
        let dt = p.t_unix - t0 - mean_t;
        sxy += dt * (p.live_bytes as f64 - mean_y);
        sxx += dt * dt;
    }
    if sxx <= f64::EPSILON {
        return None;
    }
    Some(sxy / sxx * 60.0)
}

/// The first and last sample times of a `steady triage --record` file.
pub fn recording_span(path: &Path) -> (f64, f64) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let times: Vec<f64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "sample")
        .filter_map(|v| v["t"].as_f64())
        .collect();
    assert!(!times.is_empty(), "{} holds no sample", path.display());
    (times[0], times[times.len() - 1])
}

/// The post-GC live heap's slope, in bytes per minute, over the GCs that ended within `span`
/// and the one just before it (whose heap the first sample already saw), with those points.
pub fn live_slope_within(dir: &Path, span: (f64, f64)) -> (f64, Vec<GcPoint>) {
    let all = read_gctrace(dir);
    let before = all.iter().rposition(|p| p.t_unix < span.0).unwrap_or(0);
    let points: Vec<GcPoint> = all
        .into_iter()
        .skip(before)
        .filter(|p| p.t_unix <= span.1)
        .collect();
    let rate = live_slope_per_min(&points)
        .unwrap_or_else(|| panic!("too few GCs in the window for a truth: {points:?}"));
    (rate, points)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real lines from heap_shapes built with go1.19.8: heap growth, the forced GC after the
    /// live set is built, then the steady state of `-mode healthy`.
    const GO119: &str = "\
gc 6 @5.337s 3%: 0.038+261+0.73 ms clock, 0.077+0/149/131+1.4 ms cpu, 122->127->125 MB, 128 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 7 @6.647s 3%: 0.044+217+0.004 ms clock, 0.089+0/124/210+0.009 ms cpu, 152->152->152 MB, 251 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
";

    /// The same from go1.26.8.
    const GO126: &str = "\
gc 6 @4.720s 4%: 5.8+36+8.8 ms clock, 11+0/24/17+17 ms cpu, 119->120->118 MB, 122 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 7 @6.013s 3%: 1.0+35+0.008 ms clock, 2.0+0/19/38+0.016 ms cpu, 152->152->152 MB, 237 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
";

    /// Go 1.26's runtime prints this marker when its goroutine leak check ran in the cycle
    /// (GOEXPERIMENT=goroutineleakprofile); written from runtime/mgc.go, not captured.
    const GO126_LEAK_CHECK: &str = "gc 9 @12.5s 1% (checking for goroutine leaks): 0.1+2+0.01 ms clock, 0.2+0/1/2+0.02 ms cpu, 300->301->150 MB, 304 MB goal, 0 MB stacks, 0 MB globals, 2 P\n";

    fn point(seq: u64, t_unix: f64, mib: u64) -> GcPoint {
        GcPoint {
            seq,
            t_unix,
            live_bytes: mib << 20,
        }
    }

    #[test]
    fn parses_gctrace_lines_of_go_1_19_and_1_26() {
        let start = 1_796_293_625.25;
        let cases: [(&str, &str, Vec<GcPoint>); 3] = [
            (
                "go1.19",
                GO119,
                vec![point(6, start + 5.337, 125), point(7, start + 6.647, 152)],
            ),
            (
                "go1.26",
                GO126,
                vec![point(6, start + 4.720, 118), point(7, start + 6.013, 152)],
            ),
            (
                "go1.26 leak check",
                GO126_LEAK_CHECK,
                vec![point(9, start + 12.5, 150)],
            ),
        ];
        for (name, text, want) in cases {
            let got = parse_gctrace(text, start);
            assert_eq!(got.len(), want.len(), "{name}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((g.seq, g.live_bytes), (w.seq, w.live_bytes), "{name}");
                assert!((g.t_unix - w.t_unix).abs() < 1e-6, "{name}: {g:?}");
            }
        }
    }

    #[test]
    fn leaves_out_a_torn_last_line_and_other_output() {
        let torn = format!("{GO126}gc 8 @80.1s 0%: 1.2+12+0.005 ms clock, 2.4+0.11/3.1/16+0.011 ms cpu, 287->288->15");
        let got = parse_gctrace(&torn, 0.0);
        assert_eq!(got.iter().map(|p| p.seq).collect::<Vec<_>>(), [6, 7]);

        let noisy = format!("panic: boom\n{GO119}checkfinalizers: queue: 0 finalizers + 0 cleanups\ngc x @1s 0%: garbage\n");
        assert_eq!(parse_gctrace(&noisy, 0.0).len(), 2);
        assert!(parse_gctrace("gc 1 @0.009s 1%: 0.2", 0.0).is_empty());
        assert!(parse_gctrace("", 0.0).is_empty());
    }

    #[test]
    fn parses_the_recorded_logs() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gctrace");
        for name in ["go1.19.8.log", "go1.26.8.log"] {
            let text = std::fs::read_to_string(fixtures.join(name)).expect(name);
            let points = parse_gctrace(&text, 0.0);
            let lines = text.lines().filter(|l| l.starts_with("gc ")).count();
            assert_eq!(points.len(), lines, "{name}");
            assert!(
                points.windows(2).all(|w| w[1].seq == w[0].seq + 1),
                "{name}"
            );
            assert!(
                points.windows(2).all(|w| w[1].t_unix > w[0].t_unix),
                "{name}"
            );
            // `-mode healthy` at the defaults: from the forced GC at ready on, 152 MiB and flat.
            let forced = text
                .lines()
                .position(|l| l.ends_with("(forced)"))
                .expect(name);
            let steady = &points[forced..];
            assert!(steady.len() >= 4, "{name}");
            assert!(steady.iter().all(|p| p.live_bytes == 152 << 20), "{name}");
            assert_eq!(live_slope_per_min(steady), Some(0.0), "{name}");
        }
    }

    #[test]
    fn reads_a_target_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("truth.json"),
            r#"{"mode":"leak","start_unix":1000.5,"leak_bytes_per_sec":1048576,"live_bytes":157286400}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("gctrace.log"), GO119).unwrap();
        let truth = read_truth(dir.path());
        assert_eq!(
            (truth.mode.as_str(), truth.leak_bytes_per_sec),
            ("leak", 1 << 20)
        );
        let points = read_gctrace(dir.path());
        assert_eq!(points.len(), 2);
        assert!((points[1].t_unix - 1007.147).abs() < 1e-6);
    }

    #[test]
    fn fits_the_live_slope() {
        // 1 MiB/s for a minute, GCs every 15 s: 60 MiB a minute.
        let rising: Vec<_> = (0..5)
            .map(|i| point(i, 1.7e9 + 15.0 * i as f64, 150 + 15 * i))
            .collect();
        let slope = live_slope_per_min(&rising).unwrap();
        assert!((slope - 60.0 * (1 << 20) as f64).abs() < 1.0, "{slope}");

        let flat: Vec<_> = (0..4).map(|i| point(i, 75.0 * i as f64, 152)).collect();
        assert_eq!(live_slope_per_min(&flat), Some(0.0));
        assert_eq!(live_slope_per_min(&rising[..2]), None);
        let same_instant = vec![point(1, 5.0, 1), point(2, 5.0, 2), point(3, 5.0, 3)];
        assert_eq!(live_slope_per_min(&same_instant), None);
    }
}
