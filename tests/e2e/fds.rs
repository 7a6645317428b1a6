//! `steady fds` and `steady limits` on real targets.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::support::{self, proc_nofile, stderr_of, steady, steady_command, steady_json, Target};

#[derive(Debug, Deserialize)]
struct FdsDoc {
    schema_version: u32,
    pid: i32,
    total: u64,
    vanished: u64,
    limit: Limit,
    nr_open: Option<u64>,
    by_kind: BTreeMap<String, u64>,
    groups: Vec<Group>,
    groups_total: usize,
    over: Option<Over>,
    findings: Vec<FindingDoc>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Limit {
    soft: Option<u64>,
    hard: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Group {
    kind: String,
    target: String,
    count: u64,
    state: Option<String>,
    direction: Option<String>,
    socket_type: Option<String>,
    allocated_bytes: Option<u64>,
    #[serde(default)]
    fds: Vec<i32>,
    delta: Option<i64>,
    rate_per_min: Option<f64>,
    eta_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Over {
    seconds: f64,
    total_before: u64,
    total_delta: i64,
    rate_per_min: f64,
    eta_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct FindingDoc {
    kind: String,
    message: String,
}

#[derive(Debug, Deserialize)]
struct LimitsDoc {
    pid: i32,
    nofile: Limit,
    nr_open: Option<u64>,
    open_fds: u64,
    all: Option<Vec<NamedLimit>>,
    change: Option<Change>,
}

#[derive(Debug, Deserialize)]
struct NamedLimit {
    name: String,
    soft: Option<u64>,
    hard: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Change {
    before: Limit,
    after: Limit,
}

const MIX: &[&str] = &[
    "--pipes",
    "3",
    "--tcp",
    "5",
    "--unix-pairs",
    "4",
    "--files",
    "2",
    "--deleted",
    "2",
    "--eventfds",
    "3",
    "--lifetime",
    "60",
];

/// A socket group: a listener and the connections dialled to it share the target text.
fn socket_group<'a>(doc: &'a FdsDoc, target: &str, direction: &str) -> &'a Group {
    doc.groups
        .iter()
        .find(|g| {
            g.kind == "tcp" && g.target == target && g.direction.as_deref() == Some(direction)
        })
        .unwrap_or_else(|| panic!("no tcp {direction} group {target:?} in {:#?}", doc.groups))
}

fn group<'a>(doc: &'a FdsDoc, kind: &str, target: &str) -> &'a Group {
    doc.groups
        .iter()
        .find(|g| g.kind == kind && g.target == target)
        .unwrap_or_else(|| panic!("no {kind} group {target:?} in {:#?}", doc.groups))
}

fn parse_limit(text: &str) -> Option<u64> {
    (text != "unlimited").then(|| text.parse().expect("limit number"))
}

#[test]
fn fds_counts_a_known_mix_exactly() {
    let target = Target::spawn("fd_mix", MIX);
    let (doc, code) = steady_json::<FdsDoc>(&["fds", &target.pid_arg(), "--top", "0"]);
    assert_eq!(code, 0, "a quiet process far from its limit is steady");
    assert_eq!(doc.schema_version, 1);
    assert_eq!(doc.pid, target.pid);
    assert_eq!(doc.vanished, 0);

    // stdin and stderr are /dev/null, stdout is the pipe the test reads the ready line from.
    let want: BTreeMap<&str, u64> = [
        ("device", 2),
        ("pipe", 3 * 2 + 1),
        ("tcp", 5 * 2 + 1),
        ("udp", 1),
        ("unix", 4 * 2 + 1),
        ("file", 2),
        ("deleted_file", 2),
        ("directory", 1),
        ("memfd", 1),
        ("eventfd", 3),
        ("eventpoll", 1),
        ("timerfd", 1),
        ("inotify", 1),
        ("signalfd", 1),
    ]
    .into_iter()
    .collect();
    for (kind, count) in &doc.by_kind {
        assert_eq!(
            *count,
            want.get(kind.as_str()).copied().unwrap_or(0),
            "by_kind.{kind}"
        );
    }
    for kind in [
        "netlink",
        "socket_other",
        "pidfd",
        "io_uring",
        "anon_other",
        "other",
    ] {
        assert!(
            doc.by_kind.contains_key(kind),
            "by_kind lists {kind} even at zero"
        );
    }
    assert_eq!(doc.total, want.values().sum::<u64>());
    assert_eq!(doc.groups.iter().map(|g| g.count).sum::<u64>(), doc.total);
    assert_eq!(doc.groups_total, doc.groups.len());

    let port = target.port;
    let outbound = socket_group(&doc, &format!("127.0.0.1:{port}"), "outbound");
    assert_eq!(
        (outbound.count, outbound.state.as_deref()),
        (5, Some("ESTABLISHED"))
    );
    assert_eq!(outbound.direction.as_deref(), Some("outbound"));
    let inbound = group(&doc, "tcp", &format!("127.0.0.1 -> :{port}"));
    assert_eq!(
        (inbound.count, inbound.direction.as_deref()),
        (5, Some("inbound"))
    );
    let listen = socket_group(&doc, &format!("127.0.0.1:{port}"), "listen");
    assert_eq!((listen.count, listen.state.as_deref()), (1, Some("LISTEN")));

    let pairs = group(&doc, "unix", "(unnamed)");
    assert_eq!(pairs.count, 8);
    assert_eq!(pairs.state.as_deref(), Some("CONNECTED"));
    assert_eq!(pairs.socket_type.as_deref(), Some("stream"));
    let sock_path = target.dir.path().join("fd_mix.sock");
    let listener = group(&doc, "unix", sock_path.to_str().unwrap());
    assert_eq!(listener.state.as_deref(), Some("LISTEN"));

    for i in 0..2 {
        let path = target.dir.path().join(format!("deleted-{i}.log"));
        let deleted = group(&doc, "deleted_file", path.to_str().unwrap());
        assert_eq!(deleted.count, 1);
        assert!(deleted.allocated_bytes.unwrap() >= 64 * 1024, "{deleted:?}");
        let fd = deleted.fds[0];
        let link = std::fs::read_link(format!("/proc/{}/fd/{fd}", target.pid)).unwrap();
        assert_eq!(
            link.to_str().unwrap(),
            format!("{} (deleted)", path.display())
        );
    }
    assert_eq!(group(&doc, "device", "/dev/null").count, 2);
    assert_eq!(group(&doc, "eventfd", "eventfd").count, 3);
    assert_eq!(group(&doc, "pipe", "pipe").count, 7);

    let (soft, hard) = proc_nofile(target.pid);
    assert_eq!(
        doc.limit,
        Limit {
            soft: parse_limit(&soft),
            hard: parse_limit(&hard)
        }
    );
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(doc.nr_open, Some(nr_open));
    assert!(doc.over.is_none());
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
}

#[test]
fn fds_top_limits_the_groups_but_not_the_totals() {
    let target = Target::spawn("fd_mix", MIX);
    let (doc, _) = steady_json::<FdsDoc>(&["fds", &target.pid_arg(), "--top", "3"]);
    assert_eq!(doc.groups.len(), 3);
    assert!(doc.groups_total > 3);
    assert_eq!(
        doc.groups[0].kind, "unix",
        "the largest group comes first: {:?}",
        doc.groups
    );
    assert_eq!(doc.groups[0].count, 8);
    assert!(doc.groups.windows(2).all(|w| w[0].count >= w[1].count));
}

#[test]
fn fds_over_finds_the_growing_group_and_its_rate() {
    let target = Target::spawn(
        "fd_mix",
        &[
            "--leak",
            "tcp",
            "--leak-every-ms",
            "40",
            "--leak-max",
            "2000",
            "--lifetime",
            "60",
        ],
    );
    let (doc, code) = steady_json::<FdsDoc>(&["fds", &target.pid_arg(), "--over", "2s"]);
    assert_eq!(code, 1, "growth is a finding: {:?}", doc.findings);
    let over = doc.over.as_ref().expect("over section");
    assert!(over.seconds >= 2.0 && over.seconds < 4.0, "{over:?}");
    // Each leak opens a client and accepts the server end: two descriptors per 40 ms.
    assert!(over.total_delta >= 40, "{over:?}");
    assert_eq!(
        doc.total as i64 - over.total_before as i64,
        over.total_delta
    );
    assert!(over.rate_per_min > 1000.0, "{over:?}");
    let eta = over.eta_seconds.expect("an ETA while growing");
    let room = (doc.limit.soft.unwrap() - doc.total) as f64;
    assert!(
        (eta - room * 60.0 / over.rate_per_min).abs() < 1.0,
        "{over:?}"
    );

    let top = &doc.groups[0];
    assert_eq!(top.kind, "tcp", "{:?}", doc.groups);
    assert_eq!(top.state.as_deref(), Some("ESTABLISHED"));
    assert!(top.target.contains(&target.port.to_string()), "{top:?}");
    let delta = top.delta.expect("delta under --over");
    assert!(delta >= 20, "{top:?}");
    assert!(top.rate_per_min.unwrap() > 500.0, "{top:?}");
    assert!(top.eta_seconds.is_some());
    // The two ends grow together; nothing else grows.
    let growing: Vec<&Group> = doc
        .groups
        .iter()
        .filter(|g| g.delta.unwrap_or(0) > 0)
        .collect();
    assert_eq!(growing.len(), 2, "{growing:?}");
    assert!(doc
        .findings
        .iter()
        .any(|f| f.kind == "growing" && f.message.contains("/min")));
}

#[test]
fn fds_table_is_readable_and_plain_off_a_terminal() {
    let target = Target::spawn("fd_mix", MIX);
    let out = steady(&["fds", &target.pid_arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("PID {} fd_mix", target.pid)),
        "{text}"
    );
    assert!(text.contains("open descriptors"), "{text}");
    assert!(text.contains("ESTABLISHED"), "{text}");
    assert!(
        text.contains(&format!("-> 127.0.0.1:{}", target.port)),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal:\n{text}"
    );

    let coloured = steady(&["fds", &target.pid_arg(), "--color", "always"]);
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\x1b'));
}

#[test]
fn limits_match_proc_and_count_descriptors() {
    let target = Target::spawn("fd_mix", MIX);
    let (doc, code) = steady_json::<LimitsDoc>(&["limits", &target.pid_arg(), "--all"]);
    assert_eq!(code, 0);
    assert_eq!(doc.pid, target.pid);
    let (soft, hard) = proc_nofile(target.pid);
    assert_eq!(
        doc.nofile,
        Limit {
            soft: parse_limit(&soft),
            hard: parse_limit(&hard)
        }
    );
    let open = std::fs::read_dir(format!("/proc/{}/fd", target.pid))
        .unwrap()
        .count() as u64;
    assert_eq!(doc.open_fds, open);
    assert!(doc.nr_open.is_some());
    let all = doc.all.expect("--all lists every limit");
    assert_eq!(all.len(), 16);
    let files = all.iter().find(|l| l.name == "open_files").unwrap();
    assert_eq!((files.soft, files.hard), (doc.nofile.soft, doc.nofile.hard));
    assert!(doc.change.is_none());
}

#[test]
fn set_nofile_changes_the_live_process_within_the_hard_limit() {
    let target = Target::spawn("fd_mix", MIX);
    let pid = target.pid_arg();
    let (_, hard) = proc_nofile(target.pid);
    let (doc, code) = steady_json::<LimitsDoc>(&["limits", &pid, "--set-nofile", "4096"]);
    assert_eq!(code, 0);
    let change = doc.change.expect("a change section");
    assert_eq!(change.after.soft, Some(4096));
    assert_eq!(
        change.after.hard,
        parse_limit(&hard),
        "the hard limit stays"
    );
    assert_eq!(proc_nofile(target.pid), ("4096".to_string(), hard.clone()));
    assert_eq!(doc.nofile.soft, Some(4096));

    let (doc, _) = steady_json::<LimitsDoc>(&["limits", &pid, "--set-nofile", "2048"]);
    assert_eq!(doc.change.unwrap().before.soft, Some(4096));
    assert_eq!(proc_nofile(target.pid).0, "2048");
}

#[test]
fn set_nofile_refuses_what_would_harm_or_cannot_work() {
    let target = Target::spawn("fd_mix", MIX);
    let pid = target.pid_arg();
    let before = proc_nofile(target.pid);

    let below = steady(&["limits", &pid, "--set-nofile", "5"]);
    assert_eq!(below.status.code(), Some(2));
    assert!(
        stderr_of(&below).contains("below the"),
        "{}",
        stderr_of(&below)
    );

    let over_hard = steady(&["limits", &pid, "--set-nofile", "30000"]);
    assert_eq!(over_hard.status.code(), Some(2));
    assert!(stderr_of(&over_hard).contains("above the hard limit"));

    let over_nr_open = steady(&["limits", &pid, "--set-nofile", "100:99999999"]);
    assert_eq!(over_nr_open.status.code(), Some(2));
    assert!(
        stderr_of(&over_nr_open).contains("fs.nr_open"),
        "{}",
        stderr_of(&over_nr_open)
    );

    if !support::has_capability(24) {
        let raise_hard = steady(&["limits", &pid, "--set-nofile", "100:30000"]);
        assert_eq!(raise_hard.status.code(), Some(2));
        assert!(
            stderr_of(&raise_hard).contains("CAP_SYS_RESOURCE"),
            "{}",
            stderr_of(&raise_hard)
        );
    }
    assert_eq!(proc_nofile(target.pid), before, "a refusal changes nothing");
    for out in [below, over_hard, over_nr_open] {
        assert_eq!(
            stderr_of(&out).lines().count(),
            1,
            "one line: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn dead_zero_and_garbage_pids_are_clear_errors() {
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id().to_string();
    child.wait().unwrap();
    for args in [
        vec!["fds", dead.as_str()],
        vec!["limits", dead.as_str()],
        vec!["fds", "0"],
        vec!["fds", "-3"],
        vec!["fds", "abc"],
        vec!["limits", "0"],
    ] {
        let out = steady(&args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?} one line: {err}");
        assert!(err.starts_with("steady: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let out = steady(&["fds", &dead]);
    assert!(stderr_of(&out).contains(&format!("no process with PID {dead}")));
    assert!(stderr_of(&steady(&["fds", "0"])).contains("positive"));
}

#[test]
fn a_process_that_has_exited_is_reported_as_exited() {
    // A child we do not reap stays a zombie: its PID exists, its descriptors are gone.
    let mut child = Command::new("true").stdout(Stdio::null()).spawn().unwrap();
    let pid = child.id();
    assert!(support::wait_until(
        std::time::Duration::from_secs(5),
        || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(false)
        }
    ));
    let out = steady(&["fds", &pid.to_string()]);
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(2));
    let parent = std::process::id();
    assert_eq!(
        stderr_of(&out).trim(),
        format!("steady: process {pid} exited and is a zombie (its parent, PID {parent}, has not reaped it): nothing is left to inspect — look at why it exited (its logs, `dmesg` for the OOM killer), and at PID {parent}, which should wait for it")
    );
}

#[test]
fn permission_denied_names_the_fix() {
    if nix_euid() != 0 {
        // A test that cannot run must not pass for one that checked something.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "not root: this test runs steady as another user, and under CI=true it may not be skipped"
        );
        eprintln!("not root: skipping; this test needs to run steady as another user");
        return;
    }
    let target = Target::spawn("fd_mix", MIX);
    let out = steady_command()
        .args(["fds", &target.pid_arg()])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "steady: permission denied reading /proc/{0}/fd of process {0} (owned by uid 0) — steady runs as uid 65534: run it as uid 0",
            target.pid
        )),
        "{err}"
    );
    assert!(err.contains("CAP_SYS_PTRACE"), "{err}");
    assert!(err.contains("kubectl debug"), "{err}");
}

fn nix_euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

#[test]
fn fds_several_targets_give_one_report_each_and_a_summary() {
    let (a, b) = (Target::spawn("fd_mix", MIX), Target::spawn("fd_mix", MIX));
    let (alone, code) = steady_json::<FdsDoc>(&["fds", &a.pid_arg()]);
    assert_eq!(code, 0);
    let list = format!("{},{}", a.pid, b.pid);
    let (docs, code) = steady_json::<Vec<FdsDoc>>(&["fds", &list]);
    assert_eq!(code, 0);
    let pids: Vec<i32> = docs.iter().map(|d| d.pid).collect();
    assert_eq!(pids, [a.pid, b.pid]);
    assert_eq!(docs[0].total, alone.total);
    assert_eq!(docs[1].total, alone.total, "the same mix");
    let (docs, _) = steady_json::<Vec<FdsDoc>>(&["fds", &format!("{},", a.pid)]);
    assert_eq!(docs.len(), 1, "one PID with a comma is still a list");

    // By name: every fd_mix, ours among them (other tests run their own at the same time).
    let (docs, _) = steady_json::<Vec<serde_json::Value>>(&["fds", "--name", "^fd_mix$"]);
    for pid in [a.pid, b.pid] {
        assert!(docs.iter().any(|d| d["pid"] == pid), "{pid} in {docs:?}");
    }

    // One target near its soft limit: a finding, exit 1 for the whole run.
    let soft = (alone.total + 2).to_string();
    let out = steady(&["limits", &a.pid_arg(), "--set-nofile", &soft]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "near the limit: {}",
        stderr_of(&out)
    );
    let (docs, code) = steady_json::<Vec<FdsDoc>>(&["fds", &list]);
    assert_eq!(code, 1);
    assert_eq!(docs[0].findings[0].kind, "near_limit");
    assert!(docs[1].findings.is_empty());
    let out = steady(&["fds", &list, "--top", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("PID ")).count(),
        2,
        "{text}"
    );
    let last = text.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("2 processes · 1 with findings · fullest PID"),
        "{last}"
    );
    assert!(last.contains(&format!("PID {} fd_mix", a.pid)), "{last}");

    // A dead PID among them: the others are shown, the dead one is one line (one error
    // document in JSON), and the run exits 2.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id() as i32;
    child.wait().unwrap();
    let with_dead = format!("{},{dead}", b.pid);
    let (docs, code) = steady_json::<Vec<serde_json::Value>>(&["fds", &with_dead]);
    assert_eq!(code, 2);
    assert_eq!(docs[0]["pid"], b.pid);
    assert_eq!(docs[1]["pid"], dead);
    assert_eq!(docs[1]["error"]["kind"], "no_such_process", "{:?}", docs[1]);
    let out = steady(&["fds", &with_dead]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("PID {} fd_mix", b.pid)), "{text}");
    assert!(text.contains(&format!("PID {dead} no process")), "{text}");
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&dead.to_string()), "{err}");

    // --list on several: one flat array, every row with its PID; a dead one is its error.
    let (rows, code) = steady_json::<Vec<serde_json::Value>>(&["fds", &with_dead, "--list"]);
    assert_eq!(code, 2);
    let of = |pid: i32| {
        rows.iter()
            .filter(|r| r["pid"] == pid && r["fd"].is_i64())
            .count()
    };
    assert_eq!(of(b.pid) as u64, alone.total);
    assert_eq!(rows.last().unwrap()["error"]["kind"], "no_such_process");
    let out = steady(&["fds", &list, "--list", "--kind", "tcp"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.trim_end().ends_with("2 processes listed"), "{text}");

    for (args, want) in [
        (
            vec!["fds", "--name", "^no-such-process-anywhere$"],
            "no process",
        ),
        (vec!["fds", "--name", "("], "not a regular expression"),
        (vec!["fds", "1,,2"], "PID"),
    ] {
        let out = steady(&args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
    }
}
