//! When each figure of a heap snapshot was true, and how many GC cycles lie between two
//! snapshots. The heap profile is as of a GC cycle, MemStats and RSS are as of the snapshot,
//! and only post-GC figures say what is live. Pure: time arrives in the snapshot's facts.

use crate::model::memory::MemStats;
use crate::model::profile::Profile;
use crate::model::snapshot::SnapshotMeta;

const NS: f64 = 1e9;

/// A GC cycle: its number (NumGC after it) and when it ended, when known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcMark {
    pub num_gc: u64,
    pub end_unix: Option<f64>,
}

/// The moments one snapshot's figures are of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    /// When the snapshot began (seconds since the epoch); MemStats and RSS were read then,
    /// right after the profile.
    pub taken_at: f64,
    pub last_gc: GcMark,
    /// A GC ended after the snapshot began, so MemStats were read right after it: `--gc`'s
    /// forced GC (or, rarely, a background one that ended during the fetch). HeapAlloc is then
    /// the live heap, and HeapInuse − HeapAlloc the fragmentation at a GC end.
    pub after_gc: bool,
    /// The cycle the heap profile is as of. A forced GC publishes its own cycle's profile; a
    /// background GC publishes the one before it (Go accounts sweep frees to the previous
    /// cycle and publishes a cycle only once its sweep is done, at the next mark termination).
    /// A GC forced outside the snapshot (someone else's `?gc=1`) is taken for a background
    /// one: the profile is then one cycle newer than said.
    pub profile_gc: GcMark,
    /// When the cycle before the last ended.
    pub prev_gc_end: Option<f64>,
    pub heap_alloc: u64,
    pub next_gc: u64,
}

fn unix(ns: u64) -> Option<f64> {
    (ns > 0).then_some(ns as f64 / NS)
}

impl Moment {
    /// `profile_at` is when the profile was written (its TimeNanos), when known. A GC that
    /// ended after the snapshot began and before the profile was written is `?gc=1`'s.
    pub fn of(taken_at: f64, stats: &MemStats, profile_at: Option<f64>) -> Moment {
        let last_gc = GcMark {
            num_gc: stats.num_gc,
            end_unix: unix(stats.last_gc_unix_ns),
        };
        // The end of cycle NumGC − back, when it is among the recent ones.
        let end_of = |back: usize| {
            stats
                .recent_gc_ends_unix_ns
                .get(back)
                .and_then(|&ns| unix(ns))
        };
        let prev_gc_end = end_of(1);
        let forced_here = |end: Option<f64>| {
            taken_at > 0.0
                && end.is_some_and(|end| end >= taken_at && profile_at.is_none_or(|p| end <= p))
        };
        let ended_after_profile = profile_at
            .zip(last_gc.end_unix)
            .is_some_and(|(p, end)| end > p);
        let (after_gc, profile_gc) = if forced_here(last_gc.end_unix) {
            (true, last_gc)
        } else if ended_after_profile {
            // A background GC ended while MemStats were fetched, after the profile was written
            // (the text form's own garbage can start one): the profile is of an older cycle,
            // and MemStats were read right after a background GC, floating garbage and all.
            let before = stats.num_gc.saturating_sub(1);
            if forced_here(prev_gc_end) {
                (
                    false,
                    GcMark {
                        num_gc: before,
                        end_unix: prev_gc_end,
                    },
                )
            } else {
                (
                    false,
                    GcMark {
                        num_gc: before.saturating_sub(1),
                        end_unix: end_of(2),
                    },
                )
            }
        } else {
            (
                false,
                GcMark {
                    num_gc: stats.num_gc.saturating_sub(1),
                    end_unix: prev_gc_end,
                },
            )
        };
        Moment {
            taken_at,
            last_gc,
            after_gc,
            profile_gc,
            prev_gc_end,
            heap_alloc: stats.heap_alloc,
            next_gc: stats.next_gc,
        }
    }

    /// None for a bare profile (no MemStats beside it).
    pub fn of_snapshot(meta: &SnapshotMeta, profile: Option<&Profile>) -> Option<Moment> {
        let profile_at = profile
            .map(|p| p.time_nanos)
            .filter(|&t| t > 0)
            .map(|t| t as f64 / NS);
        meta.memstats.map(|stats| {
            let mut moment = Moment::of(meta.taken_at, &stats, profile_at);
            // `--gc` read MemStats through a second forced GC: right after a GC whatever
            // the timing says; the profile is of the first.
            moment.after_gc |= meta.memstats_after_forced_gc;
            moment
        })
    }

    /// Seconds from the end of the last GC to the snapshot; 0 when it ended during it.
    pub fn seconds_since_gc(&self) -> Option<f64> {
        self.last_gc
            .end_unix
            .filter(|_| self.taken_at > 0.0)
            .map(|end| (self.taken_at - end).max(0.0))
    }

    /// How old the profile was when the snapshot was taken.
    pub fn profile_age(&self) -> Option<f64> {
        self.profile_gc
            .end_unix
            .filter(|_| self.taken_at > 0.0)
            .map(|end| (self.taken_at - end).max(0.0))
    }
}

/// Two snapshots' moments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcWindow {
    pub base: Moment,
    pub new: Moment,
}

/// How far apart GCs are, as far as the figures tell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcInterval {
    /// About this many seconds from one GC to the next.
    pub seconds: f64,
    /// From the end of the last GC to the second snapshot.
    pub since_last: Option<f64>,
    /// Until the next GC, at the allocation rate seen between the snapshots.
    pub due_in: Option<f64>,
    /// HeapAlloc's rise between the snapshots, bytes per second (with no GC between).
    pub alloc_rate: Option<f64>,
}

impl GcWindow {
    /// GC cycles completed between the two snapshots (NumGC new − base).
    pub fn cycles_between(&self) -> u64 {
        self.new
            .last_gc
            .num_gc
            .saturating_sub(self.base.last_gc.num_gc)
    }

    /// GC cycles between the cycles the two profiles are as of: 0 means both profiles hold
    /// the same cycle and cannot show growth, whatever HeapAlloc did.
    pub fn profile_cycles(&self) -> u64 {
        self.new
            .profile_gc
            .num_gc
            .saturating_sub(self.base.profile_gc.num_gc)
    }

    /// Seconds between the ends of the cycles the profiles are as of.
    pub fn profile_seconds(&self) -> Option<f64> {
        match (self.base.profile_gc.end_unix, self.new.profile_gc.end_unix) {
            (Some(a), Some(b)) if self.profile_cycles() > 0 => Some(b - a),
            _ => None,
        }
    }

    /// Both snapshots read MemStats right after a GC (`--gc`).
    pub fn after_gc_both(&self) -> bool {
        self.base.after_gc && self.new.after_gc
    }

    pub fn seconds(&self) -> Option<f64> {
        (self.base.taken_at > 0.0 && self.new.taken_at > self.base.taken_at)
            .then_some(self.new.taken_at - self.base.taken_at)
    }

    /// The GC interval: from the GCs between the snapshots when some ran; else, with none
    /// between, from how fast HeapAlloc climbed towards NextGC (the time since the last GC
    /// plus the time still to go); else from the last two cycles' ends.
    pub fn interval(&self) -> Option<GcInterval> {
        let since_last = self.new.seconds_since_gc();
        let cycles = self.cycles_between();
        if cycles > 0 {
            let (a, b) = (self.base.last_gc.end_unix?, self.new.last_gc.end_unix?);
            return Some(GcInterval {
                seconds: (b - a) / cycles as f64,
                since_last,
                due_in: None,
                alloc_rate: None,
            });
        }
        let rate = self.seconds().and_then(|s| {
            let grew = self.new.heap_alloc as f64 - self.base.heap_alloc as f64;
            (grew > 0.0).then_some(grew / s)
        });
        let due_in = rate
            .filter(|_| self.new.next_gc > self.new.heap_alloc)
            .map(|r| (self.new.next_gc - self.new.heap_alloc) as f64 / r);
        if let (Some(since), Some(due)) = (since_last, due_in) {
            return Some(GcInterval {
                seconds: since + due,
                since_last,
                due_in,
                alloc_rate: rate,
            });
        }
        let last = self.new.last_gc.end_unix?;
        let prev = self.new.prev_gc_end?;
        Some(GcInterval {
            seconds: (last - prev).max(since_last.unwrap_or(0.0)),
            since_last,
            due_in: None,
            alloc_rate: rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 1_700_000_000.0;

    fn stats(num_gc: u64, last: f64, prev: f64, alloc_mib: u64, next_gc_mib: u64) -> MemStats {
        let ns = |t: f64| (t * NS) as u64;
        MemStats {
            num_gc,
            last_gc_unix_ns: ns(last),
            // The cycle before that ended 10 s before the previous one.
            recent_gc_ends_unix_ns: [ns(last), ns(prev), ns(prev - 10.0).min(ns(prev)), 0],
            heap_alloc: alloc_mib << 20,
            next_gc: next_gc_mib << 20,
            ..MemStats::default()
        }
    }

    impl Moment {
        /// The profile written 200 ms into the snapshot.
        fn of_at(taken: f64, s: &MemStats) -> Moment {
            Moment::of(taken, s, Some(taken + 0.2))
        }
    }

    #[test]
    fn the_profile_is_a_cycle_behind_unless_the_gc_was_forced() {
        // (snapshot time, NumGC, LastGC, the GC before, profile written at)
        //   -> (after_gc, profile's cycle, its end)
        let p = Some(T + 0.1);
        for (taken, num_gc, last, prev, at, want) in [
            // Background GCs only.
            (T, 41, T - 12.0, T - 87.0, p, (false, 40, Some(T - 87.0))),
            // ?gc=1: the GC ended after the snapshot began, before the profile was written.
            (T, 42, T + 0.05, T - 30.0, p, (true, 42, Some(T + 0.05))),
            (T, 42, T + 0.05, T - 30.0, None, (true, 42, Some(T + 0.05))),
            // A background GC ended after the profile was written, while MemStats were
            // fetched: the profile is two cycles back...
            (T, 5, T + 0.3, T - 3.0, p, (false, 3, Some(T - 13.0))),
            // ...or one, when the GC before that was ?gc=1's.
            (T, 5, T + 0.3, T + 0.05, p, (false, 4, Some(T + 0.05))),
            (T, 1, T - 1.0, 0.0, p, (false, 0, None)), // ring: [last, 0, 0, 0]
            (T, 0, 0.0, 0.0, p, (false, 0, None)),
        ] {
            let m = Moment::of(taken, &stats(num_gc, last, prev, 10, 20), at);
            let got = (m.after_gc, m.profile_gc.num_gc, m.profile_gc.end_unix);
            assert_eq!(got, want, "NumGC {num_gc}");
        }
    }

    #[test]
    fn cycles_and_intervals_between_two_snapshots() {
        // No GC between: 150 MiB live, HeapAlloc rising 2 MiB/s towards NextGC 300 MiB.
        let quiet = GcWindow {
            base: Moment::of_at(T, &stats(41, T - 12.0, T - 87.0, 174, 300)),
            new: Moment::of_at(T + 15.0, &stats(41, T - 12.0, T - 87.0, 204, 300)),
        };
        assert_eq!((quiet.cycles_between(), quiet.profile_cycles()), (0, 0));
        let i = quiet.interval().unwrap();
        assert_eq!(i.alloc_rate, Some(2.0 * 1024.0 * 1024.0));
        assert_eq!(i.since_last, Some(27.0));
        assert_eq!(i.due_in, Some(48.0));
        assert_eq!(i.seconds, 75.0);
        assert_eq!(quiet.profile_seconds(), None);

        // Four background GCs between: profiles of GC #40 and #44.
        let busy = GcWindow {
            base: Moment::of_at(T, &stats(41, T - 12.0, T - 87.0, 174, 300)),
            new: Moment::of_at(T + 300.0, &stats(45, T + 288.0, T + 213.0, 180, 300)),
        };
        assert_eq!((busy.cycles_between(), busy.profile_cycles()), (4, 4));
        assert_eq!(busy.profile_seconds(), Some(300.0));
        assert_eq!(busy.interval().unwrap().seconds, 75.0);

        // Forced at both ends (--gc): each profile is of its own snapshot's GC.
        let forced = GcWindow {
            base: Moment::of_at(T, &stats(41, T + 0.1, T - 30.0, 150, 300)),
            new: Moment::of_at(T + 15.0, &stats(42, T + 15.1, T + 0.1, 151, 300)),
        };
        assert!(forced.after_gc_both());
        assert_eq!((forced.cycles_between(), forced.profile_cycles()), (1, 1));
        assert_eq!(forced.profile_seconds(), Some(15.0));

        // A forced base, then a background snapshot after one more GC: the new profile is
        // still of the forced cycle, #41.
        let mixed = GcWindow {
            base: Moment::of_at(T, &stats(41, T + 0.1, T - 30.0, 150, 300)),
            new: Moment::of_at(T + 60.0, &stats(42, T + 50.0, T + 0.1, 160, 300)),
        };
        assert_eq!((mixed.cycles_between(), mixed.profile_cycles()), (1, 0));
    }
}
