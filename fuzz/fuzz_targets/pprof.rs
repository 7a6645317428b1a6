//! pprof profiles, gzipped or raw, as `steady heap` reads them from an endpoint or a file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::parse::pprof::decode_profile;

/// The default --max-bytes is far larger; a small cap keeps each run fast and still checks
/// that the cap holds (a gzip bomb must stop at it).
const MAX_BYTES: u64 = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = decode_profile(data, "fuzz", MAX_BYTES);
});
