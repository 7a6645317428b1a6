//! A `steady triage --record` file as `steady triage --from` reads it: JSON lines of
//! RecordLine (the same loop as commands/triage.rs read_recording), then judged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::analyze::drift::{classify, Extras};
use steady::analyze::policy::DriftPolicy;
use steady::model::sample::RecordLine;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut facts = None;
    let mut samples = Vec::new();
    let mut extras = Extras::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RecordLine>(line) {
            Ok(RecordLine::Facts(f)) => facts = Some(f),
            Ok(RecordLine::Sample(s)) => samples.push(s),
            Ok(RecordLine::Goroutines(g)) => extras.goroutine_snapshots.push(g),
            Err(_) => {}
        }
    }
    let Some(facts) = facts else {
        return;
    };
    samples.sort_by(|a, b| a.t.total_cmp(&b.t));
    let _ = classify(&facts, &samples, &extras, &DriftPolicy::default());
});
