//! Test support: starts real target processes and runs the real steady binary on them.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

/// A running target. Killed (by PID) and reaped on drop, whether the test passed or not.
pub struct Target {
    child: Child,
    pub pid: i32,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Target {
    /// Starts `examples/NAME` (built from tests/targets/) with `args`, plus `--dir` pointing at
    /// a fresh temp dir, and waits for its `READY pid=… port=…` line.
    pub fn spawn(name: &str, args: &[&str]) -> Target {
        Target::spawn_exe(&example_binary(name), args)
    }

    /// Starts the Go service tests/targets/go/NAME, built with the machine's Go toolchain.
    pub fn spawn_go(name: &str, args: &[&str]) -> Target {
        Target::spawn_exe(&go_binary(name), args)
    }

    fn spawn_exe(exe: &Path, args: &[&str]) -> Target {
        let name = exe.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(exe)
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let mut target = Target {
            child,
            pid: 0,
            port: 0,
            dir,
        };
        assert!(
            matches!(read, Ok(n) if n > 0),
            "{name} exited before its ready line"
        );
        for word in line.split_whitespace() {
            if let Some(pid) = word.strip_prefix("pid=") {
                target.pid = pid.parse().expect("pid");
            } else if let Some(port) = word.strip_prefix("port=") {
                target.port = port.parse().expect("port");
            }
        }
        assert!(target.pid > 0, "no pid in ready line {line:?}");
        target
    }

    pub fn pid_arg(&self) -> String {
        self.pid.to_string()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the PID of our own child, which we have not reaped yet.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Builds tests/targets/go/NAME once per test run into target/go/NAME. Go is required: the
/// Go services are the targets that serve /debug/pprof.
pub fn go_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = repo.join("target").join("go").join(name);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|n| n == name) {
        return out;
    }
    let go = which("go").unwrap_or_else(|| {
        panic!("`go` is not installed: the heap and stacks tests need it (Debian: apt-get install -y golang-go)")
    });
    let cache = repo.join("target").join("go").join("cache");
    let status = Command::new(go)
        .args(["build", "-o"])
        .arg(&out)
        .arg(format!("./tests/targets/go/{name}"))
        .current_dir(repo)
        .env("GOCACHE", &cache)
        .env("GOPATH", repo.join("target").join("go").join("path"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .status()
        .expect("running go build");
    assert!(
        status.success(),
        "go build of tests/targets/go/{name} failed"
    );
    built.push(name.to_string());
    out
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

/// target/debug/examples/NAME, next to the directory of this test binary. `cargo test`
/// builds examples; `cargo test --test e2e` does not, so build it then.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build --example");
        assert!(status.success(), "building example {name}");
    }
    path
}

pub fn steady_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_steady"))
}

pub fn steady(args: &[&str]) -> Output {
    steady_command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running steady")
}

/// Runs steady with `--json` and parses its stdout into `T`; returns the exit code too.
pub fn steady_json<T: DeserializeOwned>(args: &[&str]) -> (T, i32) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = steady(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("steady {args:?} printed no valid JSON ({e}); exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code())
    });
    (doc, out.status.code().expect("exit code"))
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Polls `check` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// (soft, hard) of "Max open files" in /proc/PID/limits.
pub fn proc_nofile(pid: i32) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files line");
    let fields: Vec<&str> = line["Max open files".len()..].split_whitespace().collect();
    (fields[0].to_string(), fields[1].to_string())
}

pub fn has_capability(cap: u32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        })
        .is_some_and(|mask| mask & (1 << cap) != 0)
}
