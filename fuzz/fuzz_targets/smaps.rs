//! /proc/PID/smaps parsed into steady's mappings, then categorised and diffed against itself
//! and against its first half (what `steady heap` does with two snapshots).
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::analyze::policy::HeapPolicy;
use steady::analyze::smaps::{categorize_all, diff_regions, totals};
use steady::parse::smaps::parse_smaps;

fuzz_target!(|data: &[u8]| {
    let maps = parse_smaps(&String::from_utf8_lossy(data));
    let _ = categorize_all(&maps);
    let _ = totals(&maps);
    let policy = HeapPolicy::default();
    let _ = diff_regions(&maps[..maps.len() / 2], &maps, &policy);
    let _ = diff_regions(&maps, &maps[..maps.len() / 2], &policy);
});
