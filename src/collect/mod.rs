//! All I/O against the target: /proc and the clock. Returns model data; procfs types stay here.

pub mod caps;
pub mod census_scan;
pub mod clock;
pub mod contact;
pub mod endpoint;
pub mod exe;
pub mod facts;
pub mod fdinfo;
pub mod fds;
pub mod find;
pub mod goroutines;
pub mod http;
pub mod interrupt;
pub mod limits;
pub mod list_scan;
pub mod memory;
pub mod metrics_scan;
pub mod net;
pub mod process;
pub mod sampler;
pub mod scrape_http;
pub mod shutdown;
pub mod snapshot;
pub mod snapshot_file;
pub mod tasks;
