//! Goroutine dumps: ?debug=2, ?debug=1, SIGQUIT/panic output inside logs, with kubectl and
//! CRI timestamp prefixes; both the grouping parser and the per-goroutine record reader. The
//! scanner and the parts must group exactly as the plain line reader does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::parse::goroutine_ids::read_goroutine_records;
use steady::parse::goroutines::{parse_dump, parse_dump_by_line, parse_dump_in_parts};

fuzz_target!(|data: &[u8]| {
    for similar in [false, true] {
        let want = parse_dump_by_line(data, "fuzz", similar).ok();
        if let Some(dump) = &want {
            let counted: u64 = dump.groups.iter().map(|g| g.count).sum();
            assert_eq!(counted, dump.total, "every goroutine is in one group");
        }
        assert_eq!(parse_dump(data, "fuzz", similar).ok(), want, "scanner");
        assert_eq!(parse_dump_in_parts(data, 3, "fuzz", similar).ok(), want, "in parts");
    }
    let _ = read_goroutine_records(&String::from_utf8_lossy(data));
});
