//! Grouping, ordering and filtering of goroutines and threads, on recorded dumps and made-up threads.

use super::*;
use crate::model::stacks::GoFrame;
use crate::parse::goroutines::parse_dump;

const LOGS: &str = include_str!("../../../tests/fixtures/goroutines/go1.22-sigquit-in-logs.txt");

fn dump() -> GoroutineDump {
    parse_dump(LOGS.as_bytes(), "fixture", false).unwrap()
}

const STUCK: &str = include_str!("../../../tests/fixtures/goroutines/go1.21-stuck-and-healthy.txt");

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
