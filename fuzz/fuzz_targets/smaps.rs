//! /proc/PID/smaps as procfs parses it, turned into steady's mappings, then categorised and
//! diffed against itself and against its first half (what `steady heap` does with two).
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfs::process::MemoryMaps;
use procfs::FromRead;
use steady::analyze::policy::HeapPolicy;
use steady::analyze::smaps::{categorize_all, diff_regions, totals};
use steady::collect::memory::mapping_of;

fuzz_target!(|data: &[u8]| {
    let Ok(maps) = MemoryMaps::from_read(data) else {
        return;
    };
    let maps: Vec<_> = maps.iter().map(mapping_of).collect();
    let _ = categorize_all(&maps);
    let _ = totals(&maps);
    let policy = HeapPolicy::default();
    let _ = diff_regions(&maps[..maps.len() / 2], &maps, &policy);
    let _ = diff_regions(&maps, &maps[..maps.len() / 2], &policy);
});
