#!/usr/bin/env bash
# Runs one fuzz target, single job, niced, for a time: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
# The grown corpus goes to fuzz/corpus/TARGET (not committed); the seeds are the committed
# fuzz/seeds/TARGET and the test fixtures named below. Crashes land in fuzz/artifacts/TARGET.
# Needs cargo-fuzz and a nightly toolchain (or RUSTC_BOOTSTRAP=1 with FUZZ_TOOLCHAIN=stable).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
shift 2

seeds() {
    case "$1" in
        pprof) echo fuzz/seeds/pprof tests/fixtures/pprof ;;
        goroutines) echo tests/fixtures/goroutines ;;
        heap_text) echo fuzz/seeds/heap_text ;;
        proc_net) echo tests/fixtures/proc ;;
        proc_text) echo fuzz/seeds/proc_text tests/fixtures/proc ;;
        smaps) echo fuzz/seeds/smaps ;;
        snapshot_meta) echo fuzz/seeds/snapshot_meta tests/fixtures/pprof ;;
        recording) echo fuzz/seeds/recording ;;
        cli_args) echo fuzz/seeds/cli_args ;;
        go_buildinfo) echo fuzz/seeds/go_buildinfo ;;
        *) echo "fuzz/run.sh: no such target '$1' (see fuzz/Cargo.toml)" >&2; return 1 ;;
    esac
}
dirs=$(seeds "$target")
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
toolchain=${FUZZ_TOOLCHAIN:-nightly}

# -jobs=1 -workers=1: one fuzzing process (libFuzzer then logs to fuzz-0.log in the cwd).
# -timeout: an input that takes over 10 s is a hang; -rss_limit_mb: over 2 GiB is an OOM.
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
status=0
# shellcheck disable=SC2086
nice -n 10 cargo "+$toolchain" fuzz run -O "$target" "fuzz/corpus/$target" $dirs -- \
    -jobs=1 -workers=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$PWD/fuzz/artifacts/$target/" -print_final_stats=1 "$@" \
    >"$logdir/cargo.log" 2>&1 || status=$?
# libFuzzer's job log is written to the working directory cargo fuzz gives it.
log=$(find . fuzz -maxdepth 1 -name 'fuzz-0.log' -newer "$logdir" 2>/dev/null | head -1)
if [ -n "$log" ]; then
    cat "$log" >>"$logdir/cargo.log"
    rm -f "$log"
fi
grep -E '^#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|ERROR|SUMMARY|panicked|crash-|leak-|oom-|timeout-' "$logdir/cargo.log" | awk '!seen[$0]++' | tail -12
if [ "$status" -ne 0 ] || grep -qE 'ERROR: libFuzzer|panicked at' "$logdir/cargo.log"; then
    echo "fuzz/run.sh: $target found a problem; the input is in fuzz/artifacts/$target/" >&2
    tail -40 "$logdir/cargo.log" >&2
    exit 1
fi
