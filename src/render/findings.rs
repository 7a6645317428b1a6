//! One-line sentences for findings, shared by the table and the JSON `message` field.

use crate::analyze::fds::{FdReport, Finding};
use crate::render::text;

pub fn describe(finding: &Finding, report: &FdReport) -> String {
    match finding {
        Finding::NearLimit { usage_percent } => format!(
            "{} descriptors open, {usage_percent:.1}% of the soft limit {} — raise it now with `steady limits {} --set-nofile N`, then find the pile-up below",
            text::count(report.total),
            text::limit(report.limit.soft),
            report.pid
        ),
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
