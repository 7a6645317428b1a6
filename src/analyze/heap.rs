//! Heap profile analysis: flat and cumulative values per function (or per line), diffs
//! between two profiles, and folded stacks for flame graphs. Numbers follow `go tool pprof`:
//! flat is the leaf frame's, cum counts a function once per sample, inlined frames count.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

use crate::model::profile::{Profile, SampleType};

/// `--focus` and `--ignore`, as go tool pprof's -focus and -ignore: a sample is dropped when
/// any of its frames matches `ignore`, and kept only when one matches `focus`. A frame matches
/// by its function name or its file name. (pprof also matches the path of the binary a
/// location is mapped from, which in a static Go binary is every location; steady matches
/// frames only.)
#[derive(Debug, Clone, Default)]
pub struct SampleFilter {
    pub focus: Option<Regex>,
    pub ignore: Option<Regex>,
}

impl SampleFilter {
    pub fn is_empty(&self) -> bool {
        self.focus.is_none() && self.ignore.is_none()
    }

    /// `focus=… ignore=…`, as pprof's "Active filters"; None without filters.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [("focus", &self.focus), ("ignore", &self.ignore)]
            .into_iter()
            .filter_map(|(name, re)| re.as_ref().map(|re| format!("{name}={}", re.as_str())))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// Per sample, whether it passes.
    pub fn keeps(&self, profile: &Profile) -> Vec<bool> {
        if self.is_empty() {
            return vec![true; profile.samples.len()];
        }
        let matches = |re: &Option<Regex>| -> Vec<bool> {
            profile
                .frames
                .iter()
                .map(|f| {
                    re.as_ref()
                        .is_some_and(|re| re.is_match(&f.function) || re.is_match(&f.file))
                })
                .collect()
        };
        let (focus, ignore) = (matches(&self.focus), matches(&self.ignore));
        profile
            .samples
            .iter()
            .map(|s| {
                let any = |m: &[bool]| s.frames.iter().any(|&f| m[f as usize]);
                !any(&ignore) && (self.focus.is_none() || any(&focus))
            })
            .collect()
    }

    /// Whether `--focus` matches any frame of the profile (true without --focus).
    pub fn focus_matches(&self, profile: &Profile) -> bool {
        self.focus.as_ref().is_none_or(|re| {
            profile
                .frames
                .iter()
                .any(|f| re.is_match(&f.function) || re.is_match(&f.file))
        })
    }
}

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
    /// Every sample, filtered or not: what percentages are of, as in pprof.
    pub total: i64,
    /// The samples that passed the filter (equal to `total` without one).
    pub kept_total: i64,
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
    /// The samples that passed --focus / --ignore.
    pub kept_total: i64,
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
    /// The totals of the samples that passed --focus / --ignore.
    pub base_kept: i64,
    pub new_kept: i64,
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
    aggregate_filtered(profile, index, granularity, &SampleFilter::default())
}

/// [`aggregate`] of the samples `filter` keeps; `total` still counts every sample.
pub fn aggregate_filtered(
    profile: &Profile,
    index: usize,
    granularity: Granularity,
    filter: &SampleFilter,
) -> Aggregate {
    let keeps = filter.keeps(profile);
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
    let (mut total, mut kept_total) = (0i64, 0i64);
    for (n, sample) in profile.samples.iter().enumerate() {
        let value = sample.values.get(index).copied().unwrap_or(0);
        if value == 0 {
            continue;
        }
        total += value;
        if !keeps[n] {
            continue;
        }
        kept_total += value;
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
        kept_total,
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
        kept_total: aggregate.kept_total,
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
        base_kept: base.kept_total,
        new_kept: new.kept_total,
        entries,
    }
}

/// Folded stacks, root first (`a;b;c value`), for flame graphs; `;` in names is replaced
/// so it cannot split a frame.
pub fn folded(
    profile: &Profile,
    index: usize,
    granularity: Granularity,
    filter: &SampleFilter,
) -> Vec<(String, i64)> {
    let keeps = filter.keeps(profile);
    let names: Vec<String> = (0..profile.frames.len())
        .map(|frame| frame_key(profile, frame, granularity).replace(';', ":"))
        .collect();
    let mut stacks: HashMap<String, i64> = HashMap::new();
    for (sample, _) in profile.samples.iter().zip(&keeps).filter(|(_, k)| **k) {
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

/// One source line of a listed function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLine {
    pub line: i64,
    pub flat: i64,
    pub cum: i64,
}

/// A function `heap list` shows: its figures per line, as go tool pprof -list (line
/// granularity: flat is the leaf line's, cum counts a line once per sample), and their sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFunction {
    pub name: String,
    pub file: String,
    pub flat: i64,
    pub cum: i64,
    /// Ascending by line; lines with no value left out.
    pub lines: Vec<ListedLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListReport {
    pub sample_type: SampleType,
    pub total: i64,
    pub kept_total: i64,
    /// By name, then file.
    pub functions: Vec<ListedFunction>,
}

/// Per-line figures of every function whose name matches `pattern`, from the profile's line
/// table (no source files needed).
pub fn list(profile: &Profile, index: usize, pattern: &Regex, filter: &SampleFilter) -> ListReport {
    let listed: Vec<bool> = profile
        .frames
        .iter()
        .map(|f| pattern.is_match(&f.function))
        .collect();
    let keeps = filter.keeps(profile);
    // Frames are interned by (function, file, line): a frame index is a line of a function.
    let mut per_frame = vec![(0i64, 0i64); profile.frames.len()];
    let mut last_sample = vec![0usize; profile.frames.len()];
    let (mut total, mut kept_total) = (0i64, 0i64);
    for (n, sample) in profile.samples.iter().enumerate() {
        let value = sample.values.get(index).copied().unwrap_or(0);
        if value == 0 {
            continue;
        }
        total += value;
        if !keeps[n] {
            continue;
        }
        kept_total += value;
        if let Some(&leaf) = sample.frames.first() {
            if listed[leaf as usize] {
                per_frame[leaf as usize].0 += value;
            }
        }
        for &f in &sample.frames {
            let f = f as usize;
            if listed[f] && last_sample[f] != n + 1 {
                last_sample[f] = n + 1;
                per_frame[f].1 += value;
            }
        }
    }
    let mut functions: BTreeMap<(&str, &str), ListedFunction> = BTreeMap::new();
    for (frame, &(flat, cum)) in profile.frames.iter().zip(&per_frame) {
        if flat == 0 && cum == 0 {
            continue;
        }
        let entry = functions
            .entry((frame.function.as_str(), frame.file.as_str()))
            .or_insert_with(|| ListedFunction {
                name: frame.function.clone(),
                file: frame.file.clone(),
                flat: 0,
                cum: 0,
                lines: Vec::new(),
            });
        entry.flat += flat;
        entry.cum += cum;
        entry.lines.push(ListedLine {
            line: frame.line,
            flat,
            cum,
        });
    }
    let mut functions: Vec<ListedFunction> = functions.into_values().collect();
    for f in &mut functions {
        f.lines.sort_by_key(|l| l.line);
    }
    ListReport {
        sample_type: profile.sample_types[index].clone(),
        total,
        kept_total,
        functions,
    }
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
        let lines = folded(&p, 0, Granularity::Functions, &SampleFilter::default());
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
    const FOCUS_BUFIO: &str =
        include_str!("../../tests/fixtures/pprof/heap-t1.top.inuse_space.focus-bufio.txt");
    const IGNORE_HTTP: &str =
        include_str!("../../tests/fixtures/pprof/heap-t1.top.alloc_space.ignore-http-compress.txt");
    const FOCUS_HTTP_IGNORE_BUFIO: &str = include_str!(
        "../../tests/fixtures/pprof/heap-t1.top.alloc_objects.focus-http-ignore-bufio.txt"
    );
    const DIFF_FOCUS: &str = include_str!(
        "../../tests/fixtures/pprof/heap-diff.top.inuse_space.focus-crc32-runtime.txt"
    );
    const LIST_MAIN_BUFIO: &str =
        include_str!("../../tests/fixtures/pprof/heap-t1.list.inuse_space.main-bufio.txt");
    const LIST_HTTP: &str =
        include_str!("../../tests/fixtures/pprof/heap-t1.list.alloc_space.http-ignore-bufio.txt");

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

    fn filter(focus: Option<&str>, ignore: Option<&str>) -> SampleFilter {
        SampleFilter {
            focus: focus.map(|f| Regex::new(f).unwrap()),
            ignore: ignore.map(|i| Regex::new(i).unwrap()),
        }
    }

    /// pprof's "Showing nodes accounting for N, P% of T total": (N, T).
    fn pprof_totals(text: &str) -> (i64, i64) {
        let line = text
            .lines()
            .find(|l| l.starts_with("Showing nodes accounting for"))
            .unwrap();
        let raw = |v: &str| -> i64 {
            let v = v.trim().trim_end_matches(',').trim_end_matches('B');
            v.parse().unwrap()
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        (raw(words[4]), raw(words[7]))
    }

    #[test]
    fn focus_and_ignore_equal_go_tool_pprof() {
        let (t0, t1) = (decode(T0), decode(T1));
        // (go tool pprof output, sample type, -focus, -ignore); recorded with the commands in
        // tests/fixtures/pprof/README.md.
        let cases = [
            (FOCUS_BUFIO, "inuse_space", Some("bufio"), None),
            (IGNORE_HTTP, "alloc_space", None, Some("net/http|compress")),
            (
                FOCUS_HTTP_IGNORE_BUFIO,
                "alloc_objects",
                Some("net/http"),
                Some("bufio"),
            ),
        ];
        for (expected, sample, focus, ignore) in cases {
            let f = filter(focus, ignore);
            let index = t1.sample_index(sample).unwrap();
            let agg = aggregate_filtered(&t1, index, Granularity::Functions, &f);
            assert_eq!(
                (agg.kept_total, agg.total),
                pprof_totals(expected),
                "{sample} {focus:?} {ignore:?}"
            );
            let report = top(agg, false);
            check(
                report
                    .entries
                    .iter()
                    .map(|e| (e.name.clone(), e.flat, e.cum))
                    .collect(),
                pprof_rows(expected),
            );
        }
        // A diff, focused: -focus with -base.
        let f = filter(Some("crc32|runtime"), None);
        let index = |p: &Profile| p.sample_index("inuse_space").unwrap();
        let d = diff(
            aggregate_filtered(&t0, index(&t0), Granularity::Functions, &f),
            aggregate_filtered(&t1, index(&t1), Granularity::Functions, &f),
            false,
        );
        check(
            d.entries
                .iter()
                .map(|e| (e.name.clone(), e.flat_delta(), e.cum_delta()))
                .collect(),
            pprof_rows(DIFF_FOCUS),
        );
        // Folded stacks pass the same samples.
        let f = filter(Some("bufio"), None);
        let stacks = folded(&t1, index(&t1), Granularity::Functions, &f);
        assert!(!stacks.is_empty() && stacks.iter().all(|(s, _)| s.contains("bufio")));
        let sum: i64 = stacks.iter().map(|(_, v)| v).sum();
        assert_eq!(sum, pprof_totals(FOCUS_BUFIO).0);
    }

    /// ROUTINE blocks of go tool pprof -list: (function, file, flat, cum, [(line, flat, cum)]),
    /// lines with a value only.
    type Routine = (String, String, i64, i64, Vec<(i64, i64, i64)>);

    fn pprof_routines(text: &str) -> Vec<Routine> {
        let value = |v: &str| -> i64 {
            match v {
                "." => 0,
                v => v.trim_end_matches('B').parse().expect("raw value"),
            }
        };
        let mut out: Vec<Routine> = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("ROUTINE ======================== ") {
                let (name, file) = rest.rsplit_once(" in ").unwrap();
                let sums: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
                out.push((
                    name.into(),
                    file.into(),
                    value(sums[0]),
                    value(sums[1]),
                    vec![],
                ));
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if let (Some(routine), [flat, cum, n, ..]) = (out.last_mut(), f.as_slice()) {
                // `35:const chunk = …`: the number before the colon, the source after it.
                let number = n.split_once(':').and_then(|(n, _)| n.parse::<i64>().ok());
                if let Some(n) = number {
                    let (flat, cum) = (value(flat), value(cum));
                    if flat != 0 || cum != 0 {
                        routine.4.push((n, flat, cum));
                    }
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn list_equals_go_tool_pprof_list() {
        let p = decode(T1);
        for (expected, sample, pattern, ignore) in [
            (LIST_MAIN_BUFIO, "inuse_space", "main\\.|bufio", None),
            (LIST_HTTP, "alloc_space", "^net/http\\.", Some("bufio")),
        ] {
            let report = list(
                &p,
                p.sample_index(sample).unwrap(),
                &Regex::new(pattern).unwrap(),
                &filter(None, ignore),
            );
            let ours: Vec<Routine> = report
                .functions
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        f.file.clone(),
                        f.flat,
                        f.cum,
                        f.lines.iter().map(|l| (l.line, l.flat, l.cum)).collect(),
                    )
                })
                .collect();
            let theirs = pprof_routines(expected);
            assert!(theirs.len() > 5, "{pattern}: {}", theirs.len());
            let mut ours = ours;
            ours.sort();
            assert_eq!(ours, theirs, "{pattern}");
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
