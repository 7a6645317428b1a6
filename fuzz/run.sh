#!/usr/bin/env bash
# Runs one fuzz target, single job, niced, for a time:
#   fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
# The grown corpus goes to fuzz/corpus/TARGET (not committed); the seeds are the committed
# fuzz/seeds/TARGET and the test fixtures named below (read, never written). Crashes, hangs
# and out-of-memory inputs land in fuzz/artifacts/TARGET. Exit 1 when one was found.
# Needs cargo-fuzz and a nightly toolchain; FUZZ_TOOLCHAIN=stable with RUSTC_BOOTSTRAP=1
# works too. FUZZ_CARGO_FLAGS adds cargo-fuzz flags (e.g. -a: overflow checks and debug
# assertions). `fuzz/run.sh --list` prints the targets.
set -euo pipefail
cd "$(dirname "$0")"

targets="pprof goroutines heap_text proc_net proc_text smaps snapshot_meta recording cli_args go_buildinfo"
if [ "${1:-}" = "--list" ]; then
    printf '%s\n' $targets
    exit 0
fi
target=${1:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
shift 2

# Seed directories, relative to fuzz/. libFuzzer writes new inputs to the first one only.
case "$target" in
    pprof) seeds="seeds/pprof ../tests/fixtures/pprof" ;;
    goroutines) seeds="../tests/fixtures/goroutines" ;;
    heap_text) seeds="seeds/heap_text" ;;
    proc_net) seeds="../tests/fixtures/proc" ;;
    proc_text) seeds="seeds/proc_text ../tests/fixtures/proc" ;;
    smaps) seeds="seeds/smaps" ;;
    snapshot_meta) seeds="seeds/snapshot_meta ../tests/fixtures/pprof" ;;
    recording) seeds="seeds/recording" ;;
    cli_args) seeds="seeds/cli_args" ;;
    go_buildinfo) seeds="seeds/go_buildinfo" ;;
    *)
        echo "fuzz/run.sh: no target '$target'; targets: $targets" >&2
        exit 2
        ;;
esac
mkdir -p "corpus/$target" "artifacts/$target"
toolchain=${FUZZ_TOOLCHAIN:-nightly}

# -jobs=1 -workers=1: one fuzzing process (libFuzzer then logs to fuzz-0.log here, ignored).
# -timeout: an input taking over 10 s is a hang; -rss_limit_mb: over 2 GiB is out of memory.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -f fuzz-0.log
status=0
# shellcheck disable=SC2086
nice -n 10 cargo "+$toolchain" fuzz run -O ${FUZZ_CARGO_FLAGS:-} "$target" "corpus/$target" $seeds -- \
    -jobs=1 -workers=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$PWD/artifacts/$target/" -print_final_stats=1 "$@" \
    >"$log" 2>&1 || status=$?
if [ -f fuzz-0.log ]; then
    cat fuzz-0.log >>"$log"
    rm -f fuzz-0.log
fi
grep -E '^#[0-9]+.*(INITED|DONE)|stat::number_of_executed_units|ERROR|SUMMARY|panicked|Test unit written' "$log" |
    awk '!seen[$0]++' | tail -12
if [ "$status" -ne 0 ] || grep -qE 'ERROR: libFuzzer|panicked at|Test unit written' "$log"; then
    echo "fuzz/run.sh: $target found a problem; the input is in fuzz/artifacts/$target/" >&2
    tail -40 "$log" >&2
    exit 1
fi
