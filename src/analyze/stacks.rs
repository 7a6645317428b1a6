//! Goroutine and thread groups: filtered, ordered (stuck first, then largest), and threads
//! told apart as spinning, blocked or stuck over a window.

use std::collections::BTreeMap;

use regex::Regex;

use crate::analyze::policy::StacksPolicy;
use crate::model::stacks::{GoroutineDump, GoroutineGroup, ThreadSample};

#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    /// Keep groups with a frame (function or file) that matches.
    pub pattern: Option<Regex>,
    /// Keep groups whose state contains this text (`chan receive`, `IO wait`, `locked to
    /// thread`, `D`…).
    pub state: Option<String>,
    pub min_count: u64,
}

impl GroupFilter {
    /// Whether any filter can leave something out (`--min-count 1` keeps everything).
    pub fn is_active(&self) -> bool {
        self.pattern.is_some() || self.state.is_some() || self.min_count > 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoroutineView {
    pub group: GoroutineGroup,
    pub stuck: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoroutineReport {
    pub total: u64,
    /// Goroutines in the groups that passed the filters (before `top`); `None` unfiltered.
    pub matched: Option<u64>,
    pub groups: Vec<GoroutineView>,
    /// Groups that passed the filters, before `top` cut the list.
    pub groups_total: usize,
    pub has_states: bool,
    pub stuck_goroutines: u64,
}

pub fn goroutine_report(
    dump: GoroutineDump,
    filter: &GroupFilter,
    policy: &StacksPolicy,
    top: usize,
) -> GoroutineReport {
    let keep = |g: &GoroutineGroup| {
        g.count >= filter.min_count
            && filter.state.as_ref().is_none_or(|s| state_matches(g, s))
            && filter.pattern.as_ref().is_none_or(|re| {
                g.frames
                    .iter()
                    .chain(g.created_by.iter())
                    .any(|f| re.is_match(&f.function) || re.is_match(&f.file))
            })
    };
    let mut groups: Vec<GoroutineView> = dump
        .groups
        .into_iter()
        .filter(|g| keep(g))
        .map(|group| GoroutineView {
            stuck: is_stuck(&group, policy),
            group,
        })
        .collect();
    groups.sort_by(|a, b| {
        b.stuck
            .cmp(&a.stuck)
            .then(b.group.count.cmp(&a.group.count))
            .then_with(|| a.group.frames.cmp(&b.group.frames))
    });
    let stuck_goroutines = groups
        .iter()
        .filter(|g| g.stuck)
        .map(|g| g.group.count)
        .sum();
    let groups_total = groups.len();
    let matched = filter
        .is_active()
        .then(|| groups.iter().map(|g| g.group.count).sum());
    let mut report = GoroutineReport {
        total: dump.total,
        matched,
        groups,
        groups_total,
        has_states: dump.has_states,
        stuck_goroutines,
    };
    report.cut(top);
    report
}

impl GoroutineReport {
    /// Keeps the first `top` groups (0 keeps all); totals and the stuck count stay whole.
    pub fn cut(&mut self, top: usize) {
        if top > 0 {
            self.groups.truncate(top);
        }
    }
}

/// `--state` looks at the state as Go prints it between the brackets, less the age
/// (`syscall, locked to thread`), so `--state 'locked to thread'` finds the goroutines that
/// pinned an OS thread: the frame that called runtime.LockOSThread is gone from their stacks.
fn state_matches(group: &GoroutineGroup, wanted: &str) -> bool {
    group.state.contains(wanted)
        || (group.locked_to_thread > 0
            && format!("{}, locked to thread", group.state).contains(wanted))
}

/// Stuck: every member that reports an age has waited at least `stuck_after_minutes` (the
/// shortest wait decides, so a pool that still takes work is not stuck because one worker is
/// old), and the group is either large enough to be a pile-up or waits on a lock. A group
/// without ages is not stuck: no age means unknown, not long. A group the runtime marked
/// `(leaked)` is stuck whatever its age or size: its GC proved nothing can wake it.
fn is_stuck(group: &GoroutineGroup, policy: &StacksPolicy) -> bool {
    if group.leaked {
        return true;
    }
    let waited = group
        .wait_minutes
        .is_some_and(|(shortest, _)| shortest >= policy.stuck_after_minutes);
    waited && (group.count >= policy.stuck_group_min || is_lock_wait(group))
}

/// The wait reasons Go gives a goroutine blocked on a lock. Go 1.19 says `semacquire` for
/// mutexes and wait groups alike; a wait group is told apart by its frame, because `main`
/// waiting on the group of its servers is how a healthy program spends its life.
fn is_lock_wait(group: &GoroutineGroup) -> bool {
    match group.state.as_str() {
        "sync.Mutex.Lock" | "sync.RWMutex.Lock" | "sync.RWMutex.RLock" | "sync.Cond.Wait" => true,
        "semacquire" => !group
            .frames
            .iter()
            .any(|f| f.function == "sync.(*WaitGroup).Wait"),
        _ => false,
    }
}

/// Is this frame the application's own? Standard-library packages have no dot in their
/// first path element (`net/http`, `runtime`); `main` is the program itself.
pub fn is_app_frame(function: &str) -> bool {
    let package_path = function.split('/').next().unwrap_or(function);
    function.starts_with("main.") || (function.contains('/') && package_path.contains('.'))
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThreadGroup {
    pub count: u64,
    pub state: char,
    pub syscall: Option<String>,
    pub wchan: Option<String>,
    pub kernel_stack: Option<Vec<String>>,
    /// Thread names and how many threads carry each, most common first.
    pub names: Vec<(String, u64)>,
    pub tids: Vec<i32>,
    pub cpu_seconds: f64,
    /// Under `--over`: threads that used CPU over the window, and threads in D state at both
    /// ends of it.
    pub spinning: u64,
    pub stuck: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThreadReport {
    pub total: u64,
    /// Threads in the groups that passed the filters (before `top`); `None` unfiltered.
    pub matched: Option<u64>,
    pub groups: Vec<ThreadGroup>,
    pub groups_total: usize,
    pub kernel_stacks_readable: bool,
    pub window_seconds: Option<f64>,
}

type ThreadKey = (char, Option<String>, Option<String>, Option<Vec<String>>);

pub struct ThreadInput<'a> {
    pub now: &'a [ThreadSample],
    /// The first sample and the seconds between the two, under `--over`.
    pub before: Option<(&'a [ThreadSample], f64)>,
    pub ticks_per_second: u64,
    pub kernel_stacks_readable: bool,
}

pub fn thread_report(
    input: ThreadInput<'_>,
    filter: &GroupFilter,
    policy: &StacksPolicy,
    top: usize,
) -> ThreadReport {
    let mut groups: BTreeMap<ThreadKey, ThreadGroup> = BTreeMap::new();
    let ticks = input.ticks_per_second.max(1) as f64;
    for t in input.now {
        let key: ThreadKey = (
            t.state,
            t.syscall.clone(),
            t.wchan.clone(),
            t.kernel_stack.clone(),
        );
        let g = groups.entry(key).or_insert_with(|| ThreadGroup {
            count: 0,
            state: t.state,
            syscall: t.syscall.clone(),
            wchan: t.wchan.clone(),
            kernel_stack: t.kernel_stack.clone(),
            names: Vec::new(),
            tids: Vec::new(),
            cpu_seconds: 0.0,
            spinning: 0,
            stuck: 0,
        });
        g.count += 1;
        g.cpu_seconds += t.cpu_ticks as f64 / ticks;
        if g.tids.len() < policy.sample_ids {
            g.tids.push(t.tid);
        }
        match g.names.iter_mut().find(|(n, _)| *n == t.name) {
            Some((_, n)) => *n += 1,
            None => g.names.push((t.name.clone(), 1)),
        }
        if let Some((before, seconds)) = input.before {
            if let Some(old) = before.iter().find(|o| o.tid == t.tid) {
                let used = t.cpu_ticks.saturating_sub(old.cpu_ticks) as f64 / ticks;
                if seconds > 0.0 && used / seconds >= policy.spinning_cpu_share {
                    g.spinning += 1;
                }
                if old.state == 'D' && t.state == 'D' {
                    g.stuck += 1;
                }
            }
        }
    }
    let keep = |g: &ThreadGroup| {
        g.count >= filter.min_count
            && filter.state.as_ref().is_none_or(|s| {
                g.state.to_string() == *s
                    || g.syscall.as_deref().is_some_and(|c| c.contains(s.as_str()))
            })
            && filter.pattern.as_ref().is_none_or(|re| {
                g.names.iter().any(|(n, _)| re.is_match(n))
                    || g.wchan.as_deref().is_some_and(|w| re.is_match(w))
                    || g.syscall.as_deref().is_some_and(|c| re.is_match(c))
                    || g.kernel_stack.iter().flatten().any(|f| re.is_match(f))
            })
    };
    let mut groups: Vec<ThreadGroup> = groups.into_values().filter(|g| keep(g)).collect();
    for g in &mut groups {
        g.names
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    groups.sort_by(|a, b| {
        b.stuck
            .cmp(&a.stuck)
            .then(b.count.cmp(&a.count))
            .then(a.state.cmp(&b.state))
            .then_with(|| a.syscall.cmp(&b.syscall))
    });
    let groups_total = groups.len();
    let matched = filter
        .is_active()
        .then(|| groups.iter().map(|g| g.count).sum());
    let mut report = ThreadReport {
        total: input.now.len() as u64,
        matched,
        groups,
        groups_total,
        kernel_stacks_readable: input.kernel_stacks_readable,
        window_seconds: input.before.map(|(_, s)| s),
    };
    report.cut(top);
    report
}

impl ThreadReport {
    /// Keeps the first `top` groups (0 keeps all); the totals stay whole.
    pub fn cut(&mut self, top: usize) {
        if top > 0 {
            self.groups.truncate(top);
        }
    }
}

/// Everything `steady stacks` shows.
#[derive(Debug, Clone, Default)]
pub struct StacksReport {
    pub pid: Option<i32>,
    pub comm: Option<String>,
    /// Where the goroutines came from: a URL, a file, or stdin.
    pub goroutine_source: Option<String>,
    pub goroutines: Option<GoroutineReport>,
    pub threads: Option<ThreadReport>,
    /// What was left out, and why.
    pub notes: Vec<String>,
}

impl StacksReport {
    /// Stuck goroutines, or threads in D state through the whole window: exit 1.
    pub fn stuck(&self) -> bool {
        self.goroutines
            .as_ref()
            .is_some_and(|g| g.stuck_goroutines > 0)
            || self
                .threads
                .as_ref()
                .is_some_and(|t| t.groups.iter().any(|g| g.stuck > 0))
    }
}

/// Folded stacks of the goroutine groups, root first: `[state];root;…;leaf count`. Groups
/// that differ only in line numbers or created-by fold into one line.
pub fn folded_goroutines(groups: &[GoroutineView]) -> Vec<String> {
    fold(groups.iter().map(|v| {
        let g = &v.group;
        let mut parts: Vec<String> = Vec::with_capacity(g.frames.len() + 1);
        if !g.state.is_empty() {
            parts.push(format!("[{}]", frame_name(&g.state)));
        }
        parts.extend(g.frames.iter().rev().map(|f| frame_name(&f.function)));
        (parts.join(";"), g.count)
    }))
}

/// Folded stacks of the thread groups, one line per thread name: `name;root;…;leaf count`
/// from the kernel stack, or `name;state;syscall;wchan count` where none could be read.
pub fn folded_threads(groups: &[ThreadGroup]) -> Vec<String> {
    fold(groups.iter().flat_map(|g| {
        let below: Vec<String> = match &g.kernel_stack {
            Some(stack) if !stack.is_empty() => stack.iter().rev().map(|f| frame_name(f)).collect(),
            _ => std::iter::once(g.state.to_string())
                .chain(
                    g.syscall
                        .iter()
                        .filter(|c| *c != "-")
                        .map(|c| frame_name(c)),
                )
                .chain(g.wchan.iter().map(|w| frame_name(w)))
                .collect(),
        };
        g.names.iter().map(move |(name, n)| {
            let mut parts = vec![frame_name(name)];
            parts.extend(below.iter().cloned());
            (parts.join(";"), *n)
        })
    }))
}

/// `;` separates frames in the folded format, so it cannot appear inside one.
fn frame_name(name: &str) -> String {
    name.replace(';', ":")
}

/// One line per distinct stack, counts added up, in stack order (as stackcollapse writes them).
fn fold(stacks: impl Iterator<Item = (String, u64)>) -> Vec<String> {
    let mut merged: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, count) in stacks {
        *merged.entry(stack).or_default() += count;
    }
    merged
        .into_iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stacks::GoFrame;
    use crate::parse::goroutines::parse_dump;

    const LOGS: &str = include_str!("../../tests/fixtures/goroutines/go1.22-sigquit-in-logs.txt");

    fn dump() -> GoroutineDump {
        parse_dump(LOGS.as_bytes(), "fixture", false).unwrap()
    }

    const STUCK: &str =
        include_str!("../../tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt");

    fn stuck_dump() -> GoroutineDump {
        parse_dump(STUCK.as_bytes(), "fixture", false).unwrap()
    }

    #[test]
    fn stuck_groups_first_then_largest() {
        let report = goroutine_report(
            stuck_dump(),
            &GroupFilter::default(),
            &StacksPolicy::default(),
            0,
        );
        let order: Vec<(u64, &str, bool)> = report
            .groups
            .iter()
            .map(|g| (g.group.count, g.group.state.as_str(), g.stuck))
            .collect();
        assert_eq!(
            order[..3],
            [
                (6, "chan receive", true),
                (2, "sync.Mutex.Lock", true),
                (8, "chan receive", false),
            ],
            "the leak, then two behind a lock, then the pool that still takes work: {order:?}"
        );
        assert!(order[2..].iter().all(|(_, _, stuck)| !stuck), "{order:?}");
        assert_eq!(report.stuck_goroutines, 8);
        assert_eq!(report.total, 21);
    }

    #[test]
    fn long_lived_waiters_of_a_healthy_service_are_not_stuck() {
        // main.main 42 minutes in chan receive, a pool of three, two recent lock waits.
        let report = goroutine_report(dump(), &GroupFilter::default(), &StacksPolicy::default(), 0);
        assert_eq!(report.stuck_goroutines, 0, "{:?}", report.groups);
        let main = report
            .groups
            .iter()
            .find(|g| {
                g.group
                    .frames
                    .first()
                    .is_some_and(|f| f.function == "main.main")
            })
            .unwrap();
        assert_eq!(
            (main.group.wait_minutes, main.stuck),
            (Some((42, 42)), false)
        );
    }

    fn group(state: &str, count: u64, ages: Option<(u32, u32)>, leaf: &str) -> GoroutineGroup {
        GoroutineGroup {
            count,
            state: state.to_string(),
            wait_minutes: ages,
            with_age: if ages.is_some() { count } else { 0 },
            locked_to_thread: 0,
            leaked: false,
            frames: [leaf, "main.main"]
                .iter()
                .map(|f| GoFrame {
                    function: f.to_string(),
                    file: "/app/main.go".to_string(),
                    line: 1,
                })
                .collect(),
            elided: false,
            created_by: None,
            sample_ids: Vec::new(),
        }
    }

    #[test]
    fn stuck_takes_every_age_past_the_limit_and_a_pile_or_a_lock() {
        let mutex = "sync.(*Mutex).Lock";
        let wait_group = "sync.(*WaitGroup).Wait";
        let cases = [
            ("chan receive", 5, Some((10, 10)), "main.leak", true),
            ("chan receive", 300, Some((9, 60)), "main.leak", false),
            ("chan receive", 300, None, "main.leak", false),
            ("chan receive", 4, Some((30, 60)), "main.pool", false),
            ("sleep", 1, Some((600, 600)), "time.Sleep", false),
            ("select", 1, Some((600, 600)), "main.main", false),
            (
                "IO wait",
                1,
                Some((600, 600)),
                "net.(*TCPListener).Accept",
                false,
            ),
            ("sync.Mutex.Lock", 1, Some((10, 10)), mutex, true),
            ("sync.Mutex.Lock", 1, Some((9, 9)), mutex, false),
            (
                "sync.RWMutex.Lock",
                1,
                Some((12, 12)),
                "sync.(*RWMutex).Lock",
                true,
            ),
            (
                "sync.RWMutex.RLock",
                1,
                Some((12, 12)),
                "sync.(*RWMutex).RLock",
                true,
            ),
            (
                "sync.Cond.Wait",
                1,
                Some((12, 12)),
                "sync.(*Cond).Wait",
                true,
            ),
            ("semacquire", 1, Some((15, 15)), mutex, true),
            ("semacquire", 1, Some((15, 15)), wait_group, false),
            ("semacquire", 5, Some((15, 15)), wait_group, true),
            // Go ≥1.20 names the wait group: a healthy main waits on it for ever.
            ("sync.WaitGroup.Wait", 1, Some((15, 15)), wait_group, false),
            ("sync.WaitGroup.Wait", 5, Some((15, 15)), wait_group, true),
        ];
        for (state, count, ages, leaf, stuck) in cases {
            let report = goroutine_report(
                GoroutineDump {
                    total: count,
                    groups: vec![group(state, count, ages, leaf)],
                    has_states: true,
                },
                &GroupFilter::default(),
                &StacksPolicy::default(),
                0,
            );
            assert_eq!(
                report.groups[0].stuck, stuck,
                "{count} in {state:?} ({leaf}), ages {ages:?}"
            );
        }
    }

    #[test]
    fn filters() {
        let only = |filter: GroupFilter| {
            goroutine_report(dump(), &filter, &StacksPolicy::default(), 0)
                .groups
                .iter()
                .map(|g| g.group.count)
                .sum::<u64>()
        };
        let re = |p: &str| Some(Regex::new(p).unwrap());
        assert_eq!(
            only(GroupFilter {
                pattern: re(r"worker\.\(\*Pool\)"),
                ..Default::default()
            }),
            3
        );
        assert_eq!(
            only(GroupFilter {
                state: Some("Mutex".into()),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            only(GroupFilter {
                state: Some("locked to thread".into()),
                ..Default::default()
            }),
            1,
            "the IO wait locked to its thread"
        );
        assert_eq!(
            only(GroupFilter {
                state: Some("IO wait, locked".into()),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            only(GroupFilter {
                min_count: 2,
                ..Default::default()
            }),
            3
        );
        // How many matched is told whole, even when --top shows fewer groups.
        let filtered = |filter: GroupFilter, top| {
            goroutine_report(dump(), &filter, &StacksPolicy::default(), top).matched
        };
        assert_eq!(filtered(GroupFilter::default(), 0), None);
        let kept_by_state = GroupFilter {
            state: Some("Mutex".into()),
            ..Default::default()
        };
        assert_eq!(filtered(kept_by_state, 1), Some(2));
        let kept_none = GroupFilter {
            pattern: re("no such frame"),
            ..Default::default()
        };
        assert_eq!(filtered(kept_none, 0), Some(0));
        let policy = StacksPolicy {
            stuck_after_minutes: 60,
            ..StacksPolicy::default()
        };
        assert_eq!(
            goroutine_report(stuck_dump(), &GroupFilter::default(), &policy, 0).stuck_goroutines,
            0
        );
    }

    #[test]
    fn app_frames() {
        assert!(is_app_frame("main.main"));
        assert!(is_app_frame("example.com/api/internal/cache.(*Cache).Get"));
        assert!(is_app_frame("github.com/lib/pq.(*conn).recv"));
        assert!(!is_app_frame("net/http.(*conn).serve"));
        assert!(!is_app_frame("runtime.gopark"));
        assert!(!is_app_frame("sync.(*Mutex).Lock"));
    }

    fn thread(tid: i32, name: &str, state: char, syscall: &str, ticks: u64) -> ThreadSample {
        ThreadSample {
            tid,
            name: name.to_string(),
            state,
            syscall: Some(syscall.to_string()),
            wchan: None,
            kernel_stack: None,
            cpu_ticks: ticks,
        }
    }

    #[test]
    fn threads_spinning_blocked_and_stuck() {
        let before = vec![
            thread(1, "api", 'S', "futex", 100),
            thread(2, "worker", 'R', "running", 100),
            thread(3, "worker", 'S', "futex", 50),
            thread(4, "flush", 'D', "fsync", 10),
        ];
        let now = vec![
            thread(1, "api", 'S', "futex", 100),
            thread(2, "worker", 'R', "running", 300),
            thread(3, "worker", 'S', "futex", 50),
            thread(4, "flush", 'D', "fsync", 10),
            thread(5, "worker", 'S', "futex", 0),
        ];
        let report = thread_report(
            ThreadInput {
                now: &now,
                before: Some((&before, 2.0)),
                ticks_per_second: 100,
                kernel_stacks_readable: false,
            },
            &GroupFilter::default(),
            &StacksPolicy::default(),
            0,
        );
        assert_eq!(report.total, 5);
        let first = &report.groups[0];
        assert_eq!(
            (first.state, first.stuck, first.count),
            ('D', 1, 1),
            "stuck first"
        );
        let futex = report
            .groups
            .iter()
            .find(|g| g.syscall.as_deref() == Some("futex"))
            .unwrap();
        assert_eq!((futex.count, futex.spinning), (3, 0));
        assert_eq!(
            futex.names,
            vec![("worker".to_string(), 2), ("api".to_string(), 1)]
        );
        let running = report.groups.iter().find(|g| g.state == 'R').unwrap();
        assert_eq!(running.spinning, 1, "2 s of CPU in 2 s");
    }

    #[test]
    fn folded_goroutines_follow_the_filters_and_merge_equal_stacks() {
        let filter = GroupFilter {
            pattern: Some(Regex::new("upstream|cache").unwrap()),
            ..Default::default()
        };
        let report = goroutine_report(stuck_dump(), &filter, &StacksPolicy::default(), 0);
        assert_eq!(
            folded_goroutines(&report.groups),
            vec![
                "[chan receive];example.com/api/internal/server.(*Server).handleOrder;\
                 example.com/api/internal/upstream.(*Client).call 6"
                    .to_string(),
                "[sync.Mutex.Lock];example.com/api/internal/cache.(*Cache).Get;sync.(*Mutex).Lock;\
                 sync.(*Mutex).lockSlow;sync.runtime_SemacquireMutex 2"
                    .to_string(),
            ]
        );
        // The two lock waits of the Go 1.22 dump differ only in a line number: one stack.
        let all = goroutine_report(dump(), &GroupFilter::default(), &StacksPolicy::default(), 0);
        let locks: Vec<String> = folded_goroutines(&all.groups)
            .into_iter()
            .filter(|l| l.starts_with("[sync.Mutex.Lock]"))
            .collect();
        assert_eq!(locks.len(), 1, "{locks:?}");
        assert!(locks[0].ends_with(" 2"), "{locks:?}");
    }

    #[test]
    fn folded_threads_by_name_from_the_kernel_stack_or_the_syscall() {
        let mut blocked = thread(1, "api", 'S', "read", 0);
        blocked.kernel_stack = Some(vec![
            "pipe_read".into(),
            "vfs_read".into(),
            "ksys_read".into(),
        ]);
        let mut blocked_too = blocked.clone();
        blocked_too.tid = 2;
        blocked_too.name = "api;x".into();
        let mut sleeping = thread(3, "worker", 'S', "futex", 0);
        sleeping.wchan = Some("futex_wait_queue".into());
        let running = thread(4, "worker", 'R', "-", 0);
        let report = thread_report(
            ThreadInput {
                now: &[blocked, blocked_too, sleeping, running],
                before: None,
                ticks_per_second: 100,
                kernel_stacks_readable: true,
            },
            &GroupFilter::default(),
            &StacksPolicy::default(),
            0,
        );
        assert_eq!(
            folded_threads(&report.groups),
            vec![
                "api:x;ksys_read;vfs_read;pipe_read 1",
                "api;ksys_read;vfs_read;pipe_read 1",
                "worker;R 1",
                "worker;S;futex;futex_wait_queue 1",
            ]
        );
    }

    fn recorded(name: &str) -> GoroutineDump {
        let path = format!(
            "{}/tests/fixtures/goroutines/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read(&path).unwrap();
        parse_dump(text.as_slice(), &path, false).unwrap()
    }

    fn leaf_group<'a>(dump: &'a GoroutineDump, leaf: &str) -> &'a GoroutineGroup {
        dump.groups
            .iter()
            .find(|g| g.frames.iter().any(|f| f.function == leaf))
            .unwrap_or_else(|| panic!("no group with {leaf}"))
    }

    #[test]
    fn lock_waits_are_told_by_go119_and_go126_reasons() {
        // (dump, leaf, is a lock wait): the same pile-up on a sync.Mutex, as Go 1.19 and Go 1.26
        // print it, and the goroutines waiting on a WaitGroup beside them.
        let cases = [
            ("go1.19-debug2.txt", "main.pileOnMutex", true),
            ("go1.26.8-mutex-pileup-debug2.txt", "main.waitOnMutex", true),
            (
                "go1.26.8-chan-leak-detected-debug2.txt",
                "main.churn",
                false,
            ),
            ("go1.26.8-mutex-pileup-debug2.txt", "main.churn", false),
        ];
        for (name, leaf, lock) in cases {
            let dump = recorded(name);
            let g = leaf_group(&dump, leaf);
            assert_eq!(is_lock_wait(g), lock, "{name}: {leaf} in {:?}", g.state);
            // With an age past the limit, a single lock waiter is stuck, a lone wait is not.
            let mut one = g.clone();
            one.count = 1;
            one.wait_minutes = Some((30, 30));
            assert_eq!(
                is_stuck(&one, &StacksPolicy::default()),
                lock,
                "{name}: {leaf}"
            );
        }
    }

    #[test]
    fn goroutines_the_runtime_marked_leaked_are_stuck_without_an_age() {
        let report = goroutine_report(
            recorded("go1.26.8-chan-leak-detected-debug2.txt"),
            &GroupFilter::default(),
            &StacksPolicy::default(),
            0,
        );
        let first = &report.groups[0];
        assert!(first.stuck && first.group.leaked, "{:?}", report.groups[0]);
        assert_eq!(
            (
                first.group.count,
                first.group.state.as_str(),
                first.group.wait_minutes
            ),
            (30, "chan receive", None)
        );
        assert_eq!(report.stuck_goroutines, 30, "only the leaked ones");
        // The same leak without the runtime's leak detector: no ages yet, so not stuck.
        let unproven = goroutine_report(
            recorded("go1.26.8-chan-leak-labels-debug2.txt"),
            &GroupFilter::default(),
            &StacksPolicy::default(),
            0,
        );
        assert_eq!(unproven.stuck_goroutines, 0);
        assert_eq!(unproven.groups[0].group.count, 30);
    }
}
