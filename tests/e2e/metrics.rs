//! `steady metrics` and `steady serve` on real targets, their output checked by promtool, and
//! the Prometheus rules in deploy/prometheus/ unit-tested with `promtool test rules`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::services::Server;
use crate::support::{stderr_of, steady, steady_json, wait_until, Target};

/// promtool, from Debian's `prometheus` package. Missing is a failure, with or without CI:
/// the rules and the exposition format are only proven by it.
fn promtool() -> PathBuf {
    let path = PathBuf::from(std::env::var_os("PROMTOOL").unwrap_or_else(|| "promtool".into()));
    let works = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "promtool not found — install it with `apt-get install -y prometheus` (or set PROMTOOL)"
    );
    path
}

fn check_metrics(text: &[u8]) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child.stdin.take().unwrap().write_all(text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n--- exposition:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(text)
    );
}

/// The value of the one series of `name` for `pid`.
fn value(text: &str, name: &str, pid: i32) -> Option<f64> {
    let prefix = format!("{name}{{pid=\"{pid}\",");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[derive(Debug, Deserialize)]
struct FdsDoc {
    total: u64,
}

#[test]
fn metrics_of_a_go_target_pass_promtool_and_match_fds() {
    let target = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "60"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steady.prom");
    let out = steady(&["metrics", &target.pid_arg(), "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "-o writes the file only");
    let text = std::fs::read(&file).unwrap();
    check_metrics(&text);
    let text = String::from_utf8(text).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    // No temp file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let (fds, _) = steady_json::<FdsDoc>(&["fds", &target.pid_arg()]);
    let open = value(&text, "steady_fds_open", target.pid).expect("steady_fds_open");
    assert!(
        (open - fds.total as f64).abs() <= 2.0,
        "{open} vs {}",
        fds.total
    );
    let goroutines = value(&text, "steady_go_goroutines", target.pid).expect("Go figures");
    assert!(goroutines >= 1.0);
    for name in [
        "steady_fds_soft_limit",
        "steady_threads",
        "steady_resident_anon_bytes",
        "steady_go_heap_inuse_bytes",
        "steady_go_gc_percent",
    ] {
        assert!(
            value(&text, name, target.pid).is_some(),
            "{name} missing:\n{text}"
        );
    }
    // --name finds the same process; a pattern matching nothing still writes a valid file.
    let by_name = steady(&["metrics", "--name", "^stacks_leak$"]);
    let by_name = String::from_utf8(by_name.stdout).unwrap();
    assert!(
        value(&by_name, "steady_fds_open", target.pid).is_some(),
        "{by_name}"
    );
    let none = steady(&["metrics", "--name", "^no-such-process-here$"]);
    assert_eq!(none.status.code(), Some(0));
    check_metrics(&none.stdout);
    assert!(String::from_utf8_lossy(&none.stdout).contains("steady_targets 0"));
    // A dead PID is trouble, said on one line.
    let dead = steady(&["metrics", "999999999"]);
    assert_eq!(dead.status.code(), Some(2));
}

/// One request, the whole answer: (status, body).
fn request(port: u16, head: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn scrape(port: u16) -> String {
    let (status, body) = request(
        port,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n",
    );
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn serve_follows_a_descriptor_leak() {
    // 20 connections a second (two descriptors each, both ends live in the target) for 3 s,
    // then steady: the second scrape can be held against `steady fds` exactly.
    let target = Target::spawn_go(
        "stacks_leak",
        &[
            "-mode",
            "grow-conns",
            "-rate",
            "20",
            "-lifetime",
            "60",
            "-limit",
            "60",
        ],
    );
    let server = Server::start(&["--pid", &target.pid_arg()]);
    let port = server.port;
    let first = scrape(server.port);
    check_metrics(first.as_bytes());
    let before = value(&first, "steady_fds_open", target.pid).expect("fds in first scrape");
    // Wait for the leak to reach its limit and stand still.
    let started = Instant::now();
    let mut last = before;
    let mut second = String::new();
    while started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(700));
        second = scrape(server.port);
        let now = value(&second, "steady_fds_open", target.pid).unwrap();
        if now > before + 100.0 && now == last {
            break;
        }
        last = now;
    }
    let after = value(&second, "steady_fds_open", target.pid).unwrap();
    assert!(
        after > before,
        "descriptors did not rise: {before} then {after}"
    );
    let (fds, _) = steady_json::<FdsDoc>(&["fds", &target.pid_arg()]);
    assert!(
        (after - fds.total as f64).abs() <= 2.0,
        "/metrics says {after}, steady fds says {}",
        fds.total
    );
    assert!(value(&second, "steady_go_goroutines", target.pid).is_some());
    // Four connections that never finish their request head hold every slot: the fifth is
    // turned away at once, and the slots free up when they go.
    let holders: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let (status, _) = request(port, "GET /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(status, 503);
    drop(holders);
    assert!(wait_until(Duration::from_secs(5), || request(
        port,
        "GET /metrics HTTP/1.1\r\n\r\n"
    )
    .0 == 200));
    // Read-only, GET /metrics only.
    let (status, _) = request(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(status, 405);
    let (status, _) = request(port, "GET /other HTTP/1.1\r\n\r\n");
    assert_eq!(status, 404);
    let (status, _) = request(port, "GET /debug/pprof/heap?gc=1 HTTP/1.1\r\n\r\n");
    assert_eq!(status, 404);
    // SIGTERM stops it cleanly (exit 0); the guard kills it anyway if not.
    let mut server = server;
    // SAFETY: kill(2) on our own child's PID.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    let stopped = wait_until(Duration::from_secs(10), || {
        matches!(server.child.try_wait(), Ok(Some(_)))
    });
    assert!(stopped, "steady serve did not stop on SIGTERM");
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_refuses_a_remote_address_without_allow_remote() {
    let out = steady(&["serve", "--listen", "0.0.0.0:9", "--pid", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("--allow-remote"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn prometheus_rules_pass_their_unit_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus");
    let check = Command::new(promtool())
        .args(["check", "rules", "steady-rules.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    tests.sort();
    assert!(tests.len() >= 6, "{tests:?}");
    let run = Command::new(promtool())
        .args(["test", "rules"])
        .args(&tests)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn serve_with_name_follows_processes_that_start_and_exit() {
    let first = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "60"]);
    let server = Server::start(&["--name", "^stacks_leak$"]);
    let port = server.port;
    // Other tests run stacks_leak targets too: only these two PIDs are asserted on.
    let seen = |pid: i32| value(&scrape(port), "steady_fds_open", pid).is_some();
    assert!(seen(first.pid), "first target missing");
    let second = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "60"]);
    assert!(seen(second.pid), "a process that started is not followed");
    let gone = first.pid;
    drop(first);
    assert!(
        wait_until(Duration::from_secs(10), || !seen(gone)),
        "a process that exited is still served"
    );
    assert!(seen(second.pid));
}

/// The descriptors of `kind` for `pid`, from `steady_fds_by_kind`.
fn by_kind(text: &str, pid: i32, kind: &str) -> Option<f64> {
    let prefix = format!("steady_fds_by_kind{{pid=\"{pid}\",");
    let label = format!("kind=\"{kind}\"");
    text.lines()
        .find(|l| l.starts_with(&prefix) && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn targets_sharing_a_network_namespace_get_their_own_sockets_from_one_read() {
    // Two processes in this namespace, each with its own sockets: the tables are read once
    // for both, and each still gets exactly the rows it holds.
    let a = Target::spawn(
        "fd_mix",
        &["--tcp", "7", "--unix-pairs", "5", "--pipes", "3"],
    );
    let b = Target::spawn(
        "fd_mix",
        &["--tcp", "2", "--unix-pairs", "11", "--files", "4"],
    );
    let out = steady(&["metrics", &a.pid_arg(), &b.pid_arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    for target in [&a, &b] {
        #[derive(Debug, Deserialize)]
        struct Kinds {
            by_kind: std::collections::BTreeMap<String, u64>,
        }
        let (alone, _) = steady_json::<Kinds>(&["fds", &target.pid_arg()]);
        for kind in ["tcp", "unix", "pipe", "file"] {
            assert_eq!(
                by_kind(&text, target.pid, kind),
                Some(alone.by_kind[kind] as f64),
                "PID {} {kind}: {text}",
                target.pid
            );
        }
    }
    // Every socket was resolved through the shared read (none left unknown), and each got
    // its own: 7 connections with both ends held plus the listener.
    for target in [&a, &b] {
        assert_eq!(
            by_kind(&text, target.pid, "socket_other"),
            Some(0.0),
            "{text}"
        );
    }
    assert_eq!(by_kind(&text, a.pid, "tcp"), Some(15.0), "{text}");
    assert_eq!(by_kind(&text, b.pid, "tcp"), Some(5.0), "{text}");
}
