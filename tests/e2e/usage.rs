//! What a user sees who types the command wrong or not at all.

use crate::support::{stderr_of, steady};

#[test]
fn no_subcommand_prints_the_usage_with_the_subcommands_and_exits_2() {
    for (args, listed) in [
        (
            &[][..],
            ["fds", "limits", "heap", "stacks", "triage", "runbook"].as_slice(),
        ),
        (&["heap"][..], ["snapshot", "top", "diff"].as_slice()),
    ] {
        let out = steady(args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("Usage: steady"), "{args:?}: {err}");
        for sub in listed {
            assert!(
                err.lines().any(|l| l.trim_start().starts_with(sub)),
                "{args:?} does not list {sub}: {err}"
            );
        }
    }
}

#[test]
fn help_subcommand_and_did_you_mean_tips_work() {
    let out = steady(&["help", "fds"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: steady fds"));
    for (args, tip) in [
        (&["stack", "1"][..], "'stacks'"),
        (&["triage", "1", "--windwo", "5s"][..], "'--window'"),
    ] {
        let out = steady(args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            err.contains("tip: a similar") && err.contains(tip) && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn runbook_kinds_are_checked_and_every_card_says_which_case_it_is() {
    let out = steady(&["runbook", "memry-drift"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("'memory-drift'"),
        "{}",
        stderr_of(&out)
    );
    let out = steady(&["runbook", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cards: Vec<(String, Option<String>)> = doc["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["variant"].as_str().map(str::to_string),
            )
        })
        .collect();
    // No two cards alike: the second fd-exhaustion card is the inbound one.
    let mut unique = cards.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), cards.len(), "{cards:?}");
    assert!(cards.contains(&("fd-exhaustion".to_string(), Some("inbound".to_string()))));
}
