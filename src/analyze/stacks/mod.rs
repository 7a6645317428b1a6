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
mod tests;
