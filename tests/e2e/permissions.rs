//! The permission matrix: the real steady binary against a real Go target under each
//! condition (another uid, no CAP_SYS_PTRACE, other namespaces, a zombie, a kernel thread, an
//! exit mid-scan, hidepid), for `fds`, `limits`, `stacks` and `heap snapshot`. Each cell is a
//! correct result (what is unknown marked unknown) or a one-line error naming the real cause
//! and the fix; the observed matrix must equal the table in the README.
//!
//! Also: steady never contacts a process that is not Go (a raw listener records every byte),
//! and a file named with U+202E prints escaped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{go_binary, steady_command, wait_until, Target};

const NOBODY: &str = "65534";
const COMMANDS: [&str; 4] = ["fds", "limits", "stacks", "heap snapshot"];

/// These tests change uid, drop capabilities and make namespaces: they need root. Outside CI
/// they are skipped with a note; under CI=true a test that cannot run fails.
fn require_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the permission tests need root (they run steady as uid 65534, without CAP_SYS_PTRACE, in namespaces); under CI=true they may not be skipped"
    );
    eprintln!("not root: skipping the permission matrix");
    false
}

/// How steady is run.
#[derive(Clone, Copy, PartialEq)]
enum As {
    Root,
    Nobody,
    NoPtrace,
    /// As uid 65534, with /proc remounted hidepid=2 in a private mount namespace.
    NobodyHidepid,
}

fn run_steady(who: As, args: &[String], cwd: &Path) -> Output {
    let exe = env!("CARGO_BIN_EXE_steady");
    let mut cmd = match who {
        As::Root => {
            let mut c = steady_command();
            c.args(args);
            c
        }
        As::Nobody => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", exe])
                .args(args);
            c
        }
        As::NoPtrace => {
            let mut c = Command::new("capsh");
            c.args([
                "--drop=cap_sys_ptrace",
                "--",
                "-c",
                "exec \"$0\" \"$@\"",
                exe,
            ])
            .args(args);
            c
        }
        As::NobodyHidepid => {
            let mut c = Command::new("unshare");
            c.args([
                "--mount",
                "sh",
                "-c",
                "mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid 65534 --regid 65534 --clear-groups \"$0\" \"$@\"",
                exe,
            ])
            .args(args);
            c
        }
    };
    cmd.current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("running steady {args:?}: {e} (apt-get install util-linux libcap2-bin)")
        })
}

/// A Go target started by this module: as another uid, or inside namespaces. Killed on drop.
struct Spawned {
    child: Child,
    /// The PID as steady (in the initial PID namespace) sees it.
    pid: i32,
    /// The target's --dir, kept until it is killed.
    _dir: tempfile::TempDir,
}

impl Spawned {
    /// `prefix` wraps the target's command line (setpriv, unshare…).
    fn go(prefix: &[&str], lifetime: u32) -> Spawned {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let exe = go_binary("stacks_leak");
        let lifetime = lifetime.to_string();
        let mut cmd = Command::new(prefix.first().copied().unwrap_or(exe.to_str().unwrap()));
        if !prefix.is_empty() {
            cmd.args(&prefix[1..]).arg(&exe);
        }
        let mut child = cmd
            .args(["--dir", dir.path().to_str().unwrap()])
            .args(["-mode", "healthy", "-lifetime", &lifetime])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {prefix:?} stacks_leak: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("READY"), "{prefix:?}: no ready line");
        let said: i32 = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("pid="))
            .and_then(|p| p.parse().ok())
            .expect("pid in the ready line");
        // In its own PID namespace the target knows itself as PID 1: find it from outside, as
        // the deepest descendant of what we started.
        let mut pid = child.id() as i32;
        if said != pid {
            while let Some(next) = children(pid).first().copied() {
                pid = next;
            }
        }
        Spawned {
            child,
            pid,
            _dir: dir,
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Only while what we started is unreaped: its PIDs are still ours, never reused.
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on PIDs this test started and has not reaped.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::kill(self.child.id() as i32, libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The arguments of `command` on `pid`, with --json; a heap snapshot is written into `dir`.
fn args_for(command: &str, pid: i32, dir: &Path, over: bool) -> Vec<String> {
    let pid = pid.to_string();
    let mut args: Vec<String> = match (command, over) {
        ("fds", false) => vec!["fds".into(), pid],
        ("fds", true) => vec!["fds".into(), pid, "--over".into(), "3s".into()],
        ("limits", _) => vec!["limits".into(), pid],
        ("stacks", false) => vec!["stacks".into(), pid],
        ("stacks", true) => vec![
            "stacks".into(),
            pid,
            "--threads".into(),
            "--over".into(),
            "3s".into(),
        ],
        ("heap snapshot", false) => vec![
            "heap".into(),
            "snapshot".into(),
            pid.clone(),
            "--out".into(),
            dir.join(format!("heap-{pid}-{}.pb.gz", next_file()))
                .to_str()
                .unwrap()
                .into(),
        ],
        ("heap snapshot", true) => vec![
            "heap".into(),
            "diff".into(),
            pid,
            "--over".into(),
            "3s".into(),
        ],
        _ => unreachable!(),
    };
    args.push("--json".into());
    args
}

/// A fresh number for each snapshot file: runs as different users must not share one.
fn next_file() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// What one run showed, as a README cell, plus the raw output for exact assertions.
struct Cell {
    text: String,
    stderr: String,
    doc: Value,
}

fn observe(who: As, command: &str, pid: i32, dir: &Path, over: bool) -> Cell {
    let args = args_for(command, pid, dir, over);
    let out = run_steady(who, &args, dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("steady {args:?}: no JSON on stdout ({e})\nstdout: {stdout}\nstderr: {stderr}")
    });
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let code = out.status.code().expect("exit code");
    if let Some(err) = doc.get("error") {
        assert_eq!(code, 2, "{args:?}: an error exits 2");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(stderr.starts_with("steady: "), "{args:?}: {stderr}");
        assert!(
            err["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{args:?}: every error says what to do: {err}"
        );
        return Cell {
            text: format!("error: {}", err["kind"].as_str().unwrap()),
            stderr,
            doc,
        };
    }
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {stderr}");
    let notes: Vec<String> = doc["notes"]
        .as_array()
        .or(doc["warnings"].as_array())
        .map(|n| n.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    let noted = |text: &str| notes.iter().any(|n| n.contains(text));
    let mut gaps: Vec<String> = Vec::new();
    match command {
        "fds" => assert!(doc["total"].as_u64().is_some(), "{doc}"),
        "limits" => {
            assert!(doc["nofile"]["soft"].as_u64().is_some(), "{doc}");
            if doc["open_fds"].is_null() {
                assert!(doc["open_fds_unknown"].as_str().is_some(), "{doc}");
                gaps.push("open descriptors unknown".into());
            }
        }
        "stacks" => {
            assert!(doc["threads"]["total"].as_u64().unwrap() >= 1, "{doc}");
            if doc["total"].is_null() {
                let why = if noted("cannot read the executable") {
                    "executable unreadable"
                } else if noted("kernel thread") {
                    "kernel thread"
                } else if noted("another network namespace") {
                    "other network namespace"
                } else if noted("no Go build info") {
                    "not Go"
                } else {
                    panic!("goroutines left out without a reason: {notes:?}")
                };
                gaps.push(format!("no goroutines ({why})"));
            }
            if noted("SYSCALL and WCHAN unknown") {
                gaps.push("syscall and wchan unknown".into());
            }
            if doc["threads"]["kernel_stacks_readable"] == false {
                assert!(noted("kernel stacks left out"), "{notes:?}");
                gaps.push("no kernel stacks".into());
            }
        }
        "heap snapshot" => {
            if doc["has_profile"] == false {
                let why = if noted("another network namespace") {
                    " (other network namespace)"
                } else {
                    ""
                };
                gaps.push(format!("smaps only{why}"));
            }
        }
        _ => unreachable!(),
    }
    let text = if gaps.is_empty() {
        "ok".to_string()
    } else {
        format!("ok, {}", gaps.join(", "))
    };
    Cell { text, stderr, doc }
}

/// The rows of the README's permission matrix: condition → one cell per command.
fn readme_matrix() -> BTreeMap<String, Vec<String>> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("<!-- permission-matrix:begin -->")
        .expect("README has the permission matrix markers");
    let end = readme.find("<!-- permission-matrix:end -->").unwrap();
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| ---") && !l.starts_with("| condition"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

fn as_markdown(rows: &BTreeMap<String, Vec<String>>) -> String {
    rows.iter()
        .map(|(c, cells)| format!("| {c} | {} |", cells.join(" | ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn permission_matrix_matches_the_readme() {
    if !require_root() {
        return;
    }
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let dir = scratch.path();
    let mut row = |name: &str, who: As, pid: i32| -> Vec<Cell> {
        let cells: Vec<Cell> = COMMANDS
            .iter()
            .map(|c| observe(who, c, pid, dir, false))
            .collect();
        seen.insert(
            name.to_string(),
            cells.iter().map(|c| c.text.clone()).collect(),
        );
        cells
    };

    // Root, on root's process.
    let target = Spawned::go(&[], 60);
    let cells = row("root", As::Root, target.pid);
    assert_eq!(cells[2].doc["threads"]["kernel_stacks_readable"], true);
    assert!(cells[3].doc["endpoint"].is_string());

    // Same uid, not root: everything but the kernel stacks (CAP_SYS_ADMIN).
    let mine = Spawned::go(
        &[
            "setpriv",
            "--reuid",
            NOBODY,
            "--regid",
            NOBODY,
            "--clear-groups",
        ],
        60,
    );
    let cells = row("same uid (65534 on 65534)", As::Nobody, mine.pid);
    let notes = cells[2].doc["notes"].to_string();
    assert!(
        notes.contains("needs CAP_SYS_ADMIN, which this steady lacks"),
        "{notes}"
    );
    drop(mine);

    // Another, unprivileged uid on root's process.
    let cells = row("another uid (65534 on root)", As::Nobody, target.pid);
    let pid = target.pid;
    assert!(
        cells[0].stderr.contains(&format!("permission denied reading /proc/{pid}/fd of process {pid} (owned by uid 0) — steady runs as uid 65534: run it as uid 0")),
        "{}",
        cells[0].stderr
    );
    assert!(cells[0].stderr.contains("CAP_SYS_PTRACE"));
    assert!(
        cells[1].doc["open_fds_unknown"]
            .as_str()
            .unwrap()
            .contains("uid 0"),
        "{}",
        cells[1].doc
    );
    let notes = cells[2].doc["notes"].to_string();
    assert!(!notes.contains("no Go build info"), "{notes}");
    assert!(
        notes.contains("permission denied reading /proc/"),
        "{notes}"
    );
    assert!(
        !notes.contains("stack needs CAP_SYS_ADMIN, which"),
        "the uid is the cause too: {notes}"
    );
    assert!(
        cells[3].stderr.contains("run it as uid 0"),
        "{}",
        cells[3].stderr
    );
    // --set-nofile names the capability and the uid, not the descriptor count it could not read.
    let out = run_steady(
        As::Nobody,
        &[
            "limits".into(),
            pid.to_string(),
            "--set-nofile".into(),
            "4096".into(),
        ],
        dir,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("runs as uid 0") && err.contains("CAP_SYS_RESOURCE"),
        "{err}"
    );
    assert!(!err.contains("/fd"), "{err}");

    // Root without CAP_SYS_PTRACE, on root's process (which holds it).
    let cells = row("root without CAP_SYS_PTRACE", As::NoPtrace, target.pid);
    assert!(
        cells[0].stderr.contains("— steady lacks CAP_SYS_PTRACE"),
        "{}",
        cells[0].stderr
    );
    assert!(!cells[0].stderr.contains("dumpable"), "{}", cells[0].stderr);
    drop(target);

    // Other namespaces.
    let pidns = Spawned::go(&["unshare", "--pid", "--fork", "--mount-proc"], 60);
    row("target in another PID namespace", As::Root, pidns.pid);
    drop(pidns);
    let netns = Spawned::go(
        &[
            "unshare",
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
        ],
        60,
    );
    let cells = row("target in another network namespace", As::Root, netns.pid);
    assert_eq!(
        cells[0].doc["by_kind"]["tcp"].as_u64().map(|n| n > 0),
        Some(true),
        "its sockets resolve in its own namespace"
    );
    drop(netns);

    // A zombie: killed, not reaped.
    let mut zombie = Spawned::go(&[], 60);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(zombie.pid, libc::SIGKILL) };
    let zpid = zombie.pid;
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(format!("/proc/{zpid}/stat")).is_ok_and(|s| s.contains(") Z "))
    }));
    let cells = row("zombie", As::Root, zombie.pid);
    assert!(
        cells[0].stderr.contains("is a zombie (its parent, PID"),
        "{}",
        cells[0].stderr
    );
    let _ = zombie.child.wait();

    // kthreadd.
    let cells = row("kernel thread (PID 2)", As::Root, 2);
    assert!(
        cells[3].stderr.contains("is a kernel thread"),
        "{}",
        cells[3].stderr
    );

    // hidepid=2: another user's process is not even visible.
    let target = Spawned::go(&[], 60);
    let cells = row("hidepid=2, another uid", As::NobodyHidepid, target.pid);
    assert!(
        cells[0].stderr.contains("hidepid=invisible") || cells[0].stderr.contains("hidepid=2"),
        "{}",
        cells[0].stderr
    );
    drop(target);

    // Exits between the two reads of --over: a fresh target for each command.
    let mut cells = Vec::new();
    for command in COMMANDS {
        if command == "limits" {
            // One read: nothing to exit in the middle of.
            cells.push("—".to_string());
            continue;
        }
        let short = Spawned::go(&[], 1);
        let cell = observe(As::Root, command, short.pid, dir, true);
        assert!(
            cell.stderr
                .contains(&format!("process {} exited", short.pid)),
            "{}",
            cell.stderr
        );
        cells.push(cell.text);
    }
    seen.insert("target exits mid-scan".to_string(), cells);

    let want = readme_matrix();
    assert_eq!(
        seen,
        want,
        "the README's permission matrix differs from what steady did; observed:\n{}",
        as_markdown(&seen)
    );
}

fn received(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("received")).unwrap_or_default()
}

#[test]
fn a_raw_listener_that_is_not_go_is_never_sent_a_byte() {
    let target = Target::spawn("listener_sink", &["--lifetime", "60"]);
    let pid = target.pid_arg();
    let scratch = tempfile::tempdir().unwrap();
    let out_file = scratch.path().join("snap");
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "heap",
            "snapshot",
            &pid,
            "--out",
            out_file.to_str().unwrap(),
        ],
        vec!["heap", "diff", &pid, "--over", "1s"],
        vec!["stacks", &pid],
        vec!["stacks", &pid, "--goroutines"],
    ];
    for args in &runs {
        let out = steady_command().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if args.contains(&"--goroutines") {
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains("is not a Go program") && err.contains("--port or --url"),
                "{err}"
            );
        } else {
            assert!(out.status.code() != Some(2), "{args:?}: {err}");
        }
    }
    // The smaps snapshot was taken, from /proc alone.
    assert!(std::fs::read_dir(scratch.path()).unwrap().count() > 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        received(target.dir.path()),
        "",
        "steady contacted a process that is not Go"
    );
    // The recorder works: a named port is contacted, as asked.
    let _ = steady_command()
        .args([
            "stacks",
            &pid,
            "--goroutines",
            "--port",
            &target.port.to_string(),
            "--timeout",
            "1s",
        ])
        .output()
        .unwrap();
    assert!(wait_until(Duration::from_secs(3), || received(
        target.dir.path()
    )
    .contains("GET /debug/pprof")));
}

#[test]
fn a_file_named_with_a_right_to_left_override_prints_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "invoice\u{202e}fdp.exe";
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, b"x").unwrap();
    let target = Target::spawn(
        "listener_sink",
        &["--open", path.to_str().unwrap(), "--lifetime", "60"],
    );
    let out = steady_command()
        .args(["fds", &target.pid_arg(), "--top", "0"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{202e}'),
        "the override reached the terminal:\n{text}"
    );
    assert!(text.contains("invoice\\u{202e}fdp.exe"), "{text}");
    // JSON keeps the exact name.
    let out = steady_command()
        .args(["fds", &target.pid_arg(), "--top", "0", "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["target"].as_str() == path.to_str()),
        "{doc}"
    );
}

#[test]
fn json_errors_are_json_on_stdout() {
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id().to_string();
    child.wait().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["fds", &dead, "--json"], "no_such_process"),
        (vec!["limits", "--json", "0"], "usage"),
        (vec!["--json", "fds", "1", "--bogus"], "usage"),
        (
            vec!["stacks", "--json", "--file", "/nonexistent/dump"],
            "other",
        ),
        (
            vec!["heap", "top", "--json", "Cargo.toml"],
            "malformed_profile",
        ),
    ];
    for (args, kind) in cases {
        let out = steady_command()
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(doc["error"]["kind"], kind, "{args:?}: {doc}");
        assert!(doc["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: the line on stderr stays: {err}"
        );
    }
    // Without --json, stdout stays empty.
    let out = steady_command().args(["fds", &dead]).output().unwrap();
    assert!(out.stdout.is_empty());
}

/// Faults under load: descriptors opening and closing at well over 10,000 a second, threads
/// starting and exiting, while steady reads. It never panics, never fails on what merely
/// vanished, and never reports an impossible count.
#[test]
fn reads_under_churn_stay_consistent() {
    let target = Target::spawn("listener_sink", &["--churn", "1", "--lifetime", "60"]);
    let pid = target.pid_arg();
    for _ in 0..15 {
        let out = steady_command()
            .args(["fds", &pid, "--top", "0", "--json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let total = doc["total"].as_u64().unwrap();
        let groups: u64 = doc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["count"].as_u64().unwrap())
            .sum();
        assert_eq!(groups, total, "the groups add up to the total: {doc}");
        let kinds: u64 = doc["by_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(kinds, total);
        assert!(
            total >= 3 && total <= doc["limit"]["soft"].as_u64().unwrap(),
            "{doc}"
        );
    }
    for _ in 0..10 {
        let out = steady_command()
            .args(["stacks", &pid, "--threads", "--top", "0", "--json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let threads = &doc["threads"];
        let total = threads["total"].as_u64().unwrap();
        let groups = threads["groups"].as_array().unwrap();
        assert!(total >= 1);
        assert!(groups.iter().all(
            |g| g["count"].as_u64().unwrap() >= 1 && g["cpu_seconds"].as_f64().unwrap() >= 0.0
        ));
        assert_eq!(
            groups
                .iter()
                .map(|g| g["count"].as_u64().unwrap())
                .sum::<u64>(),
            total
        );
    }
    let out = steady_command()
        .args(["fds", &pid, "--over", "1s", "--json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
