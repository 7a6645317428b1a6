//! Exit codes, as diff(1) has them: 0 steady or nothing found, 1 something found, 2 trouble.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found: steady.
    Steady,
    /// Drift, a leak or a near-full limit found.
    Found,
    /// Judged, but not to the end: the target exited mid-window with nothing found.
    Incomplete,
}

pub const TROUBLE: u8 = 2;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Steady => ExitCode::SUCCESS,
            Outcome::Found => ExitCode::from(1),
            Outcome::Incomplete => ExitCode::from(TROUBLE),
        }
    }
}
