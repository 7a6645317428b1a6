//! Which memory mappings grew between two smaps snapshots: for any process, Go or not.

use std::collections::BTreeMap;

use crate::analyze::policy::HeapPolicy;
use crate::model::memory::Mapping;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Heap,
    Anonymous,
    Stack,
    File,
    DeletedFile,
    Other,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Heap => "heap",
            Category::Anonymous => "anonymous",
            Category::Stack => "stack",
            Category::File => "file",
            Category::DeletedFile => "deleted_file",
            Category::Other => "other",
        }
    }

    pub const ALL: [Category; 6] = [
        Category::Heap,
        Category::Anonymous,
        Category::Stack,
        Category::File,
        Category::DeletedFile,
        Category::Other,
    ];
}

pub fn categorize(m: &Mapping) -> Category {
    match m.name.as_str() {
        "[heap]" => Category::Heap,
        "" => Category::Anonymous,
        n if n.starts_with("[stack") => Category::Stack,
        n if n.ends_with(" (deleted)") => Category::DeletedFile,
        n if n.starts_with('/') => Category::File,
        _ => Category::Other,
    }
}

/// Resident bytes per category.
pub fn totals(maps: &[Mapping]) -> BTreeMap<Category, u64> {
    let mut out: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, 0)).collect();
    for m in maps {
        *out.entry(categorize(m)).or_default() += m.rss;
    }
    out
}

/// One region compared: anonymous regions by start address (they grow in place or appear),
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
        self.rss_after as i64 - self.rss_before as i64
    }
}

fn region_key(m: &Mapping) -> (Category, String) {
    let category = categorize(m);
    let name = match category {
        Category::Anonymous => format!("anon 0x{:x}", m.start),
        _ => m.name.clone(),
    };
    (category, name)
}

/// Regions whose RSS changed by at least the policy's threshold, largest growth first.
pub fn diff_regions(
    before: &[Mapping],
    after: &[Mapping],
    policy: &HeapPolicy,
) -> Vec<RegionChange> {
    let mut regions: BTreeMap<(Category, String), RegionChange> = BTreeMap::new();
    for (m, is_after) in before
        .iter()
        .map(|m| (m, false))
        .chain(after.iter().map(|m| (m, true)))
    {
        let (category, name) = region_key(m);
        let region = regions
            .entry((category, name))
            .or_insert_with_key(|(category, name)| RegionChange {
                category: *category,
                name: name.clone(),
                size_after: 0,
                rss_before: 0,
                rss_after: 0,
                swap_after: 0,
            });
        if is_after {
            region.rss_after += m.rss;
            region.size_after += m.end - m.start;
            region.swap_after += m.swap;
        } else {
            region.rss_before += m.rss;
        }
    }
    let mut changes: Vec<RegionChange> = regions
        .into_values()
        .filter(|r| r.rss_delta().abs() >= policy.min_mapping_growth_bytes)
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
                ("anon 0x7f0000000000", Category::Anonymous, 52),
                ("/tmp/cache (deleted)", Category::DeletedFile, 4),
                ("anon 0x7f1000000000", Category::Anonymous, 3),
                ("[heap]", Category::Heap, 1),
            ]
        );
        let t = totals(&after);
        assert_eq!(t[&Category::Anonymous], 63 * MIB);
        assert_eq!(t[&Category::File], 2 * MIB);
    }
}
