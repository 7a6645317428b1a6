//! One-line sentences for findings, shared by the table and the JSON `message` field.

use crate::analyze::fds::{FdReport, Finding};
use crate::render::text;

pub fn describe(finding: &Finding, report: &FdReport) -> String {
    match finding {
        Finding::NearLimit { usage_percent } => {
            let action = match (report.limit.soft, report.limit.hard) {
                (Some(soft), Some(hard)) if hard > soft => format!(
                    "buy time with `steady limits {} --set-nofile {hard}` (up to the hard limit), then find the pile-up below",
                    report.pid
                ),
                (_, Some(hard)) => {
                    // Twice the room, within fs.nr_open, as a concrete command to run.
                    let room = hard
                        .saturating_mul(2)
                        .min(report.nr_open.unwrap_or(u64::MAX));
                    format!(
                        "the soft limit is already the hard limit, so only CAP_SYS_RESOURCE can raise it (`steady limits {} --set-nofile {room}:{room}` with that capability); find the pile-up below and plan a restart before it is reached",
                        report.pid
                    )
                }
                _ => "find the pile-up below and plan a restart before the limit is reached"
                    .to_string(),
            };
            format!(
                "{} descriptors open, {} of the soft limit {} — {action}",
                text::count(report.total),
                text::percent(*usage_percent),
                text::limit(report.limit.soft),
            )
        }
        Finding::Growing {
            rate_per_min,
            eta_seconds,
        } => {
            let eta = match eta_seconds {
                Some(s) => format!("the soft limit is reached in ~{}", text::duration(*s)),
                None => "no soft limit to reach".to_string(),
            };
            format!(
                "descriptors grew {} ({}); {eta}",
                text::signed(report.growth.as_ref().map_or(0, |g| g.total_delta)),
                text::rate(*rate_per_min)
            )
        }
    }
}
