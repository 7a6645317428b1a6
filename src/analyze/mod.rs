//! Pure analysis: no filesystem, no clock, no stdout. Time arrives as data.

pub mod census;
pub mod drift;
pub mod fd_list;
pub mod fds;
pub mod gc_window;
pub mod heap;
pub mod heap_report;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod peers;
pub mod policy;
pub mod runbook;
pub mod series;
pub mod smaps;
pub mod stacks;
