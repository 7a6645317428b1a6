#!/usr/bin/env bash
# What watching a service with `steady triage` costs it: a Go service (bench/cost_target)
# under a fixed, bounded loopback load (bench/loadgen: RATE requests a second, open loop, over
# 8 kept-alive connections, for the whole triage window and a little more). For each run it
# reports the CPU time the target spent (utime + stime from /proc/PID/stat, 10 ms ticks) and
# the p99 latency the load generator saw, with no steady, with `steady triage PID` at its
# defaults (--window 60s --interval 1s) and with --interval 250ms; --full-window keeps triage
# sampling for the whole window however soon it is sure, so every run watches for 60 s.
# Two shapes of target: one with a group of 64 idle pool workers (>= 50: triage also takes a
# ?debug=2 dump every 10 s) and one without (goroutine?debug=1 and heap?debug=1 every 2 s only).
# Baseline runs before and after the watched ones show how much the figures move by themselves.
# Goal: <= 1% extra target CPU and no visible p99 change at the defaults.
# Then, without load, the target CPU of each page triage fetches, from 200 fetches of each: the
# cost per minute those give is a steadier figure than the difference of two noisy runs.
# Needs go, curl, /usr/bin/time and python3; writes bench/out/target_cost.txt and target_cost.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in go python3 curl /usr/bin/time; do
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
go build -o "$work/cost_target" ./bench/cost_target
go build -o "$work/loadgen" ./bench/loadgen
rate=${RATE:-400}
# WINDOW (seconds) other than 60 is for trying the script out: triage then runs with --window.
window=${WINDOW:-60}
window_arg=()
[ "$window" -ne 60 ] && window_arg=(--window "${window}s")
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

measure() { # shape mode pid port
    local shape=$1 mode=$2 pid=$3 port=$4 triage=""
    local c0 c1 load
    c0=$(ticks "$pid")
    "$work/loadgen" -url "http://127.0.0.1:$port/work" -rate "$rate" -duration "$((window + 4))s" >"$work/load.json" &
    load=$!
    sleep 2
    echo "0 0" >"$work/steady-cpu"
    case $mode in
        none) sleep "$window" ;;
        defaults) /usr/bin/time -o "$work/steady-cpu" -f "%U %S" "$steady" triage "$pid" "${window_arg[@]}" --full-window --json >"$work/triage.json" 2>/dev/null || [ $? -eq 1 ] || {
                echo "bench: steady triage failed on the target" >&2; exit 1; } ;;
        interval_250ms) /usr/bin/time -o "$work/steady-cpu" -f "%U %S" "$steady" triage "$pid" "${window_arg[@]}" --interval 250ms --full-window --json >"$work/triage.json" 2>/dev/null || [ $? -eq 1 ] || {
                echo "bench: steady triage failed on the target" >&2; exit 1; } ;;
    esac
    wait "$load"
    c1=$(ticks "$pid")
    local fetched
    fetched=$(curl -s "http://127.0.0.1:$port/pprof-requests")
    echo "$shape $mode $((c1 - c0)) $(awk '{ print $1 + $2 }' "$work/steady-cpu") $(tr -d '\n' <"$work/load.json") $fetched"
}

{
    for workers in 64 0; do
        "$work/cost_target" -workers "$workers" >"$work/ready" &
        target=$!
        for _ in $(seq 50); do grep -q READY "$work/ready" 2>/dev/null && break; sleep 0.1; done
        port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$work/ready")
        shape=$([ "$workers" -gt 0 ] && echo "idle_pool_$workers" || echo "no_large_group")
        # Warm up: the first seconds of load grow the heap and the connection pool.
        "$work/loadgen" -url "http://127.0.0.1:$port/work" -rate "$rate" -duration 5s >/dev/null
        for mode in none defaults interval_250ms none; do
            measure "$shape" "$mode" "$target" "$port"
        done
        for page in "goroutine?debug=1" "heap?debug=1" "goroutine?debug=2"; do
            c0=$(ticks "$target")
            for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/debug/pprof/$page"; done
            echo "$shape fetch:$page $(($(ticks "$target") - c0))" >>"$work/fetch-rows"
        done
        kill "$target"; wait "$target" 2>/dev/null || true; target=""
    done
} >"$work/rows"

python3 - "$work/rows" "$rate" "$window" "$out/target_cost.ratios" "$work/fetch-rows" <<'PY' | tee "$out/target_cost.txt"
import json, sys
rows = []
for line in open(sys.argv[1]):
    shape, mode, ticks, steady_cpu, load, fetched = line.split(" ", 5)
    rows.append((shape, mode, int(ticks), json.loads(load), json.loads(fetched), float(steady_cpu)))
rate, window = int(sys.argv[2]), int(sys.argv[3])
print(f"target CPU and request latency under {rate} req/s for {window + 4} s, triage watching {window} s of it")
print(f"  {'target':<16} {'steady':<22} {'target CPU':>11} {'p50':>8} {'p99':>8} {'p99.9':>8} {'requests':>9} {'errors':>6}")
ratios = []
for shape in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == shape]
    base = [r for r in mine if r[1] == "none"]
    base_cpu = sum(r[2] for r in base) / len(base)
    base_p99 = sum(r[3]["p99_ms"] for r in base) / len(base)
    for _, mode, ticks, load, fetched, steady_cpu in mine:
        label = {"none": "none", "defaults": "triage (defaults)", "interval_250ms": "triage --interval 250ms"}[mode]
        print(f"  {shape:<16} {label:<22} {ticks / 100:>10.2f}s {load['p50_ms']:>6.1f}ms {load['p99_ms']:>6.1f}ms "
              f"{load['p999_ms']:>6.1f}ms {load['requests']:>9} {load['errors']:>6}")
        if fetched:
            print(f"  {'':<16} {'':<22} fetched: " + ", ".join(f"{k} x{v}" for k, v in sorted(fetched.items()))
                  + f"; steady's own CPU {steady_cpu:.2f}s")
    spread = abs(base[0][2] - base[-1][2]) / base_cpu * 100
    p99_spread = abs(base[0][3]["p99_ms"] - base[-1][3]["p99_ms"])
    print(f"  {shape}: the two unwatched runs differ by {spread:.1f}% in CPU and {p99_spread:.1f} ms in p99")
    for mode, goal in (("defaults", 1.0), ("interval_250ms", None)):
        r = next(r for r in mine if r[1] == mode)
        extra = (r[2] - base_cpu) / base_cpu * 100
        verdict = "" if goal is None else f" (goal <= {goal:.0f}%: {'PASS' if extra <= goal else 'MISS'})"
        print(f"  {shape} {mode}: {extra:+.1f}% target CPU ({(r[2] - base_cpu) * 10:+.0f} ms over the run){verdict}; "
              f"p99 {r[3]['p99_ms']:.1f} ms against {base_p99:.1f} ms unwatched")
        ratios.append((f"target CPU, {shape}, triage {mode.replace('_', ' ')} vs unwatched", r[2] / 100, base_cpu / 100,
                       "<= 1.01" if goal else ""))
        ratios.append((f"target p99, {shape}, triage {mode.replace('_', ' ')} vs unwatched", r[3]["p99_ms"] / 1000,
                       base_p99 / 1000, ""))
per_fetch = {}
for line in open(sys.argv[5]):
    shape, page, ticks = line.split()
    per_fetch[(shape, page.split(":", 1)[1])] = int(ticks) * 10 / 200
print("\ntarget CPU per fetch, without load (200 fetches each), and what triage's fetches cost a minute")
for shape in dict.fromkeys(r[0] for r in rows):
    d1, heap, d2 = (per_fetch[(shape, p)] for p in ("goroutine?debug=1", "heap?debug=1", "goroutine?debug=2"))
    base = [r for r in rows if r[0] == shape and r[1] == "none"]
    base_cpu = sum(r[2] for r in base) / len(base) * 10 / (window + 4) * window  # ms in the window
    for mode in ("defaults", "interval_250ms"):
        r = next(r for r in rows if r[0] == shape and r[1] == mode)
        cost = sum(n * per_fetch[(shape, page)] for page, n in r[4].items() if (shape, page) in per_fetch)
        print(f"  {shape:<16} debug=1 {d1:.2f} ms, heap {heap:.2f} ms, debug=2 {d2:.2f} ms; {mode}: its "
              f"fetches ({', '.join(f'{k} x{v}' for k, v in sorted(r[4].items()))}) cost {cost:.0f} ms = "
              f"{cost / base_cpu * 100:.2f}% of the unwatched target's CPU over the window")
        ratios.append((f"target CPU from fetches, {shape}, triage {mode.replace('_', ' ')} (per-fetch sum)",
                       (base_cpu + cost) / 1000, base_cpu / 1000, "<= 1.01" if mode == "defaults" else ""))
with open(sys.argv[4], "w") as f:
    for what, a, b, goal in ratios:
        f.write(f"{what}|{a:.4f}|{b:.4f}|{goal}\n")
PY
