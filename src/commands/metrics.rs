//! `steady metrics PID…|--name REGEX [-o FILE]`: one exposition of every target's state now.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::analyze::metrics::metric_families;
use crate::collect::metrics_scan::{ReadOptions, Selection, Watcher};
use crate::commands::Output;
use crate::exit::Outcome;
use crate::render::format::{OpenMetrics, Renderer};

#[derive(Debug, Clone)]
pub struct MetricsOptions {
    pub selection: Selection,
    pub read: ReadOptions,
    pub top: usize,
    pub out: Option<PathBuf>,
}

pub fn run(opts: &MetricsOptions, output: &Output, out: &mut impl Write) -> Result<Outcome> {
    if output.json {
        bail!("steady metrics prints a Prometheus text exposition, not JSON — leave out --json");
    }
    let mut watcher = Watcher::new(opts.selection.clone(), opts.read.clone());
    let mut readings = Vec::new();
    for (_, read) in watcher.read_all() {
        readings.push(read?);
    }
    if readings.is_empty() {
        if let Selection::Name(re) = &opts.selection {
            eprintln!(
                "steady: no process matches --name {re}; the exposition says steady_targets 0"
            );
        }
    }
    let mut text = Vec::new();
    OpenMetrics.render(&metric_families(&readings, opts.top), &mut text)?;
    match &opts.out {
        Some(path) => write_atomically(path, &text)?,
        None => out.write_all(&text)?,
    }
    Ok(Outcome::Steady)
}

/// A temp file beside `path`, then a rename: a reader (the textfile collector) sees the old
/// file or the new one, never half of one.
fn write_atomically(path: &Path, text: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("-o {}: give a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| {
            format!(
                "cannot write {} — check that {} exists and is writable",
                path.display(),
                dir.display()
            )
        });
    }
    Ok(())
}
