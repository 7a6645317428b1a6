//! What steady knows of a Go target from outside: build info and runtime settings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoInfo {
    /// e.g. "go1.19.8"; None for binaries older than Go 1.18, whose format is not inline.
    pub version: Option<String>,
    /// The main module path, e.g. "example.com/api".
    pub module: Option<String>,
    /// The main package path, e.g. "example.com/api/cmd/server".
    pub path: Option<String>,
}

/// Go runtime settings from the environment; None when unset (or unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoEnv {
    pub gomemlimit: Option<String>,
    pub gogc: Option<String>,
    pub gomaxprocs: Option<String>,
    /// False when /proc/PID/environ could not be read (another user without ptrace rights).
    pub readable: bool,
}
