//! Real services from Debian (prometheus, etcd, caddy, all Go) as targets: steady's figures
//! against each service's own /metrics at the same moment, idle services judged steady, and
//! faults induced from outside only — by tests/targets/go/fault_client, a client or scrape
//! target that misbehaves — judged with the rate the service itself exports.
//!
//! Each service runs on loopback on free ports, with its data in a temp dir, and is killed by
//! PID when its guard drops, whether the test passed or not. Under CI=true a missing service
//! binary is a failure (`.ci/run` installs them); elsewhere the test says so and passes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::services::{free_port, http_get, parse_metrics, prometheus, service_binary, Service};
use crate::support::{steady_json, wait_until, Target};

#[derive(Debug, Deserialize)]
struct FdsDoc {
    total: u64,
    groups: Vec<FdGroup>,
}

#[derive(Debug, Deserialize)]
struct FdGroup {
    kind: String,
    target: String,
    count: u64,
    direction: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StacksDoc {
    total: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct HeapTopDoc {
    entries: Vec<HeapEntry>,
}

#[derive(Debug, Deserialize)]
struct HeapEntry {
    name: String,
    flat: f64,
}

#[derive(Debug, Deserialize)]
struct TriageDoc {
    window_seconds: f64,
    verdicts: Vec<Verdict>,
    memory: Memory,
    stopped_early: Option<String>,
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Memory {
    judged: bool,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    kind: String,
    rate_per_min: f64,
    evidence: Vec<String>,
    consequence_of: Option<String>,
    next_commands: Vec<String>,
}

/// One service or fault at a time: the rates are checked against the service's own figures,
/// and two tests sharing two cores would only add noise to both.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Debian's etcd, one member, with /debug/pprof on its client URL.
fn etcd() -> Option<Service> {
    let exe = service_binary("etcd", "etcd-server")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let (client, peer) = (free_port(), free_port());
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let args = vec![
        "--name=steady".to_string(),
        format!("--data-dir={}", dir.path().join("data").display()),
        format!("--listen-client-urls={client_url}"),
        format!("--advertise-client-urls={client_url}"),
        format!("--listen-peer-urls={peer_url}"),
        format!("--initial-advertise-peer-urls={peer_url}"),
        format!("--initial-cluster=steady={peer_url}"),
        "--enable-pprof".to_string(),
    ];
    let http = format!("127.0.0.1:{client}");
    Some(Service::start("etcd", &exe, &args, dir, http, client))
}

/// Debian's caddy, answering "ok" on one loopback site; /debug/pprof and /metrics on its
/// admin address.
fn caddy() -> Option<Service> {
    let exe = service_binary("caddy", "caddy")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let (site, admin) = (free_port(), free_port());
    let config = dir.path().join("Caddyfile");
    std::fs::write(
        &config,
        format!(
            "{{\n\tadmin 127.0.0.1:{admin}\n\tauto_https off\n}}\n\nhttp://127.0.0.1:{site} {{\n\trespond \"ok\"\n}}\n"
        ),
    )
    .expect("Caddyfile");
    let args = vec![
        "run".to_string(),
        "--config".to_string(),
        config.display().to_string(),
        "--adapter".to_string(),
        "caddyfile".to_string(),
    ];
    let http = format!("127.0.0.1:{admin}");
    Some(Service::start("caddy", &exe, &args, dir, http, site))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

/// One reading of the service's /metrics: when, and its unlabelled samples.
type Reading = (f64, HashMap<String, f64>);

/// The service's own /metrics, read every second on a thread while steady samples it.
struct Truth {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Reading>>>,
}

impl Truth {
    fn record(service: &Service) -> Truth {
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, flag) = (service.http.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut points = Vec::new();
            // Bounded even if nobody stops it: 10 minutes of points at most.
            for _ in 0..600 {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(text) = http_get(&addr, "/metrics") {
                    points.push((now(), parse_metrics(&text)));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            points
        });
        Truth {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<Reading> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Truth {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Least-squares slope of (t, v), per minute.
fn slope_per_min(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    assert!(n >= 3.0, "too few truth points: {points:?}");
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let stt: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    let stv: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - mv)).sum();
    stv / stt * 60.0
}

/// Runs `steady triage` with `args` and returns its document, exit code, and the part of
/// wall time it judged: its start plus the 10% warm-up it drops, to its end.
fn triage(pid: &str, args: &[&str]) -> (TriageDoc, i32, (f64, f64)) {
    let mut all = vec!["triage", pid];
    all.extend_from_slice(args);
    let began = now();
    let (doc, code): (TriageDoc, i32) = steady_json(&all);
    let ended = now();
    let judged_from = began + (ended - began) * 0.1;
    (doc, code, (judged_from, ended))
}

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

fn within(ours: f64, truth: f64, share: f64) -> bool {
    (ours - truth).abs() <= share * truth.abs()
}

/// steady against the service's own /metrics at the same moment (read just before and just
/// after each steady run), then an idle window judged steady.
fn check_idle(service: &Service) {
    let pid = service.pid_arg();
    let name = service.name;

    let before = service.metrics()["process_open_fds"];
    let (fds, code) = steady_json::<FdsDoc>(&["fds", &pid]);
    let after = service.metrics()["process_open_fds"];
    assert_eq!(code, 0, "{name}: {fds:?}");
    // The service's own scrape holds one more descriptor while it reads its fd table: ±2.
    let (lo, hi) = (before.min(after) - 2.0, before.max(after) + 2.0);
    assert!(
        (lo..=hi).contains(&(fds.total as f64)),
        "{name}: steady fds says {} open, the service says {before} then {after}",
        fds.total
    );
    let listens = fds
        .groups
        .iter()
        .find(|g| {
            g.kind == "tcp"
                // Bound to loopback or to every address, whichever the service chose.
                && g.target.ends_with(&format!(":{}", service.port))
                && g.direction.as_deref() == Some("listen")
        })
        .unwrap_or_else(|| {
            panic!(
                "{name}: no listener on port {} in {:#?}",
                service.port, fds.groups
            )
        });
    assert_eq!(listens.direction.as_deref(), Some("listen"));
    assert!(
        fds.groups
            .iter()
            .filter(|g| g.kind != "tcp" && g.kind != "udp")
            .all(|g| g.direction.is_none()),
        "{name}: only sockets have a direction: {:#?}",
        fds.groups
    );

    let before = service.metrics()["go_goroutines"];
    let (stacks, code) = steady_json::<StacksDoc>(&["stacks", &pid, "--goroutines"]);
    let after = service.metrics()["go_goroutines"];
    assert_eq!(code, 0, "{name}: {stacks:?}");
    let total = stacks.total.expect("goroutines read") as f64;
    let (lo, hi) = (before.min(after) - 5.0, before.max(after) + 5.0);
    assert!(
        (lo..=hi).contains(&total),
        "{name}: steady stacks says {total} goroutines, the service says {before} then {after}"
    );

    let (heap, code) = steady_json::<HeapTopDoc>(&["heap", "top", &pid]);
    assert_eq!(code, 0, "{name}: {heap:?}");
    assert!(
        !heap.entries.is_empty() && heap.entries.iter().any(|e| e.flat > 0.0),
        "{name}: the live heap profile has rows: {heap:?}"
    );
    eprintln!(
        "{name}: {} fds, {total} goroutines, heap top {}",
        fds.total, heap.entries[0].name
    );

    let (doc, code, _) = triage(&pid, &["--window", "60s"]);
    assert!(
        doc.verdicts.is_empty() && code == 0,
        "{name} idle: exit {code}, {:#?}\nnotes: {:?}",
        doc.verdicts,
        doc.notes
    );
    // Memory may be judged or not (an idle service can run fewer than 4 GCs in a minute);
    // not judged must say why.
    assert!(doc.memory.judged || doc.memory.reason.is_some(), "{doc:?}");
}

#[test]
fn prometheus_idle_agrees_with_its_own_metrics() {
    let _one = one_at_a_time();
    if let Some(service) = prometheus(&[]) {
        check_idle(&service);
    }
}

#[test]
fn etcd_idle_agrees_with_its_own_metrics() {
    let _one = one_at_a_time();
    if let Some(service) = etcd() {
        check_idle(&service);
    }
}

#[test]
fn caddy_idle_agrees_with_its_own_metrics() {
    let _one = one_at_a_time();
    if let Some(service) = caddy() {
        check_idle(&service);
    }
}

/// Ten clients a second that never finish their request head: caddy has no request-head
/// timeout by default, so each keeps a connection (and a goroutine) on caddy's own port.
#[test]
fn caddy_unfinished_request_heads_are_fd_exhaustion_at_its_own_rate() {
    let _one = one_at_a_time();
    let Some(service) = caddy() else { return };
    let addr = format!("127.0.0.1:{}", service.port);
    let _client = Target::spawn_go(
        "fault_client",
        &[
            "-mode",
            "slowloris",
            "-addr",
            &addr,
            "-rate",
            "10",
            "-lifetime",
            "120",
        ],
    );
    let truth = Truth::record(&service);
    // Let the pile-up start before the window, as it would have before anyone looked.
    std::thread::sleep(Duration::from_secs(3));
    let (doc, code, (from, to)) = triage(&service.pid_arg(), &["--window", "60s"]);
    let truth = truth.finish();
    assert_eq!(code, 1, "{doc:#?}");
    assert_eq!(primary(&doc), ["fd-exhaustion"], "{:#?}", doc.verdicts);
    let fd = find(&doc, "fd-exhaustion");
    let goroutines = find(&doc, "goroutine-leak");
    assert_eq!(
        goroutines.consequence_of.as_deref(),
        Some("fd-exhaustion"),
        "{goroutines:?}"
    );

    // The truth: caddy's own process_open_fds over the part of the window steady judged.
    let open: Vec<(f64, f64)> = truth
        .iter()
        .filter(|(t, _)| (from..=to).contains(t))
        .filter_map(|(t, m)| m.get("process_open_fds").map(|v| (*t, *v)))
        .collect();
    let exported = slope_per_min(&open);
    eprintln!(
        "caddy: steady {:.1} fds/min, caddy's process_open_fds {exported:.1}/min over {:.0}s ({})",
        fd.rate_per_min,
        doc.window_seconds,
        doc.stopped_early.as_deref().unwrap_or("full window")
    );
    assert!(
        within(fd.rate_per_min, exported, 0.15),
        "steady {} fds/min, caddy exports {exported}/min",
        fd.rate_per_min
    );

    // The growth is connections caddy accepted on its own port, and the card says so.
    let inbound = format!("tcp ESTABLISHED :{} <- peers grew +", service.port);
    assert!(
        fd.evidence.iter().any(|e| e.starts_with(&inbound)),
        "{:?}",
        fd.evidence
    );
    assert!(
        fd.next_commands
            .contains(&format!("steady fds {} --top 0", service.pid)),
        "the inbound card: {:?}",
        fd.next_commands
    );
    assert!(
        fd.evidence
            .iter()
            .any(|e| e.contains("goroutines per held connection")),
        "{:?}",
        fd.evidence
    );
    let (fds, _) = steady_json::<FdsDoc>(&["fds", &service.pid_arg()]);
    let accepted = fds
        .groups
        .iter()
        .find(|g| g.target == format!("127.0.0.1 -> :{}", service.port))
        .unwrap_or_else(|| panic!("{:#?}", fds.groups));
    assert_eq!(accepted.direction.as_deref(), Some("inbound"));
    assert!(accepted.count >= 100, "{accepted:?}");
}

/// A scrape target whose 500 label values are new at every scrape: Prometheus's head grows
/// by 500 series a second, and its live heap with it.
#[test]
fn prometheus_never_repeating_series_are_memory_drift_at_the_post_gc_rate() {
    let _one = one_at_a_time();
    let scrape = Target::spawn_go(
        "fault_client",
        &["-mode", "series", "-series", "500", "-lifetime", "150"],
    );
    let Some(service) = prometheus(&[format!("127.0.0.1:{}", scrape.port)]) else {
        return;
    };
    let truth = Truth::record(&service);
    let grew = wait_until(Duration::from_secs(20), || {
        service
            .metrics()
            .get("prometheus_tsdb_head_series")
            .is_some_and(|n| *n >= 1000.0)
    });
    assert!(
        grew,
        "prometheus is not scraping the target:\n{}",
        service.log()
    );
    let began = now();
    let (doc, code, (_, to)) = triage(&service.pid_arg(), &["--window", "60s"]);
    let truth = truth.finish();
    assert_eq!(code, 1, "{doc:#?}");
    assert!(doc.memory.judged, "{:?}", doc.memory);
    assert_eq!(primary(&doc), ["memory-drift"], "{:#?}", doc.verdicts);
    let memory = find(&doc, "memory-drift");

    // The truth: the live heap after each GC, as Prometheus exports it. HeapInuse and
    // HeapAlloc (go_memstats_heap_*) carry the garbage made since the last GC, so over a
    // minute their slope depends on where in the GC cycle the window ends. NextGC is set
    // when a GC ends, from the heap it marked live: under GOGC=100 (Prometheus 2.42 sets
    // no GOGC of its own, and the test starts it with none) go_memstats_next_gc_bytes / 2
    // is the post-GC live heap (plus half the stacks and globals the goal counts, a constant
    // that leaves the slope alone), and it changes only at GC ends, stamped by
    // go_memstats_last_gc_time_seconds: one point per GC, as steady judges it.
    // The same GC cycles steady saw: from the one that had last ended when triage began
    // (its first sample reports that cycle; the first reading after it began stands in)
    // to the last one before it ended.
    let gc_end = |m: &HashMap<String, f64>| {
        Some((
            *m.get("go_memstats_last_gc_time_seconds")?,
            m.get("go_memstats_next_gc_bytes")? / 2.0,
        ))
    };
    let first = truth
        .iter()
        .find(|(t, _)| *t >= began)
        .and_then(|(_, m)| gc_end(m))
        .map_or(began, |(t, _)| t);
    let mut ends: Vec<(f64, f64)> = truth
        .iter()
        .filter_map(|(_, m)| gc_end(m))
        .filter(|(t, _)| (first..=to).contains(t))
        .collect();
    ends.dedup_by(|a, b| a.0 == b.0);
    let exported = slope_per_min(&ends);
    let series = truth
        .last()
        .and_then(|(_, m)| m.get("prometheus_tsdb_head_series").copied())
        .unwrap_or(0.0);
    eprintln!(
        "prometheus: steady {:.2} MiB/min ({:?}), NextGC/2 at GC ends {:.2} MiB/min ({} GC ends: {:?}; {series} head series), {}",
        memory.rate_per_min / 1048576.0,
        memory.evidence,
        exported / 1048576.0,
        ends.len(),
        ends.iter()
            .map(|(t, v)| format!("{:.1}s {:.1} MiB", t - first, v / 1048576.0))
            .collect::<Vec<_>>(),
        doc.stopped_early.as_deref().unwrap_or("full window")
    );
    assert!(
        within(memory.rate_per_min, exported, 0.15),
        "steady {} B/min, the post-GC live heap grew {exported} B/min",
        memory.rate_per_min
    );
    assert!(
        doc.verdicts.iter().all(|v| v.kind != "fd-exhaustion"),
        "{:#?}",
        doc.verdicts
    );
}

/// Clients that open etcd watch streams (POST /v3/watch through its gRPC gateway) and keep
/// them: about six goroutines and some heap per held connection, all growing in fixed
/// proportion with the connections. One cause: fd-exhaustion, the rest its consequences.
#[test]
fn etcd_held_watch_streams_are_one_cause() {
    let _one = one_at_a_time();
    let Some(service) = etcd() else { return };
    let addr = format!("127.0.0.1:{}", service.port);
    let _client = Target::spawn_go(
        "fault_client",
        &[
            "-mode",
            "watch",
            "-addr",
            &addr,
            "-rate",
            "10",
            "-lifetime",
            "120",
        ],
    );
    let truth = Truth::record(&service);
    std::thread::sleep(Duration::from_secs(3));
    // The whole window: stopped early once the descriptors are sure (about 17 s), the live
    // heap has not yet grown the 8 MiB a memory verdict needs.
    let (doc, code, (from, to)) = triage(&service.pid_arg(), &["--window", "60s", "--full-window"]);
    let truth = truth.finish();
    assert_eq!(code, 1, "{doc:#?}");
    assert_eq!(primary(&doc), ["fd-exhaustion"], "{:#?}", doc.verdicts);
    let fd = find(&doc, "fd-exhaustion");
    let goroutines = find(&doc, "goroutine-leak");
    assert_eq!(goroutines.consequence_of.as_deref(), Some("fd-exhaustion"));
    if doc.memory.judged {
        let memory = find(&doc, "memory-drift");
        assert_eq!(
            memory.consequence_of.as_deref(),
            Some("fd-exhaustion"),
            "{memory:?}"
        );
    }
    let ratio = fd
        .evidence
        .iter()
        .find(|e| e.contains("goroutines") && e.contains("per held connection"))
        .unwrap_or_else(|| panic!("no proportion in {:?}", fd.evidence));
    let per: f64 = ratio
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{ratio}"));
    assert!((4.0..9.0).contains(&per), "{ratio}");

    // The same proportion from etcd's own figures.
    let pairs: Vec<(f64, f64, f64)> = truth
        .iter()
        .filter(|(t, _)| (from..=to).contains(t))
        .filter_map(|(t, m)| Some((*t, *m.get("process_open_fds")?, *m.get("go_goroutines")?)))
        .collect();
    let fds_rate = slope_per_min(&pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>());
    let goroutine_rate = slope_per_min(&pairs.iter().map(|p| (p.0, p.2)).collect::<Vec<_>>());
    eprintln!(
        "etcd: steady {:.1} fds/min, {ratio}; etcd exports {fds_rate:.1} fds/min and {:.1} goroutines per descriptor; memory {}",
        fd.rate_per_min,
        goroutine_rate / fds_rate,
        if doc.memory.judged { "judged" } else { "not judged" }
    );
    assert!(
        within(fd.rate_per_min, fds_rate, 0.15),
        "steady {} fds/min, etcd exports {fds_rate}/min",
        fd.rate_per_min
    );
    assert!(
        within(per, goroutine_rate / fds_rate, 0.15),
        "{ratio}; etcd's own figures give {}",
        goroutine_rate / fds_rate
    );
    assert!(
        fd.evidence
            .iter()
            .any(|e| e.starts_with(&format!("tcp ESTABLISHED :{} <- peers", service.port))),
        "{:?}",
        fd.evidence
    );
}
