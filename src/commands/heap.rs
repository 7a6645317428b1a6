//! `steady heap snapshot|top|diff`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::analyze::heap::{self, DiffFold, FoldedProfile, Granularity, SampleFilter};
use crate::analyze::heap_report::{self, Decoded, View};
use crate::analyze::policy::HeapPolicy;
use crate::collect::process::Target;
use crate::collect::snapshot::{take_snapshot, FetchOptions};
use crate::collect::{clock, snapshot_file};
use crate::commands::Output;
use crate::error::CollectError;
use crate::exit::Outcome;
use crate::model::profile::Profile;
use crate::model::snapshot::{Snapshot, Written};
use crate::parse::pprof::{decode_profile, fold_profile};
use crate::render::flame;
use crate::render::progress::WaitBar;

/// Where cgroup v2 is mounted; the target's cgroup path is read below it.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub sample: String,
    pub granularity: Granularity,
    pub by_cum: bool,
    pub top: usize,
    pub flame: Option<PathBuf>,
    pub folded: bool,
    /// --focus / --ignore.
    pub filter: SampleFilter,
}

#[derive(Debug, Clone)]
pub struct HeapOptions {
    pub proc_root: PathBuf,
    pub fetch: FetchOptions,
    pub view: ViewOptions,
}

#[derive(Debug, Clone)]
pub enum HeapRequest {
    Snapshot {
        pid: i32,
        out: Option<PathBuf>,
    },
    Top {
        source: String,
    },
    /// `heap list REGEX SOURCE`.
    List {
        pattern: regex::Regex,
        source: String,
    },
    Diff {
        base: String,
        new: Option<String>,
        over: Option<Duration>,
    },
}

pub fn run(
    request: &HeapRequest,
    opts: &HeapOptions,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    match request {
        HeapRequest::Snapshot { pid, out: path } => {
            snapshot(*pid, path.as_deref(), opts, output, out)
        }
        HeapRequest::Top { source } => top(source, opts, output, out),
        HeapRequest::List { pattern, source } => list(pattern, source, opts, output, out),
        HeapRequest::Diff { base, new, over } => {
            diff(base, new.as_deref(), *over, opts, output, out)
        }
    }
}

fn live(pid: i32, opts: &HeapOptions) -> Result<Snapshot> {
    let target = Target::open(pid, &opts.proc_root)?;
    Ok(take_snapshot(&target, &opts.fetch, Path::new(CGROUP_ROOT))?)
}

/// A SOURCE is a file when one exists by that name, else a PID.
fn load(source: &str, opts: &HeapOptions) -> Result<(String, Snapshot)> {
    if !Path::new(source).exists() {
        if let Ok(pid) = crate::cli::parse_pid(source) {
            return Ok((format!("PID {pid}"), live(pid, opts)?));
        }
    }
    let snapshot = snapshot_file::load(Path::new(source), opts.fetch.max_bytes)?;
    Ok((source.to_string(), snapshot))
}

/// What errors call a snapshot's profile: for a live source the URL that answered, since that
/// is what to check or override.
fn source_name(label: &str, snapshot: &Snapshot) -> String {
    match (
        &snapshot.meta.endpoint,
        snapshot.meta.profile_file.is_none(),
    ) {
        (Some(base), true) => format!("what {base}heap answered for {label}"),
        _ => label.to_string(),
    }
}

fn decode(label: &str, snapshot: &Snapshot, max_bytes: u64) -> Result<Option<Profile>> {
    let what = source_name(label, snapshot);
    snapshot
        .profile
        .as_ref()
        .map(|bytes| decode_profile(bytes, &what, max_bytes))
        .transpose()
        .map_err(Into::into)
}

/// [`decode`], folding the samples into what `heap diff` sums instead of keeping them.
fn fold(
    label: &str,
    snapshot: &Snapshot,
    max_bytes: u64,
    view: &ViewOptions,
) -> Result<Option<FoldedProfile>> {
    let Some(bytes) = &snapshot.profile else {
        return Ok(None);
    };
    let mut fold = DiffFold::new(view.granularity, &view.filter);
    let tables = fold_profile(bytes, &source_name(label, snapshot), max_bytes, &mut fold)?;
    Ok(Some(fold.finish(tables)))
}

fn view(opts: &ViewOptions) -> View<'_> {
    View {
        sample: &opts.sample,
        granularity: opts.granularity,
        by_cum: opts.by_cum,
        top: opts.top,
        filter: &opts.filter,
    }
}

fn snapshot(
    pid: i32,
    path: Option<&Path>,
    opts: &HeapOptions,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let snap = live(pid, opts)?;
    // Refuse to store something that is not a profile: decode it once before writing.
    decode(
        &format!("the heap profile of PID {pid}"),
        &snap,
        opts.fetch.max_bytes,
    )?;
    let path = path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| snapshot_file::default_path(&snap));
    let files = snapshot_file::save(&snap, &path)?;
    if files.first().is_some_and(|f| f != &path) {
        eprintln!(
            "steady: PID {pid} has no heap profile to store, so {} holds its smaps snapshot instead of {} (go tool pprof reads only profiles)",
            files[0].display(),
            path.display()
        );
    }
    for file in &files {
        announce(file);
    }
    let mut meta = snap.meta.clone();
    meta.profile_file = snap.profile.as_ref().map(|_| path.display().to_string());
    let written = Written {
        meta: &meta,
        files: &files,
        profile: snap.profile.is_some(),
    };
    output.format().render(&written, out)?;
    Ok(Outcome::Steady)
}

fn top(source: &str, opts: &HeapOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    let (label, snap) = load(source, opts)?;
    let profile = decode(&label, &snap, opts.fetch.max_bytes)?;
    if let (Some(p), true) = (&profile, opts.view.flame.is_some() || opts.view.folded) {
        let index = heap_report::sample_index(p, &opts.view.sample)?;
        let lines: Vec<String> = heap::folded(p, index, opts.view.granularity, &opts.view.filter)
            .into_iter()
            .map(|(stack, v)| format!("{stack} {v}"))
            .collect();
        if let Some(svg) = &opts.view.flame {
            let title = format!("{} — {}", label, opts.view.sample);
            write_file(svg, |w| {
                flame::write_svg(&lines, &title, unit_name(p, index), w)
            })?;
        }
        if opts.view.folded {
            flame::write_folded(&lines, out)?;
            return Ok(Outcome::Steady);
        }
    }
    let report = heap_report::build_top(
        Decoded {
            label,
            meta: &snap.meta,
            profile,
        },
        view(&opts.view),
    )?;
    output.format().render(&report, out)?;
    Ok(Outcome::Steady)
}

fn diff(
    base: &str,
    new: Option<&str>,
    over: Option<Duration>,
    opts: &HeapOptions,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let ((base_label, base_snap), (new_label, new_snap)) = match (new, over) {
        (None, Some(over)) => {
            let pid = crate::cli::parse_pid(base)
                .map_err(|e| anyhow::anyhow!("--over takes a PID, and `{base}` is not one: {e}"))?;
            // One handle for both: a PID reused by another process in between is not taken
            // for the same one.
            let target = Target::open(pid, &opts.proc_root)?;
            let first = take_snapshot(&target, &opts.fetch, Path::new(CGROUP_ROOT))?;
            let message = format!("second heap snapshot of PID {pid} in");
            let bar = WaitBar::new(over, &message, output.progress);
            clock::wait(over, |elapsed| bar.set(elapsed));
            bar.finish();
            let second = match take_snapshot(&target, &opts.fetch, Path::new(CGROUP_ROOT)) {
                Ok(second) => second,
                // Gone shows as whatever failed first (a refused fetch, an unreadable file).
                Err(_) if target.ensure_alive().is_err() => {
                    // The first snapshot is the evidence: keep it (in the temp dir, writable
                    // even on a read-only root) for a diff against the restarted service.
                    let name = snapshot_file::default_path(&first);
                    let path = std::env::temp_dir().join(name.file_name().unwrap_or_default());
                    let kept = match snapshot_file::save(&first, &path) {
                        Ok(files) => format!(
                            "; the first snapshot is kept in {0} — diff it against the restarted service: steady heap diff {0} NEW_PID",
                            files[0].display()
                        ),
                        Err(e) => format!("; the first snapshot could not be kept: {e}"),
                    };
                    return Err(anyhow::Error::new(CollectError::gone(pid))
                        .context(format!("process {pid} exited during the window{kept}")));
                }
                Err(err) => return Err(err.into()),
            };
            (
                (format!("PID {pid} (first)"), first),
                (format!("PID {pid} (second)"), second),
            )
        }
        (Some(new), None) => (load(base, opts)?, load(new, opts)?),
        (Some(_), Some(_)) => {
            anyhow::bail!("give either two sources, or one PID with --over — not both")
        }
        (None, None) => {
            anyhow::bail!("heap diff needs two sources (BASE NEW), or a PID with --over DURATION")
        }
    };
    let max = opts.fetch.max_bytes;
    let mut folded_only = false;
    let (base_profile, new_profile) = if opts.view.flame.is_some() || opts.view.folded {
        // Flame graphs need every stack: decode whole, then fold what the report sums.
        let (b, n) = (
            decode(&base_label, &base_snap, max)?,
            decode(&new_label, &new_snap, max)?,
        );
        if let (Some(b), Some(n)) = (&b, &n) {
            let (bi, ni) = (
                heap_report::sample_index(b, &opts.view.sample)?,
                heap_report::sample_index(n, &opts.view.sample)?,
            );
            let lines = differential_lines(b, bi, n, ni, opts.view.granularity, &opts.view.filter);
            if let Some(svg) = &opts.view.flame {
                let title = format!("{} → {} — {}", base_label, new_label, opts.view.sample);
                write_file(svg, |w| {
                    flame::write_svg(&lines, &title, unit_name(n, ni), w)
                })?;
            }
            if opts.view.folded {
                flame::write_folded(&lines, out)?;
                folded_only = true;
            }
        }
        let sums = |p: Profile| DiffFold::of(p, opts.view.granularity, &opts.view.filter);
        (b.map(sums), n.map(sums))
    } else {
        // Each profile folded while it is decoded: its samples are never held.
        (
            fold(&base_label, &base_snap, max, &opts.view)?,
            fold(&new_label, &new_snap, max, &opts.view)?,
        )
    };
    // Built even when only folded stacks are printed: the exit status is the verdict's.
    let report = heap_report::build_diff(
        Decoded {
            label: base_label,
            meta: &base_snap.meta,
            profile: base_profile,
        },
        Decoded {
            label: new_label,
            meta: &new_snap.meta,
            profile: new_profile,
        },
        view(&opts.view),
        &HeapPolicy::default(),
    )?;
    if !folded_only {
        output.format().render(&report, out)?;
    }
    Ok(if report.grew {
        Outcome::Found
    } else {
        Outcome::Steady
    })
}

/// `stack base new` lines, the input of a differential flame graph.
fn differential_lines(
    base: &Profile,
    bi: usize,
    new: &Profile,
    ni: usize,
    granularity: Granularity,
    filter: &SampleFilter,
) -> Vec<String> {
    let mut merged: std::collections::BTreeMap<String, (i64, i64)> =
        std::collections::BTreeMap::new();
    for (stack, v) in heap::folded(base, bi, granularity, filter) {
        merged.entry(stack).or_default().0 += v;
    }
    for (stack, v) in heap::folded(new, ni, granularity, filter) {
        merged.entry(stack).or_default().1 += v;
    }
    merged
        .into_iter()
        .map(|(stack, (b, n))| format!("{stack} {b} {n}"))
        .collect()
}

fn unit_name(profile: &Profile, index: usize) -> &str {
    &profile.sample_types[index].unit
}

fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let file = File::create(path)
        .with_context(|| format!("cannot create {} — choose another path", path.display()))?;
    let mut w = BufWriter::new(file);
    write(&mut w).with_context(|| format!("writing {}", path.display()))?;
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    announce(path);
    Ok(())
}

/// Every file steady writes is named on stderr, so it is found whatever stdout shows.
fn announce(path: &Path) {
    eprintln!("wrote {}", path.display());
}

fn list(
    pattern: &regex::Regex,
    source: &str,
    opts: &HeapOptions,
    output: &Output,
    out: &mut impl Write,
) -> Result<Outcome> {
    let (label, snap) = load(source, opts)?;
    let Some(profile) = decode(&label, &snap, opts.fetch.max_bytes)? else {
        anyhow::bail!(
            "{label} holds smaps, not a heap profile: it has no lines to list — list a profile from a Go service's /debug/pprof/heap"
        );
    };
    let listed = heap_report::build_list(label, &profile, pattern, view(&opts.view))?;
    output.format().render(&listed, out)?;
    Ok(Outcome::Steady)
}
