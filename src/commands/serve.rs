//! `steady serve --listen 127.0.0.1:9977 (--name REGEX | --pid PID…)`: the `metrics`
//! exposition on GET /metrics, re-read on every scrape.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::analyze::metrics::metric_families;
use crate::collect::metrics_scan::{ReadOptions, Selection, Watcher};
use crate::collect::scrape_http::{self, ServerLimits};
use crate::collect::shutdown;
use crate::commands::Output;
use crate::exit::Outcome;
use crate::render::format::{OpenMetrics, Renderer};
use crate::render::openmetrics;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub allow_remote: bool,
    pub selection: Selection,
    pub read: ReadOptions,
    pub top: usize,
    pub max_scrapes: usize,
}

pub fn run(opts: &ServeOptions, output: &Output) -> Result<Outcome> {
    if output.json {
        bail!("steady serve answers scrapes with a Prometheus text exposition, not JSON — leave out --json");
    }
    if !opts.listen.ip().is_loopback() && !opts.allow_remote {
        bail!(
            "--listen {} is not a loopback address: descriptor paths, endpoints and command names would be readable from the network — add --allow-remote if that is meant, or listen on 127.0.0.1",
            opts.listen
        );
    }
    let listener = scrape_http::bind(opts.listen)?;
    shutdown::catch_stop_signals();
    eprintln!(
        "steady: serving GET http://{}/metrics (SIGTERM or Ctrl-C stops)",
        listener.local_addr().unwrap_or(opts.listen)
    );
    let watcher = Mutex::new(Watcher::new(opts.selection.clone(), opts.read.clone()));
    let top = opts.top;
    let scrape = move || {
        // One scrape reads at a time: they share the targets' handles and Go caches.
        let mut watcher = watcher.lock().unwrap_or_else(|e| e.into_inner());
        let readings: Vec<_> = watcher
            .read_all()
            .into_iter()
            // A PID that exited (or cannot be read) drops out of the exposition; it is
            // opened afresh on the next scrape.
            .filter_map(|(_, r)| r.ok())
            .collect();
        let mut body = Vec::new();
        OpenMetrics
            .render(&metric_families(&readings, top), &mut body)
            .map_err(|e| e.to_string())?;
        Ok((body, openmetrics::CONTENT_TYPE))
    };
    scrape_http::serve(
        listener,
        ServerLimits {
            max_connections: opts.max_scrapes.max(1),
            head_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
        },
        shutdown::stop_requested,
        scrape,
    )?;
    eprintln!("steady: stopped");
    Ok(Outcome::Steady)
}
