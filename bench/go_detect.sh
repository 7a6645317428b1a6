#!/usr/bin/env bash
# Agentless Go detection: steady against gops (installed from the Go module proxy into
# bench/out/gobin). Both read the build info in the executable, with no agent in the target.
# Starts a set of processes — Go 1.26 and Go 1.19 binaries (Debian's toolchain), a stripped Go
# binary (-ldflags=-s -w), a Go binary deleted after it started, a Rust program, sleep(1) and a
# Python interpreter — then compares, process by process, whether each tool calls it a Go
# program and which Go version it names (steady: the `go` object of `steady heap snapshot PID
# --json`, gops: its listing), and times a gops listing, `gops PID` and `steady heap snapshot`.
# Needs go, /usr/lib/go-1.19/bin/go (apt-get install golang-1.19-go), hyperfine and python3;
# writes bench/out/go_detect.txt and go_detect.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
go119=${GO119:-/usr/lib/go-1.19/bin/go}
for tool in go "$go119" hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --quiet --examples
cargo build --release --quiet
steady=$PWD/target/release/steady
source bench/peers.sh
need_peer gops
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work GOCACHE=$work/gocache GO111MODULE=off GOTOOLCHAIN=local
go build -o "$work/go126" ./bench/many_goroutines
go build -ldflags='-s -w' -o "$work/go126_stripped" ./bench/many_goroutines
"$go119" build -o "$work/go119" ./bench/many_goroutines
"$go119" build -o "$work/go119_deleted" ./bench/many_goroutines
want_126=$(go env GOVERSION)
want_119=$("$go119" env GOVERSION)

start() { # name expected-version command...
    local name=$1 want=$2; shift 2
    "$@" >"$work/$name.out" 2>/dev/null </dev/null &
    pids+=($!)
    echo "$name $! $want"
}
{
    start go126 "$want_126" "$work/go126" -count 100 -lifetime 600
    start go126_stripped "$want_126" "$work/go126_stripped" -count 100 -lifetime 600
    start go119 "$want_119" "$work/go119" -count 100 -lifetime 600
    start go119_deleted "$want_119" "$work/go119_deleted" -count 100 -lifetime 600
    start rust_fd_mix - "$PWD/target/release/examples/fd_mix" --dir "$work" --files 10 --lifetime 600
    start sleep - sleep 600
    start python - python3 -c 'import time; time.sleep(600)'
} >"$work/targets"
sleep 2
rm "$work/go119_deleted"

# One gops listing of the whole machine, then each target through steady.
"$gops_bin" >"$work/gops.txt" 2>&1 || { echo "bench: gops failed: $(cat "$work/gops.txt")" >&2; exit 1; }
while read -r name pid want; do
    "$steady" --json heap snapshot "$pid" -o "$work/snap-$pid.pb.gz" >"$work/steady-$pid.json" 2>"$work/steady-$pid.err" ||
        echo "{\"error\": \"exit $?\"}" >"$work/steady-$pid.json"
done <"$work/targets"

mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$1"; }
go126_pid=$(awk '$1 == "go126" { print $2 }' "$work/targets")
hyperfine --style none -N --warmup 2 --runs 20 --export-json "$work/t-gops.json" "$gops_bin" >/dev/null 2>&1
hyperfine --style none -N --warmup 2 --runs 20 --export-json "$work/t-gops-pid.json" "$gops_bin $go126_pid" >/dev/null 2>&1
hyperfine --style none -N --warmup 2 --runs 20 --export-json "$work/t-steady.json" \
    "$steady --json heap snapshot $go126_pid -o $work/timed.pb.gz" >/dev/null 2>&1
procs=$(ls -d /proc/[0-9]* | wc -l)

python3 - "$work" "$gops_version" "$(mean "$work/t-gops.json")" "$(mean "$work/t-gops-pid.json")" \
    "$(mean "$work/t-steady.json")" "$procs" "$out/go_detect.ratios" <<'PY' | tee "$out/go_detect.txt"
import json, sys
work, version = sys.argv[1], sys.argv[2]
t_list, t_pid, t_steady, procs = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
gops = {}
for line in open(f"{work}/gops.txt"):
    f = line.split()
    if len(f) >= 5 and f[0].isdigit():
        # PID PPID NAME VERSION PATH; a PID with an agent carries a '*'.
        gops[f[0].rstrip("*")] = f[3]
print(f"Go detection without an agent: steady heap snapshot against gops {version}")
print(f"  {'process':<16} {'expected':<10} {'steady':<18} gops")
misses = 0
for line in open(f"{work}/targets"):
    name, pid, want = line.split()
    doc = json.load(open(f"{work}/steady-{pid}.json"))
    ours = (doc.get("go") or {}).get("version") or ("error" if "error" in doc else "-")
    theirs = gops.get(pid, "-")
    ok_ours, ok_theirs = ours == want, theirs == want
    misses += not ok_ours
    mark = lambda ok: "" if ok else " (wrong)"
    print(f"  {name:<16} {want:<10} {ours + mark(ok_ours):<18} {theirs + mark(ok_theirs)}")
print(f"  steady: {'PASS' if misses == 0 else 'MISS'} ({misses} wrong)")
print(f"  gops listing of all {procs} processes: {t_list * 1000:.1f} ms ({t_list / procs * 1e6:.0f} us a process)")
print(f"  gops PID (process facts, no version without an agent): {t_pid * 1000:.1f} ms")
print(f"  steady heap snapshot PID (detection, endpoint discovery, heap profile, smaps): {t_steady * 1000:.1f} ms")
with open(sys.argv[7], "w") as f:
    f.write(f"heap snapshot (one Go PID, profile fetched) vs gops PID|{t_steady:.4f}|{t_pid:.4f}|\n")
    f.write(f"heap snapshot (one Go PID, profile fetched) vs gops listing (every process)|{t_steady:.4f}|{t_list:.4f}|\n")
PY
