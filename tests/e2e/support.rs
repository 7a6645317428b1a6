//! Test support: starts real target processes and runs the real steady binary on them.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
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
        Target::spawn_exe(&example_binary(name), args, &[])
    }

    /// Starts the Go service tests/targets/go/NAME, built with the first toolchain of
    /// `STEADY_TEST_GO` (see [`go_toolchains`]).
    pub fn spawn_go(name: &str, args: &[&str]) -> Target {
        Target::spawn_go_with(&go_toolchains()[0], name, args, &[])
    }

    /// Starts tests/targets/go/NAME built with `go`, with `env` added to its environment
    /// (GOGC=off, GOMEMLIMIT, GODEBUG…).
    pub fn spawn_go_with(
        go: &GoToolchain,
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Target {
        Target::spawn_exe(&go_binary_with(go, name), args, env)
    }

    /// Starts a Go target built with a GOEXPERIMENT.
    pub fn spawn_go_experiment(
        go: &GoToolchain,
        name: &str,
        experiment: &str,
        args: &[&str],
    ) -> Target {
        Target::spawn_exe(&go_binary_experiment(go, name, experiment), args, &[])
    }

    fn spawn_exe(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Target {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(exe)
            .envs(env.iter().copied())
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
            "{} exited before its ready line",
            exe.display()
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

/// A Go toolchain the Go targets are built with: `STEADY_TEST_GO` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoToolchain {
    /// The `go` binary.
    pub path: PathBuf,
    /// As `go env GOVERSION` prints it: "go1.26.8".
    pub version: String,
}

/// The toolchains of `STEADY_TEST_GO` (space-separated `go` binaries or names on PATH;
/// default: `go` on PATH), in order, each once. Outside CI a listed toolchain that is missing
/// is left out with a note; under CI=true, and when none is left at all, it is a failure: the
/// Go services are the targets that serve /debug/pprof.
pub fn go_toolchains() -> Vec<GoToolchain> {
    static TOOLCHAINS: OnceLock<Vec<GoToolchain>> = OnceLock::new();
    TOOLCHAINS
        .get_or_init(|| {
            let listed = std::env::var("STEADY_TEST_GO").unwrap_or_default();
            let listed: Vec<&str> = match listed.split_whitespace().collect::<Vec<_>>() {
                names if names.is_empty() => vec!["go"],
                names => names,
            };
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            let mut found: Vec<GoToolchain> = Vec::new();
            for name in listed {
                match find_toolchain(name) {
                    Ok(go) if found.iter().any(|f| f.version == go.version) => {
                        eprintln!("STEADY_TEST_GO: {name} is {} again; run once", go.version);
                    }
                    Ok(go) => found.push(go),
                    Err(why) if ci => panic!("STEADY_TEST_GO lists {name}, but {why}"),
                    Err(why) => eprintln!("STEADY_TEST_GO: skipping {name}: {why}"),
                }
            }
            assert!(
                !found.is_empty(),
                "no Go toolchain: the heap and stacks tests need one (Debian: apt-get install -y golang-go)"
            );
            found
        })
        .clone()
}

/// Resolves a `STEADY_TEST_GO` entry and asks it its version; the error names the Debian
/// package that installs it.
fn find_toolchain(name: &str) -> Result<GoToolchain, String> {
    let package = debian_package(name);
    let path = if name.contains('/') {
        Some(PathBuf::from(name)).filter(|p| p.is_file())
    } else {
        which(name)
    };
    let path =
        path.ok_or_else(|| format!("it is not installed (Debian: apt-get install -y {package})"))?;
    let out = Command::new(&path)
        .args(["env", "GOVERSION"])
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| format!("running {} failed: {e}", path.display()))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !version.starts_with("go1.") {
        return Err(format!(
            "`{} env GOVERSION` said {version:?} ({}); reinstall {package}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(GoToolchain { path, version })
}

/// Debian installs Go 1.X beside the default one as /usr/lib/go-1.X/bin/go, from golang-1.X-go.
fn debian_package(name: &str) -> String {
    name.strip_prefix("/usr/lib/go-")
        .and_then(|rest| rest.split('/').next())
        .map_or_else(|| "golang-go".to_string(), |v| format!("golang-{v}-go"))
}

/// Runs `test` once per toolchain of [`go_toolchains`], every one even after a failure, then
/// fails naming each Go version that failed and why: a difference between toolchains shows
/// as one version failing, and no message leaves the version out.
pub fn for_each_go(mut test: impl FnMut(&GoToolchain)) {
    let mut failures = Vec::new();
    for go in go_toolchains() {
        // Captured with the test's output, so a failure's panic message has its toolchain above it.
        eprintln!("── {} ({})", go.version, go.path.display());
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&go)));
        if let Err(payload) = run {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failures.push(format!("{} ({}): {why}", go.version, go.path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "failed under {}",
        failures.join("\nand under ")
    );
}

/// Builds tests/targets/go/NAME with `go` once per test run into target/go/VERSION/NAME.
pub fn go_binary_with(go: &GoToolchain, name: &str) -> PathBuf {
    go_build(go, name, None)
}

/// tests/targets/go/NAME built with `go` and `GOEXPERIMENT=experiment` (e.g.
/// goroutineleakprofile), into target/go/VERSION-EXPERIMENT/NAME.
pub fn go_binary_experiment(go: &GoToolchain, name: &str, experiment: &str) -> PathBuf {
    go_build(go, name, Some(experiment))
}

fn go_build(go: &GoToolchain, name: &str, experiment: Option<&str>) -> PathBuf {
    static BUILT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flavour = match experiment {
        Some(e) => format!("{}-{e}", go.version),
        None => go.version.clone(),
    };
    let out = repo.join("target").join("go").join(flavour).join(name);
    // Held through the build: two tests asking for the same binary wait for one build.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.contains(&out) {
        return out;
    }
    let cache = repo.join("target").join("go").join("cache");
    // One module (tests/targets/go/go.mod) holds every target, so the build runs inside it
    // (Go 1.19 has no `go build -C`). GOTOOLCHAIN=local: the toolchain under test builds,
    // never one it downloads; GOPROXY=off: standard library only, no module fetched; the
    // user's GOFLAGS and any go.work stay out of it.
    let output = Command::new(&go.path)
        .args(["build", "-o"])
        .arg(&out)
        .arg(format!("./{name}"))
        .current_dir(repo.join("tests").join("targets").join("go"))
        .env("GOCACHE", &cache)
        .env("GOPATH", repo.join("target").join("go").join("path"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOWORK", "off")
        .env("GOEXPERIMENT", experiment.unwrap_or(""))
        .env_remove("GO111MODULE")
        .output()
        .expect("running go build");
    assert!(
        output.status.success(),
        "{} build of tests/targets/go/{name} failed:\n{}",
        go.version,
        String::from_utf8_lossy(&output.stderr)
    );
    built.push(out.clone());
    out
}

/// tests/targets/go/NAME built with the first toolchain of [`go_toolchains`].
pub fn go_binary(name: &str) -> PathBuf {
    go_binary_with(&go_toolchains()[0], name)
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
