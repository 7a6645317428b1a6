#!/usr/bin/env bash
# Benchmarks `steady fds` against lsof, lsfd, the `ls -l | awk | sort | uniq -c` one-liner and
# a compiled readdir+readlink loop plus one read of the socket tables (the floor), on live
# targets with 1,000, 10,000 and 19,000 descriptors of mixed kinds, then on a synthetic
# /proc tree of 1,000,000 descriptors (steady's hidden --proc-root). Prints ratios measured in
# this run, and `fds --list` (one row per descriptor) against the grouped census (goal <= 1.5).
# Needs hyperfine and /usr/bin/time (Debian: apt-get install hyperfine time); writes
# bench/out/fds-SIZE.txt and fds.ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine /usr/bin/time lsof lsfd python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --quiet --examples
cargo build --release --quiet
steady=$PWD/target/release/steady
floor=$PWD/target/release/examples/readlink_floor
mix=$PWD/target/release/examples/fd_mix
out=$PWD/bench/out
mkdir -p "$out"
work=$(mktemp -d)
pids=()
: >"$out/fds.ratios"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$1"; }
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }

measure() { # name command...
    local name=$1; shift
    # -i: steady exits 1 when it finds the process near its limit, which is the point here.
    hyperfine --style none -i --warmup 2 --runs "${RUNS:-10}" -N --export-json "$work/$name.json" "$*" >/dev/null 2>&1 ||
        hyperfine --style none -i --warmup 2 --runs "${RUNS:-10}" --export-json "$work/$name.json" "$*" >/dev/null 2>&1
    printf '%s %s %s\n' "$name" "$(mean "$work/$name.json")" "$(peak_kib bash -c "$*")"
}

report() { # size file
    python3 - "$1" "$2" "$out/fds.ratios" <<'PY'
import sys
size, path = sys.argv[1], sys.argv[2]
ratios = open(sys.argv[3], "a")
rows = {}
for line in open(path):
    name, secs, kib = line.split()
    rows[name] = (float(secs), int(kib))
s = rows["steady"][0]
floor = rows["floor_readlink"][0] + rows["floor_tables"][0]
print(f"\n{size} descriptors")
print(f"  {'tool':<16} {'mean':>9} {'vs steady':>10} {'peak RSS':>10}")
for name, (secs, kib) in rows.items():
    print(f"  {name:<16} {secs*1000:>7.1f}ms {secs/s:>9.2f}x {kib/1024:>8.1f}MiB")
print(f"  steady / floor (readlink loop + tables) = {s/floor:.2f} (goal <= 1.5): {'PASS' if s/floor <= 1.5 else 'MISS'}")
ratios.write(f"fds {size} descriptors vs floor (readlink loop + tables)|{s:.4f}|{floor:.4f}|<= 1.5\n")
for other, goal in (("lsof", 5), ("lsfd", 5), ("one_liner", 2)):
    if other in rows:
        label = "ls -l | awk | sort | uniq -c" if other == "one_liner" else other
        ratios.write(f"fds {size} descriptors vs {label}|{s:.4f}|{rows[other][0]:.4f}|<= {1 / goal:.2f}\n")
        r = rows[other][0] / s
        print(f"  {other} / steady = {r:.1f}x (goal >= {goal}x): {'PASS' if r >= goal else 'MISS'}")
if "steady_list" in rows:
    # One row per descriptor (fdinfo read for each) against the grouped census of the same run.
    l = rows["steady_list"][0]
    ratios.write(f"fds --list {size} descriptors vs grouped census|{l:.4f}|{s:.4f}|<= 1.5\n")
    print(f"  steady --list / steady (grouped) = {l/s:.2f} (goal <= 1.5): {'PASS' if l/s <= 1.5 else 'MISS'}")
    if "floor_fdinfo" in rows:
        # What --list cannot go under on one thread: a readlink and an fdinfo read per
        # descriptor, and the socket tables once.
        lf = rows["floor_fdinfo"][0] + rows["floor_tables"][0]
        ratios.write(f"fds --list {size} descriptors vs floor (readlink + fdinfo loop + tables)|{l:.4f}|{lf:.4f}|<= 1.5\n")
        print(f"  steady --list / floor (readlink + fdinfo + tables) = {l/lf:.2f} (goal <= 1.5): {'PASS' if l/lf <= 1.5 else 'MISS'}")
        print(f"  floor with fdinfo / floor without = {lf/floor:.2f} (the fdinfo reads alone)")
kib = rows["steady"][1]
limit = 8 if int(size.replace(',', '')) <= 19000 else 64
print(f"  steady peak RSS {kib/1024:.1f} MiB (goal < {limit} MiB): {'PASS' if kib/1024 < limit else 'MISS'}")
PY
}

for size in 1000 10000 19000; do
    part=$((size / 8))
    dir=$work/mix-$size
    mkdir -p "$dir"
    "$mix" --dir "$dir" --tcp "$part" --pipes "$part" --unix-pairs "$part" --files "$part" --eventfds "$part" \
        --lifetime 600 >"$dir/ready" 2>/dev/null </dev/null &
    pids+=($!)
    for _ in $(seq 100); do grep -q READY "$dir/ready" 2>/dev/null && break; sleep 0.1; done
    pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$dir/ready")
    echo "target: PID $pid with $(ls /proc/"$pid"/fd | wc -l) descriptors"
    {
        measure steady "$steady fds $pid --json --top 0"
        measure steady_list "$steady fds $pid --list --json"
        measure floor_readlink "$floor /proc $pid"
        measure floor_fdinfo "$floor /proc $pid --fdinfo"
        measure floor_tables "cat /proc/$pid/net/tcp /proc/$pid/net/tcp6 /proc/$pid/net/udp /proc/$pid/net/udp6 /proc/$pid/net/unix /proc/$pid/net/netlink"
        measure lsof "lsof -n -P -p $pid"
        measure lsfd "lsfd -p $pid"
        measure one_liner "ls -l /proc/$pid/fd | awk '{print \$11}' | sort | uniq -c | sort -nr"
    } >"$work/rows-$size"
    report "$size" "$work/rows-$size" | tee "$out/fds-$size.txt"
done

# A synthetic /proc tree with 1,000,000 descriptors: sockets (with matching tcp and unix rows),
# pipes, files (links to real files), eventfds.
tree=$work/proc
python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
pid = os.path.join(root, "4242")
fd = os.path.join(pid, "fd"); net = os.path.join(pid, "net"); files = os.path.join(root, "files")
for d in (fd, net, files, os.path.join(root, "sys/fs")):
    os.makedirs(d, exist_ok=True)
for i in range(1000):
    open(os.path.join(files, f"f{i}"), "w").close()
tcp = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"]
unix = ["Num       RefCount Protocol Flags    Type St Inode Path"]
n = 1_000_000
for i in range(n):
    kind = i % 4
    if kind == 0:
        inode = 1_000_000 + i
        tcp.append(f"{len(tcp)-1:4d}: 0100007F:{30000 + i % 20000:04X} 0700030A:1538 01 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 20 4 30 10 -1")
        target = f"socket:[{inode}]"
    elif kind == 1:
        inode = 1_000_000 + i
        unix.append(f"0000000000000000: 00000003 00000000 00000000 0001 03 {inode}")
        target = f"socket:[{inode}]"
    elif kind == 2:
        target = f"pipe:[{5_000_000 + i // 2}]"
    else:
        target = os.path.join(files, f"f{i % 1000}")
    os.symlink(target, os.path.join(fd, str(i)))
open(os.path.join(net, "tcp"), "w").write("\n".join(tcp) + "\n")
open(os.path.join(net, "unix"), "w").write("\n".join(unix) + "\n")
for t in ("tcp6", "udp", "udp6", "netlink"):
    open(os.path.join(net, t), "w").write("header\n")
# procfs reads every line of a real limits file, so write all sixteen.
limits = [("Max cpu time", "unlimited", "seconds"), ("Max file size", "unlimited", "bytes"),
          ("Max data size", "unlimited", "bytes"), ("Max stack size", "8388608", "bytes"),
          ("Max core file size", "0", "bytes"), ("Max resident set", "unlimited", "bytes"),
          ("Max processes", "96364", "processes"), ("Max open files", "1048576", "files"),
          ("Max locked memory", "8388608", "bytes"), ("Max address space", "unlimited", "bytes"),
          ("Max file locks", "unlimited", "locks"), ("Max pending signals", "96364", "signals"),
          ("Max msgqueue size", "819200", "bytes"), ("Max nice priority", "0", ""),
          ("Max realtime priority", "0", ""), ("Max realtime timeout", "unlimited", "us")]
open(os.path.join(pid, "limits"), "w").write(
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    + "".join(f"{n:<26}{v:<21}{v:<21}{u:<10}\n" for n, v, u in limits))
open(os.path.join(pid, "stat"), "w").write("4242 (synthetic) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n")
open(os.path.join(root, "sys/fs/nr_open"), "w").write("1048576\n")
PY
# Fail loudly here rather than let hyperfine -i time an error.
"$steady" --proc-root "$tree" fds 4242 --top 1 >/dev/null || [ $? -eq 1 ] || { echo "bench: steady fails on the synthetic tree" >&2; exit 1; }
{
    RUNS=3 measure steady "$steady --proc-root $tree fds 4242 --json --top 0"
    RUNS=3 measure floor_readlink "$floor $tree 4242"
    RUNS=3 measure floor_tables "cat $tree/4242/net/tcp $tree/4242/net/unix"
} >"$work/rows-1000000"
report 1,000,000 "$work/rows-1000000" | tee "$out/fds-1000000.txt"
