#!/usr/bin/env bash
# Benchmarks decoding and diffing a large heap profile: `steady heap diff` against
# `go tool pprof -top -base` and `-top -cum -base` on the same two files, and the standalone
# google/pprof binary (installed from the Go module proxy into bench/out/gobin) doing the same,
# time and peak memory measured in this run. The profiles come from bench/many_sites (over
# 100,000 distinct allocation stacks, MemProfileRate=1). Then a series: steady heap diff's peak
# memory against profile size (about 1, 4, 16 and 64 MiB unzipped), every sample a stack of its
# own over the same few locations, to show that memory follows distinct locations, not
# samples. Needs go, hyperfine and /usr/bin/time; writes bench/out/heap.txt and heap.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in go hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --quiet
steady=$PWD/target/release/steady
source bench/peers.sh
need_peer pprof
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work GOCACHE=$work/gocache GO111MODULE=off
go build -o "$work/many_sites" ./bench/many_sites
"$work/many_sites" -out "$work/base.pb.gz" -stacks 120000 -size 64
"$work/many_sites" -out "$work/new.pb.gz" -stacks 130000 -size 96
samples=$(go tool pprof -raw "$work/new.pb.gz" 2>/dev/null | awk '/^Samples:/{s=1;next} /^Locations/{s=0} s && /^ +[0-9]+ .*: /{n++} END{print n}')
bytes=$(python3 -c 'import gzip,sys; print(len(gzip.open(sys.argv[1]).read()))' "$work/new.pb.gz")

run() { # name command
    hyperfine --style none -i --warmup 1 --runs "$2" --export-json "$work/$1.json" "$3" >/dev/null 2>&1
    secs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/$1.json")
    # steady exits 1 when memory grew, which it does here.
    kib=$({ /usr/bin/time -f %M bash -c "$3" 2>&1 >/dev/null || true; } | tail -n 1)
    echo "$1 $secs $kib"
}
{
    run steady_diff 10 "$steady heap diff $work/base.pb.gz $work/new.pb.gz --json --top 0"
    run steady_diff_cum 10 "$steady heap diff $work/base.pb.gz $work/new.pb.gz --json --top 0 --cum"
    run pprof_top_base 3 "go tool pprof -top -base $work/base.pb.gz $work/new.pb.gz"
    run pprof_top_cum_base 3 "go tool pprof -top -cum -base $work/base.pb.gz $work/new.pb.gz"
    run google_pprof_top_base 3 "$pprof_bin -top -base $work/base.pb.gz $work/new.pb.gz"
    run google_pprof_top_cum_base 3 "$pprof_bin -top -cum -base $work/base.pb.gz $work/new.pb.gz"
} >"$work/rows"
# The same answer, not only the same work: the total change and the largest flat growth, in bytes.
{ "$steady" heap diff "$work/base.pb.gz" "$work/new.pb.gz" --json --top 1 || [ $? -eq 1 ]; } | python3 -c '
import json, sys; d = json.load(sys.stdin); e = d["entries"][0]
print("steady: total %d B, largest flat growth %s %d B" % (d["total_delta"], e["name"], e["flat_delta"]))' >"$work/answer"
"$pprof_bin" -top -nodecount 1000000 -nodefraction 0 -unit=B -base "$work/base.pb.gz" "$work/new.pb.gz" 2>/dev/null |
    awk '/^Showing nodes accounting for/ { total = $5; sub(/B,$/, "", total) }
         /flat%/ { getline; flat = $1; sub(/B$/, "", flat); name = $NF }
         END { printf "google/pprof: total %s B, largest flat growth %s %s B\n", total, name, flat }' >>"$work/answer"
# The series: both profiles of each pair have the same stacks (the sizes differ, so every
# sample's values change).
for stacks in 30000 130000 500000 2000000; do
    "$work/many_sites" -out "$work/series-base.pb.gz" -stacks "$stacks" -size 64
    "$work/many_sites" -out "$work/series-new.pb.gz" -stacks "$stacks" -size 96
    unzipped=$(python3 -c 'import gzip,sys; print(len(gzip.open(sys.argv[1]).read()))' "$work/series-new.pb.gz")
    kib_secs=$({ /usr/bin/time -f '%M %e' "$steady" heap diff "$work/series-base.pb.gz" "$work/series-new.pb.gz" \
        --json --top 0 2>&1 >/dev/null || true; } | tail -n 1)
    echo "$stacks $unzipped $kib_secs"
done >"$work/series"
python3 - "$work/rows" "$samples" "$bytes" "$out/heap.ratios" "$pprof_version" "$work/answer" "$work/series" <<'PY' | tee "$out/heap.txt"
import sys
rows = {}
for line in open(sys.argv[1]):
    name, secs, kib = line.split()
    rows[name] = (float(secs), int(kib))
print(f"heap diff of two profiles, {int(sys.argv[2]):,} samples in the newer ({int(sys.argv[3])/2**20:.1f} MiB unzipped)")
print(f"  {'tool':<26} {'mean':>9} {'peak RSS':>10}")
for name, (secs, kib) in rows.items():
    print(f"  {name:<26} {secs:>8.2f}s {kib/1024:>8.1f}MiB")
print(f"  (google_pprof is github.com/google/pprof {sys.argv[5]})")
answers = open(sys.argv[6]).read().splitlines()
for a in answers:
    print(f"  {a}")
same = answers[0].split(": ", 1)[1] == answers[1].split(": ", 1)[1]
print(f"  same total and largest growth: {'PASS' if same else 'MISS'}")
ratios = []
labels = {"pprof_top_base": "go tool pprof -top -base", "pprof_top_cum_base": "go tool pprof -top -cum -base",
          "google_pprof_top_base": "google/pprof -top -base", "google_pprof_top_cum_base": "google/pprof -top -cum -base"}
for ours, theirs in (("steady_diff", "pprof_top_base"), ("steady_diff_cum", "pprof_top_cum_base"),
                     ("steady_diff", "google_pprof_top_base"), ("steady_diff_cum", "google_pprof_top_cum_base")):
    speed = rows[theirs][0] / rows[ours][0]
    mem = rows[ours][1] / rows[theirs][1]
    print(f"  {ours} vs {theirs}: {speed:.1f}x faster (goal >= 10x): {'PASS' if speed >= 10 else 'MISS'}; "
          f"{mem:.2f} of its peak memory (goal <= 0.20): {'PASS' if mem <= 0.2 else 'MISS'}")
    ratios.append((f"heap diff{' --cum' if 'cum' in ours else ''} vs {labels[theirs]}",
                   rows[ours][0], rows[theirs][0], "<= 0.10"))
print("steady heap diff's peak memory against profile size (many_sites: one stack per sample, same locations)")
print(f"  {'samples':>10} {'unzipped':>10} {'peak RSS':>10} {'wall':>7}")
for line in open(sys.argv[7]):
    stacks, unzipped, kib, secs = line.split()
    print(f"  {int(stacks):>10,} {int(unzipped)/2**20:>7.1f}MiB {int(kib)/1024:>7.1f}MiB {float(secs):>6.2f}s")
with open(sys.argv[4], "w") as f:
    for what, a, b, goal in ratios:
        f.write(f"{what}|{a:.4f}|{b:.4f}|{goal}\n")
PY
