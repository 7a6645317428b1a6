//! Assembles what `steady heap top` and `steady heap diff` show from snapshots already
//! decoded: the profile view, the RSS ledger, smaps regions, verdicts. Pure.

use std::collections::BTreeMap;

use crate::analyze::heap::{self, DiffReport, Granularity, TopReport};
use crate::analyze::ledger::{self, LedgerChange, LedgerLine, MemoryVerdict};
use crate::analyze::policy::HeapPolicy;
use crate::analyze::smaps::{self, Category, RegionChange};
use crate::model::profile::Profile;
use crate::model::snapshot::SnapshotMeta;

/// A snapshot with its profile decoded.
pub struct Decoded<'a> {
    pub label: String,
    pub meta: &'a SnapshotMeta,
    pub profile: Option<Profile>,
}

#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub sample: &'a str,
    pub granularity: Granularity,
    pub by_cum: bool,
    /// 0 keeps every entry.
    pub top: usize,
}

#[derive(Debug, Clone)]
pub struct HeapTop {
    pub source: String,
    pub meta: SnapshotMeta,
    pub profile: Option<TopReport>,
    pub entries_total: usize,
    pub ledger: Vec<LedgerLine>,
    /// Resident bytes per mapping category, for smaps snapshots.
    pub mapping_totals: Option<BTreeMap<Category, u64>>,
}

#[derive(Debug, Clone)]
pub struct HeapDiff {
    pub base: String,
    pub new: String,
    /// Seconds between the snapshots, when both carry their time.
    pub seconds: Option<f64>,
    pub profile: Option<DiffReport>,
    pub entries_total: usize,
    pub ledger: Vec<LedgerChange>,
    pub verdicts: Vec<MemoryVerdict>,
    pub regions: Option<Vec<RegionChange>>,
    pub region_totals: Option<Vec<(Category, u64, u64)>>,
    /// True when memory grew past the policy's thresholds: exit 1.
    pub grew: bool,
}

/// Why a view cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error(
        "the profile has no `{sample}` values (it has {available}) — choose one with --sample"
    )]
    NoSuchSample { sample: String, available: String },
    #[error("{with} holds a heap profile but {without} holds only smaps — compare snapshots of the same kind")]
    Mixed { with: String, without: String },
    #[error("{label} holds neither a heap profile nor smaps")]
    Empty { label: String },
}

pub fn sample_index(profile: &Profile, sample: &str) -> Result<usize, ViewError> {
    profile
        .sample_index(sample)
        .ok_or_else(|| ViewError::NoSuchSample {
            sample: sample.to_string(),
            available: profile
                .sample_types
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub fn build_top(source: Decoded<'_>, view: View<'_>) -> Result<HeapTop, ViewError> {
    let mut entries_total = 0;
    let profile = match &source.profile {
        Some(p) => {
            let index = sample_index(p, view.sample)?;
            let mut report = heap::top(heap::aggregate(p, index, view.granularity), view.by_cum);
            entries_total = report.entries.len();
            if view.top > 0 {
                report.entries.truncate(view.top);
            }
            Some(report)
        }
        None => None,
    };
    let mapping_totals = source.meta.mappings.as_deref().map(smaps::totals);
    if profile.is_none() && mapping_totals.is_none() {
        return Err(ViewError::Empty {
            label: source.label,
        });
    }
    Ok(HeapTop {
        ledger: source
            .meta
            .memstats
            .map(|stats| ledger::ledger(&source.meta.memory, &stats))
            .unwrap_or_default(),
        source: source.label,
        meta: source.meta.clone(),
        profile,
        entries_total,
        mapping_totals,
    })
}

pub fn build_diff(
    base: Decoded<'_>,
    new: Decoded<'_>,
    view: View<'_>,
    policy: &HeapPolicy,
) -> Result<HeapDiff, ViewError> {
    let seconds = (base.meta.taken_at > 0.0 && new.meta.taken_at > 0.0)
        .then_some(new.meta.taken_at - base.meta.taken_at);
    let mut grew = false;
    let mut entries_total = 0;
    let profile = match (&base.profile, &new.profile) {
        (Some(b), Some(n)) => {
            let (bi, ni) = (sample_index(b, view.sample)?, sample_index(n, view.sample)?);
            let mut report = heap::diff(
                heap::aggregate(b, bi, view.granularity),
                heap::aggregate(n, ni, view.granularity),
                view.by_cum,
            );
            if view.sample.ends_with("_space") && report.total_delta() >= policy.min_growth_bytes {
                grew = true;
            }
            entries_total = report.entries.len();
            if view.top > 0 {
                report.truncate(view.top, policy.shown_shrinking);
            }
            Some(report)
        }
        (None, None) => None,
        _ => {
            let (with, without) = if base.profile.is_some() {
                (base.label, new.label)
            } else {
                (new.label, base.label)
            };
            return Err(ViewError::Mixed { with, without });
        }
    };
    let (ledger, verdicts) = match (base.meta.memstats, new.meta.memstats) {
        (Some(bs), Some(ns)) => {
            let changes = ledger::compare(
                &ledger::ledger(&base.meta.memory, &bs),
                &ledger::ledger(&new.meta.memory, &ns),
            );
            let inuse_delta = ns.heap_inuse as i64 - bs.heap_inuse as i64;
            let verdicts = ledger::classify(&changes, inuse_delta, policy);
            (changes, verdicts)
        }
        _ => (Vec::new(), Vec::new()),
    };
    grew |= !verdicts.is_empty();
    let (regions, region_totals) = match (&base.meta.mappings, &new.meta.mappings) {
        (Some(b), Some(n)) => {
            let regions = smaps::diff_regions(b, n, policy);
            grew |= regions
                .iter()
                .any(|r| r.rss_delta() >= policy.min_mapping_growth_bytes);
            let (tb, tn) = (smaps::totals(b), smaps::totals(n));
            let totals = Category::ALL.iter().map(|c| (*c, tb[c], tn[c])).collect();
            (Some(regions), Some(totals))
        }
        _ => (None, None),
    };
    if profile.is_none() && regions.is_none() {
        return Err(ViewError::Empty { label: base.label });
    }
    Ok(HeapDiff {
        base: base.label,
        new: new.label,
        seconds,
        profile,
        entries_total,
        ledger,
        verdicts,
        regions,
        region_totals,
        grew,
    })
}
