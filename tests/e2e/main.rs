//! End to end: real target processes, the real steady binary, assertions on its JSON.
//! One test binary; each module covers one command.

mod fds;
mod fds_list;
mod fds_peers;
mod generated;
mod heap;
mod heap_story;
mod holders;
mod limits;
mod metrics;
mod permissions;
mod prometheus_alerts;
mod real_services;
mod replay;
mod screens;
mod services;
mod stacks;
mod support;
mod triage;
mod triage_truth;
mod truth;
mod usage;
