//! Fetches goroutine dumps from the target's pprof endpoint, without stopping its world
//! for long: the count comes first from `?debug=1` (a short, constant pause since Go 1.19);
//! `?debug=2`, whose stop-the-world pause grows with the goroutine count, only below a bound.

use std::time::Duration;

use crate::collect::endpoint::Endpoint;
use crate::collect::http::{self, FetchError};
use crate::model::stacks::GoroutineDump;
use crate::parse::goroutines::{parse_dump_bytes, DumpError};

#[derive(Debug, Clone)]
pub struct GoroutineFetch {
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Fetch `?debug=2` only when there are fewer goroutines than this…
    pub max_full_dump: u64,
    /// …unless the user accepts the pause.
    pub allow_stw: bool,
    pub similar: bool,
}

pub struct FetchedDump {
    pub dump: GoroutineDump,
    /// Why wait reasons and ages are missing, when `?debug=2` was not fetched.
    pub degraded: Option<String>,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GoroutineFetchError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Dump(#[from] DumpError),
}

pub fn fetch_goroutines(
    endpoint: &Endpoint,
    opts: &GoroutineFetch,
) -> Result<FetchedDump, GoroutineFetchError> {
    let counted_url = endpoint.url("goroutine?debug=1");
    let counted = http::get(&counted_url, opts.timeout, opts.max_bytes)?;
    let counted_dump = parse_dump_bytes(&counted.body, &counted_url, opts.similar)?;
    let total = counted_dump.total;
    if total >= opts.max_full_dump && !opts.allow_stw {
        return Ok(FetchedDump {
            dump: counted_dump,
            degraded: Some(format!(
                "{total} goroutines ≥ --max-full-dump {}: grouped from ?debug=1, without wait reasons and ages, because ?debug=2 stops the target's world for a time that grows with the goroutine count (--allow-stw fetches it anyway)",
                opts.max_full_dump
            )),
            url: counted_url,
        });
    }
    let full_url = endpoint.url("goroutine?debug=2");
    let full = http::get(&full_url, opts.timeout, opts.max_bytes)?;
    let dump = parse_dump_bytes(&full.body, &full_url, opts.similar)?;
    // The runtime stops writing a ?debug=2 dump at 64 MiB: the rest of the goroutines are
    // simply missing, so say so rather than under-count.
    const GO_DUMP_CAP: usize = 64 << 20;
    let degraded = (full.body.len() >= GO_DUMP_CAP).then(|| {
        format!(
            "the ?debug=2 dump lists {} of {total} goroutines (Go cuts it at 64 MiB); counts per group are from what it lists — group from ?debug=1 with --max-full-dump {total} for complete counts",
            dump.total
        )
    });
    Ok(FetchedDump {
        dump,
        degraded,
        url: full_url,
    })
}
