//! The same recording judged over windows that slide along it: a verdict that holds up
//! names the same kind at every offset once the leak is established, at a similar rate.

use super::{classify, DriftKind, Extras};
use crate::analyze::policy::DriftPolicy;
use crate::model::sample::{Sample, TargetFacts};

#[derive(Debug, Clone, PartialEq)]
pub struct WindowVerdict {
    /// Seconds from the recording's first sample to the window's start.
    pub offset: f64,
    pub samples: usize,
    /// The primary verdict (the first that is nobody's consequence), if any.
    pub kind: Option<DriftKind>,
    pub rate_per_min: Option<f64>,
    pub unit: Option<&'static str>,
    pub confidence: Option<f64>,
    pub memory_judged: bool,
}

/// Windows `width` seconds long, starting every `step` seconds, while a whole one fits.
pub fn sliding_windows(
    facts: &TargetFacts,
    samples: &[Sample],
    width: f64,
    step: f64,
    policy: &DriftPolicy,
) -> Vec<WindowVerdict> {
    let Some(start) = samples.first().map(|s| s.t) else {
        return Vec::new();
    };
    let end = samples.last().map_or(start, |s| s.t);
    let mut out = Vec::new();
    let mut offset = 0.0;
    while start + offset + width <= end + 1e-6 && step > 0.0 {
        let lo = start + offset;
        let window: Vec<Sample> = samples
            .iter()
            .filter(|s| s.t >= lo && s.t <= lo + width + 1e-6)
            .cloned()
            .collect();
        let report = classify(facts, &window, &Extras::default(), policy);
        let primary = report.verdicts.iter().find(|v| v.consequence_of.is_none());
        out.push(WindowVerdict {
            offset,
            samples: window.len(),
            kind: primary.map(|v| v.kind),
            rate_per_min: primary.map(|v| v.rate_per_min),
            unit: primary.map(|v| v.unit),
            confidence: primary.map(|v| v.confidence),
            memory_judged: report.memory.judged,
        });
        offset += step;
    }
    out
}
