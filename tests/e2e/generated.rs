//! The committed completions/ and man/ must be what the clap definition generates now.

use std::fs;
use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let fresh = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_steady"))
        .args(["generate", "--out"])
        .arg(fresh.path())
        .status()
        .unwrap();
    assert!(status.success());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let committed = repo.join(dir);
        let generated = fresh.path().join(dir);
        assert_eq!(
            files(&committed),
            files(&generated),
            "{dir}/ is stale: run `cargo run -- generate --out .` and commit"
        );
        for name in files(&generated) {
            assert!(
                fs::read(committed.join(&name)).unwrap()
                    == fs::read(generated.join(&name)).unwrap(),
                "{dir}/{name} is stale: run `cargo run -- generate --out .` and commit"
            );
        }
    }
    let man = files(&fresh.path().join("man"));
    assert_eq!(
        man,
        [
            "steady-fds.1",
            "steady-heap-diff.1",
            "steady-heap-list.1",
            "steady-heap-snapshot.1",
            "steady-heap-top.1",
            "steady-heap.1",
            "steady-limits.1",
            "steady-metrics.1",
            "steady-runbook.1",
            "steady-serve.1",
            "steady-stacks.1",
            "steady-triage.1",
            "steady.1"
        ]
    );
}

#[test]
fn completions_offer_what_a_user_may_type_and_nothing_hidden() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for name in files(&dir) {
        let text = fs::read_to_string(dir.join(&name)).unwrap();
        for hidden in ["proc-root", "generate"] {
            assert!(
                !text.contains(hidden),
                "{name} offers the hidden `{hidden}`"
            );
        }
        for value in ["fd-exhaustion", "allocator-fragmentation", "inuse_objects"] {
            assert!(text.contains(value), "{name} does not complete `{value}`");
        }
    }
}

/// The elvish completer run by elvish itself, with the editor's candidate builder (absent
/// outside an interactive shell) replaced by `put`: values after a flag, positional values,
/// and the generated subcommand table untouched.
#[test]
fn elvish_completes_values_after_their_flag_and_runbook_kinds() {
    if Command::new("elvish").arg("-version").output().is_err() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "elvish is missing under CI=true: .ci/run installs it (apt-get install elvish)"
        );
        eprintln!("elvish not installed: the elvish completion script is not run");
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = fs::read_to_string(repo.join("completions/steady.elv")).unwrap();
    let head = "set edit:completion:arg-completer[steady] = ";
    let candidate =
        "edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc";
    assert!(
        script.contains(head) && script.contains(candidate),
        "the elvish script's layout changed"
    );
    let mut script = script
        .replace(head, "var completer = ")
        .replace(candidate, "put $text");
    script.push_str(concat!(
        "echo sample (put [($completer steady heap top --sample '')])\n",
        "echo color (put [($completer steady fds --color '')])\n",
        "echo runbook (put [($completer steady runbook '')])\n",
        "echo fds (put [($completer steady fds '')])\n",
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("complete.elv");
    fs::write(&path, script).unwrap();
    let out = Command::new("elvish").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |name: &str| -> String {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} line in {stdout}"))
            .to_string()
    };
    assert_eq!(
        line("sample"),
        "[inuse_space inuse_objects alloc_space alloc_objects]"
    );
    assert_eq!(line("color"), "[auto always never]");
    assert!(
        line("runbook").starts_with("[memory-drift fd-exhaustion "),
        "{stdout}"
    );
    let fds = line("fds");
    assert!(
        fds.contains("--peers") && !fds.contains("inuse_space"),
        "{fds}"
    );
}

#[test]
fn man_pages_have_synopsis_values_exit_status_examples_and_see_also() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for name in files(&dir) {
        let page = fs::read_to_string(dir.join(&name)).unwrap();
        for section in [
            ".SH SYNOPSIS",
            ".SH \"EXIT STATUS\"",
            ".SH EXAMPLES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(page.contains(section), "{name} has no {section}");
        }
    }
    let fds = fs::read_to_string(dir.join("steady-fds.1")).unwrap();
    assert!(fds.contains("[\\fB\\-\\-over\\fR \\fIDURATION\\fR]"));
}
