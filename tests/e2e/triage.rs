//! `steady triage` on one small service per drift kind, and on their healthy twins: each must
//! get the right verdict within its window, and the healthy ones none.

use serde::Deserialize;

use crate::support::{steady, steady_json, Target};

#[derive(Debug, Deserialize)]
struct TriageDoc {
    samples: usize,
    window_seconds: f64,
    steady: bool,
    exited: bool,
    verdicts: Vec<Verdict>,
    checks: Vec<Check>,
    notes: Vec<String>,
    probe: Option<Probe>,
    stopped_early: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Probe {
    requests: usize,
    failures: usize,
}

#[derive(Debug, Deserialize)]
struct Stuck {
    goroutines: u64,
    state: String,
    function: String,
    waited_seconds: f64,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    kind: String,
    rate_per_min: f64,
    eta_seconds: Option<f64>,
    confidence: f64,
    evidence: Vec<String>,
    consequence_of: Option<String>,
    inferred: bool,
    next_commands: Vec<String>,
    stuck: Option<Stuck>,
}

#[derive(Debug, Deserialize)]
struct Check {
    id: String,
}

const WINDOW: &[&str] = &["--window", "15s", "--interval", "500ms"];

fn triage(target: &Target, extra: &[&str]) -> (TriageDoc, i32) {
    let pid = target.pid_arg();
    let mut args = vec!["triage", pid.as_str()];
    args.extend_from_slice(WINDOW);
    args.extend_from_slice(extra);
    steady_json::<TriageDoc>(&args)
}

/// The verdicts that are causes, not consequences.
fn primary(doc: &TriageDoc) -> Vec<&str> {
    doc.verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
        .map(|v| v.kind.as_str())
        .collect()
}

fn find<'a>(doc: &'a TriageDoc, kind: &str) -> &'a Verdict {
    doc.verdicts
        .iter()
        .find(|v| v.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:#?}", doc.verdicts))
}

#[test]
fn leaked_connections_are_fd_exhaustion_with_goroutines_as_consequence() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-conns", "-rate", "20", "-lifetime", "60"],
    );
    let record = target.dir.path().join("window.jsonl");
    let (doc, code) = triage(&target, &["--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["fd-exhaustion"], "{:#?}", doc.verdicts);
    let fd = find(&doc, "fd-exhaustion");
    // Each leaked connection is two descriptors (both ends live in the service): 40/s.
    assert!((1800.0..3000.0).contains(&fd.rate_per_min), "{fd:?}");
    assert!(fd.eta_seconds.is_some() && fd.confidence > 0.8, "{fd:?}");
    assert!(
        fd.evidence
            .iter()
            .any(|e| e.contains("tcp ESTABLISHED") && e.contains("grew +")),
        "{fd:?}"
    );
    assert!(fd
        .next_commands
        .iter()
        .any(|c| c == &format!("steady fds {} --over 5m", target.pid)));
    let goroutines = find(&doc, "goroutine-leak");
    assert_eq!(goroutines.consequence_of.as_deref(), Some("fd-exhaustion"));
    assert!(
        doc.samples >= 25 && doc.window_seconds >= 14.0,
        "{} samples in {}s",
        doc.samples,
        doc.window_seconds
    );

    // The recording judges the same way later.
    let (again, code) = steady_json::<TriageDoc>(&["triage", "--from", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(primary(&again), ["fd-exhaustion"]);
    assert_eq!(again.samples, doc.samples);
}

#[test]
fn locked_threads_are_a_thread_leak() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-threads", "-rate", "10", "-lifetime", "60"],
    );
    let (doc, code) = triage(&target, &[]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["thread-leak"], "{:#?}", doc.verdicts);
    let t = find(&doc, "thread-leak");
    assert!((450.0..750.0).contains(&t.rate_per_min), "{t:?}");
}

#[test]
fn goroutines_blocked_forever_are_a_goroutine_leak() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-goroutines", "-rate", "40", "-lifetime", "60"],
    );
    let (doc, code) = triage(&target, &[]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["goroutine-leak"], "{:#?}", doc.verdicts);
    let g = find(&doc, "goroutine-leak");
    assert!((1800.0..3000.0).contains(&g.rate_per_min), "{g:?}");
    assert!(
        g.evidence.iter().any(|e| e.contains("main.leakOnChannel")),
        "{g:?}"
    );
}

#[test]
fn a_growing_live_heap_is_memory_drift() {
    let target = Target::spawn_go(
        "heap_leak",
        &[
            "-mode",
            "heap",
            "-leak-bytes-per-sec",
            "2097152",
            "-lifetime",
            "60",
        ],
    );
    // A 15 s window holds too few of this service's own GC cycles: --gc forces one per Go
    // sample, so the live heap is read exactly every 2 s.
    let (doc, code) = triage(&target, &["--gc", "--full-window"]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["memory-drift"], "{:#?}", doc.verdicts);
    let m = find(&doc, "memory-drift");
    let mib_per_min = m.rate_per_min / 1024.0 / 1024.0;
    // 120 MiB/min kept, read after each forced GC.
    assert!(
        (102.0..138.0).contains(&mib_per_min),
        "{mib_per_min} MiB/min: {m:?}"
    );
}

#[test]
fn spans_pinned_by_few_survivors_are_allocator_fragmentation() {
    // The service pins 2 MiB of spans a second for 30 s while keeping at most 1/9 of that live.
    let target = Target::spawn_go("heap_leak", &["-mode", "fragment", "-lifetime", "60"]);
    let (doc, code) = triage(&target, &["--gc", "--full-window"]);
    assert_eq!(code, 1);
    assert_eq!(
        primary(&doc),
        ["allocator-fragmentation"],
        "{:#?}",
        doc.verdicts
    );
    let f = find(&doc, "allocator-fragmentation");
    let mib_per_min = f.rate_per_min / 1024.0 / 1024.0;
    assert!(
        (80.0..160.0).contains(&mib_per_min),
        "{mib_per_min} MiB/min: {f:?}"
    );
    assert!(
        f.next_commands
            .iter()
            .any(|c| c.starts_with(&format!("steady heap diff {} --over", target.pid))),
        "{f:?}"
    );
}

#[test]
fn a_creeping_tail_is_deadline_drift_when_probed() {
    let target = Target::spawn_go("stacks_leak", &["-mode", "slow", "-lifetime", "60"]);
    let probe = format!("http://127.0.0.1:{}/work", target.port);
    let (doc, code) = triage(&target, &["--probe", &probe]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["deadline-drift"], "{:#?}", doc.verdicts);
    assert!(!find(&doc, "deadline-drift").inferred);

    let out = steady(&[
        "triage",
        &target.pid_arg(),
        "--probe",
        "http://10.0.0.1/healthz",
    ]);
    assert_eq!(out.status.code(), Some(2), "only loopback is probed");
}

#[test]
fn healthy_twins_are_steady_and_static_checks_still_speak() {
    let heap = Target::spawn_go("heap_leak", &["-mode", "steady", "-lifetime", "60"]);
    let churn = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "60"]);
    let out = steady(&["limits", &churn.pid_arg(), "--set-nofile", "1024"]);
    assert_eq!(out.status.code(), Some(0));
    for target in [&heap, &churn] {
        let (doc, code) = triage(target, &[]);
        assert!(doc.steady && doc.verdicts.is_empty(), "{:#?}", doc.verdicts);
        assert_eq!(code, 0);
    }
    let (doc, _) = steady_json::<TriageDoc>(&[
        "triage",
        &churn.pid_arg(),
        "--window",
        "3s",
        "--interval",
        "500ms",
    ]);
    assert!(
        doc.checks.iter().any(|c| c.id == "nofile-1024"),
        "{:?}",
        doc.checks
    );
}

#[test]
fn what_triage_cannot_see_is_said_not_called_steady() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-goroutines", "-rate", "40", "-lifetime", "60"],
    );
    let pid = target.pid_arg();

    // A pprof address that answers nothing is an error, not a quiet /proc-only window.
    let out = steady(&[
        "triage",
        &pid,
        "--window",
        "3s",
        "--interval",
        "500ms",
        "--port",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1:1") && err.lines().count() == 1,
        "{err}"
    );

    // A window too short to judge is refused before any waiting.
    let out = steady(&["triage", &pid, "--window", "2s", "--interval", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too few samples"));

    // So is a PID beside a recording.
    let out = steady(&["triage", &pid, "--from", "/dev/null"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_target_that_exits_mid_window_is_judged_on_what_was_taken() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-goroutines", "-rate", "40", "-lifetime", "12"],
    );
    let (doc, code) = steady_json::<TriageDoc>(&[
        "triage",
        &target.pid_arg(),
        "--window",
        "30s",
        "--interval",
        "500ms",
    ]);
    assert!(
        doc.notes.iter().any(|n| n.contains("exited")),
        "{:?}",
        doc.notes
    );
    assert!(doc.window_seconds < 15.0, "{}", doc.window_seconds);
    assert_eq!(code, 1, "{:#?}", doc.verdicts);
    assert_eq!(primary(&doc), ["goroutine-leak"], "{:#?}", doc.verdicts);
}

#[test]
fn a_sure_verdict_ends_the_window_early() {
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "grow-goroutines", "-rate", "40", "-lifetime", "90"],
    );
    let started = std::time::Instant::now();
    let (doc, code) = steady_json::<TriageDoc>(&["triage", &target.pid_arg(), "--window", "60s"]);
    assert_eq!(code, 1);
    assert_eq!(primary(&doc), ["goroutine-leak"], "{:#?}", doc.verdicts);
    let why = doc.stopped_early.as_deref().unwrap_or_default();
    assert!(why.contains("goroutine-leak"), "{why:?}");
    assert!(
        doc.window_seconds < 40.0 && started.elapsed().as_secs() < 45,
        "{}s",
        doc.window_seconds
    );
    let g = find(&doc, "goroutine-leak");
    assert!((1800.0..3000.0).contains(&g.rate_per_min), "{g:?}");
}

#[test]
fn ctrl_c_judges_the_samples_taken_so_far() {
    let target = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "60"]);
    let record = target.dir.path().join("cut.jsonl");
    let child = crate::support::steady_command()
        .args([
            "triage",
            &target.pid_arg(),
            "--window",
            "60s",
            "--json",
            "--record",
        ])
        .arg(&record)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("steady");
    let guard = KillOnDrop(child.id() as i32);
    std::thread::sleep(std::time::Duration::from_secs(8));
    // SAFETY: kill(2) on our own child's PID, not yet reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("wait");
    drop(guard);
    let doc: TriageDoc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON after Ctrl-C ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(0), "{:#?}", doc.verdicts);
    assert!(
        doc.stopped_early
            .as_deref()
            .unwrap_or_default()
            .starts_with("Ctrl-C after"),
        "{:?}",
        doc.stopped_early
    );
    assert!(
        (6.0..12.0).contains(&doc.window_seconds),
        "{}",
        doc.window_seconds
    );
    let lines = std::fs::read_to_string(&record).unwrap().lines().count();
    assert_eq!(lines, doc.samples + 1, "--record kept every sample");
}

#[test]
fn a_failing_probe_is_refused_before_the_window() {
    let target = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "30"]);
    let pid = target.pid_arg();
    for url in [
        "http://127.0.0.1:1/healthz".to_string(),
        format!("http://127.0.0.1:{}/no-such-page", target.port),
    ] {
        let started = std::time::Instant::now();
        let out = steady(&["triage", &pid, "--window", "30s", "--probe", &url]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--probe fails before the window starts"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(started.elapsed().as_secs() < 10);
    }
    let ok = format!("http://127.0.0.1:{}/debug/pprof/", target.port);
    let (doc, code) = steady_json::<TriageDoc>(&[
        "triage",
        &pid,
        "--window",
        "4s",
        "--interval",
        "500ms",
        "--probe",
        &ok,
    ]);
    assert_eq!(code, 0, "{:#?}", doc.verdicts);
    let p = doc.probe.expect("probe summary");
    assert_eq!((p.requests, p.failures), (doc.samples, 0));
}

#[test]
fn a_target_that_exits_before_enough_samples_is_not_judged() {
    let target = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "2"]);
    let out = steady(&["triage", &target.pid_arg(), "--window", "30s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("process {} exited", target.pid)) && err.contains("nothing judged"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Steady"));
}

#[test]
fn a_mutex_pile_up_is_proven_stuck_by_identity_in_its_first_minute() {
    // 1,000 goroutines queue on a mutex held from the start; nothing moves. Go prints no
    // wait ages until a GC stamps them, so only their IDs, unchanged, prove them stuck.
    let target = Target::spawn_go(
        "stacks_leak",
        &["-mode", "mutex", "-count", "1000", "-lifetime", "90"],
    );
    let started = std::time::Instant::now();
    let (doc, code) = steady_json::<TriageDoc>(&["triage", &target.pid_arg(), "--window", "60s"]);
    assert_eq!(code, 1, "{:#?}", doc);
    assert_eq!(primary(&doc), ["goroutine-leak"], "{:#?}", doc.verdicts);
    let g = find(&doc, "goroutine-leak");
    let stuck = g.stuck.as_ref().unwrap_or_else(|| panic!("{g:#?}"));
    assert_eq!(stuck.goroutines, 1000, "{stuck:?}");
    assert!(
        stuck.state == "sync.Mutex.Lock" || stuck.state == "semacquire",
        "{stuck:?}"
    );
    assert_eq!(stuck.function, "main.waitOnMutex");
    assert!(stuck.waited_seconds >= 20.0, "{stuck:?}");
    assert!(
        started.elapsed().as_secs() < 50,
        "sure well before the window ends"
    );
    assert!(!doc.exited && !doc.steady);
}

/// Kills a steady run by PID if the test fails before it ends.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: kill(2) on a PID this test started; a reaped one gets ESRCH, harmlessly.
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}

#[test]
fn the_runtimes_leak_profile_is_asked_only_when_told_and_finds_a_small_leak() {
    use crate::support::go_toolchains;
    // GOEXPERIMENT=goroutineleakprofile exists from Go 1.26 on.
    let newer: Vec<_> = go_toolchains()
        .into_iter()
        .filter(|g| {
            let minor = g.version.trim_start_matches("go1.").split('.').next();
            minor
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m >= 26)
        })
        .collect();
    assert!(
        !newer.is_empty(),
        "no Go 1.26 or later among the toolchains: the leak profile test needs one"
    );
    for go in &newer {
        let target = Target::spawn_go_experiment(
            go,
            "stacks_leak",
            "goroutineleakprofile",
            &["-mode", "chan", "-count", "30", "-lifetime", "60"],
        );
        let pid = target.pid_arg();
        let args = ["triage", &pid, "--window", "6s", "--interval", "500ms"];
        // 30 goroutines blocked forever are below every count threshold…
        let (plain, code) = steady_json::<TriageDoc>(&args);
        assert_eq!(code, 0, "{}: {:#?}", go.version, plain.verdicts);
        // …but the runtime's detector proves them leaked.
        let (doc, code) = steady_json::<TriageDoc>(&[&args[..], &["--leak-profile"]].concat());
        assert_eq!(code, 1, "{}: {doc:#?}", go.version);
        let g = find(&doc, "goroutine-leak");
        assert!(
            g.evidence
                .iter()
                .any(|e| e.contains("leak detector found 30 goroutines")
                    && e.contains("main.leakOnChannel")),
            "{}: {g:?}",
            go.version
        );
    }
    // A runtime without the experiment says so, and triage goes on.
    let plain = Target::spawn_go(
        "stacks_leak",
        &["-mode", "chan", "-count", "30", "-lifetime", "30"],
    );
    let (doc, code) = steady_json::<TriageDoc>(&[
        "triage",
        &plain.pid_arg(),
        "--window",
        "4s",
        "--interval",
        "500ms",
        "--leak-profile",
    ]);
    assert_eq!(code, 0);
    assert!(
        doc.notes
            .iter()
            .any(|n| n.contains("no goroutine leak profile")),
        "{:?}",
        doc.notes
    );
}
