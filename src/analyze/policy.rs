//! Every threshold the analysis uses, in one place, with why it has its value.

#[derive(Debug, Clone, PartialEq)]
pub struct FdPolicy {
    /// A directory holding at least this many distinct open files is shown as one group
    /// (`/var/log/app/*`): a pile of distinct files in one place is one pile-up.
    pub collapse_dir_min_files: u64,
    /// Descriptors in use, as a percentage of the soft limit, from which `fds` reports the
    /// process as near its limit (exit 1). 80% leaves time to act at usual leak rates.
    pub near_limit_percent: f64,
    /// From here the table paints the usage red.
    pub critical_percent: f64,
    /// Net growth of the total over an `--over` window from which `fds` reports growth (and
    /// exits 1). A service opens and closes a few descriptors all the time (a request in
    /// flight, a log rotation); ten more at the end of the window is a trend worth a look.
    pub min_growth: i64,
    /// How many descriptor numbers to keep per group, for the groups where the numbers are
    /// useful (a deleted file can be truncated through /proc/PID/fd/N).
    pub fd_samples: usize,
}

impl Default for FdPolicy {
    fn default() -> Self {
        FdPolicy {
            collapse_dir_min_files: 8,
            near_limit_percent: 80.0,
            critical_percent: 95.0,
            min_growth: 10,
            fd_samples: 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeapPolicy {
    /// Growth below this, between two snapshots, is noise: GC timing alone moves the heap by
    /// a few MiB.
    pub min_growth_bytes: i64,
    /// Live objects count as flat while they grew by less than this share of what RSS (or the
    /// in-use spans) grew: the rest of the growth is then fragmentation, not new objects.
    pub live_share_for_fragmentation: f64,
    /// A mapping counts as grown from this many bytes of RSS (smaps diffs).
    pub min_mapping_growth_bytes: i64,
    /// A diff cut to `--top N` still shows this many of the largest shrinking entries: a
    /// cache that was emptied matters as much as one that filled.
    pub shown_shrinking: usize,
    /// Profiles fewer GC cycles apart than this (without a forced GC at both ends) compare two
    /// GC ends that can both lie before the second snapshot's window (a background GC
    /// publishes the cycle before it): a live-growth verdict from them is marked tentative.
    pub trusted_gc_cycles: u64,
    /// How many of the functions that grew most a memory-drift verdict names.
    pub named_growers: usize,
}

impl Default for HeapPolicy {
    fn default() -> Self {
        HeapPolicy {
            min_growth_bytes: 4 * 1024 * 1024,
            live_share_for_fragmentation: 0.25,
            min_mapping_growth_bytes: 1024 * 1024,
            shown_shrinking: 3,
            trusted_gc_cycles: 2,
            named_growers: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StacksPolicy {
    /// A group is stuck when every member that reports an age has waited this many minutes or
    /// more (the shortest wait decides: one old member among fresh ones is a pool at work, not a
    /// pile-up). Go reports ages in whole minutes, and only after a GC, so a few minutes is the
    /// finest useful grain; ten keeps ordinary long polls and idle keep-alive readers out.
    pub stuck_after_minutes: u32,
    /// Goroutines one group must hold, all waiting past `stuck_after_minutes`, to be stuck when
    /// they do not wait on a lock. A healthy service keeps a few long waiters of one kind for
    /// its whole life — `main` in `select`, a signal handler, one accept loop per listener in
    /// `IO wait`, a small idle pool — and those must not make `stacks` exit 1 after ten quiet
    /// minutes. A leak leaves one more behind per request or retry and is past five within
    /// minutes. Lock waits need no count: nothing healthy waits ten minutes for a mutex.
    pub stuck_group_min: u64,
    /// A thread that used at least this share of one CPU over the window is spinning.
    pub spinning_cpu_share: f64,
    /// Group members whose IDs are kept, to find them in the raw dump.
    pub sample_ids: usize,
}

impl Default for StacksPolicy {
    fn default() -> Self {
        StacksPolicy {
            stuck_after_minutes: 10,
            stuck_group_min: 5,
            spinning_cpu_share: 0.2,
            sample_ids: 5,
        }
    }
}

/// How a rising series is told apart from a step, a sawtooth and a levelling-off.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapePolicy {
    /// A series is one step when a single jump between neighbouring points makes up this
    /// share of its whole rise: a cache warming at once, a pool filling, not a leak.
    pub step_share: f64,
    /// Fewer points than this are never called a step: a sparse series (Go figures come
    /// every few samples) jumps between every pair of points.
    pub step_min_points: usize,
    /// A fall between neighbours larger than this share of the range counts as a drop; two
    /// drops in a rising series make a sawtooth (GC cycles on a growing heap).
    pub drop_share: f64,
    /// Levelling off: the slope of the last third is under this share of the slope before it.
    pub levelling_ratio: f64,
}

impl Default for ShapePolicy {
    fn default() -> Self {
        ShapePolicy {
            step_share: 0.7,
            step_min_points: 6,
            drop_share: 0.05,
            levelling_ratio: 0.3,
        }
    }
}

/// Thresholds of `steady triage`. A series is drift when its robust slope, over the window
/// after warm-up, adds up to at least the minimum growth (absolute and relative to where it
/// started), most point pairs rise, and the change is not one step.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftPolicy {
    /// The first part of the window is ignored: start-up and cache warm-up are not drift.
    pub warmup_fraction: f64,
    pub min_samples: usize,
    /// Share of rising point pairs needed (0.5 is noise, 1.0 a clean rise).
    pub min_rising_pairs: f64,
    pub fd_min_growth: f64,
    pub thread_min_growth: f64,
    pub goroutine_min_growth: f64,
    pub memory_min_growth_bytes: f64,
    /// Growth relative to the first value after warm-up, for every series.
    pub min_relative_growth: f64,
    /// Fragmentation: spans-minus-live grows this much while live grows less than
    /// `live_share` of it.
    pub fragmentation_min_growth_bytes: f64,
    pub live_share: f64,
    /// Deadline drift from a probe: p99 of the last third over p99 of the first third, and
    /// at least this many seconds more.
    pub probe_p99_ratio: f64,
    pub probe_min_increase_seconds: f64,
    /// Inferred deadline drift: goroutines in IO wait growing by this many.
    pub io_wait_min_growth: f64,
    /// Goroutine growth that is at least this share in IO wait (and no descriptor leak) is
    /// taken as work waiting on something slow: deadline drift, with the goroutines its
    /// consequence.
    pub io_wait_share_of_goroutines: f64,
    /// Goroutines one group must hold, waiting past the stuck limit, to be a stuck leak.
    pub stuck_group_min: u64,
    /// Two growing series are one cause when their rates differ by less than this factor.
    pub consequence_ratio: f64,
    /// Growth that rises in fixed proportion with another (goroutines or the live heap
    /// against held descriptors) is its consequence whatever the ratio, when a straight line
    /// through the pairs explains at least this share of their variance (R²): 0.8 takes a
    /// few goroutines of healthy churn or a GC's timing as noise, and leaves out two leaks
    /// that merely happen at once, one of them levelling off.
    pub consequence_min_fit: f64,
    /// Confidence grows with the points behind a verdict, full from this many (Go figures
    /// come every 2 s, so a minute gives about 30; fewer leave room for chance).
    pub confident_points: f64,
    /// Deadline drift inferred from goroutines in IO wait, without a probe, is less certain
    /// than a measured one: its confidence is scaled by this.
    pub inferred_confidence: f64,
    /// Confidence of a stuck goroutine group judged from wait ages, not from growth.
    pub stuck_confidence: f64,
    /// Identity: goroutines that sat in the same lock wait (or unreceived send) in two dumps
    /// this many seconds apart waited the whole of it. Twenty seconds on a mutex is already
    /// far past any request deadline.
    pub stuck_identity_min_seconds: f64,
    /// Confidence of a pile-up proven stuck by identity: the same goroutines did not move.
    pub stuck_identity_confidence: f64,
    /// The `?debug=2` dumps behind the identity proof stop the target's world for a time that
    /// grows with the goroutine count: never fetched at or above this many goroutines.
    pub identity_max_goroutines: u64,
    /// The live heap changes only when a GC ends, so memory is judged on one point per GC
    /// cycle, and only with at least this many cycles in the window: fewer cannot tell a
    /// trend from one cache fill.
    pub min_gc_cycles: u64,
    /// Judging after every sample: a verdict this sure, on at least `early_min_points`
    /// points, `early_min_seconds` into the window, the same primary kind in
    /// `early_stable_judgements` judgements running, ends the window early.
    pub early_confidence: f64,
    pub early_min_points: usize,
    pub early_min_seconds: f64,
    pub early_stable_judgements: usize,
    /// Static check: RSS at this share of the cgroup memory limit leaves the OOM killer one
    /// burst away.
    pub rss_near_cgroup_share: f64,
    pub shape: ShapePolicy,
}

impl Default for DriftPolicy {
    fn default() -> Self {
        DriftPolicy {
            warmup_fraction: 0.1,
            min_samples: 5,
            min_rising_pairs: 0.75,
            fd_min_growth: 10.0,
            thread_min_growth: 5.0,
            goroutine_min_growth: 50.0,
            memory_min_growth_bytes: 8.0 * 1024.0 * 1024.0,
            min_relative_growth: 0.02,
            fragmentation_min_growth_bytes: 8.0 * 1024.0 * 1024.0,
            live_share: 0.25,
            probe_p99_ratio: 1.5,
            probe_min_increase_seconds: 0.02,
            io_wait_min_growth: 50.0,
            io_wait_share_of_goroutines: 0.8,
            stuck_group_min: 50,
            consequence_ratio: 3.0,
            consequence_min_fit: 0.8,
            confident_points: 10.0,
            inferred_confidence: 0.6,
            stuck_confidence: 0.8,
            stuck_identity_min_seconds: 20.0,
            stuck_identity_confidence: 0.95,
            identity_max_goroutines: 10_000,
            min_gc_cycles: 4,
            early_confidence: 0.9,
            early_min_points: 10,
            early_min_seconds: 15.0,
            early_stable_judgements: 3,
            rss_near_cgroup_share: 0.9,
            shape: ShapePolicy::default(),
        }
    }
}
