//! Screenshot tests: the real binary in a detached tmux pane of 80 and 200 columns, its screen
//! captured and held to three rules a layout regression breaks — no line past the width (the
//! capture joins lines the terminal had to wrap), no word cut in two (every word on screen is a
//! word of the same output unwrapped), no trailing space — and then compared with the expected
//! screen in tests/screens/ once the parts a live process varies (PID, ports, temp paths,
//! counts) are replaced by placeholders. `STEADY_UPDATE_SCREENS=1` rewrites the expected ones.
//!
//! tmux runs on a private socket (`-L`) with no config file, and its server is killed on drop.
//! Outside CI a missing tmux skips with a message; under CI=true it fails.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{steady_command, Target};

const DONE: &str = "__SCREEN_DONE__";

fn have_tmux() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("tmux is missing: the screen tests need it (`apt-get install -y tmux`; .ci/run installs it)");
        }
        eprintln!("screens: tmux is missing, screen tests skipped (apt-get install -y tmux)");
    }
    found
}

/// A tmux server of our own, one pane of a fixed size.
struct Pane {
    socket: String,
}

impl Pane {
    /// Starts `shell` (a sh command line) in a detached pane `width` columns wide, in the
    /// crate's directory, without COLUMNS or NO_COLOR from the test's environment.
    fn start(width: u16, shell: &str) -> Pane {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "steady-screens-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let pane = Pane { socket };
        let line = format!(
            "env -u COLUMNS -u NO_COLOR LANG=C.UTF-8 sh -c '{shell}'; echo; echo {DONE}; exec sleep 60"
        );
        let status = pane
            .tmux()
            .args(["new-session", "-d", "-s", "screen", "-y", "50", "-x"])
            .arg(width.to_string())
            .arg("-c")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg(line)
            .status()
            .expect("running tmux");
        assert!(status.success(), "tmux new-session failed");
        pane
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-u", "-f", "/dev/null", "-L", &self.socket]);
        c.env("LANG", "C.UTF-8");
        c
    }

    /// The whole pane and its history, lines the terminal wrapped joined back into one.
    fn capture(&self) -> String {
        let out = self
            .tmux()
            .args([
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-",
                "-E",
                "-",
                "-t",
                "screen",
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once the command has finished, without the end marker and what follows.
    fn finished(&self) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if let Some(end) = screen.find(&format!("\n{DONE}")) {
                let mut text = screen[..end].trim_end_matches('\n').to_string();
                text.push('\n');
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the command did not finish in the pane:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

fn steady_path() -> &'static str {
    env!("CARGO_BIN_EXE_steady")
}

/// The same output piped, so unwrapped: the words a screen may show.
fn unwrapped(args: &[&str]) -> String {
    let out = steady_command()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .expect("running steady");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The three layout rules. `in_order`: the words must also come in the same order (prose
/// only; a table interleaves its columns when it wraps a cell).
fn check_layout(name: &str, screen: &str, width: usize, reference: &str, in_order: bool) {
    for line in screen.lines() {
        assert!(
            line.chars().count() <= width,
            "{name}: a line is {} columns wide, past {width}:\n{line}\n\n{screen}",
            line.chars().count()
        );
        assert!(
            !line.ends_with(' '),
            "{name}: trailing space on {line:?}\n\n{screen}"
        );
    }
    let words: HashSet<&str> = reference.split_whitespace().collect();
    for word in screen.split_whitespace() {
        assert!(
            words.contains(word),
            "{name}: `{word}` is no word of the unwrapped output: a word was cut\n\n{screen}"
        );
    }
    if in_order {
        let on_screen: Vec<&str> = screen.split_whitespace().collect();
        let unwrapped: Vec<&str> = reference.split_whitespace().collect();
        assert_eq!(
            on_screen, unwrapped,
            "{name}: wrapping changed more than where lines break"
        );
    }
}

fn expected_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/screens")
        .join(format!("{name}.txt"))
}

fn compare(name: &str, normalised: &str) {
    let path = expected_path(name);
    if std::env::var_os("STEADY_UPDATE_SCREENS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("tests/screens");
        std::fs::write(&path, normalised).expect("writing the expected screen");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run STEADY_UPDATE_SCREENS=1 cargo test --test e2e screens",
            path.display()
        )
    });
    assert_eq!(
        normalised, want,
        "{name}: the screen changed; if intended, STEADY_UPDATE_SCREENS=1 cargo test --test e2e screens"
    );
}

/// Runs `steady ARGS` at `width`, checks the layout rules and the expected screen.
fn screen(
    name: &str,
    width: u16,
    args: &[&str],
    in_order: bool,
    normalise: impl Fn(&str) -> String,
) {
    let quoted: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
    let pane = Pane::start(width, &format!("{} {}", steady_path(), quoted.join(" ")));
    let shown = pane.finished();
    check_layout(name, &shown, width as usize, &unwrapped(args), in_order);
    compare(name, &normalise(&shown));
}

fn as_is(s: &str) -> String {
    s.to_string()
}

#[test]
fn runbook_cards_fit_80_and_200_columns() {
    if !have_tmux() {
        return;
    }
    for (kind, width) in [
        ("fd-exhaustion", 80),
        ("fd-exhaustion", 200),
        ("memory-drift", 80),
        ("goroutine-leak", 80),
    ] {
        screen(
            &format!("runbook-{kind}-{width}"),
            width,
            &["runbook", kind],
            true,
            as_is,
        );
    }
    // The card list: names, then titles wrapped under their own column.
    screen("runbook-list-80", 80, &["runbook"], true, as_is);
}

#[test]
fn stacks_and_heap_top_fit_80_and_200_columns() {
    if !have_tmux() {
        return;
    }
    let dump = "tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt";
    let heap = "tests/fixtures/pprof/heap-t1.pb.gz";
    for width in [80, 200] {
        screen(
            &format!("stacks-file-{width}"),
            width,
            &["stacks", "--file", dump],
            false,
            as_is,
        );
        screen(
            &format!("stacks-match-{width}"),
            width,
            &["stacks", "--file", dump, "--state", "chan receive"],
            false,
            as_is,
        );
        screen(
            &format!("heap-top-{width}"),
            width,
            &["heap", "top", heap],
            false,
            as_is,
        );
    }
}

#[test]
fn triage_verdicts_and_cards_fit_80_and_200_columns() {
    if !have_tmux() {
        return;
    }
    for (fixture, width) in [("stuck", 80), ("slow-leak", 80), ("slow-leak", 200)] {
        let recording = format!("tests/fixtures/triage/{fixture}/window.jsonl");
        screen(
            &format!("triage-{fixture}-{width}"),
            width,
            &["triage", "--from", &recording],
            true,
            as_is,
        );
    }
}

/// Lowers the target's NOFILE limits so the headline does not depend on the machine's.
fn set_nofile(pid: i32, soft: u64, hard: u64) {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: prlimit(2) on our own child, with a limit we own and no old-limit pointer.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "lowering the target's RLIMIT_NOFILE");
}

#[test]
fn fds_of_a_live_target_fit_80_and_200_columns() {
    if !have_tmux() {
        return;
    }
    let target = Target::spawn(
        "fd_mix",
        &[
            "--pipes",
            "3",
            "--tcp",
            "4",
            "--files",
            "3",
            "--deleted",
            "1",
            "--eventfds",
            "2",
        ],
    );
    set_nofile(target.pid, 1024, 4096);
    let pid = target.pid_arg();
    let dir = target.dir.path().display().to_string();
    let port = target.port.to_string();
    let number = regex::Regex::new(r"\d[\d,.]*").expect("regex");
    let spaces = regex::Regex::new(r"(\S) {2,}").expect("regex");
    let aligned = regex::Regex::new(r"(?m)^ +N\b").expect("regex");
    // PID, port and temp dir vary by run; the counts with what the test process passes down
    // (inherited pipes): numbers become N, and the column padding and right alignment they
    // change are squeezed.
    let normalise = |s: &str| {
        let s = s
            .replace(&dir, "<DIR>")
            .replace(&pid, "<PID>")
            .replace(&port, "<PORT>");
        let s = number.replace_all(&s, "N");
        let s = spaces.replace_all(&s, "$1  ");
        aligned.replace_all(&s, " N").into_owned()
    };
    for width in [80, 200] {
        screen(
            &format!("fds-{width}"),
            width,
            // The three largest groups only: what else shows depends on the descriptors
            // the test's own parent passes down.
            &["fds", &pid, "--top", "3"],
            false,
            normalise,
        );
    }
}

#[test]
fn no_progress_bar_when_stdout_is_piped() {
    if !have_tmux() {
        return;
    }
    let target = Target::spawn("fd_mix", &["--pipes", "1"]);
    let bar = "second scan of PID";
    // The bar shows for the 2 s of --over and is cleared at its end: look until the command
    // is done, however slow a busy machine makes its start.
    let sees_bar = |shell: &str| {
        let pane = Pane::start(80, shell);
        let start = Instant::now();
        loop {
            let screen = pane.capture();
            if screen.contains(bar) {
                return true;
            }
            if screen.contains(DONE) {
                return false;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the command did not finish in the pane:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let run = format!("{} fds {} --over 2s", steady_path(), target.pid);
    // At a terminal the bar is drawn (so this test can tell)...
    assert!(sees_bar(&run), "no progress bar at a terminal");
    // ...but not when stdout goes to a pipe while stderr is still the terminal, nor with --json.
    assert!(
        !sees_bar(&format!("{run} | cat")),
        "a bar with stdout piped"
    );
    assert!(!sees_bar(&format!("{run} --json")), "a bar with --json");
}
