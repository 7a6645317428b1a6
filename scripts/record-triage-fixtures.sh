#!/usr/bin/env bash
# Records the triage fixtures under tests/fixtures/triage/: each heap shape of
# tests/targets/go/heap_shapes run for WINDOW seconds with the runtime's own gctrace (the truth
# the replay tests compute rates from), sampled by `steady triage --record --full-window`.
# Usage: scripts/record-triage-fixtures.sh [GO] [WINDOW] [NAME…]   (default: go on PATH, 120,
# every fixture; with names, only those)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${1:-go}
window=${2:-120}
shift $(($# < 2 ? $# : 2))
only=" $* "
version=$("$go" env GOVERSION)
out=tests/fixtures/triage
bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bin"' EXIT
(cd tests/targets/go && GOTOOLCHAIN=local GOFLAGS= "$go" build -o "$bin/heap_shapes" ./heap_shapes)
cargo build --quiet
steady=target/debug/steady

busy=(-live-mib 100 -garbage-mib-per-sec 15)
record() {
    local name=$1 env=$2
    shift 2
    if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then
        return 0
    fi
    local dir
    dir=$(mktemp -d)
    env GODEBUG=gctrace=1 $env "$bin/heap_shapes" --dir "$dir" -lifetime $((window + 30)) "$@" >"$dir/ready" &
    local target=$!
    for _ in $(seq 50); do grep -q READY "$dir/ready" 2>/dev/null && break; sleep 0.1; done
    "$steady" triage "$target" --window "${window}s" --full-window --record "$dir/window.jsonl" --json >"$dir/verdict.json" || true
    kill "$target" 2>/dev/null || true
    wait "$target" 2>/dev/null || true
    mkdir -p "$out/$name"
    # The first and the latest goroutine dump are what the judge compares; the ones between
    # only make the file large.
    python3 - "$dir/window.jsonl" >"$out/$name/window.jsonl" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
dumps = [i for i, l in enumerate(lines) if json.loads(l)["type"] == "goroutines"]
keep = set(dumps[:1] + dumps[-1:])
for i, l in enumerate(lines):
    if i not in dumps or i in keep:
        sys.stdout.write(l)
EOF
    cp "$dir/gctrace.log" "$dir/truth.json" "$out/$name/"
    echo "$version" >"$out/$name/go-version"
    echo "$name: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([(v["kind"], round(v["rate_per_min"])) for v in d["verdicts"]], d["memory"]["judged"])' "$dir/verdict.json")"
    rm -rf "$dir"
}

record big-healthy "" -mode healthy &
record busy-healthy "" -mode healthy "${busy[@]}" &
wait
record slow-leak "GOMEMLIMIT=1GiB" -mode leak -leak-kib-per-sec 512 "${busy[@]}" &
record step "" -mode step -step-mib 40 -step-at 15s "${busy[@]}" &
wait
record gogc-off-leak "GOGC=off GOMEMLIMIT=256MiB" -mode leak -live-mib 64 -garbage-mib-per-sec 16 -leak-kib-per-sec 1024 -max-leak-mib 160 &
record stuck "" -mode stuck &
wait
