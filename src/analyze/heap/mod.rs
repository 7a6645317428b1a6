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
        let frames = FrameFilter::new(self, profile);
        profile
            .samples
            .iter()
            .map(|s| frames.keeps(&s.frames))
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
    let mut sums = KeySums::new(profile, granularity, filter);
    for s in &profile.samples {
        sums.add(&s.frames, &s.values);
    }
    sums.aggregate(index)
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

mod fold;
mod list;
pub use fold::{DiffFold, FoldedProfile, KeySums};
use fold::{FrameFilter, KeySummer};
pub use list::{list, ListReport, ListedFunction, ListedLine};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod recorded;
