//! Takes a heap snapshot of a live process: the pprof heap profile when the target serves
//! one, the runtime MemStats, /proc memory figures and the cgroup; smaps otherwise.

use std::path::Path;
use std::time::Duration;

use crate::collect::clock;
use crate::collect::endpoint::{self, DiscoverError, Endpoint};
use crate::collect::exe::{read_go_env, read_go_info};
use crate::collect::http::{self, FetchError};
use crate::collect::memory::{read_cgroup_memory, read_proc_memory, read_smaps};
use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::snapshot::{Snapshot, SnapshotMeta, SNAPSHOT_SCHEMA};
use crate::parse::memstats::parse_memstats;

/// How to reach the profile endpoint and how much to accept from it.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Skip discovery: the handler at this URL (`--url`), or on this loopback port (`--port`).
    pub endpoint: Option<Endpoint>,
    /// Add `?gc=1`: the runtime runs a GC first, so the profile shows live memory now.
    pub gc: bool,
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Fall back to smaps when the target serves no profile (false: that is an error).
    pub allow_smaps: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

pub fn take_snapshot(
    target: &Target,
    opts: &FetchOptions,
    cgroup_root: &Path,
) -> Result<Snapshot, SnapshotError> {
    let go = read_go_info(target);
    let go_env = go.as_ref().map(|_| read_go_env(target));
    let mut warnings = Vec::new();
    let endpoint = match &opts.endpoint {
        Some(e) => Some(e.clone()),
        None => match endpoint::discover(target) {
            Ok(e) => Some(e),
            Err(err @ DiscoverError::Collect(_)) => return Err(err.into()),
            Err(err) if !opts.allow_smaps => return Err(err.into()),
            Err(err) => {
                // A Go service is expected to have a profile; say why there is none rather
                // than hand over a smaps snapshot without a word.
                if go.is_some() {
                    warnings.push(format!(
                        "Go service, but no heap profile: {err}; recorded /proc/PID/smaps instead"
                    ));
                }
                None
            }
        },
    };
    let taken_at = clock::now_unix();
    let (profile, memstats) = match &endpoint {
        Some(e) => {
            let query = if opts.gc { "heap?gc=1" } else { "heap" };
            let profile = http::get(&e.url(query), opts.timeout, opts.max_bytes)?;
            // The text form's trailer holds MemStats, fetched right after. With --gc it forces
            // a second GC, so they are read right after one too, whatever background cycle
            // ends between the two requests. Only its trailer is kept, in bounded memory, so
            // the text form (tens of times the profile's size when every allocation is
            // sampled) is not held to --max-bytes; --timeout still bounds it.
            let text_query = if opts.gc {
                "heap?debug=1&gc=1"
            } else {
                "heap?debug=1"
            };
            let text = http::get_tail(
                &e.url(text_query),
                opts.timeout,
                http::MEMSTATS_TAIL,
                opts.max_bytes.max(1 << 30),
            )?;
            (
                Some(profile.body),
                parse_memstats(&String::from_utf8_lossy(&text.body)),
            )
        }
        None => (None, None),
    };
    let memory = read_proc_memory(target)?;
    let cgroup = read_cgroup_memory(target, cgroup_root);
    let mappings = if profile.is_none() {
        Some(read_smaps(target)?)
    } else {
        None
    };
    if let (Some(_), Some(env), Some(cg)) = (&go, &go_env, &cgroup) {
        if env.readable && env.gomemlimit.is_none() {
            if let Some(limit) = cg.limit {
                warnings.push(format!(
                    "Go service under a cgroup memory limit of {limit} bytes with no GOMEMLIMIT: the GC does not know the limit, and the container can be OOM-killed while garbage is still collectable — set GOMEMLIMIT to about 90% of the limit"
                ));
            }
        }
    }
    let memstats_after_forced_gc = opts.gc && memstats.is_some();
    let meta = SnapshotMeta {
        schema_version: SNAPSHOT_SCHEMA,
        taken_at,
        pid: target.pid,
        comm: target.comm(),
        exe: target
            .process()
            .exe()
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        go,
        go_env,
        endpoint: endpoint.map(|e| e.base),
        profile_file: None,
        memory,
        memstats,
        memstats_after_forced_gc,
        cgroup,
        mappings,
        warnings,
    };
    target.ensure_alive()?;
    Ok(Snapshot { meta, profile })
}
