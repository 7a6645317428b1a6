//! The argument parsers that are ours rather than clap's: durations, PIDs, sizes, nofile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::cli::{parse_bytes, parse_duration, parse_nofile, parse_pid};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_duration(&text);
    let _ = parse_pid(&text);
    let _ = parse_bytes(&text);
    let _ = parse_nofile(&text);
});
