//! The JSON facts file `steady heap snapshot` writes beside a profile, which `steady heap`
//! reads back (possibly from another machine): its mappings go through the smaps analysis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::analyze::policy::HeapPolicy;
use steady::analyze::smaps::{diff_regions, totals};
use steady::model::snapshot::SnapshotMeta;

fuzz_target!(|data: &[u8]| {
    let Ok(meta) = serde_json::from_slice::<SnapshotMeta>(data) else {
        return;
    };
    if let Some(maps) = meta.mappings.as_deref() {
        let _ = totals(maps);
        let _ = diff_regions(&[], maps, &HeapPolicy::default());
        let _ = diff_regions(maps, &maps[..maps.len() / 2], &HeapPolicy::default());
    }
});
