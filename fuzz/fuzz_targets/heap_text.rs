//! /debug/pprof/heap?debug=1 text and its `# runtime.MemStats` trailer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::parse::heap_text::read_heap_text;
use steady::parse::memstats::parse_memstats;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = read_heap_text(&text);
    let _ = parse_memstats(&text);
});
