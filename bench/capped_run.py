#!/usr/bin/env python3
"""Runs one command with stdin from a file and stdout to a file, watching its resident memory:
above --max-rss it is killed, so a peer that holds a whole dump in memory cannot push the shared
machine into swap or the OOM killer. Prints one line:
    <wall seconds> <peak RSS KiB> <completed|killed> <fraction of stdin read>
Usage: capped_run.py --max-rss BYTES --stdin FILE --stdout FILE -- COMMAND...
"""
import argparse, os, signal, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--max-rss", type=int, required=True)
ap.add_argument("--stdin", required=True)
ap.add_argument("--stdout", required=True)
ap.add_argument("command", nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
size = os.path.getsize(a.stdin)
with open(a.stdin, "rb") as fin, open(a.stdout, "wb") as fout:
    began = time.monotonic()
    p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL)
    killed, pos, usage = False, 0, None
    while True:
        pid, _, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            with open(f"/proc/{p.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) * 1024
            with open(f"/proc/{p.pid}/fdinfo/0") as f:
                pos = int(f.readline().split()[1])
        except (OSError, StopIteration, ValueError):
            rss = 0
        if rss > a.max_rss:
            p.send_signal(signal.SIGKILL)
            killed = True
            # wait4 gives the child's own peak (ru_maxrss, KiB) and reaps it.
            _, _, usage = os.wait4(p.pid, 0)
            break
        time.sleep(0.05)
    wall = time.monotonic() - began
frac = 1.0 if not killed else pos / size
print(f"{wall:.3f} {usage.ru_maxrss} {'killed' if killed else 'completed'} {frac:.3f}")
