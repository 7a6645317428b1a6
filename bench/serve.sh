#!/usr/bin/env bash
# The cost of `steady serve` per scrape: TARGETS (default 50) processes with ~20,000 descriptors
# each (pipes, unix pairs, files, eventfds and 250 loopback TCP connections, from
# tests/targets/fd_mix), one `steady serve --pid …` over all of them, SCRAPES (default 20)
# scrapes one after another. Prints the CPU steady spent per scrape (utime+stime from
# /proc/PID/stat, before and after), the wall time per scrape, both per target, and the ratio
# of a scrape to TARGETS one-shot `steady fds` runs on the same processes (the same census, each
# paying for its own process start). Non-Go targets: the Go fetches, taken at most every
# --go-interval, are not in these figures. Writes bench/out/serve.txt and serve.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in python3 curl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
targets=${TARGETS:-50}
scrapes=${SCRAPES:-20}
cargo build --release --quiet --examples
cargo build --release --quiet
steady=$PWD/target/release/steady
mix=$PWD/target/release/examples/fd_mix
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

target_pids=()
for i in $(seq "$targets"); do
    dir=$work/t$i
    mkdir -p "$dir"
    "$mix" --dir "$dir" --tcp 250 --pipes 4000 --unix-pairs 2000 --files 3000 --eventfds 4000 \
        --lifetime 900 >"$dir/ready" 2>/dev/null </dev/null &
    pids+=($!)
done
for i in $(seq "$targets"); do
    dir=$work/t$i
    for _ in $(seq 300); do grep -q READY "$dir/ready" 2>/dev/null && break; sleep 0.1; done
    grep -q READY "$dir/ready" || { echo "bench: target $i did not start (RLIMIT_NOFILE $(ulimit -n)?)" >&2; exit 1; }
    target_pids+=("$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$dir/ready")")
done
fds_total=0
for p in "${target_pids[@]}"; do fds_total=$((fds_total + $(ls /proc/"$p"/fd | wc -l))); done
echo "targets: $targets processes, $fds_total descriptors in all"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
args=()
for p in "${target_pids[@]}"; do args+=(--pid "$p"); done
"$steady" serve --listen "127.0.0.1:$port" "${args[@]}" >/dev/null 2>&1 </dev/null &
serve=$!
pids+=("$serve")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" -o /dev/null && break; sleep 0.1; done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
curl -sf "http://127.0.0.1:$port/metrics" -o "$work/first.prom"   # warm: endpoints looked for once
before=$(cpu "$serve")
began=$(date +%s.%N)
for _ in $(seq "$scrapes"); do curl -sf "http://127.0.0.1:$port/metrics" -o /dev/null; done
ended=$(date +%s.%N)
after=$(cpu "$serve")
series=$(grep -vc '^#' "$work/first.prom")

oneshot_began=$(date +%s.%N)
for p in "${target_pids[@]}"; do "$steady" fds "$p" --json --top 5 >/dev/null || true; done
oneshot_ended=$(date +%s.%N)

python3 - "$targets" "$scrapes" "$before" "$after" "$ticks" "$began" "$ended" "$oneshot_began" "$oneshot_ended" "$series" "$fds_total" "$out" <<'PY' | tee "$out/serve.txt"
import sys
targets, scrapes = int(sys.argv[1]), int(sys.argv[2])
before, after, ticks = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
began, ended, ob, oe = map(float, sys.argv[6:10])
series, fds, out = int(sys.argv[10]), int(sys.argv[11]), sys.argv[12]
cpu = (after - before) / ticks / scrapes
wall = (ended - began) / scrapes
oneshot = oe - ob
print(f"steady serve, {targets} targets, {fds:,} descriptors, {series:,} series per scrape")
print(f"  CPU per scrape   {cpu*1000:8.1f} ms  ({cpu/targets*1000:.2f} ms per target)")
print(f"  wall per scrape  {wall*1000:8.1f} ms  ({wall/targets*1000:.2f} ms per target)")
print(f"  {targets} x steady fds {oneshot*1000:8.1f} ms   scrape / one-shot runs = {wall/oneshot:.2f}")
print(f"  at a 15 s scrape interval: {cpu/15*100:.2f}% of one core")
with open(f"{out}/serve.ratios", "w") as r:
    r.write(f"serve scrape of {targets} targets x 19.5k fds vs {targets} one-shot steady fds|{wall:.4f}|{oneshot:.4f}|<= 1.00\n")
PY
