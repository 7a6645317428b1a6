//! Assembles what `steady heap top` and `steady heap diff` show from snapshots already
//! decoded: the profile view, the RSS ledger, smaps regions, verdicts. Pure.

use std::collections::BTreeMap;

use crate::analyze::gc_window::{GcWindow, Moment};
use crate::analyze::heap::{
    self, DiffReport, FoldedProfile, Granularity, ListReport, SampleFilter, TopReport,
};
use crate::analyze::ledger::{
    self, Evidence, LedgerChange, LedgerLine, LiveHeap, MemoryVerdict, Note, ProfileGrowth,
};
use crate::analyze::policy::HeapPolicy;
use crate::analyze::smaps::{self, Category, RegionChange};
use crate::model::profile::Profile;
use crate::model::snapshot::SnapshotMeta;

/// A snapshot with its profile decoded: whole for top, folded into its sums for diff.
pub struct Decoded<'a, P = Profile> {
    pub label: String,
    pub meta: &'a SnapshotMeta,
    pub profile: Option<P>,
}

#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub sample: &'a str,
    pub granularity: Granularity,
    pub by_cum: bool,
    /// 0 keeps every entry.
    pub top: usize,
    /// --focus / --ignore; verdicts are judged on the whole profile all the same.
    pub filter: &'a SampleFilter,
}

#[derive(Debug, Clone)]
pub struct HeapTop {
    pub source: String,
    /// `focus=… ignore=…` when filtered.
    pub filters: Option<String>,
    pub meta: SnapshotMeta,
    pub profile: Option<TopReport>,
    pub entries_total: usize,
    pub ledger: Vec<LedgerLine>,
    /// Which GC cycle the profile is as of; MemStats and RSS are as of the snapshot.
    pub moment: Option<Moment>,
    /// Resident bytes per mapping category, for smaps snapshots.
    pub mapping_totals: Option<BTreeMap<Category, u64>>,
}

#[derive(Debug, Clone)]
pub struct HeapDiff {
    pub base: String,
    /// `focus=… ignore=…` when filtered.
    pub filters: Option<String>,
    pub new: String,
    /// Seconds between the snapshots, when both carry their time.
    pub seconds: Option<f64>,
    pub profile: Option<DiffReport>,
    pub entries_total: usize,
    pub ledger: Vec<LedgerChange>,
    /// When each snapshot's figures are of (None without MemStats).
    pub base_moment: Option<Moment>,
    pub new_moment: Option<Moment>,
    /// The live heap's change from post-GC figures, when there is one.
    pub live: Option<LiveHeap>,
    pub verdicts: Vec<MemoryVerdict>,
    /// What could not be judged, and why.
    pub notes: Vec<Note>,
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
    #[error("this is {kind} (sample types {types}), not a heap profile — {instead}")]
    NotHeap {
        kind: &'static str,
        types: String,
        instead: &'static str,
    },
    #[error("--focus `{focus}` matches no function or file in {label} — list the names with `steady heap top {label} --top 0`")]
    FocusMatchesNothing { focus: String, label: String },
    #[error("`{pattern}` matches no function with a value in {label} — list the names with `steady heap top {label} --top 0`")]
    ListMatchesNothing { pattern: String, label: String },
}

/// What kind of profile has no heap sample types, from the types it has (Go's names), and
/// what reads it instead.
fn not_heap(profile: &Profile) -> Option<ViewError> {
    let names: Vec<&str> = profile
        .sample_types
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    if names.iter().any(|n| HEAP_TYPES.contains(n)) {
        return None;
    }
    let (kind, instead) = match names.as_slice() {
        [.., "cpu"] => (
            "a CPU profile",
            "read it with `go tool pprof -top FILE`; steady heap reads /debug/pprof/heap (or allocs) profiles",
        ),
        ["goroutine"] => (
            "a goroutine profile",
            "for goroutines use `steady stacks PID` (grouped by stack, stuck ones first) or `steady stacks --file DUMP` on a ?debug=2 dump",
        ),
        ["contentions", "delay"] => (
            "a mutex or block profile",
            "read it with `go tool pprof -top FILE`; steady heap reads /debug/pprof/heap (or allocs) profiles",
        ),
        ["threadcreate"] => (
            "a threadcreate profile",
            "for threads use `steady stacks PID --threads`",
        ),
        _ => (
            "a profile of another kind",
            "steady heap reads /debug/pprof/heap (or allocs) profiles; read this one with `go tool pprof -top FILE`",
        ),
    };
    Some(ViewError::NotHeap {
        kind,
        types: names.join(", "),
        instead,
    })
}

/// The sample types of a Go heap (or allocs) profile.
const HEAP_TYPES: [&str; 4] = [
    "alloc_objects",
    "alloc_space",
    "inuse_objects",
    "inuse_space",
];

/// The sample type live-heap growth is judged on, whatever the view shows.
const INUSE: &str = "inuse_space";

/// inuse_space's change between two profiles and the functions that grew most; reuses the
/// view's diff when it is that one. None when a profile has no inuse_space.
fn inuse_growth(
    base: &FoldedProfile,
    new: &FoldedProfile,
    view_diff: &DiffReport,
    view: View<'_>,
    policy: &HeapPolicy,
) -> Option<ProfileGrowth> {
    let own;
    let d = if view.sample == INUSE
        && view.granularity == Granularity::Functions
        && view.filter.is_empty()
    {
        view_diff
    } else {
        own = heap::diff(
            base.functions()
                .aggregate(base.profile.sample_index(INUSE)?),
            new.functions().aggregate(new.profile.sample_index(INUSE)?),
            false,
        );
        &own
    };
    let mut top: Vec<(String, i64)> = d
        .entries
        .iter()
        .filter(|e| e.flat_delta() > 0)
        .map(|e| (e.name.clone(), e.flat_delta()))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(policy.named_growers);
    Some(ProfileGrowth {
        delta: d.total_delta(),
        top,
    })
}

pub fn sample_index(profile: &Profile, sample: &str) -> Result<usize, ViewError> {
    if let Some(err) = not_heap(profile) {
        return Err(err);
    }
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
            if !view.filter.focus_matches(p) {
                return Err(focus_error(view, &source.label));
            }
            let mut report = heap::top(
                heap::aggregate_filtered(p, index, view.granularity, view.filter),
                view.by_cum,
            );
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
        moment: Moment::of_snapshot(source.meta, source.profile.as_ref()),
        filters: view.filter.describe(),
        source: source.label,
        meta: source.meta.clone(),
        profile,
        entries_total,
        mapping_totals,
    })
}

fn focus_error(view: View<'_>, label: &str) -> ViewError {
    ViewError::FocusMatchesNothing {
        focus: view
            .filter
            .focus
            .as_ref()
            .map(|re| re.as_str().to_string())
            .unwrap_or_default(),
        label: label.to_string(),
    }
}

/// What `steady heap list REGEX SOURCE` shows.
#[derive(Debug, Clone)]
pub struct HeapList {
    pub source: String,
    pub pattern: String,
    pub filters: Option<String>,
    pub report: ListReport,
}

pub fn build_list(
    label: String,
    profile: &Profile,
    pattern: &regex::Regex,
    view: View<'_>,
) -> Result<HeapList, ViewError> {
    let index = sample_index(profile, view.sample)?;
    if !view.filter.focus_matches(profile) {
        return Err(focus_error(view, &label));
    }
    let report = heap::list(profile, index, pattern, view.filter);
    if report.functions.is_empty() {
        return Err(ViewError::ListMatchesNothing {
            pattern: pattern.as_str().to_string(),
            label,
        });
    }
    Ok(HeapList {
        source: label,
        pattern: pattern.as_str().to_string(),
        filters: view.filter.describe(),
        report,
    })
}

impl HeapDiff {
    /// `delta` per minute over the time between the snapshots; None when that time is unknown
    /// or too short to make a rate (under a second: see `cli::MIN_OVER`).
    pub fn per_minute(&self, delta: i64) -> Option<f64> {
        self.seconds
            .filter(|s| *s >= 1.0)
            .map(|s| delta as f64 * 60.0 / s)
    }
}

pub fn build_diff(
    base: Decoded<'_, FoldedProfile>,
    new: Decoded<'_, FoldedProfile>,
    view: View<'_>,
    policy: &HeapPolicy,
) -> Result<HeapDiff, ViewError> {
    let seconds = (base.meta.taken_at > 0.0 && new.meta.taken_at > 0.0)
        .then_some(new.meta.taken_at - base.meta.taken_at);
    let mut grew = false;
    let mut entries_total = 0;
    let mut growth = None;
    let profile = match (&base.profile, &new.profile) {
        (Some(b), Some(n)) => {
            let (bi, ni) = (
                sample_index(&b.profile, view.sample)?,
                sample_index(&n.profile, view.sample)?,
            );
            if !view.filter.focus_matches(&b.profile) && !view.filter.focus_matches(&n.profile) {
                return Err(focus_error(view, &new.label));
            }
            let mut report =
                heap::diff(b.view().aggregate(bi), n.view().aggregate(ni), view.by_cum);
            growth = inuse_growth(b, n, &report, view, policy);
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
    let (base_moment, new_moment) = (
        Moment::of_snapshot(base.meta, base.profile.as_ref().map(|p| &p.profile)),
        Moment::of_snapshot(new.meta, new.profile.as_ref().map(|p| &p.profile)),
    );
    let window = base_moment
        .zip(new_moment)
        .map(|(base, new)| GcWindow { base, new });
    let ledger = match (base.meta.memstats, new.meta.memstats) {
        (Some(bs), Some(ns)) => ledger::compare(
            &ledger::ledger(&base.meta.memory, &bs),
            &ledger::ledger(&new.meta.memory, &ns),
        ),
        _ => Vec::new(),
    };
    let judgement = ledger::classify(
        Evidence {
            changes: &ledger,
            window: window.as_ref(),
            profile: growth.as_ref(),
            rows_are_inuse: view.sample == INUSE,
        },
        policy,
    );
    grew |= !judgement.verdicts.is_empty();
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
        filters: view.filter.describe(),
        base: base.label,
        new: new.label,
        seconds,
        profile,
        entries_total,
        ledger,
        base_moment,
        new_moment,
        live: judgement.live,
        verdicts: judgement.verdicts,
        notes: judgement.notes,
        regions,
        region_totals,
        grew,
    })
}

/// Real snapshots of the heap_leak service (tests/fixtures/pprof/story-*), each pair taken by
/// `steady heap snapshot` some seconds apart: what may be judged from them, and what not.
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::analyze::heap::DiffFold;
    use crate::analyze::ledger::LiveSource;
    use crate::parse::pprof::{decode_profile, fold_profile};
    use crate::render::heap_json::verdict_kind;
    use crate::render::heap_text::note_kind;

    struct Fixture {
        meta: SnapshotMeta,
        bytes: Vec<u8>,
        profile: Profile,
    }

    fn fixture(name: &str) -> Fixture {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pprof");
        let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
        let json = std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap();
        Fixture {
            meta: serde_json::from_str(&json).unwrap(),
            profile: decode_profile(&bytes, name, 64 << 20).unwrap(),
            bytes,
        }
    }

    /// The diff as `steady heap diff` builds it, folding each profile while decoding it;
    /// checked against folding the profiles decoded whole (as the flame graph path does).
    fn diff_of(case: &str, sample: &str) -> HeapDiff {
        let (a, b) = (
            fixture(&format!("story-{case}-t0.pb.gz")),
            fixture(&format!("story-{case}-t1.pb.gz")),
        );
        let view = View {
            sample,
            granularity: Granularity::Functions,
            by_cum: false,
            top: 10,
            filter: &SampleFilter::default(),
        };
        let streamed = |f: &Fixture| {
            let mut fold = DiffFold::new(view.granularity, view.filter);
            let tables = fold_profile(&f.bytes, "fixture", 64 << 20, &mut fold).unwrap();
            fold.finish(tables)
        };
        let whole = |f: &Fixture| DiffFold::of(f.profile.clone(), view.granularity, view.filter);
        let build = |fold: &dyn Fn(&Fixture) -> FoldedProfile| {
            build_diff(
                Decoded {
                    label: "t0".into(),
                    meta: &a.meta,
                    profile: Some(fold(&a)),
                },
                Decoded {
                    label: "t1".into(),
                    meta: &b.meta,
                    profile: Some(fold(&b)),
                },
                view,
                &HeapPolicy::default(),
            )
            .unwrap()
        };
        let d = build(&streamed);
        assert_eq!(format!("{d:?}"), format!("{:?}", build(&whole)), "{case}");
        d
    }

    #[test]
    fn cpu_and_goroutine_profiles_are_named_not_asked_for_a_heap_sample() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pprof");
        for (name, kind, instead) in [
            ("cpu.pb.gz", "a CPU profile", "go tool pprof"),
            (
                "goroutine.pb.gz",
                "a goroutine profile",
                "steady stacks PID",
            ),
        ] {
            let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
            let p = decode_profile(&bytes, name, 64 << 20).unwrap();
            let err = sample_index(&p, "inuse_space").unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("this is {kind} (sample types ")),
                "{err}"
            );
            assert!(err.contains(instead) && !err.contains("--sample"), "{err}");
        }
        let heap = fixture("story-leak-t0.pb.gz");
        assert!(sample_index(&heap.profile, "inuse_space").is_ok());
    }

    fn delta(d: &HeapDiff, line: &str) -> i64 {
        d.ledger.iter().find(|c| c.name == line).unwrap().delta()
    }

    const MIB: i64 = 1 << 20;

    #[test]
    fn verdicts_follow_what_the_figures_can_show() {
        // (case, GC cycles between, verdict kinds, note kinds, live heap (source, from, to))
        type Live = Option<(LiveSource, u64, u64)>;
        type Case<'a> = (&'a str, u64, &'a [&'a str], &'a [&'a str], Live);
        let cases: [Case; 4] = [
            // steady -ballast-mib 64: 8 s with no GC; HeapAlloc rose ~10 MiB of garbage.
            ("quiet", 0, &[], &["no-gc-between"], None),
            // heap: 1 MiB/s kept, background GCs only.
            (
                "leak",
                3,
                &["memory-drift"],
                &[],
                Some((LiveSource::ProfileInuse, 1, 4)),
            ),
            // release, --gc: 64 MiB dropped and handed back; RSS falls less than the runtime's
            // figures (half of it was never resident).
            (
                "release",
                3,
                &[],
                &[],
                Some((LiveSource::ProfileInuse, 5, 8)),
            ),
            // native, --gc: 2 MiB/s mapped outside the Go heap.
            (
                "native",
                3,
                &["native-memory-growth"],
                &[],
                Some((LiveSource::ProfileInuse, 2, 5)),
            ),
        ];
        for (case, cycles, kinds, notes, live) in cases {
            let d = diff_of(case, "inuse_space");
            let (b, n) = (d.base_moment.unwrap(), d.new_moment.unwrap());
            assert_eq!(
                n.last_gc.num_gc - b.last_gc.num_gc,
                cycles,
                "{case}: cycles"
            );
            let got: Vec<&str> = d.verdicts.iter().map(verdict_kind).collect();
            assert_eq!(got, kinds, "{case}: {:?}", d.verdicts);
            let got: Vec<&str> = d.notes.iter().map(note_kind).collect();
            assert_eq!(got, notes, "{case}: {:?}", d.notes);
            assert_eq!(
                d.live
                    .as_ref()
                    .map(|l| (l.source, l.from_gc.unwrap(), l.to_gc.unwrap())),
                live,
                "{case}"
            );
            assert_eq!(d.grew, !kinds.is_empty(), "{case}");
            // One story: a live-heap figure from the profile is the header's total change.
            if let (Some(l), Some(p)) = (&d.live, &d.profile) {
                if l.source == LiveSource::ProfileInuse {
                    assert_eq!(l.delta, p.total_delta(), "{case}");
                }
            }
        }
    }

    #[test]
    fn no_gc_between_is_no_verdict_however_heap_alloc_rose() {
        let d = diff_of("quiet", "inuse_space");
        let p = d.profile.as_ref().unwrap();
        assert_eq!(p.total_delta(), 0, "the same GC cycle in both profiles");
        assert!(
            delta(&d, "live_objects") > 8 * MIB,
            "HeapAlloc rose with garbage"
        );
        assert!(d.live.is_none() && d.verdicts.is_empty());
        let Note::NoGcBetween {
            base_num_gc,
            new_num_gc,
            profile_gc,
            interval: Some(i),
        } = &d.notes[0]
        else {
            panic!("{:?}", d.notes)
        };
        assert_eq!((*base_num_gc, *new_num_gc, *profile_gc), (5, 5, 4));
        // 64 MiB of ballast and ~1.3 MiB/s of churn: the next GC is most of a minute away.
        assert!((40.0..90.0).contains(&i.seconds), "{i:?}");
        assert!(i.since_last.unwrap() > 8.0);
    }

    #[test]
    fn live_growth_names_the_rows_that_grew() {
        let d = diff_of("leak", "inuse_space");
        let [MemoryVerdict::LiveHeapGrowth {
            live,
            top,
            rows_listed,
        }] = &d.verdicts[..]
        else {
            panic!("{:?}", d.verdicts)
        };
        assert_eq!(top[0].0, "main.leakIntoCache");
        assert!(*rows_listed);
        let rows = &d.profile.as_ref().unwrap().entries;
        assert_eq!(rows[0].name, "main.leakIntoCache");
        assert_eq!(rows[0].flat_delta(), top[0].1);
        assert_eq!(live.delta, d.profile.as_ref().unwrap().total_delta());
        assert!(
            top[0].1 as f64 > live.delta as f64 * 0.99,
            "{top:?} of {}",
            live.delta
        );
        // GC #1 → #4, as the GC ends in the MemStats say: 1 MiB kept per second between them.
        let seconds = live.seconds.unwrap();
        let ratio = top[0].1 as f64 / (seconds * MIB as f64);
        assert!((0.8..1.2).contains(&ratio), "{seconds}s: {ratio}");
        assert!(!live.tentative);

        // Viewed as alloc_space, the rows are not the functions that grew in use: the verdict
        // still names them from inuse_space, and says where to see them.
        let d = diff_of("leak", "alloc_space");
        let [MemoryVerdict::LiveHeapGrowth {
            top, rows_listed, ..
        }] = &d.verdicts[..]
        else {
            panic!("{:?}", d.verdicts)
        };
        assert_eq!(top[0].0, "main.leakIntoCache");
        assert!(!*rows_listed);
    }

    #[test]
    fn rss_falling_with_the_runtime_is_not_native_growth() {
        let d = diff_of("release", "inuse_space");
        let (rss, left_over) = (delta(&d, "rss"), delta(&d, "unaccounted"));
        assert!(rss < -16 * MIB, "RSS fell: {rss}");
        assert!(left_over > 16 * MIB, "the left-over rose: {left_over}");
        assert!(d.verdicts.is_empty(), "{:?}", d.verdicts);

        let d = diff_of("native", "inuse_space");
        let [MemoryVerdict::NativeGrowth {
            native_delta,
            rss_delta,
            runtime_delta,
        }] = d.verdicts[..]
        else {
            panic!("{:?}", d.verdicts)
        };
        assert_eq!(rss_delta, 15_974_400);
        assert_eq!(runtime_delta, 15_974_400 - 14_983_168);
        assert_eq!(native_delta, 14_983_168);
    }
}
