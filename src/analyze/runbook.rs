//! Runbook cards, one per drift kind and one for a steady process, written for the person on
//! call. `fill` puts in what triage measured: the PID in the next commands, the rate, the ETA.

use crate::analyze::census::is_inbound_label;
use crate::analyze::drift::{DriftKind, Evidence, Verdict};

pub struct Card {
    pub name: &'static str,
    /// Which of a kind's cards this is, when the kind has more than one: `inbound` for
    /// descriptors piling up on connections the process accepted. `None` for the usual one.
    pub variant: Option<&'static str>,
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
    variant: None,
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

pub const CARDS: [Card; 7] = [
    Card {
        name: "memory-drift",
        variant: None,
        title: "Memory drift: the live heap keeps growing",
        fingerprint: "The live heap measured at each GC end (Go), or anonymous RSS (other processes), grows across GC cycles — a slope, not a step — toward the memory limit.",
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
        variant: None,
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
    // Descriptors that pile up on the process's own listening port come from its clients:
    // the server side is where the timeouts and limits are missing.
    Card {
        name: "fd-exhaustion",
        variant: Some("inbound"),
        title: "FD exhaustion: accepted connections pile up on the service's own port",
        fingerprint: "The descriptor count rises with connections accepted on a port this process listens on (`tcp ESTABLISHED :PORT <- peers`): clients open connections and the server keeps them — request heads never finished, idle keep-alives never closed, streams never ended. At the soft limit accept() fails with EMFILE and every new client is turned away, healthy ones too.",
        stop_the_bleeding: &[
            "Raise the soft limit of the live process up to its hard limit: steady limits {pid} shows both, and its --set-nofile option with the hard value sets it (buys time; no restart; above the hard limit only with CAP_SYS_RESOURCE). Go programs (1.19 and later) already run with the soft limit at the hard limit: for them only a higher hard limit helps.",
            "Block or rate-limit the clients that hold the connections, at the load balancer or firewall, once steady fds {pid} names their addresses (reversible; those clients are refused).",
            "Restart before the ETA (drops every client connection, healthy ones too; the clients come back and it builds up again).",
        ],
        diagnose: &[
            "steady fds {pid} --over 5m   (which group grows, and how fast)",
            "steady fds {pid} --top 0   (the accepted connections by peer address: which clients hold them)",
            "steady stacks {pid} --state 'IO wait'   (what the server waits for on those connections: a request head, a body, a stream's next message)",
            "steady limits {pid}   (the soft and hard limit: how much room is left to raise)",
        ],
        usual_causes: &[
            "No ReadHeaderTimeout (or ReadTimeout) on the http.Server: a client that never finishes its request head holds a connection and a goroutine forever (slowloris).",
            "No IdleTimeout: idle keep-alive connections are never closed.",
            "No per-client connection limit: one misbehaving client, or a retry storm, opens thousands.",
            "Long-lived streams (watches, server-sent events, websockets, gRPC streams) that clients open and never close, with no cap per client or in total.",
        ],
        escalate: "Escalate to the owners of the clients the peer addresses point at, or to whoever runs the load balancer or firewall if the clients are unknown or hostile; roll back when the pile-up started with a release that changed the server's timeouts.",
    },
    Card {
        name: "goroutine-leak",
        variant: None,
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
        variant: None,
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
        variant: None,
        title: "Allocator fragmentation: RSS grows while live objects do not",
        fingerprint: "Free space inside in-use spans (HeapInuse − HeapAlloc at GC ends) and RSS grow while the live heap stays flat: memory is held in partly used spans.",
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
        variant: None,
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

/// The usual card of a kind (see [`card_for`] for the one a verdict calls for).
pub fn card(kind: DriftKind) -> &'static Card {
    CARDS
        .iter()
        .find(|c| c.name == kind.name() && c.variant.is_none())
        .expect("a card per kind")
}

/// The card for a verdict: its kind's, or the variant its evidence calls for — descriptors
/// piling up on connections the process accepted (the growing group is inbound) get the
/// server-side card, connections it dialled the usual one.
pub fn card_for(v: &Verdict) -> &'static Card {
    let inbound = v.kind == DriftKind::FdExhaustion
        && v.evidence
            .iter()
            .any(|e| matches!(e, Evidence::GrowingGroup { group, .. } if is_inbound_label(group)));
    let variant = inbound.then_some("inbound");
    CARDS
        .iter()
        .find(|c| c.name == v.kind.name() && c.variant == variant)
        .unwrap_or_else(|| card(v.kind))
}

/// The names `steady runbook KIND` takes: one per card kind (variants share their kind's
/// name), then `steady`.
pub fn card_names() -> Vec<&'static str> {
    CARDS
        .iter()
        .filter(|c| c.variant.is_none())
        .map(|c| c.name)
        .chain([STEADY.name])
        .collect()
}

pub fn find(name: &str) -> Option<&'static Card> {
    if name == STEADY.name {
        return Some(&STEADY);
    }
    CARDS.iter().find(|c| c.name == name && c.variant.is_none())
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

#[cfg(test)]
mod variants {
    use super::*;
    use crate::analyze::series::Shape;

    fn fd_verdict(group: &str) -> Verdict {
        Verdict {
            kind: DriftKind::FdExhaustion,
            rate_per_min: 600.0,
            unit: "descriptors",
            current: 700.0,
            eta_seconds: None,
            limit: None,
            confidence: 1.0,
            shape: Shape::Linear,
            evidence: vec![Evidence::GrowingGroup {
                group: group.to_string(),
                delta: 600,
                per_minute: 600.0,
            }],
            consequence_of: None,
            inferred: false,
            stuck: None,
        }
    }

    #[test]
    fn the_growing_group_picks_the_card() {
        let inbound = card_for(&fd_verdict("tcp ESTABLISHED :8088 <- peers"));
        assert_eq!(inbound.variant, Some("inbound"));
        assert!(inbound
            .usual_causes
            .iter()
            .any(|c| c.contains("ReadHeaderTimeout")));
        assert!(next_steps(inbound, Some(7))
            .iter()
            .any(|s| s.command == "steady fds 7 --top 0"));
        // A recording made before the inbound form: `peer -> :port`.
        let older = card_for(&fd_verdict("tcp ESTABLISHED 10.0.9.1 -> :8088"));
        assert_eq!(older.variant, Some("inbound"));
        for outbound in ["tcp ESTABLISHED -> 10.0.3.7:5432", "pipe pipe"] {
            let c = card_for(&fd_verdict(outbound));
            assert!(std::ptr::eq(c, card(DriftKind::FdExhaustion)), "{outbound}");
        }
        let mut memory = fd_verdict("tcp ESTABLISHED :8088 <- peers");
        memory.kind = DriftKind::MemoryDrift;
        assert!(std::ptr::eq(
            card_for(&memory),
            card(DriftKind::MemoryDrift)
        ));
        assert_eq!(find("fd-exhaustion").unwrap().variant, None);
    }
}
