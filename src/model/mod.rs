//! Plain data shared by the collect, analyze and render layers; nothing here does I/O.

pub mod fd;
pub mod go;
pub mod limits;
pub mod memory;
pub mod peer;
pub mod profile;
pub mod sample;
pub mod snapshot;
pub mod socket;
pub mod stacks;
