//! One descriptor scan of the target, scheduled over threads by its size: every link, then
//! the socket rows that describe the ones that are sockets. Shared by `fds` and `triage`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

use crate::analyze::census::{Census, FdCensus};
use crate::analyze::policy::FdPolicy;
use crate::collect::fds::{self, ScanStats};
use crate::collect::net;
use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::socket::{AllRows, InetProto, SocketRow, SocketSink, TcpState};

/// Up to this many descriptors the links are read on two threads while a third reads the
/// socket tables whole; beyond it, one thread, and only the target's own socket rows are
/// kept, so a million descriptors stay within a bounded amount of memory.
const PARALLEL_UP_TO: usize = 200_000;
/// Below this, threads cost more than they save.
const PARALLEL_FROM: usize = 256;
/// Links claimed at a time by a worker.
const CHUNK: usize = 512;

/// One scan: every descriptor, then the socket rows that describe the ones that are sockets.
pub fn take_census(target: &Target, policy: &FdPolicy) -> Result<FdCensus> {
    let listing = fds::list_fds(target)?;
    let count = listing.fds.len();
    let mut census = Census::new(policy.fd_samples);
    let (stats, rows) = if (PARALLEL_FROM..=PARALLEL_UP_TO).contains(&count) {
        // Two workers share the links through a cursor; one reads the socket tables first,
        // so the kernel's time formatting them overlaps the other's readlinks.
        let cursor = AtomicUsize::new(0);
        let drain = |census: &mut Census| -> Result<ScanStats, CollectError> {
            let mut stats = ScanStats::default();
            loop {
                let start = cursor.fetch_add(CHUNK, Ordering::Relaxed);
                if start >= count {
                    return Ok(stats);
                }
                let chunk = &listing.fds[start..(start + CHUNK).min(count)];
                stats = stats.combine(fds::read_fds(target, listing.dir(), chunk, |e| {
                    census.add(e)
                })?);
            }
        };
        std::thread::scope(|scope| -> Result<_> {
            let helper = scope.spawn(|| -> Result<_, CollectError> {
                let mut rows = AllRows::default();
                net::read_socket_tables(target, &mut rows)?;
                let mut half = Census::new(policy.fd_samples);
                let stats = drain(&mut half)?;
                Ok((half, stats, rows.0))
            });
            let stats = drain(&mut census)?;
            let (half, half_stats, rows) = joined(helper.join())??;
            census.merge(half);
            Ok((stats.combine(half_stats), rows))
        })?
    } else {
        let stats = fds::read_fds(target, listing.dir(), &listing.fds, |e| census.add(e))?;
        census.end_fd_scan();
        net::read_socket_tables(target, &mut census)?;
        (stats, Vec::new())
    };
    target.ensure_alive()?;
    census.end_fd_scan();
    for row in rows {
        census.add_socket_row(row);
    }
    Ok(census.finish(stats.vanished))
}

/// The censuses of several targets, each network namespace's socket tables read once for
/// every target in it: processes that share a namespace (a pod's containers, a host's
/// services) would otherwise each read the same tables, which on a busy namespace cost far
/// more than their descriptors (50 targets of 20,000 descriptors in one namespace list
/// ~400,000 unix sockets, read 50 times over). Every target's links are read first (one
/// thread each, in turn), so only the rows some target holds are kept.
pub fn take_censuses(targets: &[&Target], policy: &FdPolicy) -> Vec<Result<FdCensus>> {
    let mut scanned: Vec<Result<(Census, ScanStats)>> = targets
        .iter()
        .map(|target| {
            let listing = fds::list_fds(target)?;
            let mut census = Census::new(policy.fd_samples);
            let stats = fds::read_fds(target, listing.dir(), &listing.fds, |e| census.add(e))?;
            census.end_fd_scan();
            Ok((census, stats))
        })
        .collect();
    let mut namespaces: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, target) in targets.iter().enumerate() {
        if scanned[i].is_ok() {
            namespaces.entry(namespace_of(target)).or_default().push(i);
        }
    }
    for members in namespaces.values() {
        let mut read: Result<(), CollectError> = Ok(());
        // Through any member that is still there: one that exited has no tables to read.
        for &via in members {
            let mut sink = Members {
                censuses: scanned
                    .iter_mut()
                    .enumerate()
                    .filter(|(i, _)| members.contains(i))
                    .filter_map(|(_, scan)| scan.as_mut().ok().map(|(c, _)| c))
                    .collect(),
            };
            read = net::read_socket_tables(targets[via], &mut sink);
            if read.is_ok() {
                break;
            }
        }
        if let Err(err) = read {
            // Each says why for itself: exited (which is most likely), or the tables' error.
            let message = format!("{:#}", anyhow::Error::from(err));
            for &i in members {
                scanned[i] = Err(match targets[i].ensure_alive() {
                    Err(gone) => gone.into(),
                    Ok(()) => anyhow::anyhow!("{message}"),
                });
            }
        }
    }
    scanned
        .into_iter()
        .zip(targets)
        .map(|(scan, target)| {
            let (census, stats) = scan?;
            target.ensure_alive()?;
            Ok(census.finish(stats.vanished))
        })
        .collect()
}

/// Which network namespace the target is in (`net:[4026531840]`); a target whose namespace
/// cannot be read is its own.
fn namespace_of(target: &Target) -> String {
    let link = target
        .proc_root()
        .join(target.pid.to_string())
        .join("ns/net");
    std::fs::read_link(link)
        .map(|l| l.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("pid {}", target.pid))
}

/// The censuses of the targets in one namespace, fed from one read of its tables. A socket
/// held by several of them (inherited across a fork) goes to each.
struct Members<'a> {
    censuses: Vec<&'a mut Census>,
}

impl SocketSink for Members<'_> {
    fn wants(&self, inode: u64) -> bool {
        self.censuses.iter().any(|c| c.wants_socket(inode))
    }

    fn add(&mut self, row: SocketRow) {
        let listening = matches!(&row, SocketRow::Inet(s) if s.proto == InetProto::Tcp && s.state == TcpState::Listen);
        for census in &mut self.censuses {
            if listening || census.wants_socket(row.inode()) {
                census.add_socket_row(row.clone());
            }
        }
    }
}

fn joined<T>(result: std::thread::Result<T>) -> Result<T> {
    result.map_err(|_| anyhow::anyhow!("internal error: a scan thread panicked"))
}
