//! Heap profile analysis: flat and cumulative values per function (or per line), diffs
//! between two profiles, and folded stacks for flame graphs. Numbers follow `go tool pprof`:
//! flat is the leaf frame's, cum counts a function once per sample, inlined frames count.

use std::collections::HashMap;

use crate::model::profile::{Profile, SampleType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Functions,
    Lines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlatCum {
    pub flat: i64,
    pub cum: i64,
}

/// Flat and cum per key, for one sample type.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub sample_type: SampleType,
    pub total: i64,
    pub entries: HashMap<String, FlatCum>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopEntry {
    pub name: String,
    pub flat: i64,
    pub cum: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopReport {
    pub sample_type: SampleType,
    pub total: i64,
    /// Largest flat first (largest cum first when sorted by cum).
    pub entries: Vec<TopEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiffEntry {
    pub name: String,
    pub base: FlatCum,
    pub new: FlatCum,
}

impl DiffEntry {
    pub fn flat_delta(&self) -> i64 {
        self.new.flat - self.base.flat
    }

    pub fn cum_delta(&self) -> i64 {
        self.new.cum - self.base.cum
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiffReport {
    pub sample_type: SampleType,
    pub base_total: i64,
    pub new_total: i64,
    /// Largest growth first; entries whose values did not change are left out.
    pub entries: Vec<DiffEntry>,
    /// Sorted by cumulative growth rather than flat.
    pub by_cum: bool,
}

impl DiffReport {
    pub fn total_delta(&self) -> i64 {
        self.new_total - self.base_total
    }

    /// Whether an entry shrank, judged by the column the report is sorted by.
    pub fn is_shrinking(&self, e: &DiffEntry) -> bool {
        if self.by_cum {
            e.cum_delta() < 0
        } else {
            e.flat_delta() < 0 || (e.flat_delta() == 0 && e.cum_delta() < 0)
        }
    }

    /// Keeps the `top` largest growths and, after them, the `shrinking` largest shrinkages,
    /// which sort last and would otherwise be cut first however large they are.
    pub fn truncate(&mut self, top: usize, shrinking: usize) {
        if self.entries.len() <= top {
            return;
        }
        let tail_start = self.entries.len()
            - self.entries[top..]
                .iter()
                .rev()
                .take_while(|e| self.is_shrinking(e))
                .take(shrinking)
                .count();
        let tail: Vec<DiffEntry> = self.entries.drain(tail_start..).rev().collect();
        self.entries.truncate(top);
        self.entries.extend(tail);
    }
}

/// The key a frame is counted under.
fn frame_key(profile: &Profile, frame: usize, granularity: Granularity) -> String {
    let f = &profile.frames[frame];
    match granularity {
        Granularity::Functions => f.function.clone(),
        Granularity::Lines => format!("{} {}:{}", f.function, f.file, f.line),
    }
}

pub fn aggregate(profile: &Profile, index: usize, granularity: Granularity) -> Aggregate {
    // Intern keys once per frame, so the per-sample walk does no string work.
    let mut key_ids: HashMap<String, u32> = HashMap::new();
    let mut keys: Vec<String> = Vec::new();
    let key_of_frame: Vec<u32> = (0..profile.frames.len())
        .map(|frame| {
            let key = frame_key(profile, frame, granularity);
            *key_ids.entry(key.clone()).or_insert_with(|| {
                keys.push(key);
                (keys.len() - 1) as u32
            })
        })
        .collect();
    let mut values = vec![FlatCum::default(); keys.len()];
    // last_sample[key] = 1 + the sample that last added to its cum, to count it once per sample.
    let mut last_sample = vec![0usize; keys.len()];
    let mut total = 0i64;
    for (n, sample) in profile.samples.iter().enumerate() {
        let value = sample.values.get(index).copied().unwrap_or(0);
        if value == 0 {
            continue;
        }
        total += value;
        if let Some(&leaf) = sample.frames.first() {
            values[key_of_frame[leaf as usize] as usize].flat += value;
        }
        for &frame in &sample.frames {
            let key = key_of_frame[frame as usize] as usize;
            if last_sample[key] != n + 1 {
                last_sample[key] = n + 1;
                values[key].cum += value;
            }
        }
    }
    let entries = keys
        .into_iter()
        .zip(values)
        .filter(|(_, v)| v.flat != 0 || v.cum != 0)
        .collect();
    Aggregate {
        sample_type: profile.sample_types[index].clone(),
        total,
        entries,
    }
}

pub fn top(aggregate: Aggregate, by_cum: bool) -> TopReport {
    let mut entries: Vec<TopEntry> = aggregate
        .entries
        .into_iter()
        .map(|(name, v)| TopEntry {
            name,
            flat: v.flat,
            cum: v.cum,
        })
        .collect();
    entries.sort_by(|a, b| {
        let (ka, kb) = if by_cum {
            (a.cum, b.cum)
        } else {
            (a.flat, b.flat)
        };
        kb.cmp(&ka)
            .then(b.cum.cmp(&a.cum))
            .then_with(|| a.name.cmp(&b.name))
    });
    TopReport {
        sample_type: aggregate.sample_type,
        total: aggregate.total,
        entries,
    }
}

/// NEW − BASE per key, as `go tool pprof -base BASE NEW` computes it.
pub fn diff(base: Aggregate, new: Aggregate, by_cum: bool) -> DiffReport {
    let mut merged: HashMap<String, DiffEntry> = HashMap::new();
    for (name, v) in base.entries {
        merged.insert(
            name.clone(),
            DiffEntry {
                name,
                base: v,
                new: FlatCum::default(),
            },
        );
    }
    for (name, v) in new.entries {
        merged
            .entry(name.clone())
            .or_insert_with(|| DiffEntry {
                name,
                base: FlatCum::default(),
                new: FlatCum::default(),
            })
            .new = v;
    }
    let mut entries: Vec<DiffEntry> = merged
        .into_values()
        .filter(|e| e.flat_delta() != 0 || e.cum_delta() != 0)
        .collect();
    entries.sort_by(|a, b| {
        let (ka, kb) = if by_cum {
            (a.cum_delta(), b.cum_delta())
        } else {
            (a.flat_delta(), b.flat_delta())
        };
        kb.cmp(&ka)
            .then(b.cum_delta().cmp(&a.cum_delta()))
            .then_with(|| a.name.cmp(&b.name))
    });
    DiffReport {
        by_cum,
        sample_type: new.sample_type,
        base_total: base.total,
        new_total: new.total,
        entries,
    }
}

/// Folded stacks, root first (`a;b;c value`), for flame graphs; `;` in names is replaced
/// so it cannot split a frame.
pub fn folded(profile: &Profile, index: usize, granularity: Granularity) -> Vec<(String, i64)> {
    let names: Vec<String> = (0..profile.frames.len())
        .map(|frame| frame_key(profile, frame, granularity).replace(';', ":"))
        .collect();
    let mut stacks: HashMap<String, i64> = HashMap::new();
    for sample in &profile.samples {
        let value = sample.values.get(index).copied().unwrap_or(0);
        if value == 0 {
            continue;
        }
        let line: Vec<&str> = sample
            .frames
            .iter()
            .rev()
            .map(|&f| names[f as usize].as_str())
            .collect();
        *stacks.entry(line.join(";")).or_default() += value;
    }
    let mut lines: Vec<(String, i64)> = stacks.into_iter().collect();
    lines.sort();
    lines
}

#[cfg(test)]
mod tests {
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
        let lines = folded(&p, 0, Granularity::Functions);
        assert_eq!(
            lines,
            vec![
                ("main.main;main.handle;main.leak".to_string(), 101),
                ("main.main;main.walk".to_string(), 9),
            ]
        );
    }
}

/// Recorded profiles of the heap_leak service (tests/fixtures/pprof), checked against what
/// `go tool pprof -top -unit=B -nodecount=100000 -nodefraction=0` printed for the same files.
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::parse::pprof::decode_profile;

    const T0: &[u8] = include_bytes!("../../tests/fixtures/pprof/heap-t0.pb.gz");
    const T1: &[u8] = include_bytes!("../../tests/fixtures/pprof/heap-t1.pb.gz");
    const T1_TOP: &str = include_str!("../../tests/fixtures/pprof/heap-t1.top.inuse_space.txt");
    const T1_CUM_OBJECTS: &str =
        include_str!("../../tests/fixtures/pprof/heap-t1.top-cum.alloc_objects.txt");
    const DIFF_TOP: &str = include_str!("../../tests/fixtures/pprof/heap-diff.top.inuse_space.txt");
    const DIFF_LINES: &str =
        include_str!("../../tests/fixtures/pprof/heap-diff.lines.inuse_space.txt");

    /// (name, flat, cum) rows of go tool pprof's -top table, in raw units.
    fn pprof_rows(text: &str) -> Vec<(String, i64, i64)> {
        let value = |v: &str| v.trim_end_matches('B').parse::<i64>().expect("raw value");
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with("flat"))
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let name = f[5..].join(" ");
                (
                    name.trim_end_matches(" (inline)").to_string(),
                    value(f[0]),
                    value(f[3]),
                )
            })
            .collect()
    }

    fn decode(bytes: &[u8]) -> Profile {
        decode_profile(bytes, "fixture", 64 << 20).unwrap()
    }

    fn check(ours: Vec<(String, i64, i64)>, theirs: Vec<(String, i64, i64)>) {
        assert!(!theirs.is_empty());
        let mut ours = ours;
        let mut theirs = theirs;
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn top_equals_go_tool_pprof() {
        let p = decode(T1);
        let index = p.sample_index("inuse_space").unwrap();
        let report = top(aggregate(&p, index, Granularity::Functions), false);
        check(
            report
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.flat, e.cum))
                .collect(),
            pprof_rows(T1_TOP),
        );
        let objects = p.sample_index("alloc_objects").unwrap();
        let report = top(aggregate(&p, objects, Granularity::Functions), true);
        check(
            report
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.flat, e.cum))
                .collect(),
            pprof_rows(T1_CUM_OBJECTS),
        );
        assert!(
            report.entries.windows(2).all(|w| w[0].cum >= w[1].cum),
            "sorted by cum"
        );
    }

    #[test]
    fn diff_equals_go_tool_pprof_base() {
        let (a, b) = (decode(T0), decode(T1));
        for (granularity, expected) in [
            (Granularity::Functions, DIFF_TOP),
            (Granularity::Lines, DIFF_LINES),
        ] {
            let d = diff(
                aggregate(&a, a.sample_index("inuse_space").unwrap(), granularity),
                aggregate(&b, b.sample_index("inuse_space").unwrap(), granularity),
                false,
            );
            check(
                d.entries
                    .iter()
                    .map(|e| (e.name.clone(), e.flat_delta(), e.cum_delta()))
                    .collect(),
                pprof_rows(expected),
            );
            assert!(
                d.entries[0].name.starts_with("main.leakIntoCache"),
                "{:?}",
                d.entries[0]
            );
        }
    }

    #[test]
    fn truncated_profiles_are_errors() {
        for cut in [10, T1.len() / 2, T1.len() - 3] {
            assert!(
                decode_profile(&T1[..cut], "cut", 64 << 20).is_err(),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            decode_profile(T1, "small", 1024),
            Err(crate::parse::pprof::ProfileError::TooLarge { .. })
        ));
    }
}
