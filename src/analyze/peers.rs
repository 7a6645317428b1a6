//! Joins the target's ends with the holders the walk found: per descriptor for `--list`, per
//! census group for the table ("pipe ×255 → read ends held by PID 4242 worker").

use std::collections::{BTreeMap, HashMap};

use crate::analyze::census::GroupKey;
use crate::analyze::fds::FdReport;
use crate::model::peer::{Endpoint, GroupPeer, Holder, PeerScan};

/// One descriptor of the target that is an end of something.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetEnd {
    pub fd: i32,
    /// The census group it is counted in.
    pub key: GroupKey,
    pub endpoint: Endpoint,
    pub mode: Option<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct Peers {
    pub pid: i32,
    /// In descriptor order, one per descriptor: `of_fd` looks them up by halving.
    pub ends: Vec<TargetEnd>,
    pub holders: HashMap<Endpoint, Vec<Holder>>,
    pub scan: PeerScan,
}

impl Peers {
    /// The other ends of one of the target's descriptors: whatever holds the same end,
    /// the descriptor itself left out (the target's other descriptors are kept: a pipe
    /// whose both ends it holds is a self-pipe).
    pub fn of_fd(&self, fd: i32) -> Vec<&Holder> {
        // Called once per row of `--list`: a scan of every end per row would be quadratic.
        self.ends
            .binary_search_by_key(&fd, |e| e.fd)
            .ok()
            .into_iter()
            .flat_map(|i| self.others(&self.ends[i]))
            .collect()
    }

    fn others<'a>(&'a self, end: &TargetEnd) -> impl Iterator<Item = &'a Holder> + 'a {
        let (pid, fd) = (self.pid, end.fd);
        let is_pipe = matches!(end.endpoint, Endpoint::Pipe(_) | Endpoint::Eventfd(_));
        self.holders
            .get(&end.endpoint)
            .into_iter()
            .flatten()
            .filter(move |h| !(is_pipe && h.pid == pid && h.fd == fd))
    }

    /// Per census group, the processes at the other end of its descriptors, the one at
    /// the other end of most first. For a pipe that is the ends facing the target's: a
    /// forked child that inherited the same write end is not who reads it.
    pub fn by_group(&self) -> HashMap<GroupKey, Vec<GroupPeer>> {
        let mut tallies: HashMap<&GroupKey, BTreeMap<(i32, Option<&'static str>), GroupPeer>> =
            HashMap::new();
        for end in &self.ends {
            let tally = tallies.entry(&end.key).or_default();
            let mut seen = Vec::new();
            // Another writer on the pipe the target writes to shares its end: the
            // other end is whoever reads it.
            let opposite = |h: &&Holder| match (end.mode, h.mode) {
                (Some(ours), Some(theirs)) => ours != theirs || ours == "rw",
                _ => true,
            };
            for holder in self.others(end).filter(opposite) {
                // One of the target's descriptors counts once per process and mode, however
                // many descriptors that process holds on the same end.
                let id = (holder.pid, holder.mode);
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                tally
                    .entry(id)
                    .or_insert_with(|| GroupPeer {
                        pid: holder.pid,
                        comm: holder.comm.clone(),
                        mode: holder.mode,
                        fds: 0,
                    })
                    .fds += 1;
            }
        }
        tallies
            .into_iter()
            .map(|(key, tally)| {
                let mut peers: Vec<GroupPeer> = tally.into_values().collect();
                peers.sort_by(|a, b| b.fds.cmp(&a.fds).then(a.pid.cmp(&b.pid)));
                (key.clone(), peers)
            })
            .collect()
    }
}

/// Puts each group's peers on the report, and what the search read.
pub fn attach(report: &mut FdReport, peers: &Peers) {
    let by_group = peers.by_group();
    for group in &mut report.groups {
        group.peers = Some(by_group.get(&group.key).cloned().unwrap_or_default());
    }
    report.peer_scan = Some(peers.scan.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fd::FdKind;

    fn key(kind: FdKind, target: &str) -> GroupKey {
        GroupKey {
            kind,
            target: target.to_string(),
            state: None,
            direction: None,
            socket_type: None,
        }
    }

    fn holder(pid: i32, fd: i32, mode: Option<&'static str>) -> Holder {
        Holder {
            pid,
            comm: Some(format!("p{pid}")),
            fd,
            mode,
        }
    }

    /// PID 10 writes into three pipes (PID 40 writing into one of them too): two read by PID 20, one by PID 30; it also holds
    /// both ends of a self-pipe, and a unix socket whose peer is in PID 20.
    fn peers() -> Peers {
        let pipe = key(FdKind::Pipe, "pipe");
        let end = |fd, endpoint, mode| TargetEnd {
            fd,
            key: pipe.clone(),
            endpoint,
            mode,
        };
        let unix = key(FdKind::Unix, "(unnamed)");
        Peers {
            pid: 10,
            ends: vec![
                end(3, Endpoint::Pipe(100), Some("w")),
                end(4, Endpoint::Pipe(101), Some("w")),
                end(5, Endpoint::Pipe(102), Some("w")),
                end(6, Endpoint::Pipe(103), Some("r")),
                end(7, Endpoint::Pipe(103), Some("w")),
                TargetEnd {
                    fd: 8,
                    key: unix.clone(),
                    endpoint: Endpoint::Socket(900),
                    mode: None,
                },
            ],
            holders: HashMap::from([
                (
                    Endpoint::Pipe(100),
                    // PID 40 inherited the same write end: it shares it, it does not read it.
                    vec![
                        holder(10, 3, Some("w")),
                        holder(20, 0, Some("r")),
                        holder(40, 1, Some("w")),
                    ],
                ),
                // PID 20 holds the read end twice (dup'd): still one of PID 10's pipes.
                (
                    Endpoint::Pipe(101),
                    vec![
                        holder(10, 4, Some("w")),
                        holder(20, 5, Some("r")),
                        holder(20, 6, Some("r")),
                    ],
                ),
                (
                    Endpoint::Pipe(102),
                    vec![holder(10, 5, Some("w")), holder(30, 0, Some("r"))],
                ),
                (
                    Endpoint::Pipe(103),
                    vec![holder(10, 6, Some("r")), holder(10, 7, Some("w"))],
                ),
                (Endpoint::Socket(900), vec![holder(20, 9, None)]),
            ]),
            scan: PeerScan::default(),
        }
    }

    #[test]
    fn a_descriptors_other_ends_leave_itself_out() {
        let p = peers();
        let of = |fd| -> Vec<(i32, i32)> { p.of_fd(fd).iter().map(|h| (h.pid, h.fd)).collect() };
        assert_eq!(
            of(3),
            [(20, 0), (40, 1)],
            "every other end, as lsfd lists them"
        );
        assert_eq!(of(4), [(20, 5), (20, 6)]);
        assert_eq!(
            of(6),
            [(10, 7)],
            "a self-pipe's other end is the target's own"
        );
        assert_eq!(of(8), [(20, 9)]);
        assert!(of(42).is_empty());
    }

    #[test]
    fn groups_count_the_targets_descriptors_each_process_is_at_the_other_end_of() {
        let by_group = peers().by_group();
        let pipe = &by_group[&key(FdKind::Pipe, "pipe")];
        let got: Vec<(i32, Option<&str>, u64)> =
            pipe.iter().map(|g| (g.pid, g.mode, g.fds)).collect();
        assert_eq!(
            got,
            [
                (20, Some("r"), 2),
                (10, Some("r"), 1),
                (10, Some("w"), 1),
                (30, Some("r"), 1)
            ]
        );
        let unix = &by_group[&key(FdKind::Unix, "(unnamed)")];
        assert_eq!(unix.len(), 1);
        assert_eq!((unix[0].pid, unix[0].fds), (20, 1));
    }
}
