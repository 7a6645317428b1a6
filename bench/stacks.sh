#!/usr/bin/env bash
# Benchmarks parsing and grouping goroutine dumps: `steady stacks --file` on debug=2 dumps of
# 100,000 and 1,000,000 goroutines, against a naive awk grouping of the same files and
# `go tool pprof -top` on the proto goroutine profile of the live process the dumps come from,
# and against panicparse's `pp` (installed from the Go module proxy into bench/out/gobin): the
# same groups (`pp -aggressive` ignores argument values, as steady does; plain `pp` splits
# goroutines whose register-passed arguments differ) and the speed ratio. pp holds the whole
# dump in memory (about 20 KiB a goroutine), so it runs under a resident-memory cap
# (PP_MAX_RSS, default 4 GiB): on the 1M dump the row says how far it got before the cap.
# Throughput in MB/s (steady cuts a large dump into one part per core), its ratio to awk, and
# peak memory, all measured in this run.
# Needs go, hyperfine, /usr/bin/time and python3; writes bench/out/stacks.txt and stacks.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in go hyperfine /usr/bin/time python3 awk; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --quiet
steady=$PWD/target/release/steady
source bench/peers.sh
need_peer pp
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
# pp: -aggressive twice on the 100k dump, plain pp once (for its groups), -aggressive once on
# the 1M dump, each under the memory cap; one line each: wall, peak KiB, completed|killed, share read.
capped() { python3 bench/capped_run.py --max-rss "${PP_MAX_RSS:-$((4 << 30))}" --stdin "$1" --stdout "$2" -- "${@:3}"; }
{
    for i in 1 2; do echo "pp_aggr_100000 $(capped "$work/dump-100000.txt" "$work/pp-aggr-100000.txt" "$pp_bin" -no-color -aggressive)"; done
    echo "pp_plain_100000 $(capped "$work/dump-100000.txt" "$work/pp-plain-100000.txt" "$pp_bin" -no-color)"
    echo "pp_aggr_1000000 $(capped "$work/dump-1000000.txt" "$work/pp-aggr-1000000.txt" "$pp_bin" -no-color -aggressive)"
} >"$work/pp-rows"
# Group sizes by each tool, largest first, for the comparison.
for total in 100000 1000000; do
    "$steady" stacks --file "$work/dump-$total.txt" --json --top 0 --max-bytes 8GiB >"$work/steady-$total.json"
done
python3 - "$work/rows" "$work/pp-rows" "$work" "$pp_version" "$out/stacks.ratios" <<'PY' | tee "$out/stacks.txt"
import json, re, sys
rows = {}
for line in open(sys.argv[1]):
    name, a, b = line.split()
    rows[name] = (float(a), int(b))
pp_rows = {}
for line in open(sys.argv[2]):
    name, wall, kib, how, share = line.split()
    pp_rows.setdefault(name, []).append((float(wall), int(kib), how, float(share)))
work, pp_version, ratios_path = sys.argv[3], sys.argv[4], sys.argv[5]
ratios = []
def steady_sizes(total):
    d = json.load(open(f"{work}/steady-{total}.json"))
    return sorted((g["count"] for g in d["groups"]), reverse=True)
def pp_sizes(path):
    return sorted((int(m.group(1)) for m in re.finditer(r"^(\d+): ", open(path).read(), re.M)), reverse=True)
for total in (100000, 1000000):
    size = rows[f"size_{total}"][0]
    print(f"\ndebug=2 dump of {total:,} goroutines ({size / 1e6:.0f} MB)")
    for tool in ("steady", "awk"):
        secs, kib = rows[f"{tool}_{total}"]
        print(f"  {tool:<8} {secs:>7.2f}s {size / 1e6 / secs:>8.0f} MB/s {kib / 1024:>8.1f} MiB peak")
    mbps = size / 1e6 / rows[f"steady_{total}"][0]
    vs_awk = rows[f"awk_{total}"][0] / rows[f"steady_{total}"][0]
    print(f"  steady throughput {mbps:.0f} MB/s (goal >= 700): {'PASS' if mbps >= 700 else 'MISS'}; "
          f"{vs_awk:.1f}x faster than awk (goal >= 2): {'PASS' if vs_awk >= 2 else 'MISS'}")
secs, kib = rows["pprof_proto"]
print(f"\ngo tool pprof -top on the live process's proto goroutine profile: {secs:.2f}s, {kib / 1024:.1f} MiB peak")
small, large = rows["steady_100000"][1], rows["steady_1000000"][1]
print(f"steady peak memory at 1M vs 100k goroutines: {large / small:.2f}x for a 10x larger dump "
      f"(goal: grows with distinct stacks, not dump size): {'PASS' if large / small < 1.5 else 'MISS'}")
for total, label in ((100000, "100k"), (1000000, "1M")):
    ratios.append((f"stacks --file {label} goroutines vs naive awk", rows[f"steady_{total}"][0], rows[f"awk_{total}"][0], "<= 0.5"))

print(f"\npanicparse pp {pp_version} (-aggressive: arguments ignored, as steady does), memory cap "
      f"{int(__import__('os').environ.get('PP_MAX_RSS', 4 << 30)) / 2**30:.0f} GiB")
s_secs, s_kib = rows["steady_100000"]
runs = pp_rows["pp_aggr_100000"]
walls = [r[0] for r in runs]
pp_mean = sum(walls) / len(walls)
print(f"  100k: steady {s_secs:.2f}s {s_kib / 1024:.1f} MiB; pp -aggressive {min(walls):.2f}-{max(walls):.2f}s "
      f"{max(r[1] for r in runs) / 1024:.0f} MiB peak: steady {pp_mean / s_secs:.1f}x faster, "
      f"{max(r[1] for r in runs) / s_kib:.0f}x less memory")
ratios.append(("stacks --file 100k vs pp -aggressive", s_secs, pp_mean, "<= 0.5"))
plain = pp_rows["pp_plain_100000"][0]
print(f"  100k: plain pp {plain[0]:.2f}s {plain[1] / 1024:.0f} MiB peak")
wall, kib, how, share = pp_rows["pp_aggr_1000000"][0]
s1m = rows["steady_1000000"][0]
if how == "completed":
    print(f"  1M: pp -aggressive {wall:.2f}s {kib / 1024:.0f} MiB peak: steady {wall / s1m:.1f}x faster")
    ratios.append(("stacks --file 1M vs pp -aggressive", s1m, wall, "<= 0.5"))
else:
    print(f"  1M: pp -aggressive stopped at the cap after {wall:.1f}s ({kib / 1024:.0f} MiB), having read "
          f"{share:.0%} of the dump (all of it would need about {kib / 2**20 / max(share, 0.01):.0f} GiB at that rate); "
          f"steady read all of it in {s1m:.2f}s")
    # The ratio is a bound: pp had not finished when it was stopped.
    ratios.append(("stacks --file 1M vs pp -aggressive (pp capped: a bound)", s1m, wall, "<= 0.5"))

ours = steady_sizes(100000)
aggr = pp_sizes(f"{work}/pp-aggr-100000.txt")
plain_sizes = pp_sizes(f"{work}/pp-plain-100000.txt")
same = "the same" if ours == aggr else "DIFFERENT"
print(f"  groups of the 100k dump: steady {len(ours)}, pp -aggressive {len(aggr)} ({same} sizes), plain pp {len(plain_sizes)}")
print(f"    steady:         {ours}")
print(f"    pp -aggressive: {aggr}")
print(f"    plain pp, largest 16 of {len(plain_sizes)}: {plain_sizes[:16]}")
print(f"    plain pp's groups of one: {sum(1 for n in plain_sizes if n == 1)}")
if how == "completed":
    big = pp_sizes(f"{work}/pp-aggr-1000000.txt")
    print(f"  groups of the 1M dump: steady {len(steady_sizes(1000000))}, pp -aggressive {len(big)} "
          f"({'the same' if big == steady_sizes(1000000) else 'DIFFERENT'} sizes)")
if ours != aggr:
    print("  MISS: steady and pp -aggressive group the 100k dump differently")
with open(ratios_path, "w") as f:
    for what, a, b, goal in ratios:
        f.write(f"{what}|{a:.4f}|{b:.4f}|{goal}\n")
PY
