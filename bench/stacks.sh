#!/usr/bin/env bash
# Benchmarks parsing and grouping goroutine dumps: `steady stacks --file` on debug=2 dumps of
# 100,000 and 1,000,000 goroutines, against a naive awk grouping of the same files and
# `go tool pprof -top` on the proto goroutine profile of the live process the dumps come from.
# Throughput in MB/s on one core, and peak memory, measured in this run.
# Needs go, hyperfine, /usr/bin/time and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in go hyperfine /usr/bin/time python3 awk; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --quiet
steady=$PWD/target/release/steady
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
target=""
cleanup() { [ -n "$target" ] && kill "$target" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export HOME=$work GOCACHE=$work/gocache GO111MODULE=off
go build -o "$work/many_goroutines" ./bench/many_goroutines
# 40,000 parked goroutines in 40 shapes: a full ?debug=2 dump stays under Go's 64 MiB cap.
"$work/many_goroutines" -count 40000 -shapes 40 -lifetime 300 >"$work/ready" &
target=$!
for _ in $(seq 200); do grep -q READY "$work/ready" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$work/ready")
python3 - "$port" "$work" <<'PY'
import sys, urllib.request
port, work = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}/debug/pprof/goroutine"
open(f"{work}/live.txt", "wb").write(urllib.request.urlopen(base + "?debug=2", timeout=120).read())
open(f"{work}/live.pb.gz", "wb").write(urllib.request.urlopen(base, timeout=120).read())
# Replicate the live goroutines, renumbered, into dumps of exactly 100k and 1M goroutines.
blocks = open(f"{work}/live.txt").read().strip("\n").split("\n\n")
blocks = [b.split("]:", 1) for b in blocks if b.startswith("goroutine ")]
for total in (100_000, 1_000_000):
    with open(f"{work}/dump-{total}.txt", "w") as f:
        for i in range(total):
            head, rest = blocks[i % len(blocks)]
            state = head.split(" [", 1)[1]
            f.write(f"goroutine {i + 1} [{state}]:{rest}\n\n")
PY
kill "$target"; target=""

run() { # name runs command
    hyperfine --style none -i --warmup 1 --runs "$2" --export-json "$work/$1.json" "$3" >/dev/null 2>&1
    secs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/$1.json")
    kib=$({ /usr/bin/time -f %M bash -c "$3" 2>&1 >/dev/null || true; } | tail -n 1)
    echo "$1 $secs $kib"
}
awk_group='BEGIN { RS = "" } /^goroutine / { sub(/^goroutine [0-9]+ /, ""); n[$0]++ } END { for (k in n) print n[k] }'
{
    for total in 100000 1000000; do
        dump=$work/dump-$total.txt
        echo "size_$total $(stat -c %s "$dump") 0"
        run "steady_$total" 3 "$steady stacks --file $dump --json --top 0 --max-bytes 8GiB"
        run "awk_$total" 1 "awk '$awk_group' $dump | sort -nr | head -n 20"
    done
    run pprof_proto 3 "go tool pprof -top $work/live.pb.gz"
} >"$work/rows"
python3 - "$work/rows" <<'PY' | tee "$out/stacks.txt"
import sys
rows = {}
for line in open(sys.argv[1]):
    name, a, b = line.split()
    rows[name] = (float(a), int(b))
for total in (100000, 1000000):
    size = rows[f"size_{total}"][0]
    print(f"\ndebug=2 dump of {total:,} goroutines ({size / 1e6:.0f} MB)")
    for tool in ("steady", "awk"):
        secs, kib = rows[f"{tool}_{total}"]
        print(f"  {tool:<8} {secs:>7.2f}s {size / 1e6 / secs:>8.0f} MB/s {kib / 1024:>8.1f} MiB peak")
    mbps = size / 1e6 / rows[f"steady_{total}"][0]
    print(f"  steady throughput {mbps:.0f} MB/s (goal >= 300): {'PASS' if mbps >= 300 else 'MISS'}; "
          f"{rows[f'awk_{total}'][0] / rows[f'steady_{total}'][0]:.1f}x faster than awk")
secs, kib = rows["pprof_proto"]
print(f"\ngo tool pprof -top on the live process's proto goroutine profile: {secs:.2f}s, {kib / 1024:.1f} MiB peak")
small, large = rows["steady_100000"][1], rows["steady_1000000"][1]
print(f"steady peak memory at 1M vs 100k goroutines: {large / small:.2f}x for a 10x larger dump "
      f"(goal: grows with distinct stacks, not dump size): {'PASS' if large / small < 1.5 else 'MISS'}")
PY
