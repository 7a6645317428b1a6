//! The recorded triage fixtures (tests/fixtures/triage/NAME, written by
//! scripts/record-triage-fixtures.sh from the heap_shapes target) judged again with
//! `steady triage --from`, whole and over sliding windows, against the truth recorded beside
//! each: the runtime's own gctrace (the heap marked live at each GC end) and truth.json.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::support::steady_json;
use crate::truth::{live_slope_within, read_gctrace, recording_span};

#[derive(Debug, Deserialize)]
struct Doc {
    verdicts: Vec<Verdict>,
    memory: Memory,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    kind: String,
    rate_per_min: f64,
    consequence_of: Option<String>,
    stuck: Option<Stuck>,
}

#[derive(Debug, Deserialize)]
struct Memory {
    judged: bool,
    reason: Option<String>,
    source: Option<String>,
    gc_points: Vec<LivePoint>,
}

#[derive(Debug, Deserialize)]
struct LivePoint {
    t_unix: f64,
    live_bytes: f64,
}

#[derive(Debug, Deserialize)]
struct Stuck {
    goroutines: u64,
    holder: Option<Holder>,
}

#[derive(Debug, Deserialize)]
struct Holder {
    function: String,
}

#[derive(Debug, Deserialize)]
struct Sliding {
    windows: Vec<Window>,
}

#[derive(Debug, Deserialize)]
struct Window {
    offset_seconds: f64,
    kind: Option<String>,
    rate_per_min: Option<f64>,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/triage")
        .join(name)
}

fn judge(name: &str) -> (Doc, i32) {
    let recording = fixture(name).join("window.jsonl");
    steady_json::<Doc>(&["triage", "--from", recording.to_str().unwrap()])
}

fn slide(name: &str) -> Vec<Window> {
    let recording = fixture(name).join("window.jsonl");
    let (doc, _) = steady_json::<Sliding>(&[
        "triage",
        "--from",
        recording.to_str().unwrap(),
        "--sliding",
        "60s",
        "--interval",
        "10s",
    ]);
    assert!(doc.windows.len() >= 4, "{:?}", doc.windows);
    doc.windows
}

/// The post-GC truth over the whole recording of fixture `name`.
fn truth(name: &str) -> f64 {
    let dir = fixture(name);
    live_slope_within(&dir, recording_span(&dir.join("window.jsonl"))).0
}

fn memory_rate(doc: &Doc) -> f64 {
    let primary: Vec<&Verdict> = doc
        .verdicts
        .iter()
        .filter(|v| v.consequence_of.is_none())
        .collect();
    assert_eq!(primary.len(), 1, "{doc:#?}");
    assert_eq!(primary[0].kind, "memory-drift", "{doc:#?}");
    primary[0].rate_per_min
}

#[test]
fn healthy_recordings_get_no_verdict_whole_or_sliding() {
    for name in ["big-healthy", "busy-healthy", "step"] {
        let (doc, code) = judge(name);
        assert_eq!((code, doc.verdicts.len()), (0, 0), "{name}: {doc:#?}");
        for w in slide(name) {
            assert_eq!(w.kind, None, "{name} at {}s", w.offset_seconds);
        }
    }
    let (big, _) = judge("big-healthy");
    assert!(!big.memory.judged, "{:?}", big.memory);
    assert!(big.memory.reason.unwrap().contains("need 4"));
    let (busy, _) = judge("busy-healthy");
    assert!(busy.memory.judged, "{:?}", busy.memory);
}

#[test]
fn leak_recordings_get_the_post_gc_rate_whole_and_at_every_offset() {
    for name in ["slow-leak", "gogc-off-leak", "gogc-off-leak-profile"] {
        let (doc, code) = judge(name);
        assert_eq!(code, 1, "{name}");
        let rate = memory_rate(&doc);
        let truth = truth(name);
        assert!(
            (rate - truth).abs() <= 0.15 * truth,
            "{name}: {rate:.0} B/min against the post-GC truth {truth:.0}"
        );
        // Once established, every window names the same kind at a similar rate.
        let windows = slide(name);
        let mut rates: Vec<f64> = windows
            .iter()
            .map(|w| {
                assert_eq!(
                    w.kind.as_deref(),
                    Some("memory-drift"),
                    "{name} at {}s: {windows:?}",
                    w.offset_seconds
                );
                w.rate_per_min.unwrap()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        for r in &rates {
            assert!(
                (r - median).abs() <= 0.2 * median,
                "{name}: window rates {rates:?} vary more than ±20% around {median:.0}"
            );
        }
    }
}

#[test]
fn the_stuck_recording_is_proven_stuck_with_its_holder() {
    let (doc, code) = judge("stuck");
    assert_eq!(code, 1, "{doc:#?}");
    let v = &doc.verdicts[0];
    assert_eq!(v.kind, "goroutine-leak");
    let stuck = v.stuck.as_ref().expect("stuck by identity");
    assert_eq!(stuck.goroutines, 1000);
    assert_eq!(
        stuck.holder.as_ref().map(|h| h.function.as_str()),
        Some("main.holdLockForever")
    );
}

#[test]
fn under_gogc_off_each_gc_point_is_what_that_gc_marked_live() {
    // Recorded with TotalAlloc: every point is read from the ledger, and each matches the
    // heap gctrace says that GC marked (printed in whole MiB, rounded down).
    let (doc, _) = judge("gogc-off-leak");
    let source = doc.memory.source.as_deref().unwrap_or_default();
    assert!(source.contains("TotalAlloc"), "{source}");
    let gctrace = read_gctrace(&fixture("gogc-off-leak"));
    assert!(doc.memory.gc_points.len() >= 10, "{:?}", doc.memory);
    for p in &doc.memory.gc_points {
        // gctrace stamps a cycle when it starts; the point is when it ended, a few ms later.
        let gc = gctrace
            .iter()
            .rev()
            .find(|g| g.t_unix <= p.t_unix)
            .expect("a gctrace line before the point");
        let error = p.live_bytes - gc.live_bytes as f64;
        assert!(
            (-0.5 * MIB..=1.5 * MIB).contains(&error),
            "gc {} at {:.1}: {:.1} MiB against gctrace {:.1} MiB",
            gc.seq,
            p.t_unix,
            p.live_bytes / MIB,
            gc.live_bytes as f64 / MIB
        );
    }
    // Recorded before TotalAlloc was: the heap profile's sampled in-use total stands in.
    let (old, _) = judge("gogc-off-leak-profile");
    let source = old.memory.source.as_deref().unwrap_or_default();
    assert!(source.contains("profile"), "{source}");
}

const MIB: f64 = 1024.0 * 1024.0;
