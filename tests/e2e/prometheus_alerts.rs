//! The shipped alert rules (deploy/prometheus/steady-rules.yml) in a real Prometheus that
//! scrapes a real `steady serve` watching a descriptor leak and a healthy service: the leak's
//! series rise and its FD-exhaustion alert goes pending or fires, and nothing fires for the
//! healthy one. Prometheus cannot be hurried, so the rules run with every window and `for:`
//! read in seconds instead of minutes (and hours as minutes): the expressions are the shipped
//! ones, on a clock sixty times faster.

use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use crate::services::{http_get, prometheus_with, service_binary, Server};
use crate::support::{steady, wait_until, Target};

#[derive(Debug, Deserialize)]
struct Answer<T> {
    status: String,
    data: T,
}

#[derive(Debug, Deserialize)]
struct Alerts {
    alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
struct Alert {
    labels: std::collections::HashMap<String, String>,
    state: String,
}

#[derive(Debug, Deserialize)]
struct Vector {
    result: Vec<Series>,
}

#[derive(Debug, Deserialize)]
struct Series {
    metric: std::collections::HashMap<String, String>,
    value: (f64, String),
}

/// The shipped rules on a clock sixty times faster: `30m` → `30s`, `1h` → `60s`,
/// `4 * 3600` (seconds ahead in predict_linear) → `4 * 60`.
fn fast_rules(text: &str) -> String {
    let minutes = Regex::new(r"\b(\d+)m\b").unwrap();
    let hours = Regex::new(r"\b(\d+)h\b").unwrap();
    let ahead = Regex::new(r"\b(\d+) \* 3600\b").unwrap();
    let text = minutes.replace_all(text, "${1}s");
    let text = hours.replace_all(&text, |c: &regex::Captures| {
        format!("{}s", c[1].parse::<u64>().unwrap() * 60)
    });
    ahead.replace_all(&text, "$1 * 60").into_owned()
}

fn query<T: for<'de> Deserialize<'de>>(addr: &str, path: &str) -> Option<T> {
    let body = http_get(addr, path)?;
    let answer: Answer<T> = serde_json::from_str(&body).ok()?;
    (answer.status == "success").then_some(answer.data)
}

fn alerts_for(addr: &str, pid: i32) -> Vec<(String, String)> {
    query::<Alerts>(addr, "/api/v1/alerts")
        .map(|a| a.alerts)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.labels.get("pid") == Some(&pid.to_string()))
        .map(|a| (a.labels["alertname"].clone(), a.state))
        .collect()
}

#[test]
fn a_real_prometheus_fires_fd_exhaustion_for_the_leak_and_nothing_for_the_healthy_one() {
    let Some(promtool) = service_binary("promtool", "prometheus") else {
        return;
    };
    // 5 connections a second, both ends in the process: 10 descriptors a second for two
    // minutes, against a soft limit of 2048 set below (Go raises its own to the hard limit).
    let leak = Target::spawn_go(
        "stacks_leak",
        &[
            "-mode",
            "grow-conns",
            "-rate",
            "5",
            "-limit",
            "1000",
            "-lifetime",
            "150",
        ],
    );
    let healthy = Target::spawn_go("stacks_leak", &["-mode", "healthy", "-lifetime", "150"]);
    let set = steady(&["limits", &leak.pid_arg(), "--set", "NOFILE=2048:"]);
    assert!(set.status.success(), "{set:?}");

    let serve = Server::start(&[
        "--go-interval",
        "1s",
        "--pid",
        &leak.pid_arg(),
        "--pid",
        &healthy.pid_arg(),
    ]);
    let listen = serve.address();

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/steady-rules.yml");
    let rules_dir = tempfile::tempdir().unwrap();
    let rules = rules_dir.path().join("steady-rules.yml");
    std::fs::write(
        &rules,
        fast_rules(&std::fs::read_to_string(shipped).unwrap()),
    )
    .unwrap();
    let check = std::process::Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let extra = format!("rule_files:\n  - '{}'\n", rules.display());
    let Some(prom) = prometheus_with(std::slice::from_ref(&listen), &extra, "1s") else {
        return;
    };
    let alerted = wait_until(Duration::from_secs(100), || {
        alerts_for(&prom.http, leak.pid)
            .iter()
            .any(|(name, state)| {
                name == "SteadyFdExhaustion" && (state == "pending" || state == "firing")
            })
    });
    let rising = query::<Vector>(
        &prom.http,
        "/api/v1/query?query=deriv(steady_fds_open%5B30s%5D)",
    )
    .map(|v| v.result)
    .unwrap_or_default();
    let slope = |pid: i32| {
        rising
            .iter()
            .find(|s| s.metric.get("pid") == Some(&pid.to_string()))
            .and_then(|s| s.value.1.parse::<f64>().ok())
    };
    assert!(
        alerted,
        "no SteadyFdExhaustion for the leak (PID {}): alerts {:?}, slopes {:?}\n{}",
        leak.pid,
        alerts_for(&prom.http, leak.pid),
        rising,
        prom.log()
    );
    // Ten descriptors a second, as the leak was told (within what one scrape a second sees).
    let leak_slope = slope(leak.pid).expect("a slope for the leak");
    assert!(
        (6.0..=14.0).contains(&leak_slope),
        "leak slope {leak_slope}/s"
    );
    assert!(
        slope(healthy.pid).is_some_and(|s| s.abs() < 0.5),
        "{rising:?}"
    );
    assert_eq!(
        alerts_for(&prom.http, healthy.pid),
        [],
        "the healthy service alerted"
    );
}

#[test]
fn fast_rules_read_minutes_as_seconds_and_hours_as_minutes() {
    assert_eq!(
        fast_rules("deriv(x[30m]) offset 1h for: 20m predict_linear(x[30m], 4 * 3600) 30 minutes"),
        "deriv(x[30s]) offset 60s for: 20s predict_linear(x[30s], 4 * 60) 30 minutes"
    );
}
