//! The dump parser on real dumps (tests/fixtures/goroutines) and on the runtime's formats.

use super::lines::strip_log_timestamp;
use super::parser::read_line_bounded;
use super::*;
use crate::model::stacks::GoroutineGroup;

const GO119_DEBUG2: &str = include_str!("../../../tests/fixtures/goroutines/go1.19-debug2.txt");
const GO119_DEBUG1: &str = include_str!("../../../tests/fixtures/goroutines/go1.19-debug1.txt");
const GO122_LOGS: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.22-sigquit-in-logs.txt");

const GO126_MUTEX_DEBUG2: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-mutex-pileup-debug2.txt");
const GO126_MUTEX_DEBUG1: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-mutex-pileup-debug1.txt");
const GO126_LABELS_DEBUG2: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-chan-leak-labels-debug2.txt");
const GO126_LABELS_DEBUG1: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-chan-leak-labels-debug1.txt");
const GO126_LEAKED_DEBUG2: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-debug2.txt");
const GO126_LEAKED_DEBUG1: &str =
    include_str!("../../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-debug1.txt");
const GO126_LEAK_PROFILE: &str = include_str!(
    "../../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-goroutineleak-debug1.txt"
);
const WRITTEN_MARKERS: &str =
    include_str!("../../../tests/fixtures/goroutines/written-go1.24-1.27-header-markers.txt");

fn parse(text: &str, similar: bool) -> GoroutineDump {
    parse_dump(text.as_bytes(), "fixture", similar).unwrap()
}

fn group<'a>(dump: &'a GoroutineDump, leaf: &str) -> &'a GoroutineGroup {
    dump.groups
        .iter()
        .find(|g| g.frames.iter().any(|f| f.function == leaf))
        .unwrap_or_else(|| panic!("no group with {leaf}"))
}

#[test]
fn recorded_go119_debug2() {
    let dump = parse(GO119_DEBUG2, false);
    assert_eq!(dump.total, 64);
    assert!(dump.has_states);
    let waiting = group(&dump, "main.waitForever");
    assert_eq!(
        (waiting.count, waiting.state.as_str()),
        (50, "chan receive")
    );
    assert_eq!(waiting.frames[0].file, "/tmp/gor/main.go");
    assert_eq!(waiting.frames[0].line, 17);
    assert_eq!(waiting.created_by.as_ref().unwrap().function, "main.main");
    assert_eq!(waiting.wait_minutes, None, "no GC yet: no ages");
    assert_eq!(waiting.sample_ids.len(), 5);
    let mutex = group(&dump, "main.pileOnMutex");
    assert_eq!((mutex.count, mutex.state.as_str()), (7, "semacquire"));
    assert_eq!(mutex.frames[0].function, "sync.runtime_SemacquireMutex");
    let locked = group(&dump, "main.lockedSleeper");
    assert_eq!((locked.count, locked.locked_to_thread), (3, 3));
    assert_eq!(locked.state, "sleep");
    assert_eq!(dump.groups.iter().map(|g| g.count).sum::<u64>(), 64);
}

#[test]
fn recorded_go119_debug1_counts() {
    let dump = parse(GO119_DEBUG1, false);
    assert_eq!(dump.total, 64);
    assert!(!dump.has_states);
    let waiting = group(&dump, "main.waitForever");
    assert_eq!(waiting.count, 50);
    assert_eq!(waiting.state, "");
    let mutex = group(&dump, "main.pileOnMutex");
    assert_eq!(mutex.count, 7);
    assert_eq!(mutex.frames.len(), 4);
    assert_eq!(mutex.frames[1].function, "sync.(*Mutex).lockSlow");
    assert_eq!(mutex.frames[1].line, 171);
}

#[test]
fn sigquit_dump_in_logs_with_newer_formats() {
    let dump = parse(GO122_LOGS, false);
    // goroutines 0, 1, 17, 18, 19, 23, 31, 32, 40
    assert_eq!(dump.total, 9);
    let pool = dump
        .groups
        .iter()
        .find(|g| {
            g.frames
                .first()
                .is_some_and(|f| f.function == "example.com/api/internal/worker.(*Pool).wait")
        })
        .unwrap();
    assert_eq!(pool.count, 3, "(scan) is not part of the state");
    assert_eq!(pool.state, "chan receive");
    assert_eq!(pool.wait_minutes, Some((12, 47)));
    assert_eq!(pool.with_age, 2, "one of three has no age");
    assert_eq!(pool.frames[0].line, 51);
    assert_eq!(
        pool.created_by.as_ref().unwrap().function,
        "example.com/api/internal/worker.Start"
    );
    let io = group(&dump, "net.(*conn).Read");
    assert!(io.elided);
    assert_eq!((io.locked_to_thread, io.wait_minutes), (1, Some((3, 3))));
    assert_eq!(
        io.created_by.as_ref().unwrap().function,
        "net/http.(*Server).Serve"
    );
    let main = group(&dump, "main.main");
    assert_eq!(
        (main.state.as_str(), main.wait_minutes),
        ("chan receive", Some((42, 42)))
    );
    // Two mutex waiters differ only in a line number.
    let mutex: Vec<&GoroutineGroup> = dump
        .groups
        .iter()
        .filter(|g| g.state == "sync.Mutex.Lock")
        .collect();
    assert_eq!(mutex.len(), 2);
    let similar = parse(GO122_LOGS, true);
    let merged = similar
        .groups
        .iter()
        .find(|g| g.state == "sync.Mutex.Lock")
        .unwrap();
    assert_eq!((merged.count, merged.wait_minutes), (2, Some((5, 7))));
    let running = dump.groups.iter().find(|g| g.state == "running").unwrap();
    assert!(running.frames.is_empty());
}

#[test]
fn kubectl_timestamps_are_read_through() {
    let stamped: String = GO122_LOGS
        .lines()
        .map(|l| format!("2026-11-23T03:23:20.123456789Z {l}\n"))
        .collect();
    let plain = parse(GO122_LOGS, false);
    let dump = parse(&stamped, false);
    assert_eq!(dump.total, plain.total);
    assert_eq!(dump.groups, plain.groups);
    let offset: String = GO122_LOGS
        .lines()
        .map(|l| format!("2026-11-23T03:23:20+01:00 {l}\n"))
        .collect();
    assert_eq!(parse(&offset, false).groups, plain.groups);
    let west: String = GO122_LOGS
        .lines()
        .map(|l| format!("2026-11-23T03:23:20-05:00 {l}\n"))
        .collect();
    assert_eq!(parse(&west, false).groups, plain.groups);
    // Lines that only start like a time are left alone, and never panic.
    for line in [
        "2026-11-23T03 goroutine 1 [running]:",
        "2026-11-23TZ x yyyyyyyyyyy",
    ] {
        assert_eq!(strip_log_timestamp(line.as_bytes()), line.as_bytes());
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for text in [
        "",
        "hello\nworld\n",
        "goroutine x [y]:\n",
        "\u{0}\u{1}\u{2}",
        "12 @ not-an-address\n",
    ] {
        assert!(
            parse_dump(text.as_bytes(), "input", false).is_err(),
            "{text:?}"
        );
    }
    // A header and nothing else is still one goroutine.
    assert_eq!(parse("goroutine 9 [select]:\n", false).total, 1);
    // Truncated mid-frame: what was read counts.
    let cut = &GO119_DEBUG2[..GO119_DEBUG2.len() / 2];
    assert!(parse(cut, false).total > 0);
}

#[test]
fn limits_hold_before_memory_grows() {
    // A stack far deeper than Go prints keeps MAX_FRAMES frames and says it was cut.
    let mut deep = String::from("goroutine 1 [select]:\n");
    for i in 0..5000 {
        deep.push_str(&format!("main.f{i}(...)\n\t/src/main.go:{i} +0x1d\n"));
    }
    let dump = parse(&deep, false);
    assert_eq!(dump.groups[0].frames.len(), MAX_FRAMES);
    assert!(dump.groups[0].elided);
    // One endless line (no newline) is cut at MAX_LINE, and what follows still parses.
    let mut long = vec![b'x'; 3 * MAX_LINE];
    long.extend_from_slice(b"\ngoroutine 7 [chan receive]:\nmain.main()\n\t/m.go:3\n");
    let mut reader = long.as_slice();
    let mut line = Vec::new();
    let n = read_line_bounded(&mut reader, &mut line, MAX_LINE).unwrap();
    assert_eq!((n, line.len()), (3 * MAX_LINE + 1, MAX_LINE));
    let dump = parse_dump(long.as_slice(), "long", false).unwrap();
    assert_eq!((dump.total, dump.groups[0].frames.len()), (1, 1));
    // Past MAX_GROUPS distinct stacks, the rest are counted together.
    let mut many = String::new();
    for i in 0..MAX_GROUPS + 500 {
        many.push_str(&format!(
            "goroutine {i} [select]:\nmain.f{i}()\n\t/m.go:1\n\n"
        ));
    }
    let dump = parse(&many, false);
    assert_eq!(dump.groups.len(), MAX_GROUPS + 1);
    let overflow = dump.groups.last().unwrap();
    assert_eq!(
        (overflow.state.as_str(), overflow.count),
        (OVERFLOW_STATE, 500)
    );
    assert_eq!(dump.total, (MAX_GROUPS + 500) as u64);
}

/// One expected group of a recorded dump: the group holding `leaf`.
struct Want {
    leaf: &'static str,
    count: u64,
    state: &'static str,
    leaked: bool,
    created_by: Option<&'static str>,
}

const STACKS_LEAK: &str = "/tests/targets/go/stacks_leak/main.go";

#[test]
fn recorded_go126_dumps() {
    let want = |leaf, count, state, leaked, created_by| Want {
        leaf,
        count,
        state,
        leaked,
        created_by,
    };
    let main = Some("main.main");
    // (fixture, total, has states, groups that must be there exactly)
    let cases: [(&str, &str, u64, bool, Vec<Want>); 7] = [
        (
            "mutex-pileup-debug2",
            GO126_MUTEX_DEBUG2,
            25,
            true,
            vec![
                // Go ≥1.20 names the lock in the wait reason where 1.19 said semacquire;
                // ≥1.21 says which goroutine created it (cut off: "main.main").
                want("main.waitOnMutex", 20, "sync.Mutex.Lock", false, main),
                want("main.churn", 1, "select", false, main),
                want("main.main", 1, "sleep", false, None),
                want("net.(*netFD).accept", 1, "IO wait", false, main),
            ],
        ),
        (
            "mutex-pileup-debug1",
            GO126_MUTEX_DEBUG1,
            25,
            false,
            vec![want("main.waitOnMutex", 20, "", false, None)],
        ),
        (
            "chan-leak-labels-debug2",
            GO126_LABELS_DEBUG2,
            35,
            true,
            vec![
                // The labels are not part of the state.
                want("main.leakOnChannel", 30, "chan receive", false, main),
                want("main.main", 1, "sleep", false, None),
                want("main.churn", 1, "select", false, main),
            ],
        ),
        (
            "chan-leak-labels-debug1",
            GO126_LABELS_DEBUG1,
            39,
            false,
            vec![
                want("main.leakOnChannel", 30, "", false, None),
                want("main.churn.func1", 4, "", false, None),
            ],
        ),
        (
            "chan-leak-detected-debug2",
            GO126_LEAKED_DEBUG2,
            39,
            true,
            vec![
                want("main.leakOnChannel", 30, "chan receive", true, main),
                want("main.churn.func1", 4, "sleep", false, None),
                want("main.churn", 1, "sync.WaitGroup.Wait", false, main),
            ],
        ),
        (
            "chan-leak-detected-debug1",
            GO126_LEAKED_DEBUG1,
            35,
            false,
            vec![want("main.leakOnChannel", 30, "", false, None)],
        ),
        (
            "chan-leak-detected-goroutineleak-debug1",
            GO126_LEAK_PROFILE,
            30,
            false,
            vec![want("main.leakOnChannel", 30, "", false, None)],
        ),
    ];
    for (name, text, total, has_states, groups) in cases {
        let dump = parse(text, false);
        assert_eq!((dump.total, dump.has_states), (total, has_states), "{name}");
        assert_eq!(
            dump.groups.iter().map(|g| g.count).sum::<u64>(),
            total,
            "{name}: every goroutine is in one group"
        );
        for w in groups {
            let g = group(&dump, w.leaf);
            assert_eq!(
                (g.count, g.state.as_str(), g.leaked),
                (w.count, w.state, w.leaked),
                "{name}: {}",
                w.leaf
            );
            // churn.func1's creator is main.churn; only the ones named here are checked.
            if let Some(creator) = w.created_by {
                let by = g.created_by.as_ref().expect("created by");
                assert_eq!(by.function, creator, "{name}: {}", w.leaf);
                assert!(by.file.ends_with(STACKS_LEAK), "{name}: {by:?}");
            }
            let leaf = g.frames.iter().find(|f| f.function == w.leaf).unwrap();
            assert!(leaf.line > 0, "{name}: {leaf:?}");
        }
    }
}

#[test]
fn go126_mutex_frames_go_through_internal_sync() {
    // Go 1.24 moved the mutex into internal/sync; sync.(*Mutex).Lock is an inlined frame.
    let dump = parse(GO126_MUTEX_DEBUG2, false);
    let g = group(&dump, "main.waitOnMutex");
    let names: Vec<&str> = g.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(
        names,
        [
            "internal/sync.runtime_SemacquireMutex",
            "internal/sync.(*Mutex).lockSlow",
            "internal/sync.(*Mutex).Lock",
            "sync.(*Mutex).Lock",
            "main.waitOnMutex",
        ]
    );
    assert_eq!(g.wait_minutes, None);
    assert_eq!(g.sample_ids.len(), 5);
}

#[test]
fn header_markers_of_go124_to_go127() {
    let dump = parse(WRITTEN_MARKERS, false);
    assert_eq!(dump.total, 10);
    let pop = "example.com/api/internal/queue.(*Queue).Pop";
    // (leaf, count, state, leaked, ages, locked to thread)
    let cases = [
        // "(durable)", the bubble and the labels are read past: one group of two.
        (pop, 2, "chan receive", false, None, 0),
        ("time.Sleep", 1, "sleep", false, None, 0),
        (
            "sync.(*WaitGroup).Wait",
            1,
            "sync.WaitGroup.Wait",
            false,
            None,
            0,
        ),
        (
            "example.com/api/internal/server.(*Server).drain",
            1,
            "select",
            false,
            Some((7, 7)),
            1,
        ),
        (
            "example.com/api/internal/server.(*Server).wait",
            1,
            "leaked",
            true,
            None,
            0,
        ),
        ("testing.(*T).Run", 1, "chan receive", false, None, 0),
    ];
    for (leaf, count, state, leaked, ages, locked) in cases {
        let g = group(&dump, leaf);
        assert_eq!(
            (
                g.count,
                g.state.as_str(),
                g.leaked,
                g.wait_minutes,
                g.locked_to_thread
            ),
            (count, state, leaked, ages, locked),
            "{leaf}"
        );
    }
    // A label value holding ", 5 minutes]:" is not an age and does not end the header.
    let drain = group(&dump, "example.com/api/internal/server.(*Server).drain");
    assert_eq!(drain.frames.len(), 1);
    // Three publishers on one stack: two the runtime proved leaked ((scan) or not), one
    // not. The proof keeps them apart.
    let publish: Vec<_> = dump
        .groups
        .iter()
        .filter(|g| g.frames[0].function.ends_with("(*Fanout).publish"))
        .map(|g| (g.count, g.leaked, g.wait_minutes))
        .collect();
    assert_eq!(
        publish,
        [(2, true, Some((12, 14))), (1, false, Some((14, 14)))]
    );
}

/// Every fixture, and variants of it (repeated so that stacks recur, CRLF line ends, kubectl
/// timestamps), with and without `--similar`.
fn fixture_variants() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/goroutines");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 12, "{paths:?}");
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let repeated = format!("{text}\n{text}\n{text}");
        let crlf = text.replace('\n', "\r\n");
        let stamped: String = text
            .lines()
            .map(|l| format!("2026-11-23T03:23:20.123456789Z {l}\n"))
            .collect();
        out.push((format!("{name} repeated"), repeated.into_bytes()));
        out.push((format!("{name} crlf"), crlf.into_bytes()));
        out.push((format!("{name} stamped"), stamped.into_bytes()));
        out.push((name, text.into_bytes()));
    }
    out
}

/// A reader that hands out a few bytes at a time, so blocks straddle the scanner's refills.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The scanner, the trickled scanner and the parts, against the line reader: the same groups
/// in the same order, with the same counts, states, ages and sample ids.
fn assert_same_as_reference(name: &str, bytes: &[u8]) {
    for similar in [false, true] {
        let want = parse_dump_by_line(bytes, name, similar).ok();
        let fast = parse_dump(bytes, name, similar).ok();
        assert_eq!(fast, want, "{name}, similar {similar}: scanner");
        let trickled = parse_dump(std::io::BufReader::new(Trickle(bytes, 7)), name, similar).ok();
        assert_eq!(trickled, want, "{name}, similar {similar}: trickled");
        for parts in [2, 3, 7] {
            let split = parse_dump_in_parts(bytes, parts, name, similar).ok();
            assert_eq!(split, want, "{name}, similar {similar}: {parts} parts");
        }
    }
}

#[test]
fn fast_paths_group_every_fixture_as_the_line_reader_does() {
    for (name, bytes) in fixture_variants() {
        assert_same_as_reference(&name, &bytes);
    }
}

#[test]
fn equal_length_stacks_that_differ_stay_apart() {
    // Same length, same first and last bytes, one byte apart in the middle; the same frames in
    // another state, or marked leaked: four groups, whatever the hash says.
    let block = |state: &str, line: u32| {
        format!("goroutine 1 [{state}]:\nmain.a()\n\t/m.go:{line} +0x1\nmain.main()\n\t/m.go:9\n\n")
    };
    let mut dump = String::new();
    for i in 0..50 {
        dump.push_str(&block("select", 11 + i % 2));
        dump.push_str(&block("sleep", 11));
        dump.push_str(&block("select (leaked)", 11));
    }
    let parsed = parse(&dump, false);
    let counts: Vec<_> = parsed
        .groups
        .iter()
        .map(|g| (g.state.as_str(), g.leaked, g.frames[0].line, g.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("select", false, 11, 25),
            ("sleep", false, 11, 50),
            ("select", true, 11, 50),
            ("select", false, 12, 25)
        ]
    );
    assert_same_as_reference("equal length", dump.as_bytes());
}

#[test]
fn fast_paths_agree_on_limits_and_odd_bytes() {
    // A block longer than the scanner's buffer, twice; lines past MAX_LINE; names that are not
    // UTF-8 (each such goroutine is its own group); more distinct stacks than MAX_GROUPS.
    let mut huge = String::from("goroutine 1 [select]:\n");
    for i in 0..40_000 {
        huge.push_str(&format!("main.f{i}(...)\n\t/src/main.go:{i} +0x1d\n"));
    }
    let huge = format!("{huge}\n{}", huge.replace("goroutine 1 ", "goroutine 2 "));
    assert_same_as_reference("huge", huge.as_bytes());
    let mut long = b"goroutine 3 [select]:\nmain.".to_vec();
    long.extend(vec![b'x'; 2 * MAX_LINE]);
    long.extend_from_slice(b"()\n\t/m.go:1\n\n");
    let long = [long.clone(), long.clone(), long].concat();
    assert_same_as_reference("long lines", &long);
    let odd = b"goroutine 4 [select]:\nmain.\xff()\n\t/m.go:1\n\n".repeat(3);
    assert_eq!(
        parse_dump(odd.as_slice(), "odd", false)
            .unwrap()
            .groups
            .len(),
        3
    );
    assert_same_as_reference("not UTF-8", &odd);
    let mut many = String::new();
    for i in 0..MAX_GROUPS + 50 {
        many.push_str(&format!(
            "goroutine {i} [select]:\nmain.f{}()\n\t/m.go:1\n\n",
            i % (MAX_GROUPS + 20)
        ));
    }
    assert_same_as_reference("overflow", many.as_bytes());
    for text in [
        "",
        "goroutine",
        "goroutine 1 [x]:",
        "goroutine 1 [x]:\n\t",
        "\n\n\n",
    ] {
        assert_same_as_reference(text, text.as_bytes());
    }
}
