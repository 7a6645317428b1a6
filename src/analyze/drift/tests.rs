//! The classifier on synthetic windows: each detector, and how they link.

use super::*;

fn facts(go: bool) -> TargetFacts {
    TargetFacts {
        pid: 4242,
        nofile_soft: Some(1024),
        nofile_hard: Some(4096),
        cgroup_memory_limit: Some(512 << 20),
        is_go: go,
        cpus_online: 8,
        ..TargetFacts::default()
    }
}

fn window(n: usize, f: impl Fn(usize, &mut Sample)) -> Vec<Sample> {
    (0..n)
        .map(|i| {
            let mut s = Sample {
                t: 1000.0 + i as f64,
                rss: 100 << 20,
                rss_anon: 80 << 20,
                threads: 12,
                fds: 200,
                goroutines: Some(300),
                heap_alloc: Some(40 << 20),
                heap_inuse: Some(44 << 20),
                goroutines_io_wait: Some(20),
                ..Sample::default()
            };
            f(i, &mut s);
            s
        })
        .collect()
}

fn kinds(r: &TriageReport) -> Vec<&'static str> {
    r.verdicts.iter().map(|v| v.kind.name()).collect()
}

fn run(go: bool, samples: &[Sample]) -> TriageReport {
    classify(
        &facts(go),
        samples,
        &Extras::default(),
        &DriftPolicy::default(),
    )
}

#[test]
fn healthy_is_steady() {
    let r = run(
        true,
        &window(60, |i, s| {
            s.fds = 200 + (i % 3) as u64;
            s.goroutines = Some(300 + (i % 5) as u64);
        }),
    );
    assert!(r.verdicts.is_empty(), "{:?}", r.verdicts);
    assert_eq!((r.samples, r.window_seconds), (60, 59.0));
}

#[test]
fn fd_leak_with_eta_and_the_growing_group() {
    let r = run(
        true,
        &window(60, |i, s| {
            s.fds = 200 + 5 * i as u64;
            s.fd_groups
                .insert("tcp ESTABLISHED -> 10.0.3.7:5432".into(), 5 * i as u64);
            s.fd_groups.insert("pipe".into(), 6);
        }),
    );
    assert_eq!(kinds(&r), ["fd-exhaustion"]);
    let v = &r.verdicts[0];
    assert!((v.rate_per_min - 300.0).abs() < 1.0, "{v:?}");
    // 1024 - 495 left at 5/s.
    assert!((v.eta_seconds.unwrap() - (1024.0 - 495.0) / 5.0).abs() < 1.0);
    assert!(
        v.evidence.iter().any(|e| matches!(e,
            Evidence::GrowingGroup { group, delta, .. }
                if group == "tcp ESTABLISHED -> 10.0.3.7:5432" && *delta == 5 * 53)), // after warm-up
        "{:?}",
        v.evidence
    );
    assert!(v.confidence > 0.9);
}

#[test]
fn a_step_and_a_warm_up_are_not_drift() {
    let step = run(
        false,
        &window(60, |i, s| s.fds = if i < 30 { 200 } else { 600 }),
    );
    assert!(step.verdicts.is_empty(), "{:?}", step.verdicts);
    let warm = run(
        false,
        &window(60, |i, s| {
            s.threads = if i < 5 { 2 + 4 * i as u64 } else { 22 }
        }),
    );
    assert!(warm.verdicts.is_empty(), "{:?}", warm.verdicts);
}

const MIB: f64 = 1024.0 * 1024.0;

/// A Go heap over `n` one-second samples with a GC every `gc_every` seconds: `live(t)` is
/// what is really live, garbage accrues at `garbage` bytes/s between cycles, and the in-use
/// spans hold `free(t)` bytes beyond the objects. Figures that change only at GC ends
/// (NextGC, the profile) hold the live heap as of the last cycle, as the runtime's do.
fn gc_window(
    n: usize,
    gc_every: f64,
    live: impl Fn(f64) -> f64,
    garbage: f64,
    free: impl Fn(f64) -> f64,
) -> Vec<Sample> {
    window(n, |i, s| {
        let t = i as f64;
        let cycle = (t / gc_every).floor();
        let at_gc = cycle * gc_every;
        let alloc = live(t) + garbage * (t - at_gc);
        s.heap_alloc = Some(alloc as u64);
        s.heap_inuse = Some((alloc + free(at_gc)) as u64);
        s.next_gc = Some((2.0 * live(at_gc)) as u64);
        s.heap_live_profile = Some(live(at_gc) as u64);
        s.num_gc = Some(10 + cycle as u64);
        s.last_gc = Some(1000.0 + at_gc - 0.5);
    })
}

fn memory_rate(r: &TriageReport) -> f64 {
    r.verdicts
        .iter()
        .find(|v| v.kind == DriftKind::MemoryDrift)
        .map(|v| v.rate_per_min)
        .unwrap_or_else(|| panic!("no memory drift: {:#?}", r.verdicts))
}

#[test]
fn a_big_healthy_heap_with_no_gc_in_the_window_is_not_judged() {
    // 150 MiB live, 2 MiB/s of garbage, no GC in 60 s: HeapAlloc climbs 118 MiB.
    let r = run(
        true,
        &gc_window(60, 1e9, |_| 150.0 * MIB, 2.0 * MIB, |_| 4.0 * MIB),
    );
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
    assert!(!r.memory.judged);
    let reason = r.memory.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("0 GC cycles in 59s, need 4: widen --window to ~")
            && reason.contains("--gc"),
        "{reason}"
    );
    assert!(r
        .notes
        .iter()
        .any(|n| n.starts_with("memory not judged: 0 GC cycles")));
    // Two cycles are still too few.
    let two = run(
        true,
        &gc_window(60, 25.0, |_| 150.0 * MIB, 2.0 * MIB, |_| 4.0 * MIB),
    );
    assert_eq!(two.memory.gc_cycles, Some(2));
    assert!(!two.memory.judged && two.verdicts.is_empty());
}

#[test]
fn a_big_healthy_heap_that_collects_is_judged_steady() {
    // Garbage fills spans between GCs (HeapInuse climbs with HeapAlloc): neither drift nor
    // fragmentation, because both are read at GC ends.
    let r = run(
        true,
        &gc_window(60, 5.0, |_| 150.0 * MIB, 20.0 * MIB, |_| 4.0 * MIB),
    );
    assert!(r.memory.judged, "{:?}", r.memory);
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
}

#[test]
fn a_leak_under_a_big_heap_gets_the_post_gc_rate() {
    // 1 MiB/s under 150 MiB live and 20 MiB/s of garbage: 60 MiB/min, not HeapAlloc's slope.
    let r = run(
        true,
        &gc_window(
            60,
            5.0,
            |t| 150.0 * MIB + t * MIB,
            20.0 * MIB,
            |_| 4.0 * MIB,
        ),
    );
    assert_eq!(kinds(&r), ["memory-drift"]);
    let rate = memory_rate(&r) / MIB;
    assert!((rate - 60.0).abs() < 60.0 * 0.05, "{rate} MiB/min");
    assert_eq!(r.verdicts[0].limit.unwrap().0, "cgroup memory.max");
    assert!(r.memory.source.unwrap().contains("NextGC"));
}

/// A GOGC=off heap under GOMEMLIMIT as MemStats tells it: a GC every 5 s ending at `g` half a
/// second before the cycle count is first seen to move, TotalAlloc everything ever allocated,
/// HeapAlloc the live heap as of `g` plus all allocated since (nothing is freed before the
/// next GC), and a heap goal pinned near the limit.
fn ledger_window(
    live: impl Fn(f64) -> f64,
    garbage: f64,
    profile: impl Fn(f64) -> f64,
) -> Vec<Sample> {
    window(60, |i, s| {
        let t = i as f64;
        let g = (t / 5.0).floor() * 5.0 - 0.5;
        s.total_alloc = Some((live(t) + garbage * t) as u64 + (1 << 30));
        s.heap_alloc = Some((live(t) + garbage * (t - g)) as u64);
        s.heap_inuse = Some(s.heap_alloc.unwrap() + (2 << 20));
        s.next_gc = Some(480 << 20);
        s.heap_live_profile = Some(profile(g) as u64);
        s.num_gc = Some(10 + (t / 5.0).floor() as u64);
        s.last_gc = Some(1000.0 + g);
        s.memstats_t = Some(s.t);
    })
}

fn gogc_off() -> TargetFacts {
    let mut f = facts(true);
    f.gogc = Some("off".into());
    f.gomemlimit = Some(512 << 20);
    f.gomemlimit_set = true;
    f
}

#[test]
fn a_leak_under_gogc_off_is_read_from_what_each_gc_marked() {
    // The profile, a sampled estimate, is off by up to ±30% here: not used.
    let noisy = |g: f64| (100.0 * MIB + g * MIB) * (1.0 + 0.3 * (g * 1.7).sin());
    let samples = ledger_window(|t| 100.0 * MIB + t * MIB, 20.0 * MIB, noisy);
    let r = classify(
        &gogc_off(),
        &samples,
        &Extras::default(),
        &DriftPolicy::default(),
    );
    assert_eq!(kinds(&r), ["memory-drift"]);
    assert!(r.memory.source.unwrap().contains("TotalAlloc"));
    for (t, live) in &r.memory.gc_points {
        let truth = 100.0 * MIB + (t - 1000.0) * MIB;
        assert!(
            (live - truth).abs() < 1024.0,
            "at {t}: {live} against {truth}"
        );
    }
    assert!((memory_rate(&r) / MIB - 60.0).abs() < 0.5);

    // A healthy one: garbage alone, nothing marked grows.
    let healthy = ledger_window(|_| 100.0 * MIB, 20.0 * MIB, noisy);
    let r = classify(
        &gogc_off(),
        &healthy,
        &Extras::default(),
        &DriftPolicy::default(),
    );
    assert!(
        r.memory.judged && r.verdicts.is_empty(),
        "{:#?}",
        r.verdicts
    );
}

#[test]
fn a_gc_end_read_before_its_sweep_could_finish_is_left_out() {
    let mut samples = ledger_window(|t| 100.0 * MIB + t * MIB, 20.0 * MIB, |_| 0.0);
    // The cycle that ended at 1014.5 was last read 2 ms after it ended (its only sample).
    for s in samples.iter_mut().filter(|s| s.num_gc == Some(13)) {
        s.memstats_t = Some(1014.502);
    }
    samples.retain(|s| s.num_gc != Some(13) || s.t == 1015.0);
    let r = classify(
        &gogc_off(),
        &samples,
        &Extras::default(),
        &DriftPolicy::default(),
    );
    let ends: Vec<f64> = r.memory.gc_points.iter().map(|p| p.0).collect();
    assert!(
        !ends.contains(&1014.5) && ends.contains(&1019.5),
        "{ends:?}"
    );
}

#[test]
fn a_leak_under_gogc_off_recorded_without_total_alloc_is_read_from_the_profile() {
    let f = gogc_off();
    let mut samples = gc_window(60, 5.0, |t| 100.0 * MIB + t * MIB, 20.0 * MIB, |_| 0.0);
    // Under a memory limit the heap goal sits near the limit, whatever is live.
    for s in &mut samples {
        s.next_gc = Some(480 << 20);
    }
    let r = classify(&f, &samples, &Extras::default(), &DriftPolicy::default());
    assert_eq!(kinds(&r), ["memory-drift"]);
    assert!(r.memory.source.unwrap().contains("profile"));
    let rate = memory_rate(&r) / MIB;
    assert!((rate - 60.0).abs() < 3.0, "{rate}");
}

#[test]
fn a_heap_that_steps_once_and_stays_is_not_drift() {
    let r = run(
        true,
        &gc_window(
            60,
            5.0,
            |t| if t < 30.0 { 100.0 * MIB } else { 140.0 * MIB },
            10.0 * MIB,
            |_| 4.0 * MIB,
        ),
    );
    assert!(r.memory.judged);
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
}

#[test]
fn fragmentation_is_free_space_in_spans_at_gc_ends() {
    let r = run(
        true,
        &gc_window(
            60,
            5.0,
            |_| 40.0 * MIB,
            5.0 * MIB,
            |t| 4.0 * MIB + t * MIB / 2.0,
        ),
    );
    assert_eq!(kinds(&r), ["allocator-fragmentation"]);
}

#[test]
fn goroutines_holding_leaked_connections_are_a_consequence() {
    let r = run(
        true,
        &window(60, |i, s| {
            s.fds = 200 + 2 * i as u64;
            s.goroutines = Some(300 + 4 * i as u64);
        }),
    );
    let g = r
        .verdicts
        .iter()
        .find(|v| v.kind == DriftKind::GoroutineLeak)
        .unwrap();
    assert_eq!(g.consequence_of, Some(DriftKind::FdExhaustion));
    let t = run(
        true,
        &window(60, |i, s| {
            s.threads = 12 + i as u64;
            s.goroutines = Some(300 + i as u64 * 60);
        }),
    );
    let g = t
        .verdicts
        .iter()
        .find(|v| v.kind == DriftKind::GoroutineLeak)
        .unwrap();
    assert_eq!(
        g.consequence_of, None,
        "60 goroutines per thread: two causes"
    );
}

#[test]
fn deadline_drift_from_a_probe_and_inferred() {
    let mut f = facts(true);
    f.probe_url = Some("http://127.0.0.1:8080/healthz".into());
    let probed = window(60, |i, s| s.probe_seconds = Some(0.010 + 0.002 * i as f64));
    let r = classify(&f, &probed, &Extras::default(), &DriftPolicy::default());
    assert_eq!(kinds(&r), ["deadline-drift"]);
    assert!(!r.verdicts[0].inferred);
    let p = r.probe.unwrap().latency.unwrap();
    assert!(p.p99_last > p.p99_first * 1.5);
    let inferred = run(
        true,
        &window(60, |i, s| s.goroutines_io_wait = Some(20 + 3 * i as u64)),
    );
    let v = inferred
        .verdicts
        .iter()
        .find(|v| v.kind == DriftKind::DeadlineDrift)
        .unwrap();
    assert!(v.inferred);
}

#[test]
fn goroutines_waiting_on_io_are_deadline_drift_not_a_leak() {
    let r = run(
        true,
        &window(60, |i, s| {
            s.goroutines = Some(100 + 3 * i as u64);
            s.goroutines_io_wait = Some(20 + 3 * i as u64);
        }),
    );
    let primary: Vec<&str> = r
        .verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
        .map(|v| v.kind.name())
        .collect();
    assert_eq!(primary, ["deadline-drift"], "{:#?}", r.verdicts);
    let g = r
        .verdicts
        .iter()
        .find(|v| v.kind == DriftKind::GoroutineLeak)
        .unwrap();
    assert_eq!(g.consequence_of, Some(DriftKind::DeadlineDrift));

    // The same pile-up beside leaking descriptors is the descriptors' doing.
    let r = run(
        true,
        &window(60, |i, s| {
            s.goroutines = Some(100 + 3 * i as u64);
            s.goroutines_io_wait = Some(20 + 3 * i as u64);
            s.fds = 50 + 3 * i as u64;
        }),
    );
    let d = r
        .verdicts
        .iter()
        .find(|v| v.kind == DriftKind::DeadlineDrift)
        .unwrap();
    assert_eq!(d.consequence_of, Some(DriftKind::FdExhaustion));
}

#[test]
fn a_pile_up_that_stopped_growing_but_waits_for_minutes_is_a_stuck_leak() {
    use crate::analyze::policy::StacksPolicy;
    use crate::analyze::stacks::{goroutine_report, GroupFilter};
    use crate::parse::goroutines::parse_dump;

    let mut dump =
        String::from("goroutine 1 [select, 50 minutes]:\nmain.main()\n\t/app/main.go:9 +0x1d\n\n");
    for id in 10..130 {
        dump += &format!(
            "goroutine {id} [chan receive, {} minutes]:\nmain.waitForReply(...)\n\t/app/client.go:41\nmain.call(0xc000010000?)\n\t/app/client.go:28 +0x5b\ncreated by main.serve in goroutine 1\n\t/app/server.go:17 +0x4f\n\n",
            40 + id % 7
        );
    }
    let parsed = parse_dump(dump.as_bytes(), "dump", false).unwrap();
    let report = goroutine_report(parsed, &GroupFilter::default(), &StacksPolicy::default(), 5);
    let extras = Extras {
        final_goroutine_groups: report.groups,
        ..Extras::default()
    };
    let flat = window(60, |_, s| s.goroutines = Some(121));
    let r = classify(&facts(true), &flat, &extras, &DriftPolicy::default());
    assert_eq!(kinds(&r), ["goroutine-leak"], "{:#?}", r.verdicts);
    let v = &r.verdicts[0];
    assert_eq!((v.rate_per_min, v.current), (0.0, 120.0));
    assert!(
        v.evidence.iter().any(|e| matches!(e,
            Evidence::LargestGroup { goroutines: 120, function, .. } if function == "main.waitForReply")),
        "{:?}",
        v.evidence
    );

    // The same goroutines with no ages yet (no GC since they blocked) are not judged stuck.
    let young = dump
        .lines()
        .map(|l| match l.split_once(", ") {
            Some((head, _)) if l.starts_with("goroutine ") => format!("{head}]:"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let parsed = parse_dump(young.as_bytes(), "dump", false).unwrap();
    let extras = Extras {
        final_goroutine_groups: goroutine_report(
            parsed,
            &GroupFilter::default(),
            &StacksPolicy::default(),
            5,
        )
        .groups,
        ..Extras::default()
    };
    let r = classify(&facts(true), &flat, &extras, &DriftPolicy::default());
    assert!(r.verdicts.is_empty(), "{:#?}", r.verdicts);
}

#[test]
fn too_few_samples_are_not_judged() {
    let r = run(true, &window(3, |i, s| s.fds = 50 + 100 * i as u64));
    assert!(!r.judged && r.verdicts.is_empty());
    assert!(run(true, &window(60, |_, _| {})).judged);
}

#[test]
fn static_checks_fire() {
    let mut f = facts(true);
    f.cpu_quota = Some(2.0);
    let last = Sample {
        rss: 500 << 20,
        ..Sample::default()
    };
    let ids: Vec<&str> = static_checks(&f, Some(&last), &DriftPolicy::default())
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids,
        [
            "go-no-gomemlimit",
            "gomaxprocs-above-quota",
            "nofile-1024",
            "rss-near-cgroup-limit"
        ]
    );
    f.gomemlimit_set = true;
    f.gomaxprocs = Some(2);
    f.nofile_soft = Some(65536);
    assert!(static_checks(&f, Some(&Sample::default()), &DriftPolicy::default()).is_empty());
}

#[test]
fn too_few_samples_say_nothing() {
    assert!(run(true, &window(3, |i, s| s.fds = 200 + 100 * i as u64))
        .verdicts
        .is_empty());
    assert!(run(true, &[]).verdicts.is_empty());
}

#[test]
fn the_runtimes_leak_profile_is_a_goroutine_leak_whatever_the_count() {
    use crate::parse::goroutines::parse_dump;
    let text = include_str!(
        "../../../tests/fixtures/goroutines/go1.26.8-chan-leak-detected-goroutineleak-debug1.txt"
    );
    let dump = parse_dump(text.as_bytes(), "goroutineleak", false).unwrap();
    assert_eq!(dump.total, 30);
    let extras = Extras {
        leak_profile: Some(dump),
        ..Extras::default()
    };
    // 30 goroutines, flat: below every count threshold, but the runtime proved them leaked.
    let flat = window(60, |_, s| s.goroutines = Some(40));
    let r = classify(&facts(true), &flat, &extras, &DriftPolicy::default());
    assert_eq!(kinds(&r), ["goroutine-leak"], "{:#?}", r.verdicts);
    assert!(matches!(
        &r.verdicts[0].evidence[0],
        Evidence::LeakProfile { goroutines: 30, function, .. } if function == "main.leakOnChannel"
    ));
    let empty = Extras {
        leak_profile: Some(Default::default()),
        ..Extras::default()
    };
    assert!(
        classify(&facts(true), &flat, &empty, &DriftPolicy::default())
            .verdicts
            .is_empty()
    );
}
