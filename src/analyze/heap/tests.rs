//! Aggregation, filters, top, diff and folded stacks on small hand-made profiles.

use super::*;
use crate::model::profile::{Frame, StackSample};

fn profile(samples: &[(&[u32], i64)]) -> Profile {
    let frame = |function: &str, line| Frame {
        function: function.to_string(),
        file: "/src/main.go".to_string(),
        line,
    };
    Profile {
        sample_types: vec![SampleType {
            name: "inuse_space".into(),
            unit: "bytes".into(),
        }],
        frames: vec![
            frame("main.leak", 10),   // 0
            frame("main.handle", 20), // 1
            frame("main.main", 30),   // 2
            frame("main.leak", 12),   // 3: another line of main.leak
            frame("main.walk", 40),   // 4: recursive
        ],
        samples: samples
            .iter()
            .map(|(frames, v)| StackSample {
                frames: frames.to_vec(),
                values: vec![*v],
            })
            .collect(),
        time_nanos: 0,
        default_sample_type: None,
    }
}

#[test]
fn flat_and_cum_follow_pprof() {
    let p = profile(&[
        (&[0, 1, 2], 100),
        (&[3, 1, 2], 50),
        (&[1, 2], 7),
        (&[4, 4, 4, 2], 9),
    ]);
    let report = top(aggregate(&p, 0, Granularity::Functions), false);
    let got: Vec<(&str, i64, i64)> = report
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.flat, e.cum))
        .collect();
    assert_eq!(
        got,
        vec![
            ("main.leak", 150, 150),
            ("main.walk", 9, 9), // recursion counts once per sample
            ("main.handle", 7, 157),
            ("main.main", 0, 166),
        ]
    );
    assert_eq!(report.total, 166);
    let by_line = top(aggregate(&p, 0, Granularity::Lines), false);
    assert_eq!(by_line.entries[0].name, "main.leak /src/main.go:10");
    assert_eq!(by_line.entries[0].flat, 100);
}

#[test]
fn diff_sorts_by_growth_and_keeps_shrinking_entries() {
    let base = profile(&[(&[0, 1, 2], 100), (&[4, 2], 40)]);
    let new = profile(&[(&[0, 1, 2], 300), (&[4, 2], 10), (&[1, 2], 5)]);
    let d = diff(
        aggregate(&base, 0, Granularity::Functions),
        aggregate(&new, 0, Granularity::Functions),
        false,
    );
    let got: Vec<(&str, i64, i64)> = d
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.flat_delta(), e.cum_delta()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("main.leak", 200, 200),
            ("main.handle", 5, 205),
            ("main.main", 0, 175),
            ("main.walk", -30, -30),
        ]
    );
    assert_eq!(
        (d.base_total, d.new_total, d.total_delta()),
        (140, 315, 175)
    );
}

#[test]
fn a_cut_diff_keeps_the_largest_shrinkages() {
    let base = profile(&[(&[0, 1, 2], 100), (&[4, 2], 540)]);
    let new = profile(&[(&[0, 1, 2], 300), (&[4, 2], 10), (&[1, 2], 5)]);
    let mut d = diff(
        aggregate(&base, 0, Granularity::Functions),
        aggregate(&new, 0, Granularity::Functions),
        false,
    );
    d.truncate(1, 1);
    let got: Vec<(&str, bool)> = d
        .entries
        .iter()
        .map(|e| (e.name.as_str(), d.is_shrinking(e)))
        .collect();
    // Growth first, cut to one; then the largest shrinkage (main.walk, -530), which sorts
    // last, is kept rather than cut.
    assert_eq!(got, vec![("main.leak", false), ("main.walk", true)]);

    let mut by_cum = diff(
        aggregate(&base, 0, Granularity::Functions),
        aggregate(&new, 0, Granularity::Functions),
        true,
    );
    by_cum.truncate(10, 3);
    let labels: Vec<(&str, bool)> = by_cum
        .entries
        .iter()
        .map(|e| (e.name.as_str(), by_cum.is_shrinking(e)))
        .collect();
    // Sorted by cum, main.main's cum fell (640 -> 315) while main.handle's flat rose.
    assert_eq!(
        labels,
        vec![
            ("main.handle", false),
            ("main.leak", false),
            ("main.main", true),
            ("main.walk", true),
        ]
    );
}

#[test]
fn folded_stacks_are_root_first() {
    let p = profile(&[(&[0, 1, 2], 100), (&[0, 1, 2], 1), (&[4, 2], 9)]);
    let lines = folded(&p, 0, Granularity::Functions, &SampleFilter::default());
    assert_eq!(
        lines,
        vec![
            ("main.main;main.handle;main.leak".to_string(), 101),
            ("main.main;main.walk".to_string(), 9),
        ]
    );
}
