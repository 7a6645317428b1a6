//! `steady limits` on real targets, every figure checked against prlimit(1) on the same
//! process: reading all sixteen limits, `--set` in prlimit's syntax (the same request given to
//! prlimit on a twin process leaves the same limits), "unchanged", refusals, several targets.

use std::collections::BTreeMap;
use std::process::Command;

use serde::Deserialize;

use crate::support::{self, stderr_of, steady, steady_json, Target};

#[derive(Debug, Deserialize)]
struct LimitsDoc {
    pid: i32,
    comm: Option<String>,
    nofile: Pair,
    all: Option<Vec<Named>>,
    change: Option<Change>,
    changes: Vec<NamedChange>,
    notes: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq, Clone, Copy)]
struct Pair {
    soft: Option<u64>,
    hard: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Named {
    resource: String,
    soft: Option<u64>,
    hard: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Change {
    before: Pair,
    after: Pair,
}

#[derive(Debug, Deserialize)]
struct NamedChange {
    resource: String,
    changed: bool,
    before: Pair,
    after: Pair,
}

/// One `fd_mix` holding a few descriptors for a minute.
fn target() -> Target {
    Target::spawn(
        "fd_mix",
        &["--files", "4", "--pipes", "2", "--lifetime", "60"],
    )
}

fn value(text: &str) -> Option<u64> {
    (text != "unlimited").then(|| text.parse().expect("prlimit --raw prints numbers"))
}

/// `prlimit --pid PID --output RESOURCE,SOFT,HARD --raw --noheadings`, by resource.
fn prlimit(pid: i32) -> BTreeMap<String, Pair> {
    let out = Command::new("prlimit")
        .args(["--pid", &pid.to_string()])
        .args(["--output", "RESOURCE,SOFT,HARD", "--raw", "--noheadings"])
        .output()
        .expect("prlimit (util-linux) is installed");
    assert!(out.status.success(), "prlimit: {}", stderr_of(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                Pair {
                    soft: value(f[1]),
                    hard: value(f[2]),
                },
            )
        })
        .collect()
}

/// Every limit steady reports for `pid`, by prlimit's name.
fn ours(pid: i32) -> BTreeMap<String, Pair> {
    let (doc, code) = steady_json::<LimitsDoc>(&["limits", &pid.to_string(), "--all"]);
    assert_eq!(code, 0);
    doc.all
        .expect("--all")
        .into_iter()
        .map(|l| {
            (
                l.resource,
                Pair {
                    soft: l.soft,
                    hard: l.hard,
                },
            )
        })
        .collect()
}

#[test]
fn all_limits_equal_prlimit() {
    let t = target();
    let (doc, _) = steady_json::<LimitsDoc>(&["limits", &t.pid_arg(), "--all"]);
    let theirs = prlimit(t.pid);
    assert_eq!(theirs.len(), 16);
    let names: Vec<&str> = doc
        .all
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| l.resource.as_str())
        .collect();
    let prlimit_order: Vec<&str> = theirs.keys().map(String::as_str).collect();
    assert_eq!(names, prlimit_order, "prlimit's names, in its order");
    assert_eq!(ours(t.pid), theirs);
    assert_eq!(doc.nofile, theirs["NOFILE"]);

    // The table has prlimit's columns.
    let out = steady(&["limits", &t.pid_arg(), "--all"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RESOURCE") && text.contains("DESCRIPTION") && text.contains("UNITS"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("RTTIME") && l.contains("microsecs")),
        "{text}"
    );
}

#[test]
fn set_takes_prlimits_syntax_and_leaves_what_prlimit_leaves() {
    // The same requests to steady on one process and to prlimit on its twin: the limits of the
    // two are then equal, line by line.
    let (a, b) = (target(), target());
    assert_eq!(prlimit(a.pid), prlimit(b.pid), "twins start alike");
    let nofile_hard = prlimit(a.pid)["NOFILE"].hard.unwrap().to_string();
    let requests: [(&str, &str); 6] = [
        ("NOFILE=4096:", "--nofile=4096:"),
        ("CORE=unlimited", "--core=unlimited"),
        ("MSGQUEUE=1000:", "--msgqueue=1000:"),
        ("RTTIME=2000000:", "--rttime=2000000:"),
        ("STACK=16777216:", "--stack=16777216:"),
        ("SIGPENDING=100:", "--sigpending=100:"),
    ];
    let mut args = vec!["limits".to_string(), a.pid_arg()];
    for (ours, _) in requests {
        args.extend(["--set".to_string(), ours.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = steady_json::<LimitsDoc>(&args);
    assert_eq!(code, 0);
    let mut theirs = Command::new("prlimit");
    theirs.args(["--pid", &b.pid_arg()]);
    theirs.args(requests.iter().map(|(_, p)| p));
    let out = theirs.output().unwrap();
    assert!(out.status.success(), "prlimit: {}", stderr_of(&out));
    assert_eq!(prlimit(a.pid), prlimit(b.pid));
    assert_eq!(ours(a.pid), prlimit(a.pid));

    // What steady says it did is what prlimit now reads.
    let now = prlimit(a.pid);
    let changed: Vec<&str> = doc.changes.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(
        changed,
        [
            "NOFILE",
            "CORE",
            "MSGQUEUE",
            "RTTIME",
            "STACK",
            "SIGPENDING"
        ]
    );
    for c in &doc.changes {
        assert!(c.changed, "{c:?}");
        assert_eq!(c.after, now[&c.resource], "{}", c.resource);
        assert_ne!(c.before, c.after, "{}", c.resource);
    }
    let nofile = doc
        .change
        .expect("the NOFILE change, as --set-nofile reports it");
    assert_eq!(nofile.after.soft, Some(4096));
    assert_eq!(nofile.after.hard, nofile.before.hard);
    assert_eq!(doc.nofile, now["NOFILE"]);
    assert!(
        doc.notes
            .iter()
            .any(|n| n.contains("MSGQUEUE soft limit was lowered")),
        "{:?}",
        doc.notes
    );

    // `:HARD` at the hard limit it already has, and a soft limit already so: "unchanged",
    // nothing set; the --set-nofile shortcut still works beside --set.
    let (doc, code) = steady_json::<LimitsDoc>(&[
        "limits",
        &a.pid_arg(),
        "--set",
        &format!("NOFILE=:{nofile_hard}"),
        "--set",
        "CORE=unlimited:",
    ]);
    assert_eq!(code, 0);
    assert!(doc
        .changes
        .iter()
        .all(|c| !c.changed && c.before == c.after));
    assert_eq!(prlimit(a.pid), now);
    let out = steady(&["limits", &a.pid_arg(), "--set", "CORE=unlimited:"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("RLIMIT_CORE unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (doc, _) = steady_json::<LimitsDoc>(&[
        "limits",
        &a.pid_arg(),
        "--set-nofile",
        "2048",
        "--set",
        "CORE=0:",
    ]);
    assert_eq!(doc.pid, a.pid);
    let now = prlimit(a.pid);
    assert_eq!(now["NOFILE"].soft, Some(2048));
    assert_eq!(
        now["CORE"],
        Pair {
            soft: Some(0),
            hard: None
        }
    );
    assert_eq!(doc.nofile, now["NOFILE"]);
}

#[test]
fn refusals_name_the_fix_and_change_nothing() {
    let t = target();
    let pid = t.pid_arg();
    let before = prlimit(t.pid);
    let hard = before["NOFILE"].hard.unwrap();
    let above = (hard + 10_000).to_string();
    let refused = |args: &[&str], want: &[&str], not: &[&str]| {
        let mut all = vec!["limits", pid.as_str()];
        all.extend_from_slice(args);
        let out = steady(&all);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with("steady: "), "{err}");
        for w in want {
            assert!(err.contains(w), "{args:?}: want {w:?} in {err}");
        }
        for n in not {
            assert!(!err.contains(n), "{args:?}: {n:?} in {err}");
        }
        assert!(out.stdout.is_empty(), "{args:?}");
    };
    // Below what is open, and the other rules of --set-nofile, through --set.
    refused(
        &["--set", "NOFILE=3:"],
        &["below the", "descriptors already open"],
        &[],
    );
    refused(
        &["--set", &format!("NOFILE={hard}:99999999")],
        &["fs.nr_open"],
        &[],
    );
    // The whole request is refused before anything is set.
    refused(
        &["--set", "CORE=unlimited:", "--set", "NOFILE=3:"],
        &["NOFILE"],
        &[],
    );
    if !support::has_capability(24) {
        // A raise above the hard limit names CAP_SYS_RESOURCE, and never suggests a value
        // above the hard limit, which steady could not set.
        let not = [format!("{above}:"), format!("={above}")];
        let not: Vec<&str> = not.iter().map(String::as_str).collect();
        for args in [
            vec!["--set", &format!("NOFILE=:{above}")],
            vec!["--set", &format!("NOFILE={above}")],
            vec!["--set", &format!("NOFILE={above}:")],
            vec!["--set-nofile", &above],
        ] {
            refused(&args, &["CAP_SYS_RESOURCE"], &not);
        }
        // Lowering a hard limit cannot be undone without the capability; prlimit's single
        // value sets both limits, so it is refused too, with the soft-only spelling offered.
        refused(
            &["--set", "NOFILE=4096"],
            &["refusing to lower the NOFILE hard limit", "NOFILE=4096:"],
            &[],
        );
        refused(&["--set", "CORE=0:0"], &["CORE hard limit"], &[]);
    }
    refused(&["--set", "CPU=0:"], &["SIGXCPU"], &[]);
    refused(
        &["--set", "STACK=4096:"],
        &["of stack it already uses"],
        &[],
    );
    refused(
        &["--set", "NOFILE=1:", "--set-nofile", "100"],
        &["twice"],
        &[],
    );
    assert_eq!(prlimit(t.pid), before, "a refusal changes nothing");

    // Usage errors in the syntax.
    for (bad, want) in [
        ("FILES=10", "AS, CORE, CPU"),
        ("NOFILE=", "not a limit"),
        ("NOFILE=:", "sets nothing"),
        ("NOFILE=lots:", "number or `unlimited`"),
    ] {
        refused(&["--set", bad], &[want], &[]);
    }
}

#[test]
fn several_targets_give_one_report_each_and_a_summary() {
    let (a, b) = (target(), target());
    let list = format!("{},{}", a.pid, b.pid);
    let (docs, code) = steady_json::<Vec<LimitsDoc>>(&["limits", &list]);
    assert_eq!(code, 0);
    let pids: Vec<i32> = docs.iter().map(|d| d.pid).collect();
    assert_eq!(pids, [a.pid, b.pid]);
    for d in &docs {
        assert_eq!(d.nofile, prlimit(d.pid)["NOFILE"]);
    }
    // One PID with a comma is still a list.
    let (docs, _) = steady_json::<Vec<LimitsDoc>>(&["limits", &format!("{},", a.pid)]);
    assert_eq!(docs.len(), 1);

    let out = steady(&["limits", &list]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("PID ")).count(),
        2,
        "{text}"
    );
    assert!(
        text.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("2 processes"),
        "{text}"
    );

    // By name: every fd_mix, ours among them (other tests run their own at the same time).
    let (docs, code) = steady_json::<Vec<LimitsDoc>>(&["limits", "--name", "^fd_mix$"]);
    // 1 when another test's fd_mix sits near its limit at this moment: not ours to judge.
    assert!(code == 0 || code == 1, "exit {code}");
    for pid in [a.pid, b.pid] {
        assert!(docs.iter().any(|d| d.pid == pid), "{pid} in {docs:?}");
    }
    assert!(
        docs.iter().all(|d| d.comm.as_deref() == Some("fd_mix")),
        "every process found by ^fd_mix$ is an fd_mix: {docs:?}"
    );
    let (docs, _) = steady_json::<Vec<LimitsDoc>>(&["limits", "--name", "examples/fd_mix$"]);
    assert!(
        docs.iter().any(|d| d.pid == a.pid),
        "matches the executable path"
    );

    // A dead PID in a list: the others are still reported, and it is an error (exit 2), in
    // the JSON array as the error document with its PID.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id() as i32;
    child.wait().unwrap();
    let with_dead = format!("{},{dead}", a.pid);
    let (docs, code) = steady_json::<Vec<serde_json::Value>>(&["limits", &with_dead]);
    assert_eq!(code, 2);
    assert_eq!(docs[0]["pid"], a.pid);
    assert_eq!(docs[1]["pid"], dead);
    assert_eq!(docs[1]["error"]["kind"], "no_such_process", "{:?}", docs[1]);
    let out = steady(&["limits", &with_dead]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("PID {}", a.pid)),
        "the readable one is shown"
    );
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&dead.to_string()), "{err}");

    // Nothing matches; --set on several; bad regex.
    for (args, want) in [
        (
            vec!["limits", "--name", "^no-such-process-anywhere$"],
            "no process",
        ),
        (
            vec!["limits", &list, "--set", "CORE=0:"],
            "one process at a time",
        ),
        (
            vec!["limits", "--name", "fd_mix", "--set-nofile", "100"],
            "one process at a time",
        ),
        (vec!["limits", "--name", "("], "not a regular expression"),
        (vec!["limits", "1,,2"], "PID"),
    ] {
        let out = steady(&args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
    }
    assert_eq!(prlimit(a.pid)["CORE"], prlimit(b.pid)["CORE"]);
}
