//! One descriptor scan of the target, scheduled over threads by its size: every link, then
//! the socket rows that describe the ones that are sockets. Shared by `fds` and `triage`.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

use crate::analyze::census::{Census, FdCensus};
use crate::analyze::policy::FdPolicy;
use crate::collect::fds::{self, ScanStats};
use crate::collect::net;
use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::socket::AllRows;

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

fn joined<T>(result: std::thread::Result<T>) -> Result<T> {
    result.map_err(|_| anyhow::anyhow!("internal error: a scan thread panicked"))
}
