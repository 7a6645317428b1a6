//! The descriptor scan behind `fds --list`: the socket tables once, then each descriptor's
//! link and fdinfo, handed on as rows in descriptor order while the scan goes on.
//!
//! An fdinfo read is three system calls (open, read, close) on top of the readlink, so a large
//! table is read by two workers, as the census is, each claiming slices through a cursor; the
//! calling thread puts their slices back in order and hands on the rows. The channel between
//! them is bounded, so at most a few slices wait in memory whatever the number of descriptors.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::Result;

use crate::analyze::fd_list::{add_fdinfo, build_row, FdRow, RowFilter, SocketIndex};
use crate::collect::fdinfo::{open_fdinfo_dir, FdInfoDir};
use crate::collect::fds::{self, FdListing};
use crate::collect::net;
use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::socket::AllRows;

/// Descriptors per slice.
const CHUNK: usize = 512;
/// Below this, threads cost more than they save.
const PARALLEL_FROM: usize = 1024;
/// Slices finished but not yet handed on, per worker.
const IN_FLIGHT: usize = 2;
/// How far past the next slice to hand on a worker may read: a worker slowed on one slice
/// holds the other back, so the slices waiting to be put in order stay few.
const WINDOW: usize = 8;

/// What the scan saw besides the rows it handed on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ListStats {
    /// Descriptors listed by readdir.
    pub listed: u64,
    /// Of those, closed before they could be read (skipped).
    pub vanished: u64,
}

/// Calls `emit` with each row the filter keeps, in descriptor order. An error from `emit`
/// (stdout closed) ends the scan.
pub fn scan_rows(
    target: &Target,
    filter: &RowFilter,
    mut emit: impl FnMut(&FdRow) -> Result<()>,
) -> Result<ListStats> {
    let mut rows = AllRows::default();
    net::read_socket_tables(target, &mut rows)?;
    let sockets = SocketIndex::new(rows.0);
    let listing = fds::list_fds(target)?;
    let info = open_fdinfo_dir(target)?;
    let scan = Scan {
        target,
        filter,
        sockets: &sockets,
        listing: &listing,
        info: &info,
    };
    let mut stats = ListStats {
        listed: listing.fds.len() as u64,
        vanished: 0,
    };
    if listing.fds.len() < PARALLEL_FROM {
        for chunk in listing.fds.chunks(CHUNK) {
            let (rows, vanished) = scan.slice(chunk)?;
            stats.vanished += vanished;
            rows.iter().try_for_each(&mut emit)?;
        }
    } else {
        stats.vanished = scan.in_parallel(&mut emit)?;
    }
    target.ensure_alive()?;
    Ok(stats)
}

struct Scan<'a> {
    target: &'a Target,
    filter: &'a RowFilter,
    sockets: &'a SocketIndex,
    listing: &'a FdListing,
    info: &'a FdInfoDir,
}

type Slice = (Vec<FdRow>, u64);

impl Scan<'_> {
    /// The kept rows of a slice of the listing, and how many of its descriptors had closed.
    fn slice(&self, fds: &[i32]) -> Result<Slice, CollectError> {
        let mut entries = Vec::with_capacity(fds.len());
        let mut vanished =
            fds::read_fds(self.target, self.listing.dir(), fds, |e| entries.push(e))?.vanished;
        let mut rows = Vec::new();
        for entry in entries {
            let mut row = build_row(entry, self.sockets);
            // Every filter is decided by the link: fdinfo is read only for rows kept.
            if !self.filter.keeps(&row) {
                continue;
            }
            match self.info.read(self.target, row.fd)? {
                Some(info) => add_fdinfo(&mut row, info),
                // Closed mid-scan: skipped, as the census skips it.
                None => {
                    vanished += 1;
                    continue;
                }
            }
            rows.push(row);
        }
        Ok((rows, vanished))
    }

    fn in_parallel(&self, emit: &mut impl FnMut(&FdRow) -> Result<()>) -> Result<u64> {
        let count = self.listing.fds.len();
        let cursor = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let handed_on = AtomicUsize::new(0);
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<Slice, CollectError>)>(IN_FLIGHT * 2);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let tx = tx.clone();
                let (cursor, stop, handed_on) = (&cursor, &stop, &handed_on);
                scope.spawn(move || loop {
                    let start = cursor.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= count || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    while start / CHUNK >= handed_on.load(Ordering::Relaxed) + WINDOW {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let fds = &self.listing.fds[start..(start + CHUNK).min(count)];
                    // A closed receiver means the caller stopped: nothing more to do.
                    if tx.send((start / CHUNK, self.slice(fds))).is_err() {
                        return;
                    }
                });
            }
            drop(tx);
            let result = hand_on_in_order(&rx, &handed_on, emit);
            // Workers blocked on a full channel see it closed and return.
            stop.store(true, Ordering::Relaxed);
            drop(rx);
            result
        })
    }
}

/// Receives numbered slices in any order and hands their rows on in slice order.
fn hand_on_in_order(
    rx: &mpsc::Receiver<(usize, Result<Slice, CollectError>)>,
    handed_on: &AtomicUsize,
    emit: &mut impl FnMut(&FdRow) -> Result<()>,
) -> Result<u64> {
    let mut waiting: BTreeMap<usize, Vec<FdRow>> = BTreeMap::new();
    let (mut next, mut vanished) = (0usize, 0u64);
    for (index, slice) in rx {
        let (rows, gone) = slice?;
        vanished += gone;
        waiting.insert(index, rows);
        while let Some(rows) = waiting.remove(&next) {
            rows.iter().try_for_each(&mut *emit)?;
            next += 1;
            handed_on.store(next, Ordering::Relaxed);
        }
    }
    Ok(vanished)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::fd_list::build_row;
    use crate::model::fd::{FdEntry, LinkTarget, PathType};

    fn rows(fds: &[i32]) -> Vec<FdRow> {
        fds.iter()
            .map(|&fd| {
                let entry = FdEntry {
                    fd,
                    target: LinkTarget::Pipe(1),
                    path_type: PathType::Unknown,
                    allocated_bytes: 0,
                    file_id: None,
                };
                build_row(entry, &SocketIndex::default())
            })
            .collect()
    }

    #[test]
    fn slices_arriving_out_of_order_are_handed_on_in_order() {
        let (tx, rx) = mpsc::sync_channel(8);
        tx.send((2, Ok((rows(&[5]), 0)))).unwrap();
        tx.send((0, Ok((rows(&[0, 1]), 1)))).unwrap();
        tx.send((1, Ok((rows(&[3]), 2)))).unwrap();
        drop(tx);
        let handed_on = AtomicUsize::new(0);
        let mut seen = Vec::new();
        let vanished = hand_on_in_order(&rx, &handed_on, &mut |r: &FdRow| {
            seen.push(r.fd);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [0, 1, 3, 5]);
        assert_eq!(vanished, 3);
        assert_eq!(handed_on.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_failed_slice_ends_the_scan() {
        let (tx, rx) = mpsc::sync_channel(8);
        tx.send((0, Ok((rows(&[0]), 0)))).unwrap();
        tx.send((
            1,
            Err(CollectError::ProcessGone {
                pid: 7,
                zombie_parent: None,
            }),
        ))
        .unwrap();
        drop(tx);
        let mut seen = Vec::new();
        let result = hand_on_in_order(&rx, &AtomicUsize::new(0), &mut |r: &FdRow| {
            seen.push(r.fd);
            Ok(())
        });
        assert!(result.is_err());
        assert_eq!(seen, [0]);
    }
}
