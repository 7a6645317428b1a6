//! Which memory mappings grew between two smaps snapshots: for any process, Go or not.

use std::collections::BTreeMap;

use crate::analyze::policy::HeapPolicy;
use crate::model::memory::Mapping;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Heap,
    /// glibc malloc arenas: anonymous, reserved 64 MiB at a time on a 64 MiB boundary.
    MallocArena,
    Anonymous,
    /// The main thread's [stack], and thread stacks (anonymous, just above a guard page).
    Stack,
    /// Shared memory: MAP_SHARED|MAP_ANONYMOUS (/dev/zero), memfd, System V segments.
    Shared,
    File,
    DeletedFile,
    Other,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Heap => "heap",
            Category::MallocArena => "malloc_arena",
            Category::Anonymous => "anonymous",
            Category::Stack => "stack",
            Category::Shared => "shared",
            Category::File => "file",
            Category::DeletedFile => "deleted_file",
            Category::Other => "other",
        }
    }

    pub const ALL: [Category; 8] = [
        Category::Heap,
        Category::MallocArena,
        Category::Anonymous,
        Category::Stack,
        Category::Shared,
        Category::File,
        Category::DeletedFile,
        Category::Other,
    ];

    fn is_anonymous(self) -> bool {
        matches!(
            self,
            Category::MallocArena | Category::Anonymous | Category::Stack
        )
    }
}

/// glibc's HEAP_MAX_SIZE on 64-bit: each non-main arena reserves this much, aligned to it.
const ARENA_SIZE: u64 = 64 << 20;
/// Thread stacks sit right above a guard mapping no larger than this.
const MAX_GUARD: u64 = 1 << 20;

/// The category of every mapping, in order. Neighbours matter: a thread stack is known by the
/// guard page below it, an arena by its alignment and the reserved rest after it.
pub fn categorize_all(maps: &[Mapping]) -> Vec<Category> {
    maps.iter()
        .enumerate()
        .map(|(i, m)| {
            let prev = i
                .checked_sub(1)
                .map(|j| &maps[j])
                .filter(|p| p.end == m.start);
            let next = maps.get(i + 1).filter(|n| n.start == m.end);
            categorize(m, prev, next)
        })
        .collect()
}

fn categorize(m: &Mapping, prev: Option<&Mapping>, next: Option<&Mapping>) -> Category {
    let shared = m.perms.as_bytes().get(3) == Some(&b's');
    match m.name.as_str() {
        "[heap]" => Category::Heap,
        n if n.starts_with("[stack") => Category::Stack,
        n if n.starts_with("/dev/zero") || n.starts_with("/memfd:") || n.starts_with("/SYSV") => {
            Category::Shared
        }
        "" if shared => Category::Shared,
        "" if m.perms.starts_with("---") => Category::Other,
        "" => {
            let is_guard = |g: &Mapping| {
                g.name.is_empty() && g.perms.starts_with("---") && size(g) <= MAX_GUARD
            };
            let reserved_rest = |r: &Mapping| r.name.is_empty() && r.perms.starts_with("---");
            if m.start.is_multiple_of(ARENA_SIZE)
                && (size(m) == ARENA_SIZE
                    || next.is_some_and(|n| {
                        reserved_rest(n) && Some(n.end) == m.start.checked_add(ARENA_SIZE)
                    }))
            {
                Category::MallocArena
            } else if prev.is_some_and(is_guard) {
                Category::Stack
            } else {
                Category::Anonymous
            }
        }
        n if n.ends_with(" (deleted)") => Category::DeletedFile,
        n if n.starts_with('/') => Category::File,
        _ => Category::Other,
    }
}

/// A mapping's length. The kernel never writes end < start, but mappings also come back from
/// snapshot files (JSON) that anyone may edit: no wrap-around there.
fn size(m: &Mapping) -> u64 {
    m.end.saturating_sub(m.start)
}

/// Resident bytes per category.
pub fn totals(maps: &[Mapping]) -> BTreeMap<Category, u64> {
    let mut out: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, 0)).collect();
    for (m, c) in maps.iter().zip(categorize_all(maps)) {
        let total = out.entry(c).or_default();
        *total = total.saturating_add(m.rss);
    }
    out
}

/// One region compared: anonymous regions by address range (the kernel merges and splits
/// neighbouring anonymous mappings, so a start address alone does not follow a region),
/// named ones by name (all segments of a file together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionChange {
    pub category: Category,
    pub name: String,
    pub size_after: u64,
    pub rss_before: u64,
    pub rss_after: u64,
    pub swap_after: u64,
}

impl RegionChange {
    pub fn rss_delta(&self) -> i64 {
        let (after, before) = (self.rss_after as i128, self.rss_before as i128);
        (after - before).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

struct Seen<'a> {
    map: &'a Mapping,
    category: Category,
    is_after: bool,
}

fn seen(maps: &[Mapping], is_after: bool) -> Vec<Seen<'_>> {
    maps.iter()
        .zip(categorize_all(maps))
        .map(|(map, category)| Seen {
            map,
            category,
            is_after,
        })
        .collect()
}

/// Regions whose RSS changed by at least the policy's threshold, largest growth first.
pub fn diff_regions(
    before: &[Mapping],
    after: &[Mapping],
    policy: &HeapPolicy,
) -> Vec<RegionChange> {
    let mut all: Vec<Seen> = seen(before, false);
    all.extend(seen(after, true));
    let mut regions: BTreeMap<(Category, String), RegionChange> = BTreeMap::new();
    let mut add = |key: (Category, String), s: &Seen| {
        let region = regions
            .entry(key)
            .or_insert_with_key(|(category, name)| RegionChange {
                category: *category,
                name: name.clone(),
                size_after: 0,
                rss_before: 0,
                rss_after: 0,
                swap_after: 0,
            });
        if s.is_after {
            region.rss_after = region.rss_after.saturating_add(s.map.rss);
            region.size_after = region.size_after.saturating_add(size(s.map));
            region.swap_after = region.swap_after.saturating_add(s.map.swap);
        } else {
            region.rss_before = region.rss_before.saturating_add(s.map.rss);
        }
    };
    for s in all.iter().filter(|s| !s.category.is_anonymous()) {
        add((s.category, s.map.name.clone()), s);
    }
    // Anonymous mappings of both snapshots that overlap are one region, named by where the
    // region starts and categorised by its largest part now.
    all.retain(|s| s.category.is_anonymous());
    all.sort_by_key(|s| s.map.start);
    let mut cluster: Vec<&Seen> = Vec::new();
    let mut flush = |cluster: &mut Vec<&Seen>| {
        let Some(first) = cluster.first() else {
            return;
        };
        let name = format!("anon 0x{:x}", first.map.start);
        let category = cluster
            .iter()
            .max_by_key(|s| (s.is_after, size(s.map)))
            .map_or(Category::Anonymous, |s| s.category);
        for s in cluster.drain(..) {
            add((category, name.clone()), s);
        }
    };
    let mut end = 0;
    for s in &all {
        if s.map.start >= end {
            flush(&mut cluster);
        }
        end = end.max(s.map.end);
        cluster.push(s);
    }
    flush(&mut cluster);
    let mut changes: Vec<RegionChange> = regions
        .into_values()
        .filter(|r| {
            r.rss_delta().checked_abs().unwrap_or(i64::MAX) >= policy.min_mapping_growth_bytes
        })
        .collect();
    changes.sort_by(|a, b| {
        b.rss_delta()
            .cmp(&a.rss_delta())
            .then_with(|| a.name.cmp(&b.name))
    });
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn map(start: u64, len_mib: u64, name: &str, rss_mib: u64) -> Mapping {
        Mapping {
            start,
            end: start + len_mib * MIB,
            perms: "rw-p".to_string(),
            name: name.to_string(),
            rss: rss_mib * MIB,
            anonymous: rss_mib * MIB,
            private_dirty: rss_mib * MIB,
            swap: 0,
        }
    }

    #[test]
    fn finds_the_region_that_grew() {
        let before = vec![
            map(0x1000_0000, 10, "[heap]", 4),
            map(0x7f00_0000_0000, 64, "", 8),
            map(0x5500_0000, 2, "/usr/lib/libc.so.6", 1),
            map(0x5600_0000, 2, "/usr/lib/libc.so.6", 1),
        ];
        let after = vec![
            map(0x1000_0000, 12, "[heap]", 5),
            map(0x7f00_0000_0000, 64, "", 60),
            map(0x7f10_0000_0000, 64, "", 3),
            map(0x5500_0000, 2, "/usr/lib/libc.so.6", 1),
            map(0x5600_0000, 2, "/usr/lib/libc.so.6", 1),
            map(0x5700_0000, 4, "/tmp/cache (deleted)", 4),
        ];
        let changes = diff_regions(&before, &after, &HeapPolicy::default());
        let got: Vec<(&str, Category, i64)> = changes
            .iter()
            .map(|c| (c.name.as_str(), c.category, c.rss_delta() / MIB as i64))
            .collect();
        assert_eq!(
            got,
            vec![
                ("anon 0x7f0000000000", Category::MallocArena, 52),
                ("/tmp/cache (deleted)", Category::DeletedFile, 4),
                ("anon 0x7f1000000000", Category::MallocArena, 3),
                ("[heap]", Category::Heap, 1),
            ]
        );
        let t = totals(&after);
        assert_eq!(t[&Category::MallocArena], 63 * MIB);
        assert_eq!(t[&Category::File], 2 * MIB);
    }

    fn with_perms(mut m: Mapping, perms: &str) -> Mapping {
        m.perms = perms.to_string();
        m
    }

    #[test]
    fn edited_snapshot_mappings_do_not_overflow() {
        // end < start, RSS at the top of u64, an arena start at the top of the address space:
        // only a hand-edited snapshot file holds these, and they must not panic (debug) or
        // wrap (release).
        let huge = Mapping {
            rss: u64::MAX,
            ..map(u64::MAX - (ARENA_SIZE - 1) - ARENA_SIZE + 1, 64, "", 0)
        };
        let before = vec![
            Mapping {
                end: 0x1000,
                ..map(0x9000, 1, "", 1)
            },
            huge.clone(),
            Mapping {
                rss: u64::MAX,
                ..map(0x5000_0000, 1, "/lib/x.so", 0)
            },
        ];
        let mut after = before.clone();
        after.push(Mapping {
            rss: u64::MAX,
            ..map(0x6000_0000, 1, "/lib/x.so", 0)
        });
        assert_eq!(totals(&after)[&Category::File], u64::MAX);
        let changes = diff_regions(&before, &after, &HeapPolicy::default());
        let _ = diff_regions(&after, &before, &HeapPolicy::default());
        assert!(changes.iter().all(|c| c.size_after < u64::MAX));
    }

    #[test]
    fn merged_anonymous_mappings_stay_one_region() {
        // Two 4 MiB mappings the kernel merged into one, then grown by another 4 MiB.
        let base = 0x7f22_bc20_0000;
        let before = vec![map(base, 4, "", 4), map(base + 4 * MIB, 4, "", 4)];
        let after = vec![map(base, 12, "", 12)];
        let changes = diff_regions(&before, &after, &HeapPolicy::default());
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].name, format!("anon 0x{base:x}"));
        assert_eq!(changes[0].rss_delta(), 4 * MIB as i64);
    }

    #[test]
    fn stacks_arenas_and_shared_memory_are_told_apart() {
        let maps = vec![
            with_perms(map(0x7000_0000_0000, 1, "", 0), "---p"), // guard of a thread stack
            map(0x7000_0010_0000, 8, "", 1),                     // the stack above it
            map(0x7100_0000_0000, 1, "", 1),                     // an arena's used part…
            with_perms(map(0x7100_0010_0000, 63, "", 0), "---p"), // …and its reserved rest
            with_perms(map(0x7200_0000_0000, 32, "/dev/zero (deleted)", 32), "rw-s"),
            with_perms(map(0x7300_0000_0000, 2, "", 2), "rw-s"),
            map(0x7400_0000_0000, 3, "/memfd:cache (deleted)", 3),
            map(0x7500_0000_0000, 5, "", 5),
        ];
        let got = categorize_all(&maps);
        assert_eq!(
            got,
            vec![
                Category::Other,
                Category::Stack,
                Category::MallocArena,
                Category::Other,
                Category::Shared,
                Category::Shared,
                Category::Shared,
                Category::Anonymous,
            ]
        );
    }
}
