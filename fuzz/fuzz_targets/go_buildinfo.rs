//! The Go build info blob of the target's executable (version, module path).
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::collect::exe::parse_build_info;

fuzz_target!(|data: &[u8]| {
    let _ = parse_build_info(data);
});
