#!/usr/bin/env bash
# What `steady triage --leak-profile` costs the target: the time and CPU (clock ticks of the
# target, from /proc/PID/stat) of one /debug/pprof/goroutineleak?debug=1 against a plain
# goroutine?debug=1 and a forced GC (heap?gc=1), with 1,000 to 50,000 leaked goroutines.
# Needs Go 1.26 or later (GOEXPERIMENT=goroutineleakprofile) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bin"' EXIT
(cd tests/targets/go && GOTOOLCHAIN=local GOEXPERIMENT=goroutineleakprofile "$go" build -o "$bin/stacks_leak" ./stacks_leak)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
fetch() { curl -s -o /dev/null -w '%{time_total}' "$1"; }
echo "leaked  goroutine?debug=1  goroutineleak?debug=1  heap?gc=1   (wall s / target CPU ticks of 10 ms)"
for n in 1000 10000 50000; do
    dir=$(mktemp -d)
    "$bin/stacks_leak" --dir "$dir" -mode chan -count "$n" -lifetime 60 >"$dir/ready" &
    pid=$!
    for _ in $(seq 50); do grep -q READY "$dir/ready" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$dir/ready")
    base="http://127.0.0.1:$port/debug/pprof"
    for _ in 1 2 3; do
        c0=$(ticks "$pid"); t1=$(fetch "$base/goroutine?debug=1")
        c1=$(ticks "$pid"); t2=$(fetch "$base/goroutineleak?debug=1")
        c2=$(ticks "$pid"); t3=$(fetch "$base/heap?gc=1&debug=1")
        c3=$(ticks "$pid")
        printf '%6d  %8ss %3dtk      %8ss %3dtk       %8ss %3dtk\n' "$n" "$t1" $((c1 - c0)) "$t2" $((c2 - c1)) "$t3" $((c3 - c2))
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
