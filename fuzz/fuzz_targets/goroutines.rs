//! Goroutine dumps: ?debug=2, ?debug=1, SIGQUIT/panic output inside logs, with kubectl and
//! CRI timestamp prefixes; both the grouping parser and the per-goroutine record reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::parse::goroutine_ids::read_goroutine_records;
use steady::parse::goroutines::parse_dump;

fuzz_target!(|data: &[u8]| {
    for similar in [false, true] {
        if let Ok(dump) = parse_dump(data, "fuzz", similar) {
            let counted: u64 = dump.groups.iter().map(|g| g.count).sum();
            assert_eq!(counted, dump.total, "every goroutine is in one group");
        }
    }
    let _ = read_goroutine_records(&String::from_utf8_lossy(data));
});
