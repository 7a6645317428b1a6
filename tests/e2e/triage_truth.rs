//! `steady triage PID --window 60s --json` on Go services whose heap has a known shape,
//! checked against a truth computed without steady: the runtime's own gctrace (the heap marked
//! live at each GC end) and the rate the service was told to leak at. The healthy ones must
//! get no verdict, the leaks the right kind at a rate within 15% of the post-GC truth.

use serde::Deserialize;

use crate::support::{for_each_go, steady_json, GoToolchain, Target};
use crate::truth::{live_slope_within, read_gctrace, read_truth, recording_span};

#[derive(Debug, Deserialize)]
struct Doc {
    steady: bool,
    window_seconds: f64,
    verdicts: Vec<Verdict>,
    memory: Memory,
    stopped_early: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    kind: String,
    rate_per_min: f64,
    eta_seconds: Option<f64>,
    consequence_of: Option<String>,
    stuck: Option<Stuck>,
}

#[derive(Debug, Deserialize)]
struct Memory {
    judged: bool,
    source: Option<String>,
    gc_cycles: Option<u64>,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Stuck {
    goroutines: u64,
    function: String,
    holder: Option<Holder>,
}

#[derive(Debug, Deserialize)]
struct Holder {
    state: String,
    function: String,
}

const MIB: f64 = 1024.0 * 1024.0;
/// A big live set that the GC visits often enough (GOGC=100: a cycle every ~7 s).
const BUSY: &[&str] = &["-live-mib", "100", "-garbage-mib-per-sec", "15"];

fn spawn(go: &GoToolchain, args: &[&str], env: &[(&str, &str)]) -> Target {
    let mut env = env.to_vec();
    env.push(("GODEBUG", "gctrace=1"));
    Target::spawn_go_with(go, "heap_shapes", args, &env)
}

/// The window as the JSON document and the recording of it (first and last sample time).
fn triage(target: &Target, extra: &[&str]) -> (Doc, i32, (f64, f64)) {
    let record = target.dir.path().join("window.jsonl");
    let pid = target.pid_arg();
    let mut args = vec![
        "triage",
        pid.as_str(),
        "--window",
        "60s",
        "--record",
        record.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (doc, code) = steady_json::<Doc>(&args);
    (doc, code, recording_span(&record))
}

fn primary(doc: &Doc) -> Vec<&str> {
    doc.verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
        .map(|v| v.kind.as_str())
        .collect()
}

fn memory_verdict(doc: &Doc) -> &Verdict {
    doc.verdicts
        .iter()
        .find(|v| v.kind == "memory-drift")
        .unwrap_or_else(|| panic!("no memory-drift: {doc:#?}"))
}

fn assert_within(measured: f64, truth: f64, share: f64, what: &str) {
    assert!(
        (measured - truth).abs() <= share * truth.abs(),
        "{what}: measured {:.1} MiB/min, truth {:.1} MiB/min",
        measured / MIB,
        truth / MIB
    );
}

#[test]
fn a_big_healthy_heap_that_rarely_collects_is_not_judged_and_not_called_a_leak() {
    for_each_go(|go| {
        // 150 MiB live forever, 2 MiB/s of garbage: a GC every ~55-75 s, so a minute holds
        // one at most and HeapAlloc climbs ~120 MiB between them.
        let target = spawn(go, &["-mode", "healthy"], &[]);
        let (doc, code, _) = triage(&target, &[]);
        assert_eq!(code, 0, "{doc:#?}");
        assert!(doc.steady && doc.verdicts.is_empty(), "{doc:#?}");
        assert!(!doc.memory.judged, "{:?}", doc.memory);
        let reason = doc.memory.reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("need 4") && reason.contains("--gc"),
            "{reason}"
        );
        assert!(doc.memory.gc_cycles.unwrap() < 4);
    });
}

#[test]
fn a_busy_healthy_heap_and_one_that_steps_once_are_steady() {
    for_each_go(|go| {
        let healthy = spawn(go, &[&["-mode", "healthy"], BUSY].concat(), &[]);
        let step = spawn(
            go,
            &[
                &["-mode", "step", "-step-mib", "40", "-step-at", "15s"],
                BUSY,
            ]
            .concat(),
            &[],
        );
        for target in [&healthy, &step] {
            let (doc, code, span) = triage(target, &[]);
            assert!(doc.memory.judged, "{:?}", doc.memory);
            assert_eq!(code, 0, "{doc:#?}");
            assert!(doc.verdicts.is_empty(), "{doc:#?}");
            let (_, points) = live_slope_within(target.dir.path(), span);
            assert!(points.len() >= 5, "the truth saw {} GCs", points.len());
        }
        // The step really happened inside the window: the gctrace live heap rose ~40 MiB.
        let gcs = read_gctrace(step.dir.path());
        let rise = gcs.last().unwrap().live_bytes as f64 - gcs[0].live_bytes as f64;
        assert!(rise > 30.0 * MIB, "step of {:.0} MiB", rise / MIB);
    });
}

#[test]
fn a_slow_leak_under_a_big_heap_gets_the_post_gc_rate_and_eta() {
    for_each_go(|go| {
        // 30 MiB/min under 100 MiB live and 15 MiB/s of garbage; HeapAlloc's own slope
        // between GCs is ~900 MiB/min.
        let limit = 1u64 << 30;
        let target = spawn(
            go,
            &[&["-mode", "leak", "-leak-kib-per-sec", "512"], BUSY].concat(),
            &[("GOMEMLIMIT", "1GiB")],
        );
        let (doc, code, span) = triage(&target, &[]);
        assert_eq!(code, 1, "{doc:#?}");
        assert_eq!(primary(&doc), ["memory-drift"], "{doc:#?}");
        let m = memory_verdict(&doc);
        let (truth, points) = live_slope_within(target.dir.path(), span);
        assert_within(m.rate_per_min, truth, 0.15, "post-GC slope");
        let told = read_truth(target.dir.path()).leak_bytes_per_sec as f64 * 60.0;
        assert_within(m.rate_per_min, told, 0.15, "told leak rate");
        // GOMEMLIMIT minus the live heap at the last GC, at the true rate.
        let live = points.last().unwrap().live_bytes as f64;
        let eta_truth = (limit as f64 - live) / (truth / 60.0);
        let eta = m.eta_seconds.expect("an ETA to GOMEMLIMIT");
        assert!(
            (eta - eta_truth).abs() <= 0.2 * eta_truth,
            "ETA {eta:.0}s, truth {eta_truth:.0}s"
        );
    });
}

#[test]
fn a_leak_under_gogc_off_with_gomemlimit_is_read_from_what_each_gc_marked() {
    for_each_go(|go| {
        let target = spawn(
            go,
            &[
                "-mode",
                "leak",
                "-live-mib",
                "64",
                "-garbage-mib-per-sec",
                "16",
                "-leak-kib-per-sec",
                "1024",
                "-max-leak-mib",
                "128",
            ],
            &[("GOGC", "off"), ("GOMEMLIMIT", "256MiB")],
        );
        // No heap goal to undo here (GOMEMLIMIT sets it): the live heap is TotalAlloc at each
        // GC end less the bytes freed, exact where the heap profile is a sampled estimate.
        let (doc, code, span) = triage(&target, &[]);
        assert_eq!(code, 1, "{doc:#?}");
        assert_eq!(primary(&doc), ["memory-drift"], "{doc:#?}");
        assert!(
            doc.memory
                .source
                .as_deref()
                .is_some_and(|s| s.contains("TotalAlloc")),
            "{:?}",
            doc.memory
        );
        let (truth, _) = live_slope_within(target.dir.path(), span);
        assert_within(
            memory_verdict(&doc).rate_per_min,
            truth,
            0.15,
            "post-GC slope",
        );
    });
}

#[test]
fn under_gogc_off_or_a_binding_gomemlimit_a_healthy_heap_is_steady_and_a_leak_is_measured() {
    for_each_go(|go| {
        // GOGC=off: the heap goal is the limit's, whatever is live. Garbage alone.
        let healthy = spawn(
            go,
            &[
                "-mode",
                "healthy",
                "-live-mib",
                "64",
                "-garbage-mib-per-sec",
                "16",
            ],
            &[("GOGC", "off"), ("GOMEMLIMIT", "200MiB")],
        );
        // GOGC=100 whose goal (twice the live heap, 200+ MiB) the 180 MiB limit pulls down;
        // judged after the healthy one, so the leak nears the limit in the window and the GC
        // runs dozens of times a second.
        let leak = spawn(
            go,
            &[&["-mode", "leak"], BUSY].concat(),
            &[("GOMEMLIMIT", "180MiB")],
        );
        let (doc, code, span) = triage(&healthy, &[]);
        assert_eq!(code, 0, "{doc:#?}");
        assert!(doc.memory.judged && doc.verdicts.is_empty(), "{doc:#?}");
        assert!(live_slope_within(healthy.dir.path(), span).1.len() >= 5);

        let (doc, code, span) = triage(&leak, &[]);
        assert_eq!(code, 1, "{doc:#?}");
        assert_eq!(primary(&doc), ["memory-drift"], "{doc:#?}");
        let source = doc.memory.source.as_deref().unwrap_or_default();
        assert!(source.contains("TotalAlloc"), "{source}");
        let (truth, _) = live_slope_within(leak.dir.path(), span);
        assert_within(
            memory_verdict(&doc).rate_per_min,
            truth,
            0.15,
            "post-GC slope",
        );
    });
}

#[test]
fn a_mutex_pile_up_names_the_goroutine_that_holds_it() {
    for_each_go(|go| {
        let target = spawn(go, &["-mode", "stuck"], &[]);
        let (doc, code, _) = triage(&target, &[]);
        assert_eq!(code, 1, "{doc:#?}");
        assert_eq!(primary(&doc), ["goroutine-leak"], "{doc:#?}");
        let stuck = doc.verdicts[0].stuck.as_ref().expect("stuck evidence");
        assert_eq!(stuck.goroutines, 1000);
        assert_eq!(stuck.function, "main.waitForLock");
        let holder = stuck.holder.as_ref().expect("the holder");
        assert_eq!(
            (holder.state.as_str(), holder.function.as_str()),
            ("chan send", "main.holdLockForever")
        );
        assert!(doc.stopped_early.is_some() && doc.window_seconds < 45.0);
    });
}
