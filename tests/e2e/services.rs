//! Real services started by hand for the tests (Debian's prometheus, etcd and caddy, and
//! `steady serve`): on loopback, on free ports, data in a temp dir, killed by PID when their
//! guard drops, whether the test passed or not. Under CI=true a missing binary is a failure
//! (`.ci/run` installs them); elsewhere the test says so and passes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{steady_command, wait_until};

/// A free loopback port: bound, read, released. Another process could take it in between;
/// the service then fails to start, and says so.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// The service binary, if installed. Under CI=true a missing one fails the test.
pub fn service_binary(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = format!("{name} is not installed (Debian: apt-get install -y {package})");
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "{why}; .ci/run installs it"
        );
        eprintln!("skipping: {why}");
    }
    found
}

/// A real service started by hand. Killed (SIGKILL, by PID) and reaped on drop.
pub struct Service {
    pub child: Child,
    pub pid: i32,
    /// Where its /metrics and /debug/pprof are served.
    pub http: String,
    /// The port it serves its clients on.
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub name: &'static str,
}

impl Drop for Service {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the PID of our own child, which we have not reaped yet.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Service {
    pub fn start(
        name: &'static str,
        exe: &Path,
        args: &[String],
        dir: tempfile::TempDir,
        http: String,
        port: u16,
    ) -> Service {
        let log = std::fs::File::create(dir.path().join("service.log")).expect("log file");
        let child = Command::new(exe)
            .args(args)
            .current_dir(dir.path())
            // caddy keeps its state under $HOME / XDG dirs: inside the temp dir.
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env_remove("GOGC")
            .env_remove("GOMEMLIMIT")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let pid = child.id() as i32;
        let mut service = Service {
            child,
            pid,
            http,
            port,
            dir,
            name,
        };
        let up = wait_until(Duration::from_secs(30), || {
            // A service that exited (a bad flag, a port taken) is reported at once.
            let exited = service.child.try_wait().ok().flatten();
            assert!(
                exited.is_none(),
                "{name} exited ({exited:?}):\n{}",
                service.log()
            );
            http_get(&service.http, "/metrics").is_some_and(|m| m.contains("go_goroutines"))
        });
        assert!(
            up,
            "{name} did not serve /metrics within 30s:\n{}",
            service.log()
        );
        service
    }

    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    pub fn pid_arg(&self) -> String {
        self.pid.to_string()
    }

    pub fn metrics(&self) -> HashMap<String, f64> {
        let text = http_get(&self.http, "/metrics")
            .unwrap_or_else(|| panic!("{} /metrics did not answer:\n{}", self.name, self.log()));
        parse_metrics(&text)
    }
}

/// Debian's prometheus, scraping `targets` every second (none: idle).
pub fn prometheus(targets: &[String]) -> Option<Service> {
    prometheus_with(targets, "", "1m")
}

/// Debian's prometheus scraping `targets` every second, with `extra` added to its config
/// (rule_files, say) and rules evaluated every `evaluation`.
pub fn prometheus_with(targets: &[String], extra: &str, evaluation: &str) -> Option<Service> {
    let exe = service_binary("prometheus", "prometheus")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let jobs = if targets.is_empty() {
        "scrape_configs: []\n".to_string()
    } else {
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        format!(
            "scrape_configs:\n  - job_name: fault\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        )
    };
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: {evaluation}\n{extra}{jobs}"
        ),
    )
    .expect("config");
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    let http = format!("127.0.0.1:{port}");
    Some(Service::start("prometheus", &exe, &args, dir, http, port))
}

/// A plain HTTP/1.0 GET on loopback, bounded by a 5 s timeout; the body when it answered 200.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr.parse().ok()?, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    stream.take(64 << 20).read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.")
        .then_some(())
        .filter(|_| head.split_whitespace().nth(1) == Some("200"))?;
    Some(body.to_string())
}

/// The unlabelled samples of a Prometheus text exposition: `name value`.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.contains('{'))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_string(), words.next()?.parse().ok()?))
        })
        .collect()
}

/// `steady serve`, killed by PID when the test ends, however it ends.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// `steady serve --listen 127.0.0.1:PORT ARGS…` on a free port, once it accepts
    /// connections.
    pub fn start(args: &[&str]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let server = Server {
            child: steady_command()
                .args(["serve", "--listen", &listen])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("steady serve"),
            port,
        };
        assert!(
            wait_until(Duration::from_secs(10), || TcpStream::connect(&listen)
                .is_ok()),
            "steady serve did not listen on {listen}"
        );
        server
    }

    /// Where it listens, `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the PID of our own child, which we have not reaped yet.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
