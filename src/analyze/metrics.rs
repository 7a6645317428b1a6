//! Turns readings of targets into metric families for `steady metrics` and `steady serve`:
//! names, help, types and labels decided here, once, so every file and every scrape says the
//! same (node_exporter's textfile collector rejects a metric whose HELP differs between
//! files). Pure: the readings arrive as data.

use crate::analyze::drift::memory::goal_agrees;
use crate::model::fd::FdKind;
use crate::model::sample::{Sample, TargetFacts};
use crate::render::text::sanitize;

/// At most this many descriptor groups per target: the sampler keeps the 20 largest, and a
/// bounded N keeps the series count per target fixed however the groups churn.
pub const MAX_TOP_GROUPS: usize = 20;
/// Group labels are cut here: a path or an endpoint is recognisable well before.
const MAX_GROUP_LABEL: usize = 120;
const MAX_LABEL: usize = 256;

/// What one target looked like at one scrape.
#[derive(Debug, Clone)]
pub struct Reading {
    pub pid: i32,
    pub comm: String,
    pub exe: String,
    pub facts: TargetFacts,
    /// /proc figures of now; the Go fields as of the last Go fetch (see `go_age_seconds`).
    pub sample: Sample,
    /// How old the Go fields are, when there are any.
    pub go_age_seconds: Option<f64>,
    /// What the last GC marked live, once two Go fetches have bracketed its end.
    pub heap_marked: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Gauge,
    Counter,
}

impl MetricType {
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Gauge => "gauge",
            MetricType::Counter => "counter",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricType,
    pub points: Vec<Point>,
}

struct Spec {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
}

const fn gauge(name: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        help,
        kind: MetricType::Gauge,
    }
}

const TARGETS: Spec = gauge(
    "steady_targets",
    "Processes steady read for this exposition.",
);
const FDS: Spec = gauge("steady_fds_open", "Open file descriptors of the process.");
const FDS_SOFT: Spec = gauge(
    "steady_fds_soft_limit",
    "Soft RLIMIT_NOFILE of the process (+Inf when unlimited).",
);
const FDS_HARD: Spec = gauge(
    "steady_fds_hard_limit",
    "Hard RLIMIT_NOFILE of the process (+Inf when unlimited).",
);
const FDS_KIND: Spec = gauge(
    "steady_fds_by_kind",
    "Open file descriptors of the process by kind (file, tcp, pipe, eventfd, ...).",
);
const FD_GROUP: Spec = gauge(
    "steady_fd_group_open",
    "Open file descriptors in one of the process's largest groups (kind, state, endpoint or path), top N only.",
);
const THREADS: Spec = gauge("steady_threads", "OS threads of the process.");
const CPU: Spec = Spec {
    name: "steady_cpu_seconds_total",
    help: "User and system CPU time the process has used, in seconds.",
    kind: MetricType::Counter,
};
const RSS: Spec = gauge(
    "steady_resident_memory_bytes",
    "Resident set size of the process (VmRSS), in bytes.",
);
const RSS_ANON: Spec = gauge(
    "steady_resident_anon_bytes",
    "Anonymous resident memory of the process (RssAnon), in bytes.",
);
const RSS_FILE: Spec = gauge(
    "steady_resident_file_bytes",
    "File-backed resident memory of the process (RssFile), in bytes.",
);
const CG_USAGE: Spec = gauge(
    "steady_cgroup_memory_usage_bytes",
    "Memory usage of the process's cgroup, in bytes.",
);
const CG_LIMIT: Spec = gauge(
    "steady_cgroup_memory_limit_bytes",
    "Memory limit of the process's cgroup, in bytes (absent when unlimited).",
);
const GOROUTINES: Spec = gauge(
    "steady_go_goroutines",
    "Goroutines of a Go process (/debug/pprof/goroutine?debug=1).",
);
const GOROUTINES_IO: Spec = gauge(
    "steady_go_goroutines_io_wait",
    "Goroutines of a Go process waiting on network I/O (internal/poll.runtime_pollWait).",
);
const HEAP_LIVE: Spec = gauge(
    "steady_go_heap_live_bytes",
    "Live heap after the last GC of a Go process: NextGC/(1+GOGC/100), or the heap profile's in-use bytes where GOMEMLIMIT may have moved the goal, in bytes.",
);
const HEAP_ALLOC: Spec = gauge(
    "steady_go_heap_alloc_bytes",
    "HeapAlloc of a Go process (live objects plus garbage not yet swept), in bytes.",
);
const HEAP_INUSE: Spec = gauge(
    "steady_go_heap_inuse_bytes",
    "HeapInuse of a Go process (bytes in in-use spans), in bytes.",
);
const HEAP_IDLE: Spec = gauge(
    "steady_go_heap_idle_bytes",
    "HeapIdle of a Go process (bytes in idle spans), in bytes.",
);
const HEAP_RELEASED: Spec = gauge(
    "steady_go_heap_released_bytes",
    "HeapReleased of a Go process (idle bytes returned to the OS), in bytes.",
);
const NEXT_GC: Spec = gauge(
    "steady_go_next_gc_bytes",
    "NextGC of a Go process: the heap size at which the next GC starts, in bytes.",
);
const NUM_GC: Spec = Spec {
    name: "steady_go_gc_cycles_total",
    help: "GC cycles a Go process has completed (MemStats NumGC).",
    kind: MetricType::Counter,
};
const MEMLIMIT: Spec = gauge(
    "steady_go_memory_limit_bytes",
    "GOMEMLIMIT of a Go process from its environment, in bytes (absent when unset).",
);
const GOGC: Spec = gauge(
    "steady_go_gc_percent",
    "GOGC of a Go process from its environment (100 when unset, -1 when off).",
);
const GO_AGE: Spec = gauge(
    "steady_go_figures_age_seconds",
    "Age of the Go runtime figures in this exposition (they are fetched at most every --go-interval), in seconds.",
);

struct Builder {
    families: Vec<Family>,
}

impl Builder {
    fn family(&mut self, spec: &Spec) -> &mut Family {
        if let Some(at) = self.families.iter().position(|f| f.name == spec.name) {
            return &mut self.families[at];
        }
        self.families.push(Family {
            name: spec.name,
            help: spec.help,
            kind: spec.kind,
            points: Vec::new(),
        });
        self.families.last_mut().expect("just pushed")
    }

    fn add(&mut self, spec: &Spec, labels: Vec<(&'static str, String)>, value: Option<f64>) {
        if let Some(value) = value {
            self.family(spec).points.push(Point { labels, value });
        }
    }
}

/// The families of one exposition, in a fixed order; families without a point are left out.
/// `top` descriptor groups per target, at most [`MAX_TOP_GROUPS`].
pub fn metric_families(readings: &[Reading], top: usize) -> Vec<Family> {
    let mut b = Builder {
        families: Vec::new(),
    };
    b.add(&TARGETS, Vec::new(), Some(readings.len() as f64));
    let top = top.min(MAX_TOP_GROUPS);
    for r in readings {
        let id = || {
            vec![
                ("pid", r.pid.to_string()),
                ("comm", label(&r.comm, MAX_LABEL)),
                ("exe", label(&r.exe, MAX_LABEL)),
            ]
        };
        let with = |name: &'static str, value: String| {
            let mut labels = id();
            labels.push((name, value));
            labels
        };
        let s = &r.sample;
        let f = &r.facts;
        b.add(&FDS, id(), Some(s.fds as f64));
        b.add(&FDS_SOFT, id(), Some(limit(f.nofile_soft)));
        b.add(&FDS_HARD, id(), Some(limit(f.nofile_hard)));
        for kind in FdKind::ALL {
            let n = s.fds_by_kind.get(kind.name()).copied().unwrap_or(0);
            b.add(
                &FDS_KIND,
                with("kind", kind.name().to_string()),
                Some(n as f64),
            );
        }
        for (group, count) in top_groups(s, top) {
            b.add(&FD_GROUP, with("group", group), Some(count as f64));
        }
        b.add(&THREADS, id(), Some(s.threads as f64));
        b.add(&CPU, id(), Some(s.cpu_seconds));
        b.add(&RSS, id(), Some(s.rss as f64));
        b.add(&RSS_ANON, id(), Some(s.rss_anon as f64));
        b.add(&RSS_FILE, id(), Some(s.rss_file as f64));
        b.add(&CG_USAGE, id(), s.cgroup_usage.map(|v| v as f64));
        b.add(&CG_LIMIT, id(), f.cgroup_memory_limit.map(|v| v as f64));
        let bytes = |v: Option<u64>| v.map(|v| v as f64);
        b.add(&GOROUTINES, id(), bytes(s.goroutines));
        b.add(&GOROUTINES_IO, id(), bytes(s.goroutines_io_wait));
        b.add(&HEAP_LIVE, id(), live_heap(f, s, r.heap_marked));
        b.add(&HEAP_ALLOC, id(), bytes(s.heap_alloc));
        b.add(&HEAP_INUSE, id(), bytes(s.heap_inuse));
        b.add(&HEAP_IDLE, id(), bytes(s.heap_idle));
        b.add(&HEAP_RELEASED, id(), bytes(s.heap_released));
        b.add(&NEXT_GC, id(), bytes(s.next_gc));
        b.add(&NUM_GC, id(), bytes(s.num_gc));
        if f.is_go {
            b.add(&MEMLIMIT, id(), f.gomemlimit.map(|v| v as f64));
            b.add(&GOGC, id(), Some(f.gc_percent().unwrap_or(-1.0)));
        }
        b.add(&GO_AGE, id(), r.go_age_seconds);
    }
    b.families
}

/// The live heap as triage reads it from one sample: the heap goal undone by GOGC where what
/// the last GC marked agrees with it; else what it marked (`marked`, from the ledger of two
/// Go fetches either side of it); else the profile's in-use bytes.
pub fn live_heap(facts: &TargetFacts, s: &Sample, marked: Option<f64>) -> Option<f64> {
    // Before the first GC the goal is the runtime's initial 4 MiB and the profile is empty:
    // neither is a live heap yet.
    if s.num_gc == Some(0) {
        return None;
    }
    if s.gc_forced {
        return s.heap_alloc.map(|v| v as f64);
    }
    goal_agrees(facts, s, marked)
        .or(marked)
        .or(s.heap_live_profile.map(|p| p as f64))
}

fn limit(v: Option<u64>) -> f64 {
    v.map_or(f64::INFINITY, |v| v as f64)
}

/// The `top` largest groups, largest first (ties by name, so the order is stable), labels
/// sanitised and cut; groups whose cut labels collide are summed, so no series repeats.
fn top_groups(s: &Sample, top: usize) -> Vec<(String, u64)> {
    let mut groups: Vec<(&String, &u64)> = s.fd_groups.iter().collect();
    groups.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<(String, u64)> = Vec::new();
    for (name, count) in groups.into_iter().take(top) {
        let name = label(name, MAX_GROUP_LABEL);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(seen) => seen.1 += count,
            None => out.push((name, *count)),
        }
    }
    out
}

/// A label value from the target: control and invisible characters made visible, cut to
/// `max` characters (the exposition writer escapes what the format needs).
fn label(text: &str, max: usize) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading() -> Reading {
        let mut sample = Sample {
            fds: 42,
            threads: 7,
            rss: 10 << 20,
            ..Sample::default()
        };
        sample.fds_by_kind.insert("tcp".into(), 30);
        for i in 0..25u64 {
            sample
                .fd_groups
                .insert(format!("tcp ESTABLISHED -> 10.0.0.{i}:80"), i);
        }
        sample
            .fd_groups
            .insert("file /tmp/\u{1b}[31mred".into(), 100);
        Reading {
            pid: 4242,
            comm: "svc\u{202e}x".into(),
            exe: "/usr/bin/svc".into(),
            facts: TargetFacts {
                nofile_soft: Some(1024),
                nofile_hard: None,
                ..TargetFacts::default()
            },
            sample,
            go_age_seconds: None,
            heap_marked: None,
        }
    }

    fn family<'a>(fams: &'a [Family], name: &str) -> &'a Family {
        fams.iter().find(|f| f.name == name).expect(name)
    }

    #[test]
    fn groups_are_bounded_sorted_and_sanitised() {
        let fams = metric_families(&[reading()], 5);
        let groups = &family(&fams, "steady_fd_group_open").points;
        assert_eq!(groups.len(), 5);
        assert_eq!(groups[0].labels[3].1, "file /tmp/\\x1b[31mred");
        assert_eq!(groups[1].labels[3].1, "tcp ESTABLISHED -> 10.0.0.24:80");
        assert_eq!(groups[0].labels[1].1, "svc\\u{202e}x");
        let fams = metric_families(&[reading()], 1000);
        assert_eq!(family(&fams, "steady_fd_group_open").points.len(), 20);
    }

    #[test]
    fn every_kind_is_present_and_unlimited_is_infinite() {
        let fams = metric_families(&[reading()], 5);
        assert_eq!(
            family(&fams, "steady_fds_by_kind").points.len(),
            FdKind::ALL.len()
        );
        assert_eq!(
            family(&fams, "steady_fds_hard_limit").points[0].value,
            f64::INFINITY
        );
        // Not a Go target: no Go family at all.
        assert!(fams.iter().all(|f| !f.name.starts_with("steady_go_")));
    }

    #[test]
    fn live_heap_follows_triage() {
        let mut facts = TargetFacts::default();
        let s = Sample {
            num_gc: Some(3),
            next_gc: Some(200),
            heap_live_profile: Some(110),
            ..Sample::default()
        };
        assert_eq!(live_heap(&facts, &s, None), Some(100.0));
        // GOGC=off: the goal says nothing; the profile does.
        facts.gogc = Some("off".into());
        assert_eq!(live_heap(&facts, &s, None), Some(110.0));
        // A goal far from the profile (GOMEMLIMIT pulled it): the profile.
        facts.gogc = None;
        let pulled = Sample {
            next_gc: Some(60),
            ..s.clone()
        };
        assert_eq!(live_heap(&facts, &pulled, None), Some(110.0));
        facts.gomemlimit_set = true;
        let no_profile = Sample {
            heap_live_profile: None,
            ..s.clone()
        };
        assert_eq!(live_heap(&facts, &no_profile, None), None);
        // What the GC marked, once known, outranks the profile and checks the goal.
        assert_eq!(live_heap(&facts, &pulled, Some(104.0)), Some(104.0));
        assert_eq!(live_heap(&facts, &s, Some(104.0)), Some(100.0));
    }
}
