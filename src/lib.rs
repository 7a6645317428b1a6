//! steady: tells what is drifting in a long-running process, from /proc and the runtime's
//! own endpoints. Layers: collect (I/O) → parse (bytes to data) → analyze (pure) → render.

pub mod analyze;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod error;
pub mod exit;
pub mod model;
pub mod parse;
pub mod render;
