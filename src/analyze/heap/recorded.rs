//! Recorded profiles of the heap_leak service (tests/fixtures/pprof), checked against what
//! `go tool pprof -top -unit=B -nodecount=100000 -nodefraction=0` printed for the same files.

use super::*;
use crate::parse::pprof::decode_profile;

const T0: &[u8] = include_bytes!("../../../tests/fixtures/pprof/heap-t0.pb.gz");
const T1: &[u8] = include_bytes!("../../../tests/fixtures/pprof/heap-t1.pb.gz");
const T1_TOP: &str = include_str!("../../../tests/fixtures/pprof/heap-t1.top.inuse_space.txt");
const T1_CUM_OBJECTS: &str =
    include_str!("../../../tests/fixtures/pprof/heap-t1.top-cum.alloc_objects.txt");
const DIFF_TOP: &str = include_str!("../../../tests/fixtures/pprof/heap-diff.top.inuse_space.txt");
const DIFF_LINES: &str =
    include_str!("../../../tests/fixtures/pprof/heap-diff.lines.inuse_space.txt");
const FOCUS_BUFIO: &str =
    include_str!("../../../tests/fixtures/pprof/heap-t1.top.inuse_space.focus-bufio.txt");
const IGNORE_HTTP: &str =
    include_str!("../../../tests/fixtures/pprof/heap-t1.top.alloc_space.ignore-http-compress.txt");
const FOCUS_HTTP_IGNORE_BUFIO: &str = include_str!(
    "../../../tests/fixtures/pprof/heap-t1.top.alloc_objects.focus-http-ignore-bufio.txt"
);
const DIFF_FOCUS: &str =
    include_str!("../../../tests/fixtures/pprof/heap-diff.top.inuse_space.focus-crc32-runtime.txt");
const LIST_MAIN_BUFIO: &str =
    include_str!("../../../tests/fixtures/pprof/heap-t1.list.inuse_space.main-bufio.txt");
const LIST_HTTP: &str =
    include_str!("../../../tests/fixtures/pprof/heap-t1.list.alloc_space.http-ignore-bufio.txt");

/// (name, flat, cum) rows of go tool pprof's -top table, in raw units.
fn pprof_rows(text: &str) -> Vec<(String, i64, i64)> {
    let value = |v: &str| v.trim_end_matches('B').parse::<i64>().expect("raw value");
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = f[5..].join(" ");
            (
                name.trim_end_matches(" (inline)").to_string(),
                value(f[0]),
                value(f[3]),
            )
        })
        .collect()
}

fn decode(bytes: &[u8]) -> Profile {
    decode_profile(bytes, "fixture", 64 << 20).unwrap()
}

fn check(ours: Vec<(String, i64, i64)>, theirs: Vec<(String, i64, i64)>) {
    assert!(!theirs.is_empty());
    let mut ours = ours;
    let mut theirs = theirs;
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
}

#[test]
fn top_equals_go_tool_pprof() {
    let p = decode(T1);
    let index = p.sample_index("inuse_space").unwrap();
    let report = top(aggregate(&p, index, Granularity::Functions), false);
    check(
        report
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.flat, e.cum))
            .collect(),
        pprof_rows(T1_TOP),
    );
    let objects = p.sample_index("alloc_objects").unwrap();
    let report = top(aggregate(&p, objects, Granularity::Functions), true);
    check(
        report
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.flat, e.cum))
            .collect(),
        pprof_rows(T1_CUM_OBJECTS),
    );
    assert!(
        report.entries.windows(2).all(|w| w[0].cum >= w[1].cum),
        "sorted by cum"
    );
}

#[test]
fn diff_equals_go_tool_pprof_base() {
    let (a, b) = (decode(T0), decode(T1));
    for (granularity, expected) in [
        (Granularity::Functions, DIFF_TOP),
        (Granularity::Lines, DIFF_LINES),
    ] {
        let d = diff(
            aggregate(&a, a.sample_index("inuse_space").unwrap(), granularity),
            aggregate(&b, b.sample_index("inuse_space").unwrap(), granularity),
            false,
        );
        check(
            d.entries
                .iter()
                .map(|e| (e.name.clone(), e.flat_delta(), e.cum_delta()))
                .collect(),
            pprof_rows(expected),
        );
        assert!(
            d.entries[0].name.starts_with("main.leakIntoCache"),
            "{:?}",
            d.entries[0]
        );
    }
}

fn filter(focus: Option<&str>, ignore: Option<&str>) -> SampleFilter {
    SampleFilter {
        focus: focus.map(|f| Regex::new(f).unwrap()),
        ignore: ignore.map(|i| Regex::new(i).unwrap()),
    }
}

/// pprof's "Showing nodes accounting for N, P% of T total": (N, T).
fn pprof_totals(text: &str) -> (i64, i64) {
    let line = text
        .lines()
        .find(|l| l.starts_with("Showing nodes accounting for"))
        .unwrap();
    let raw = |v: &str| -> i64 {
        let v = v.trim().trim_end_matches(',').trim_end_matches('B');
        v.parse().unwrap()
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    (raw(words[4]), raw(words[7]))
}

#[test]
fn focus_and_ignore_equal_go_tool_pprof() {
    let (t0, t1) = (decode(T0), decode(T1));
    // (go tool pprof output, sample type, -focus, -ignore); recorded with the commands in
    // tests/fixtures/pprof/README.md.
    let cases = [
        (FOCUS_BUFIO, "inuse_space", Some("bufio"), None),
        (IGNORE_HTTP, "alloc_space", None, Some("net/http|compress")),
        (
            FOCUS_HTTP_IGNORE_BUFIO,
            "alloc_objects",
            Some("net/http"),
            Some("bufio"),
        ),
    ];
    for (expected, sample, focus, ignore) in cases {
        let f = filter(focus, ignore);
        let index = t1.sample_index(sample).unwrap();
        let agg = aggregate_filtered(&t1, index, Granularity::Functions, &f);
        assert_eq!(
            (agg.kept_total, agg.total),
            pprof_totals(expected),
            "{sample} {focus:?} {ignore:?}"
        );
        let report = top(agg, false);
        check(
            report
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.flat, e.cum))
                .collect(),
            pprof_rows(expected),
        );
    }
    // A diff, focused: -focus with -base.
    let f = filter(Some("crc32|runtime"), None);
    let index = |p: &Profile| p.sample_index("inuse_space").unwrap();
    let d = diff(
        aggregate_filtered(&t0, index(&t0), Granularity::Functions, &f),
        aggregate_filtered(&t1, index(&t1), Granularity::Functions, &f),
        false,
    );
    check(
        d.entries
            .iter()
            .map(|e| (e.name.clone(), e.flat_delta(), e.cum_delta()))
            .collect(),
        pprof_rows(DIFF_FOCUS),
    );
    // Folded stacks pass the same samples.
    let f = filter(Some("bufio"), None);
    let stacks = folded(&t1, index(&t1), Granularity::Functions, &f);
    assert!(!stacks.is_empty() && stacks.iter().all(|(s, _)| s.contains("bufio")));
    let sum: i64 = stacks.iter().map(|(_, v)| v).sum();
    assert_eq!(sum, pprof_totals(FOCUS_BUFIO).0);
}

/// ROUTINE blocks of go tool pprof -list: (function, file, flat, cum, [(line, flat, cum)]),
/// lines with a value only.
type Routine = (String, String, i64, i64, Vec<(i64, i64, i64)>);

fn pprof_routines(text: &str) -> Vec<Routine> {
    let value = |v: &str| -> i64 {
        match v {
            "." => 0,
            v => v.trim_end_matches('B').parse().expect("raw value"),
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
            // `35:const chunk = …`: the number before the colon, the source after it.
            let number = n.split_once(':').and_then(|(n, _)| n.parse::<i64>().ok());
            if let Some(n) = number {
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
fn list_equals_go_tool_pprof_list() {
    let p = decode(T1);
    for (expected, sample, pattern, ignore) in [
        (LIST_MAIN_BUFIO, "inuse_space", "main\\.|bufio", None),
        (LIST_HTTP, "alloc_space", "^net/http\\.", Some("bufio")),
    ] {
        let report = list(
            &p,
            p.sample_index(sample).unwrap(),
            &Regex::new(pattern).unwrap(),
            &filter(None, ignore),
        );
        let ours: Vec<Routine> = report
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
        let theirs = pprof_routines(expected);
        assert!(theirs.len() > 5, "{pattern}: {}", theirs.len());
        let mut ours = ours;
        ours.sort();
        assert_eq!(ours, theirs, "{pattern}");
    }
}

#[test]
fn truncated_profiles_are_errors() {
    for cut in [10, T1.len() / 2, T1.len() - 3] {
        assert!(
            decode_profile(&T1[..cut], "cut", 64 << 20).is_err(),
            "cut at {cut}"
        );
    }
    assert!(matches!(
        decode_profile(T1, "small", 1024),
        Err(crate::parse::pprof::ProfileError::TooLarge { .. })
    ));
}
