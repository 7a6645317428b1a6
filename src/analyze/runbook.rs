//! Runbook cards, one per drift kind and one for a steady process, written for the person on
//! call. `fill` puts in what triage measured: the PID in the next commands, the rate, the ETA.

use crate::analyze::drift::DriftKind;

pub struct Card {
    pub name: &'static str,
    pub title: &'static str,
    pub fingerprint: &'static str,
    /// Each with its blast radius.
    pub stop_the_bleeding: &'static [&'static str],
    /// `{pid}` is replaced by the target's PID.
    pub diagnose: &'static [&'static str],
    pub usual_causes: &'static [&'static str],
    pub escalate: &'static str,
}

pub const STEADY: Card = Card {
    name: "steady",
    title: "Steady: nothing is drifting",
    fingerprint: "Descriptors, threads, goroutines, memory and (if probed) latency held steady over the window.",
    stop_the_bleeding: &["Nothing to stop. If users still see trouble, the cause is probably outside this process: upstreams, the network, the load balancer."],
    diagnose: &[
        "steady triage {pid} --window 10m   (a slow leak needs a longer window)",
        "steady triage {pid} --window 1h --record /tmp/steady-{pid}.jsonl   (watch for hours; judge later with --from)",
        "steady stacks {pid}   (anything stuck right now?)",
    ],
    usual_causes: &["A leak slower than the window: re-run with a longer one, or record and compare across hours."],
    escalate: "Escalate on user-facing symptoms steady cannot see: error rates, upstream latency.",
};

pub const CARDS: [Card; 6] = [
    Card {
        name: "memory-drift",
        title: "Memory drift: the live heap keeps growing",
        fingerprint: "Live heap objects (Go HeapAlloc, or anonymous RSS for other processes) grow across GC cycles — a slope, not a step — toward the memory limit.",
        stop_the_bleeding: &[
            "Set GOMEMLIMIT to about 90% of the container limit so the GC works harder before the OOM killer acts (buys time; costs CPU; needs a restart to take effect).",
            "Shed load or move traffic away from this instance (reversible; other instances take the load).",
            "Restart the instance before the ETA, during low traffic (resets the leak; loses in-memory state; the leak comes back).",
        ],
        diagnose: &[
            "steady heap diff {pid} --over 30m   (which function's objects grow)",
            "steady heap diff {pid} --over 30m --lines --flame /tmp/heap-{pid}.svg",
            "steady heap snapshot {pid} --gc -o /tmp/heap-{pid}.pb.gz   (keep the evidence for the post-mortem)",
        ],
        usual_causes: &[
            "Unbounded caches or maps keyed by request data (user IDs, URLs) with no eviction.",
            "Slices that are resliced but keep the whole backing array alive.",
            "Goroutines that never exit, each holding its buffers.",
            "Unstopped time.Ticker or timers holding closures.",
        ],
        escalate: "Escalate or roll back when the ETA is shorter than a safe deploy, or when the growth started with a release.",
    },
    Card {
        name: "fd-exhaustion",
        title: "FD exhaustion: descriptors climb toward RLIMIT_NOFILE",
        fingerprint: "The descriptor count rises steadily; one group (sockets to one upstream, pipes, files in one directory) holds the growth. At the soft limit every accept(), open() and dial fails with EMFILE.",
        stop_the_bleeding: &[
            "Raise the soft limit of the live process up to its hard limit: steady limits {pid} shows both, and its --set-nofile option with the hard value sets it (buys time; no restart; above the hard limit only with CAP_SYS_RESOURCE). Go programs (1.19 and later) already run with the soft limit at the hard limit: for them only a higher hard limit helps.",
            "Shed load from this instance (reversible).",
            "Restart before the ETA (closes everything; the leak comes back).",
        ],
        diagnose: &[
            "steady fds {pid} --over 5m   (which group grows, and how fast)",
            "steady stacks {pid} --match 'net/http|database/sql'   (who holds the connections)",
            "steady limits {pid}   (the soft and hard limit: how much room is left to raise)",
        ],
        usual_causes: &[
            "HTTP response bodies not closed and drained (resp.Body.Close()), so connections are never reused.",
            "A new http.Client or transport per request.",
            "Missing timeouts: connections to a slow upstream pile up in ESTABLISHED or CLOSE_WAIT.",
            "Files or pipes opened per request and not closed on error paths.",
        ],
        escalate: "Escalate when the ETA is under an hour and the hard limit leaves no room, or when CLOSE_WAIT sockets to one upstream pile up (that upstream's owners need to know).",
    },
    Card {
        name: "goroutine-leak",
        title: "Goroutine leak: goroutines start and never return",
        fingerprint: "The goroutine count rises and stays up, one stack group growing; or a large group waits for minutes on a channel or a lock.",
        stop_the_bleeding: &[
            "Shed load: each request may leave goroutines behind (reversible).",
            "Restart before memory or scheduler latency suffers (frees them; the leak comes back).",
        ],
        diagnose: &[
            "steady stacks {pid}   (the largest and stuck groups, with the line that never returns)",
            "steady stacks {pid} --similar --min-count 100",
            "steady triage {pid} --window 10m",
        ],
        usual_causes: &[
            "Per-request goroutines without a bound or a context to end them.",
            "Sends or receives on channels nobody will ever serve (no select on ctx.Done()).",
            "A mutex held across a blocking call.",
            "Missing timeouts on network reads: goroutines wait in IO wait forever.",
        ],
        escalate: "Escalate when a stuck group waits on a lock (a deadlock needs a fix, not a restart), or when the count grows with every request.",
    },
    Card {
        name: "thread-leak",
        title: "Thread leak: OS threads keep growing",
        fingerprint: "The thread count rises: locked OS threads, goroutines blocked in system calls, or native code starting threads.",
        stop_the_bleeding: &[
            "Restart before the thread limit (RLIMIT_NPROC, pids.max of the cgroup) is reached: then clone() fails and the runtime aborts.",
            "Shed load (reversible).",
        ],
        diagnose: &[
            "steady stacks {pid} --threads --over 10s   (which syscall they sit in; spinning or blocked)",
            "steady stacks {pid} --goroutines --state 'locked to thread'   (the goroutines that pinned a thread, and where they wait)",
            "steady stacks {pid} --goroutines --state syscall   (goroutines in a blocking system call: each holds a thread)",
            "steady limits {pid} --all",
        ],
        usual_causes: &[
            "runtime.LockOSThread without UnlockOSThread: the thread dies with the goroutine only when it exits.",
            "Blocking system calls (file I/O on slow storage, cgo calls) under load: each takes a thread.",
            "Native libraries starting their own threads per call.",
        ],
        escalate: "Escalate when threads sit in D state (storage or kernel trouble) or in cgo calls into a vendor library.",
    },
    Card {
        name: "allocator-fragmentation",
        title: "Allocator fragmentation: RSS grows while live objects do not",
        fingerprint: "In-use spans (HeapInuse) and RSS grow while live objects (HeapAlloc) stay flat: memory is held in partly used spans.",
        stop_the_bleeding: &[
            "Set GOMEMLIMIT so the runtime returns memory sooner (costs CPU; needs a restart).",
            "Restart before the container limit (frees the spans; it builds up again).",
        ],
        diagnose: &[
            "steady heap diff {pid} --over 30m   (the RSS ledger: which line grows)",
            "steady heap diff {pid} --over 30m --sample alloc_objects   (which sizes churn)",
        ],
        usual_causes: &[
            "Long-lived small objects allocated among many short-lived ones of the same size class (one survivor pins a whole span).",
            "Caches that keep a few entries from every batch.",
            "Large buffers pooled by size with no cap on the pool.",
        ],
        escalate: "Escalate to the service owners: it needs an allocation-pattern change (pools, arenas, separating long-lived data), not a config change.",
    },
    Card {
        name: "deadline-drift",
        title: "Deadline drift: the latency tail creeps up",
        fingerprint: "p99 latency rises while CPU and memory are flat; from outside, work blocked on I/O grows and connections to one upstream pile up.",
        stop_the_bleeding: &[
            "Shed load or lower concurrency toward the slow upstream (reversible).",
            "Fail over to a healthy upstream or replica if there is one.",
            "Restart only if the pile-up is inside this process (stuck goroutines); it does not fix a slow upstream.",
        ],
        diagnose: &[
            "steady triage {pid} --window 5m   (add --probe with a loopback URL the service serves, e.g. its health check, to measure the tail itself)",
            "steady stacks {pid} --state 'IO wait'   (what the blocked work waits on)",
            "steady fds {pid} --over 2m   (connections to one upstream piling up)",
        ],
        usual_causes: &[
            "Missing or too-long timeouts and deadlines on calls to upstreams.",
            "Connection pools too small for the load: requests queue for a connection.",
            "Retries without backoff amplifying a slow upstream.",
        ],
        escalate: "Escalate to the upstream's owners when the blocked work points at one endpoint; roll back when the drift started with a release.",
    },
];

pub fn card(kind: DriftKind) -> &'static Card {
    CARDS
        .iter()
        .find(|c| c.name == kind.name())
        .expect("a card per kind")
}

pub fn find(name: &str) -> Option<&'static Card> {
    if name == STEADY.name {
        return Some(&STEADY);
    }
    CARDS.iter().find(|c| c.name == name)
}

/// A command to run next, and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    pub command: String,
    pub why: Option<String>,
}

/// The card's commands with the PID filled in. The cards write a step as
/// `command   (why)`; the two are split so a script can run the command as it is.
pub fn next_steps(card: &Card, pid: Option<i32>) -> Vec<NextStep> {
    let pid = pid.map_or_else(|| "PID".to_string(), |p| p.to_string());
    card.diagnose
        .iter()
        .map(|line| {
            let line = line.replace("{pid}", &pid);
            match line.split_once("   (") {
                Some((command, why)) => NextStep {
                    command: command.trim_end().to_string(),
                    why: Some(why.trim_end_matches(')').to_string()),
                },
                None => NextStep {
                    command: line,
                    why: None,
                },
            }
        })
        .collect()
}

pub fn actions(card: &Card, pid: Option<i32>) -> Vec<String> {
    let pid = pid.map_or_else(|| "PID".to_string(), |p| p.to_string());
    card.stop_the_bleeding
        .iter()
        .map(|c| c.replace("{pid}", &pid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(card: &Card, pid: Option<i32>) -> Vec<String> {
        next_steps(card, pid)
            .into_iter()
            .map(|s| s.command)
            .collect()
    }

    #[test]
    fn every_kind_has_a_card_and_commands_fill_the_pid() {
        for kind in DriftKind::ALL {
            let c = card(kind);
            assert!(
                !c.diagnose.is_empty()
                    && !c.stop_the_bleeding.is_empty()
                    && !c.usual_causes.is_empty()
            );
            assert!(
                commands(c, Some(4242))
                    .iter()
                    .any(|l| l.contains("steady ") && l.contains("4242")),
                "{}",
                c.name
            );
        }
        assert!(find("steady").is_some());
        assert!(find("nope").is_none());
        assert_eq!(
            next_steps(card(DriftKind::FdExhaustion), None)[0],
            NextStep {
                command: "steady fds PID --over 5m".into(),
                why: Some("which group grows, and how fast".into()),
            }
        );
        let fd = card(DriftKind::FdExhaustion);
        assert!(
            commands(fd, Some(4242)).contains(&"steady limits 4242".to_string()),
            "the limits to raise toward, from the diagnose list"
        );
        assert!(
            actions(fd, Some(4242))
                .iter()
                .all(|a| !a.contains("HARD") && !a.contains("--set-nofile N")),
            "no placeholder left for the reader to fill: {:?}",
            actions(fd, Some(4242))
        );
        // runtime.LockOSThread is not on a locked goroutine's stack; its state says it.
        let threads = commands(card(DriftKind::ThreadLeak), Some(4242));
        assert!(
            threads.iter().all(|c| !c.contains("LockOSThread")),
            "{threads:?}"
        );
        assert!(
            threads.contains(
                &"steady stacks 4242 --goroutines --state 'locked to thread'".to_string()
            ),
            "{threads:?}"
        );
        for c in CARDS.iter().chain([&STEADY]) {
            for step in next_steps(c, Some(1)) {
                assert!(
                    step.command.starts_with("steady ") && !step.command.contains("   ("),
                    "{}: {step:?}",
                    c.name
                );
            }
        }
    }
}
