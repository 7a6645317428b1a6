//! `steady stacks` on real Go services with stuck goroutines and blocked threads, and on
//! recorded dumps from files and stdin.

use std::io::Write;
use std::process::Stdio;

use serde::Deserialize;

use crate::support::{for_each_go, stderr_of, steady, steady_command, steady_json, Target};

#[derive(Debug, Deserialize)]
struct StacksDoc {
    total: Option<u64>,
    groups: Vec<Group>,
    groups_total: usize,
    stuck_goroutines: u64,
    has_wait_reasons: bool,
    threads: Option<Threads>,
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Group {
    count: u64,
    state: String,
    wait_minutes: Option<Minutes>,
    stuck: bool,
    leaked: bool,
    frames: Vec<Frame>,
    created_by: Option<Frame>,
}

#[derive(Debug, Deserialize)]
struct Minutes {
    min: u32,
    max: u32,
}

#[derive(Debug, Deserialize)]
struct Frame {
    function: String,
    file: String,
    line: u32,
    app: bool,
}

#[derive(Debug, Deserialize)]
struct Threads {
    total: u64,
    groups: Vec<ThreadGroup>,
}

#[derive(Debug, Deserialize)]
struct ThreadGroup {
    count: u64,
    state: String,
    syscall: Option<String>,
}

fn has_frame(g: &Group, function: &str) -> bool {
    g.frames.iter().any(|f| f.function == function)
}

#[test]
fn leaked_goroutines_on_a_channel_lead_the_groups() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "chan", "-count", "300", "-lifetime", "60"],
            &[],
        );
        let (doc, code) = steady_json::<StacksDoc>(&["stacks", &target.pid_arg(), "--goroutines"]);
        assert_eq!(code, 0, "no ages yet, so nothing is stuck: {:?}", doc.notes);
        assert!(doc.has_wait_reasons);
        assert!(doc.total.unwrap() >= 300);
        let top = &doc.groups[0];
        assert_eq!(
            (top.count, top.state.as_str()),
            (300, "chan receive"),
            "{:?}",
            doc.groups
        );
        assert!(has_frame(top, "main.leakOnChannel"));
        let leaf = top
            .frames
            .iter()
            .find(|f| f.function == "main.leakOnChannel")
            .unwrap();
        assert!(
            leaf.app && leaf.file.ends_with("stacks_leak/main.go") && leaf.line > 0,
            "{leaf:?}"
        );
        assert_eq!(top.created_by.as_ref().unwrap().function, "main.main");
        assert!(
            top.wait_minutes.is_none(),
            "Go reports no age before a GC and a minute"
        );
        assert!(!top.stuck);
        assert!(doc.threads.is_none(), "--goroutines only");
    });
}

#[test]
fn labelled_goroutines_group_by_stack_and_a_proven_leak_is_stuck() {
    for_each_go(|go| {
        // Go 1.26 prints pprof labels in the headers under this GODEBUG (1.27 by default);
        // older toolchains ignore it.
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &[
                "-mode",
                "chan",
                "-count",
                "40",
                "-labels",
                "-lifetime",
                "60",
            ],
            &[("GODEBUG", "tracebacklabels=1")],
        );
        let (doc, code) = steady_json::<StacksDoc>(&[
            "stacks",
            &target.pid_arg(),
            "--goroutines",
            "--match",
            "leakOnChannel",
        ]);
        assert_eq!(code, 0, "{:?}", doc.groups);
        assert_eq!(doc.groups.len(), 1, "{:?}", doc.groups);
        assert_eq!(
            (doc.groups[0].count, doc.groups[0].state.as_str()),
            (40, "chan receive")
        );
        assert!(!doc.groups[0].leaked);
    });
    // Go 1.26's leak detector (GOEXPERIMENT=goroutineleakprofile) marked these; recorded.
    let leaked = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goroutines/go1.26.8-chan-leak-detected-debug2.txt"
    );
    let (doc, code) = steady_json::<StacksDoc>(&["stacks", "--file", leaked]);
    assert_eq!(code, 1, "a proven leak is a finding without any age");
    assert_eq!(doc.stuck_goroutines, 30);
    let first = &doc.groups[0];
    assert!(first.leaked && first.stuck && first.wait_minutes.is_none());
}

#[test]
fn goroutines_piled_on_a_mutex_are_one_group() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "mutex", "-count", "150", "-lifetime", "60"],
            &[],
        );
        let (doc, _) = steady_json::<StacksDoc>(&[
            "stacks",
            &target.pid_arg(),
            "--goroutines",
            "--match",
            "waitOnMutex",
        ]);
        assert_eq!(doc.groups.len(), 1, "{:?}", doc.groups);
        let g = &doc.groups[0];
        assert_eq!(g.count, 150);
        // Go 1.20 named the lock in the wait reason; 1.19 says semacquire for every semaphore.
        let reason = if go.version.starts_with("go1.19") {
            "semacquire"
        } else {
            "sync.Mutex.Lock"
        };
        assert_eq!(g.state, reason);
        assert!(has_frame(g, "sync.(*Mutex).Lock"));
        let (all, _) =
            steady_json::<StacksDoc>(&["stacks", &target.pid_arg(), "--goroutines", "--top", "0"]);
        assert!(all.groups_total > 1);
        let (min, _) = steady_json::<StacksDoc>(&[
            "stacks",
            &target.pid_arg(),
            "--goroutines",
            "--min-count",
            "100",
        ]);
        assert_eq!(min.groups.len(), 1);
    });
}

#[test]
fn locked_threads_blocked_in_a_syscall_are_found() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "locked", "-count", "24", "-lifetime", "60"],
            &[],
        );
        let (doc, code) =
            steady_json::<StacksDoc>(&["stacks", &target.pid_arg(), "--threads", "--over", "1s"]);
        assert_eq!(code, 0, "S state is blocked, not stuck");
        let threads = doc.threads.expect("threads");
        assert!(threads.total >= 25);
        let top = &threads.groups[0];
        assert_eq!(
            (top.count, top.state.as_str(), top.syscall.as_deref()),
            (24, "S", Some("read")),
            "{:?}",
            threads.groups
        );
        assert!(doc.groups.is_empty(), "--threads only");
    });
}

#[test]
fn a_large_goroutine_count_is_grouped_without_stopping_the_world() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "chan", "-count", "300", "-lifetime", "60"],
            &[],
        );
        let (doc, _) = steady_json::<StacksDoc>(&[
            "stacks",
            &target.pid_arg(),
            "--goroutines",
            "--max-full-dump",
            "100",
        ]);
        assert!(!doc.has_wait_reasons);
        assert!(
            doc.notes
                .iter()
                .any(|n| n.contains("--max-full-dump 100") && n.contains("--allow-stw")),
            "{:?}",
            doc.notes
        );
        assert_eq!(
            (doc.groups[0].count, doc.groups[0].state.as_str()),
            (300, "")
        );
        assert!(has_frame(&doc.groups[0], "main.leakOnChannel"));
        let (full, _) = steady_json::<StacksDoc>(&[
            "stacks",
            &target.pid_arg(),
            "--goroutines",
            "--max-full-dump",
            "100",
            "--allow-stw",
        ]);
        assert!(full.has_wait_reasons);
    });
}

#[test]
fn dumps_from_files_and_stdin() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goroutines/go1.22-sigquit-in-logs.txt"
    );
    let stuck = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt"
    );
    let (doc, code) = steady_json::<StacksDoc>(&["stacks", "--file", stuck]);
    assert_eq!(code, 1, "stuck goroutines are a finding");
    assert_eq!(doc.stuck_goroutines, 8, "six leaked, two behind a lock");
    let first = &doc.groups[0];
    assert!(first.stuck);
    let age = first.wait_minutes.as_ref().unwrap();
    assert_eq!((age.min, age.max, first.count), (20, 35, 6));
    assert!(has_frame(
        first,
        "example.com/api/internal/upstream.(*Client).call"
    ));

    let (doc, code) = steady_json::<StacksDoc>(&["stacks", "--file", fixture]);
    assert_eq!(
        code, 0,
        "main waiting 42 minutes and a pool of three are how a healthy service waits"
    );
    assert_eq!(doc.stuck_goroutines, 0);
    assert!(doc.groups.iter().all(|g| !g.stuck), "{:?}", doc.groups);

    let mut child = steady_command()
        .args(["stacks", "--file", "-", "--json", "--stuck-after", "60"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(std::fs::read(stuck).unwrap().as_slice())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "nothing waited an hour");
    let doc: StacksDoc = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc.total, Some(21));

    let folded = steady(&["stacks", "--file", fixture, "--folded"]);
    let text = String::from_utf8(folded.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("[chan receive];") && l.ends_with(" 3")),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, "not a dump\nat all\n").unwrap();
    let out = steady(&["stacks", "--file", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("holds no goroutines"), "{err}");
    let bad_regex = steady(&["stacks", "--file", fixture, "--match", "("]);
    assert_eq!(bad_regex.status.code(), Some(2));
    assert_eq!(
        stderr_of(&bad_regex).lines().count(),
        1,
        "{}",
        stderr_of(&bad_regex)
    );
}

#[test]
fn folded_stacks_and_flame_graphs_follow_the_filters_and_the_verdict() {
    let stuck = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt"
    );
    let out = steady(&["stacks", "--file", stuck, "--folded", "--match", "cache"]);
    assert_eq!(out.status.code(), Some(1), "two goroutines stuck on a lock");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "only the group --match keeps: {text}");
    assert!(
        lines[0].starts_with("[sync.Mutex.Lock];example.com/api/internal/cache.(*Cache).Get;")
            && lines[0].ends_with(" 2"),
        "{text}"
    );

    let out = steady(&["stacks", "--file", stuck, "--folded", "--state", "IO wait"]);
    assert_eq!(out.status.code(), Some(0), "an accept loop is not stuck");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("net/http.(*Server).Serve"), "{text}");

    let out = steady(&["stacks", "--file", stuck, "--folded", "--min-count", "6"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let counts: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(counts, ["6", "8"], "stack order: {text}");

    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("goroutines.svg");
    let out = steady(&["stacks", "--file", stuck, "--flame", svg.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the flame graph keeps the verdict"
    );
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("<svg") && drawn.contains("upstream.(*Client).call"));
    let filtered = dir.path().join("filtered.svg");
    let out = steady(&[
        "stacks",
        "--file",
        stuck,
        "--flame",
        filtered.to_str().unwrap(),
        "--match",
        "cache",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let drawn = std::fs::read_to_string(&filtered).unwrap();
    assert!(drawn.contains("cache.(*Cache).Get") && !drawn.contains("upstream.(*Client).call"));
}

#[test]
fn thread_stacks_fold_and_draw() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "locked", "-count", "24", "-lifetime", "60"],
            &[],
        );
        let out = steady(&["stacks", &target.pid_arg(), "--threads", "--folded"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        // With CAP_SYS_ADMIN the kernel stack ends in the pipe read; without, the syscall shows.
        assert!(
            text.lines().any(|l| l.starts_with("stacks_leak;")
                && (l.contains("pipe_read") || l.contains(";S;read"))
                && l.ends_with(" 24")),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("threads.svg");
        let out = steady(&[
            "stacks",
            &target.pid_arg(),
            "--threads",
            "--flame",
            svg.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let drawn = std::fs::read_to_string(&svg).expect("--threads --flame writes the graph");
        assert!(drawn.contains("<svg") && drawn.contains("stacks_leak"));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("stacks_leak"),
            "the table still prints"
        );
    });
}

/// Connections waiting in the accept queue of the loopback listener on `port` (fd_mix never
/// accepts on it, so every probe that reached it is still there).
fn pending_connections(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f[1] == local && f[3] == "0A")
        .map(|f| u64::from_str_radix(f[4].split(':').nth(1).unwrap(), 16).unwrap())
        .expect("fd_mix's listener in /proc/net/tcp")
}

#[test]
fn a_native_process_is_not_probed_for_pprof() {
    let target = Target::spawn("fd_mix", &["--lifetime", "60"]);
    let (doc, code) = steady_json::<StacksDoc>(&["stacks", &target.pid_arg()]);
    assert_eq!(code, 0);
    assert!(doc.threads.is_some() && doc.groups.is_empty());
    assert!(
        doc.notes.iter().any(|n| n.contains("no Go build info")),
        "{:?}",
        doc.notes
    );
    assert_eq!(
        pending_connections(target.port),
        0,
        "a process that is not Go gets no HTTP request"
    );
    // Asked for goroutines, steady still probes nothing: only a named port is contacted.
    let out = steady(&["stacks", &target.pid_arg(), "--goroutines"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("is not a Go program")
            && stderr_of(&out).contains("--port or --url"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(pending_connections(target.port), 0);
    let port = target.port.to_string();
    let out = steady(&[
        "stacks",
        &target.pid_arg(),
        "--goroutines",
        "--port",
        &port,
        "--timeout",
        "300ms",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        pending_connections(target.port),
        1,
        "a named port is contacted"
    );
}

#[test]
fn a_native_process_folds_its_threads() {
    let target = Target::spawn("fd_mix", &["--lifetime", "60"]);
    let out = steady(&["stacks", &target.pid_arg(), "--folded"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty());
    assert!(
        text.lines()
            .all(|l| l.starts_with("fd_mix;")
                && l.rsplit(' ').next().unwrap().parse::<u64>().is_ok()),
        "folded thread stacks, not the table: {text}"
    );
}

#[derive(Debug, Deserialize)]
struct RunbookDoc {
    cards: Vec<Card>,
}

#[derive(Debug, Deserialize)]
struct Card {
    diagnose: Vec<Step>,
}

#[derive(Debug, Deserialize)]
struct Step {
    command: String,
}

#[test]
fn the_thread_leak_card_finds_the_goroutines_that_pinned_threads() {
    for_each_go(|go| {
        let target = Target::spawn_go_with(
            go,
            "stacks_leak",
            &["-mode", "locked", "-count", "24", "-lifetime", "60"],
            &[],
        );
        let (doc, _) =
            steady_json::<RunbookDoc>(&["runbook", "thread-leak", "--pid", &target.pid_arg()]);
        let goroutine_steps: Vec<&String> = doc.cards[0]
            .diagnose
            .iter()
            .map(|s| &s.command)
            .filter(|c| c.starts_with("steady stacks") && c.contains("--goroutines"))
            .collect();
        assert!(!goroutine_steps.is_empty(), "{doc:?}");
        for command in goroutine_steps {
            // Run as the card prints it, through a shell, quotes and all.
            let line = command.replacen("steady", env!("CARGO_BIN_EXE_steady"), 1) + " --json";
            let out = std::process::Command::new("sh")
                .args(["-c", &line])
                .output()
                .unwrap();
            let stacks: StacksDoc = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{command}: {e}\n{}", stderr_of(&out)));
            let top = stacks
                .groups
                .first()
                .unwrap_or_else(|| panic!("{command} found nothing"));
            assert_eq!(top.count, 24, "{command}: {:?}", stacks.groups);
            assert!(has_frame(top, "main.blockInSyscall"), "{command}");
        }
    });
}
