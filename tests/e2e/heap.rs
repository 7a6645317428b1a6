//! `steady heap` on real targets: a Go service that leaks at a known rate (and is compared
//! with `go tool pprof` on the same files), a native process growing an anonymous mapping,
//! and bad endpoints and files.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

use crate::support::{for_each_go, go_toolchains, stderr_of, steady, steady_json, Target};

const MIB: i64 = 1024 * 1024;

#[derive(Debug, Deserialize)]
struct DiffDoc {
    seconds: Option<f64>,
    sample_type: Option<String>,
    base_total: Option<i64>,
    new_total: Option<i64>,
    total_delta: Option<i64>,
    entries: Vec<DiffEntry>,
    ledger: Vec<LedgerChange>,
    verdicts: Vec<Verdict>,
    regions: Option<Vec<Region>>,
    grew: bool,
}

#[derive(Debug, Deserialize)]
struct DiffEntry {
    name: String,
    flat_delta: i64,
    cum_delta: i64,
    shrinking: bool,
}

#[derive(Debug, Deserialize)]
struct LedgerChange {
    name: String,
    delta: i64,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    kind: String,
    message: String,
}

#[derive(Debug, Deserialize)]
struct Region {
    category: String,
    rss_delta: i64,
    size_after: u64,
}

#[derive(Debug, Deserialize)]
struct TopDoc {
    sample_type: Option<String>,
    total: Option<i64>,
    entries: Vec<TopEntry>,
    ledger: Vec<LedgerRow>,
    go: Option<GoInfo>,
    endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TopEntry {
    name: String,
    flat: i64,
    cum: i64,
}

#[derive(Debug, Deserialize)]
struct LedgerRow {
    name: String,
    bytes: i64,
}

#[derive(Debug, Deserialize)]
struct GoInfo {
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SnapshotDoc {
    files: Vec<String>,
    has_profile: bool,
}

fn one_line_error(args: &[&str], want: &str) {
    let out = steady(args);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(err.starts_with("steady: "), "{err}");
    assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
}

#[test]
fn smaps_diff_finds_the_growing_anonymous_region() {
    let target = Target::spawn(
        "mem_grow",
        &[
            "--mib-per-sec",
            "16",
            "--max-mib",
            "256",
            "--lifetime",
            "60",
        ],
    );
    let (doc, code) = steady_json::<DiffDoc>(&["heap", "diff", &target.pid_arg(), "--over", "2s"]);
    assert_eq!(code, 1, "growth is a finding: {doc:?}");
    assert!(doc.grew);
    assert!(doc.entries.is_empty(), "no profile endpoint, no profile");
    let regions = doc.regions.expect("smaps regions");
    let top = &regions[0];
    assert_eq!(top.category, "anonymous", "{regions:?}");
    assert_eq!(top.size_after, 256 * MIB as u64);
    let seconds = doc.seconds.unwrap();
    let expected = 16.0 * seconds * MIB as f64;
    assert!(
        (top.rss_delta as f64 - expected).abs() < 8.0 * MIB as f64,
        "grew {} in {seconds:.1}s, expected about {expected}",
        top.rss_delta
    );
}

#[test]
fn snapshot_without_endpoint_records_smaps_and_diffs_from_files() {
    let target = Target::spawn("mem_grow", &["--mib-per-sec", "16", "--lifetime", "60"]);
    let dir = target.dir.path();
    let first = dir.join("a.smaps.json");
    let second = dir.join("b.smaps.json");
    let (snap, code) = steady_json::<SnapshotDoc>(&[
        "heap",
        "snapshot",
        &target.pid_arg(),
        "-o",
        first.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(!snap.has_profile);
    assert_eq!(snap.files, vec![first.display().to_string()]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    steady_json::<SnapshotDoc>(&[
        "heap",
        "snapshot",
        &target.pid_arg(),
        "-o",
        second.to_str().unwrap(),
    ]);
    let (doc, code) = steady_json::<DiffDoc>(&[
        "heap",
        "diff",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let regions = doc.regions.unwrap();
    assert_eq!(regions[0].category, "anonymous");
    assert!(regions[0].rss_delta >= 16 * MIB, "{regions:?}");
    assert!(doc.seconds.unwrap() >= 1.4);
}

#[test]
fn malformed_profiles_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let html = write(
        "page.pb.gz",
        b"<html><body>404 page not found</body></html>\n",
    );
    one_line_error(&["heap", "top", &html], "not a pprof profile");

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&[0xff; 4096]).unwrap();
    let mut bytes = gz.finish().unwrap();
    let garbage = write("garbage.pb.gz", &bytes);
    one_line_error(&["heap", "top", &garbage], "truncated or corrupt");
    bytes.truncate(bytes.len() / 2);
    let truncated = write("truncated.pb.gz", &bytes);
    one_line_error(&["heap", "top", &truncated], "truncated or corrupt");

    one_line_error(
        &["heap", "top", "/nonexistent/heap.pb.gz"],
        "cannot read /nonexistent/heap.pb.gz",
    );
    one_line_error(
        &["heap", "top", &html, "--max-bytes", "10"],
        "larger than 10 bytes",
    );
    one_line_error(&["heap", "diff", &html], "needs two sources");
}

#[test]
fn endpoints_that_hang_or_refuse_are_bounded_errors() {
    // fd_mix listens but never accepts: the connection completes and no answer ever comes.
    let target = Target::spawn("fd_mix", &["--lifetime", "60"]);
    let url = format!("http://127.0.0.1:{}", target.port);
    let started = std::time::Instant::now();
    one_line_error(
        &[
            "heap",
            "top",
            &target.pid_arg(),
            "--url",
            &url,
            "--timeout",
            "700ms",
        ],
        "did not answer within",
    );
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "bounded by --timeout"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    one_line_error(
        &[
            "heap",
            "top",
            &target.pid_arg(),
            "--port",
            &port.to_string(),
        ],
        "cannot connect",
    );
}

/// `go tool pprof` of the first toolchain: one reference for the profiles every toolchain wrote.
fn go_tool_pprof(args: &[&str]) -> String {
    let out = Command::new(&go_toolchains()[0].path)
        .args(["tool", "pprof"])
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("go tool pprof");
    assert!(
        out.status.success(),
        "go tool pprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Rows of `go tool pprof -top -unit=B …`: (name, flat, cum) in raw units.
fn pprof_rows(text: &str) -> Vec<(String, i64, i64)> {
    let parse = |v: &str| -> i64 {
        let digits = v.trim_end_matches('B');
        digits
            .parse()
            .unwrap_or_else(|_| panic!("unexpected value {v:?}"))
    };
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 6).then(|| {
                let name = f[5..].join(" ");
                let name = name.trim_end_matches(" (inline)").to_string();
                (name, parse(f[0]), parse(f[3]))
            })
        })
        .collect()
}

#[test]
fn heap_leak_tops_the_diff_and_matches_go_tool_pprof() {
    for_each_go(|go| {
        let target =
            Target::spawn_go_with(go, "heap_leak", &["-mode", "heap", "-lifetime", "60"], &[]);
        let dir = target.dir.path();
        let (a, b) = (dir.join("t0.pb.gz"), dir.join("t1.pb.gz"));
        let pid = target.pid_arg();
        let (snap, code) = steady_json::<SnapshotDoc>(&[
            "heap",
            "snapshot",
            &pid,
            "--gc",
            "-o",
            a.to_str().unwrap(),
        ]);
        assert_eq!(code, 0);
        assert!(snap.has_profile);
        assert!(Path::new(&format!("{}.json", a.display())).exists());
        std::thread::sleep(std::time::Duration::from_secs(4));
        steady_json::<SnapshotDoc>(&["heap", "snapshot", &pid, "--gc", "-o", b.to_str().unwrap()]);

        let (doc, code) = steady_json::<DiffDoc>(&[
            "heap",
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--top",
            "0",
        ]);
        assert_eq!(code, 1, "{doc:?}");
        assert_eq!(doc.sample_type.as_deref(), Some("inuse_space"));
        let leak = &doc.entries[0];
        assert_eq!(leak.name, "main.leakIntoCache", "{:?}", doc.entries);
        // 1 MiB/s, over the time between the two snapshots.
        let expected = doc.seconds.unwrap() * MIB as f64;
        let ratio = leak.flat_delta as f64 / expected;
        assert!(
            (0.75..1.25).contains(&ratio),
            "grew {} in {:?}s: ratio {ratio:.2}",
            leak.flat_delta,
            doc.seconds
        );
        assert!(!leak.shrinking);
        assert_eq!(
            doc.total_delta,
            Some(doc.new_total.unwrap() - doc.base_total.unwrap())
        );
        assert!(
            doc.verdicts
                .iter()
                .any(|v| v.kind == "memory-drift" && v.message.contains("live heap objects grew")),
            "{:?}",
            doc.verdicts
        );
        let live = doc
            .ledger
            .iter()
            .find(|c| c.name == "live_objects")
            .unwrap();
        assert!(live.delta > 2 * MIB, "{live:?}");

        // The same files through go tool pprof: every function's flat and cum must agree.
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        let theirs = pprof_rows(&go_tool_pprof(&[
            "-top",
            "-unit=B",
            "-nodecount=100000",
            "-nodefraction=0",
            "-sample_index=inuse_space",
            "-base",
            a,
            b,
        ]));
        assert!(!theirs.is_empty());
        for (name, flat, cum) in &theirs {
            let ours = doc
                .entries
                .iter()
                .find(|e| &e.name == name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!((ours.flat_delta, ours.cum_delta), (*flat, *cum), "{name}");
        }
        let (top, _) =
            steady_json::<TopDoc>(&["heap", "top", b, "--top", "0", "--sample", "alloc_objects"]);
        let theirs = pprof_rows(&go_tool_pprof(&[
            "-top",
            "-unit=B",
            "-nodecount=100000",
            "-nodefraction=0",
            "-sample_index=alloc_objects",
            b,
        ]));
        assert_eq!(top.entries.len(), theirs.len());
        for (name, flat, cum) in &theirs {
            let ours = top.entries.iter().find(|e| &e.name == name).unwrap();
            assert_eq!((ours.flat, ours.cum), (*flat, *cum), "{name}");
        }
        assert_eq!(top.sample_type.as_deref(), Some("alloc_objects"));
        assert!(top.total.unwrap() > 0);
    });
}

#[test]
fn live_top_discovers_the_endpoint_and_fills_the_ledger() {
    for_each_go(|go| {
        let target =
            Target::spawn_go_with(go, "heap_leak", &["-mode", "heap", "-lifetime", "60"], &[]);
        let (doc, code) = steady_json::<TopDoc>(&["heap", "top", &target.pid_arg(), "--gc"]);
        assert_eq!(code, 0);
        assert_eq!(
            doc.endpoint.as_deref(),
            Some(format!("http://127.0.0.1:{}/debug/pprof", target.port).as_str())
        );
        assert_eq!(
            doc.go.unwrap().version.as_deref(),
            Some(go.version.as_str()),
            "the build info names the toolchain that built it"
        );
        assert!(
            doc.entries.iter().any(|e| e.name == "main.warmCache"),
            "{:?}",
            doc.entries
        );
        let get = |n: &str| doc.ledger.iter().find(|l| l.name == n).unwrap().bytes;
        assert!(get("rss") > 0 && get("live_objects") > 4 * MIB);

        let svg = target.dir.path().join("heap.svg");
        let out = steady(&[
            "heap",
            "top",
            &target.pid_arg(),
            "--flame",
            svg.to_str().unwrap(),
            "--folded",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let folded = String::from_utf8(out.stdout).unwrap();
        assert!(
            folded
                .lines()
                .any(|l| l.contains("main.main;") && l.contains("main.leakIntoCache")),
            "{folded}"
        );
        let svg = std::fs::read_to_string(svg).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("main.leakIntoCache"));

        let url = format!("http://127.0.0.1:{}/nope", target.port);
        one_line_error(
            &["heap", "top", &target.pid_arg(), "--url", &url],
            "HTTP 404",
        );
    });
}

#[test]
fn fragmentation_is_told_from_a_leak_and_a_healthy_twin_is_steady() {
    for_each_go(|go| {
        let fragmenting = Target::spawn_go_with(
            go,
            "heap_leak",
            &["-mode", "fragment", "-lifetime", "60"],
            &[],
        );
        let healthy = Target::spawn_go_with(
            go,
            "heap_leak",
            &["-mode", "steady", "-lifetime", "60"],
            &[],
        );
        let (frag, frag_code) = steady_json::<DiffDoc>(&[
            "heap",
            "diff",
            &fragmenting.pid_arg(),
            "--over",
            "5s",
            "--gc",
        ]);
        let (calm, calm_code) =
            steady_json::<DiffDoc>(&["heap", "diff", &healthy.pid_arg(), "--over", "5s", "--gc"]);
        let kinds: Vec<&str> = frag.verdicts.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["allocator-fragmentation"],
            "{:?} {:?}",
            frag.verdicts,
            frag.ledger
        );
        assert_eq!(frag_code, 1);
        let spans = frag
            .ledger
            .iter()
            .find(|c| c.name == "span_fragmentation")
            .unwrap();
        let live = frag
            .ledger
            .iter()
            .find(|c| c.name == "live_objects")
            .unwrap();
        assert!(spans.delta > 2 * live.delta.max(0), "{spans:?} {live:?}");
        assert!(
            calm.verdicts.is_empty(),
            "{:?} {:?}",
            calm.verdicts,
            calm.ledger
        );
        assert!(!calm.grew);
        assert_eq!(calm_code, 0);
    });
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pprof");

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

#[derive(Debug, Deserialize)]
struct FilteredTop {
    total: i64,
    kept_total: i64,
    filters: Option<String>,
    entries: Vec<TopEntry>,
}

#[derive(Debug, Deserialize)]
struct ListDoc {
    total: i64,
    functions: Vec<ListedFunction>,
}

#[derive(Debug, Deserialize)]
struct ListedFunction {
    name: String,
    file: String,
    flat: i64,
    cum: i64,
    lines: Vec<ListedLine>,
}

#[derive(Debug, Deserialize)]
struct ListedLine {
    line: i64,
    flat: i64,
    cum: i64,
}

/// (function, file, flat, cum, [(line, flat, cum)]) of each ROUTINE of `go tool pprof -list`,
/// lines with a value only.
type Routine = (String, String, i64, i64, Vec<(i64, i64, i64)>);

fn pprof_routines(text: &str) -> Vec<Routine> {
    let value = |v: &str| -> i64 {
        match v {
            "." => 0,
            v => v
                .trim_end_matches('B')
                .parse()
                .unwrap_or_else(|_| panic!("unexpected value {v:?}")),
        }
    };
    let mut out: Vec<Routine> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("ROUTINE ======================== ") {
            let (name, file) = rest.rsplit_once(" in ").unwrap();
            let sums: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
            out.push((
                name.into(),
                file.into(),
                value(sums[0]),
                value(sums[1]),
                vec![],
            ));
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(routine), [flat, cum, n, ..]) = (out.last_mut(), f.as_slice()) {
            if let Some(n) = n.split_once(':').and_then(|(n, _)| n.parse::<i64>().ok()) {
                let (flat, cum) = (value(flat), value(cum));
                if flat != 0 || cum != 0 {
                    routine.4.push((n, flat, cum));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn focus_ignore_and_list_equal_go_tool_pprof_on_recorded_profiles() {
    let (t0, t1) = (fixture("heap-t0.pb.gz"), fixture("heap-t1.pb.gz"));
    let raw = ["-unit=B", "-nodecount=100000", "-nodefraction=0"];
    // heap top --focus/--ignore against -top -focus/-ignore.
    for (sample, focus, ignore) in [
        ("inuse_space", Some("bufio"), None),
        ("alloc_space", None, Some("net/http|compress")),
        ("alloc_objects", Some("net/http"), Some("bufio")),
        ("inuse_objects", Some("^runtime\\."), None),
    ] {
        let mut ours = vec!["heap", "top", &t1, "--top", "0", "--sample", sample];
        let mut theirs = vec!["-top", raw[0], raw[1], raw[2]];
        let sample_arg = format!("-sample_index={sample}");
        theirs.push(&sample_arg);
        let (focus_arg, ignore_arg) = (
            focus.map(|f| format!("-focus={f}")),
            ignore.map(|i| format!("-ignore={i}")),
        );
        if let (Some(f), Some(arg)) = (focus, &focus_arg) {
            ours.extend(["--focus", f]);
            theirs.push(arg);
        }
        if let (Some(i), Some(arg)) = (ignore, &ignore_arg) {
            ours.extend(["--ignore", i]);
            theirs.push(arg);
        }
        theirs.push(&t1);
        let (doc, code) = steady_json::<FilteredTop>(&ours);
        assert_eq!(code, 0);
        let rows = pprof_rows(&go_tool_pprof(&theirs));
        assert!(!rows.is_empty(), "{sample} {focus:?} {ignore:?}");
        assert_eq!(
            doc.entries.len(),
            rows.len(),
            "{sample} {focus:?} {ignore:?}"
        );
        for (name, flat, cum) in &rows {
            let e = doc.entries.iter().find(|e| &e.name == name).unwrap();
            assert_eq!((e.flat, e.cum), (*flat, *cum), "{name}");
        }
        assert!(doc.kept_total < doc.total, "{doc:?}");
        assert!(doc.filters.is_some());
    }

    // heap diff --ignore against -top -base -ignore.
    let (doc, _) = steady_json::<DiffDoc>(&[
        "heap",
        "diff",
        &t0,
        &t1,
        "--top",
        "0",
        "--ignore",
        "bufio|crc32",
    ]);
    let rows = pprof_rows(&go_tool_pprof(&[
        "-top",
        raw[0],
        raw[1],
        raw[2],
        "-sample_index=inuse_space",
        "-ignore=bufio|crc32",
        "-base",
        &t0,
        &t1,
    ]));
    assert!(!rows.is_empty());
    for (name, flat, cum) in &rows {
        let e = doc.entries.iter().find(|e| &e.name == name).unwrap();
        assert_eq!((e.flat_delta, e.cum_delta), (*flat, *cum), "{name}");
    }
    assert!(doc.entries.iter().all(|e| !e.name.starts_with("bufio.")));

    // heap list against -list, with and without a filter.
    for (sample, pattern, ignore) in [
        ("inuse_space", "main\\.|bufio", None),
        ("alloc_objects", "^net/http\\.", Some("bufio")),
    ] {
        let mut ours = vec!["heap", "list", pattern, &t1, "--sample", sample];
        let list_arg = format!("-list={pattern}");
        let sample_arg = format!("-sample_index={sample}");
        let mut theirs = vec![list_arg.as_str(), "-unit=B", sample_arg.as_str()];
        let ignore_arg = ignore.map(|i| format!("-ignore={i}"));
        if let (Some(i), Some(arg)) = (ignore, &ignore_arg) {
            ours.extend(["--ignore", i]);
            theirs.push(arg);
        }
        theirs.push(&t1);
        let (doc, code) = steady_json::<ListDoc>(&ours);
        assert_eq!(code, 0);
        assert!(doc.total > 0);
        let mut got: Vec<Routine> = doc
            .functions
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.file.clone(),
                    f.flat,
                    f.cum,
                    f.lines.iter().map(|l| (l.line, l.flat, l.cum)).collect(),
                )
            })
            .collect();
        got.sort();
        let want = pprof_routines(&go_tool_pprof(&theirs));
        assert!(want.len() > 5, "{pattern}: {want:?}");
        assert_eq!(got, want, "{pattern}");
    }
    let out = steady(&["heap", "list", "main\\.leakIntoCache", &t1]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("main.leakIntoCache in ") && text.contains("LINE"),
        "{text}"
    );

    one_line_error(
        &["heap", "top", &t1, "--focus", "no_such_function_zzz"],
        "matches no function or file",
    );
    one_line_error(
        &["heap", "list", "no_such_function_zzz", &t1],
        "matches no function",
    );
    one_line_error(
        &["heap", "top", &t1, "--focus", "("],
        "not a regular expression",
    );
}

#[test]
fn cpu_and_goroutine_profiles_say_what_they_are() {
    for (name, kind, instead) in [
        ("cpu.pb.gz", "a CPU profile", "go tool pprof"),
        ("goroutine.pb.gz", "a goroutine profile", "steady stacks"),
    ] {
        for command in ["top", "list"] {
            let file = fixture(name);
            let args: Vec<&str> = match command {
                "top" => vec!["heap", "top", &file],
                _ => vec!["heap", "list", "main", &file],
            };
            let out = steady(&args);
            let err = stderr_of(&out);
            assert_eq!(out.status.code(), Some(2), "{err}");
            assert!(err.contains(&format!("this is {kind}")), "{err}");
            assert!(err.contains(instead), "{err}");
            assert!(
                !err.contains("--sample"),
                "no heap sample type asked for: {err}"
            );
        }
    }
    let (doc, code) = steady_json::<serde_json::Value>(&["heap", "top", &fixture("cpu.pb.gz")]);
    assert_eq!(code, 2);
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("CPU profile"));
}

#[test]
fn over_windows_too_short_to_mean_anything_are_refused() {
    for args in [
        vec!["fds", "1", "--over", "0s"],
        vec!["fds", "1", "--over", "0"],
        vec!["fds", "1", "--over", "300ms"],
        vec!["heap", "diff", "1", "--over", "0s"],
        vec!["heap", "diff", "1", "--over", "999ms"],
    ] {
        let out = steady(&args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("too short") && err.contains("1s or more"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn diff_of_timed_snapshots_reports_growth_per_minute() {
    // The recorded pair carries its snapshot times: rates follow from them.
    let (doc, _) = steady_json::<serde_json::Value>(&[
        "heap",
        "diff",
        &fixture("heap-t0.pb.gz"),
        &fixture("heap-t1.pb.gz"),
    ]);
    let seconds = doc["seconds"].as_f64().unwrap();
    let delta = doc["total_delta"].as_f64().unwrap();
    let rate = doc["total_rate_per_min"].as_f64().unwrap();
    // `seconds` is printed rounded to 10 ms: the rate is checked to 1%.
    let close = |a: f64, b: f64| (a - b).abs() <= b.abs() * 0.01;
    assert!(close(rate, delta * 60.0 / seconds), "{rate}");
    let leak = &doc["entries"][0];
    assert_eq!(leak["name"], "main.leakIntoCache");
    let flat = leak["flat_delta"].as_f64().unwrap();
    assert!(close(
        leak["rate_per_min"].as_f64().unwrap(),
        flat * 60.0 / seconds
    ));
    let out = steady(&[
        "heap",
        "diff",
        &fixture("heap-t0.pb.gz"),
        &fixture("heap-t1.pb.gz"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/min)") && text.contains("FLAT Δ/MIN"),
        "{text}"
    );
}

#[test]
fn diff_over_a_live_leak_reports_its_rate_per_minute() {
    let go = &go_toolchains()[0];
    let target = Target::spawn_go_with(go, "heap_leak", &["-mode", "heap", "-lifetime", "60"], &[]);
    let (doc, code) = steady_json::<serde_json::Value>(&[
        "heap",
        "diff",
        &target.pid_arg(),
        "--over",
        "4s",
        "--gc",
    ]);
    assert_eq!(code, 1, "{doc}");
    let leak = &doc["entries"][0];
    assert_eq!(leak["name"], "main.leakIntoCache", "{doc}");
    // heap_leak keeps 1 MiB a second: 60 MiB a minute.
    let ratio = leak["rate_per_min"].as_f64().unwrap() / (60.0 * MIB as f64);
    assert!((0.75..1.25).contains(&ratio), "{ratio}: {leak}");
}

#[test]
fn files_written_are_announced_and_default_names_carry_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("flame.svg");
    let out = steady(&[
        "heap",
        "top",
        &fixture("heap-t1.pb.gz"),
        "--flame",
        svg.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr_of(&out), format!("wrote {}\n", svg.display()));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays JSON");

    let target = Target::spawn("mem_grow", &["--mib-per-sec", "1", "--lifetime", "60"]);
    let out = crate::support::steady_command()
        .args(["heap", "snapshot", &target.pid_arg()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    let written = err.strip_prefix("wrote ").unwrap().trim_end();
    let prefix = format!("heap-{}-", target.pid);
    let stamp = written
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix(".smaps.json"))
        .unwrap_or_else(|| panic!("{written}"));
    assert_eq!(stamp.len(), 15, "{stamp}");
    assert_eq!(&stamp[8..9], "T");
    assert!(stamp.replace('T', "").chars().all(|c| c.is_ascii_digit()));
    assert!(dir.path().join(written).exists());
}
