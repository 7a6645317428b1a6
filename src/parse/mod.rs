//! Pure parsers: bytes and text from /proc into model data. No I/O here.

pub mod cgroup;
pub mod fd_link;
pub mod fdinfo;
pub mod goroutine_ids;
pub mod goroutines;
pub mod heap_text;
pub mod memstats;
pub mod net;
pub mod pprof;
pub mod smaps;
pub mod syscall;
pub mod syscall_names;
