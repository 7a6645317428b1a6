# Generates deploy/prometheus/tests/*.yml: for each alert a leak shape that fires, a sawtooth
# and a step that levels off that stay silent.
import json, os
L = 'pid="4242",comm="svc",exe="/usr/bin/svc"'
MI = 1 << 20
N = 180  # minutes

def lin(start, step, n=N): return f"{start}+{step}x{n}"
def flat(v, n=N): return f"{v}x{n}"
def saw(base, step, period=7, n=N):
    vals = [base + step * (i % period) for i in range(n + 1)]
    return " ".join(str(v) for v in vals)
def stepped(before, after, at=60, n=N): return f"{before}x{at} {after}x{n - at}"

def series(**kw):
    return [{"series": f"{name}{{{L}}}", "values": v} for name, v in kw.items()]

# The annotations each firing test expects, exactly as Prometheus renders them (checked by
# hand against the shapes: e.g. 0.5 fd/s from 1900 to 4096 leaves 4392 s = 1h 13m 12s).
ANN = json.load(open(os.path.join(os.path.dirname(__file__), "annotations.json")))

def fires(alert, t):
    exp = {"exp_labels": {"pid": "4242", "comm": "svc", "exe": "/usr/bin/svc",
                          "severity": "warning", "kind": KIND[alert]}}
    return {"eval_time": t, "alertname": alert, "exp_alerts": [exp]}
def silent(alert, times):
    return [{"eval_time": t, "alertname": alert, "exp_alerts": []} for t in times]

KIND = {"SteadyFdExhaustion": "fd-exhaustion", "SteadyGoroutineLeak": "goroutine-leak",
        "SteadyThreadLeak": "thread-leak", "SteadyMemoryDrift": "memory-drift",
        "SteadyAllocatorFragmentation": "allocator-fragmentation",
        "SteadyDeadlineDrift": "deadline-drift"}
ALL_TIMES = ["20m", "40m", "60m", "75m", "90m", "110m", "130m", "150m", "175m"]

def test(name, inputs, checks):
    for check in checks:
        for exp in check["exp_alerts"]:
            exp["exp_annotations"] = ANN[name]
    return {"name": name, "interval": "1m", "input_series": inputs, "alert_rule_test": checks}

files = {}
# Descriptors: 0.5/s towards a soft limit of 4096.
files["fd_exhaustion"] = [
    test("fd leak: fires with the time left", series(steady_fds_open=lin(100, 30), steady_fds_soft_limit=flat(4096)),
         silent("SteadyFdExhaustion", ["20m", "45m"]) + [fires("SteadyFdExhaustion", "60m")]),
    test("fd sawtooth: silent", series(steady_fds_open=saw(100, 300), steady_fds_soft_limit=flat(4096)),
         silent("SteadyFdExhaustion", ALL_TIMES)),
    test("fd step that levels off: silent", series(steady_fds_open=stepped(100, 3000), steady_fds_soft_limit=flat(4096)),
         silent("SteadyFdExhaustion", ALL_TIMES)),
    test("fd growth far from the limit: silent", series(steady_fds_open=lin(100, 1), steady_fds_soft_limit=flat(1048576)),
         silent("SteadyFdExhaustion", ALL_TIMES)),
]
files["goroutine_leak"] = [
    test("goroutine leak: fires", series(steady_go_goroutines=lin(100, 5), steady_go_goroutines_io_wait=flat(10)),
         silent("SteadyGoroutineLeak", ["20m", "45m"]) + [fires("SteadyGoroutineLeak", "60m")]),
    test("goroutine sawtooth: silent", series(steady_go_goroutines=saw(100, 60), steady_go_goroutines_io_wait=flat(10)),
         silent("SteadyGoroutineLeak", ALL_TIMES)),
    test("goroutine step that levels off: silent", series(steady_go_goroutines=stepped(100, 2000), steady_go_goroutines_io_wait=flat(10)),
         silent("SteadyGoroutineLeak", ALL_TIMES)),
]
files["thread_leak"] = [
    test("thread leak: fires", series(steady_threads=lin(10, 1)),
         silent("SteadyThreadLeak", ["20m", "45m"]) + [fires("SteadyThreadLeak", "60m")]),
    test("thread sawtooth: silent", series(steady_threads=saw(10, 4)),
         silent("SteadyThreadLeak", ALL_TIMES)),
    test("thread step that levels off: silent", series(steady_threads=stepped(10, 60)),
         silent("SteadyThreadLeak", ALL_TIMES)),
]
base = 100 * MI
files["memory_drift"] = [
    test("live heap leak towards GOMEMLIMIT: fires", series(steady_go_heap_live_bytes=lin(base, MI), steady_go_memory_limit_bytes=flat(512 * MI)),
         silent("SteadyMemoryDrift", ["60m", "85m"]) + [fires("SteadyMemoryDrift", "120m")]),
    test("live heap leak towards the cgroup limit: fires", series(steady_go_heap_live_bytes=lin(base, MI), steady_cgroup_memory_limit_bytes=flat(1024 * MI)),
         [fires("SteadyMemoryDrift", "120m")]),
    test("live heap sawtooth: silent", series(steady_go_heap_live_bytes=saw(base, 4 * MI), steady_go_memory_limit_bytes=flat(512 * MI)),
         silent("SteadyMemoryDrift", ALL_TIMES)),
    test("live heap step that levels off: silent", series(steady_go_heap_live_bytes=stepped(base, 3 * base), steady_go_memory_limit_bytes=flat(512 * MI)),
         silent("SteadyMemoryDrift", ALL_TIMES)),
]
files["allocator_fragmentation"] = [
    test("free space in spans grows, live flat: fires", series(steady_go_heap_live_bytes=flat(base), steady_go_heap_inuse_bytes=lin(base + 10 * MI, MI)),
         silent("SteadyAllocatorFragmentation", ["60m", "85m"]) + [fires("SteadyAllocatorFragmentation", "120m")]),
    test("inuse grows with live (a leak, not fragmentation): silent", series(steady_go_heap_live_bytes=lin(base, MI), steady_go_heap_inuse_bytes=lin(base + 10 * MI, 2 * MI)),
         silent("SteadyAllocatorFragmentation", ALL_TIMES)),
    test("free space sawtooth: silent", series(steady_go_heap_live_bytes=flat(base), steady_go_heap_inuse_bytes=saw(base + 10 * MI, 4 * MI)),
         silent("SteadyAllocatorFragmentation", ALL_TIMES)),
    test("free space step that levels off: silent", series(steady_go_heap_live_bytes=flat(base), steady_go_heap_inuse_bytes=stepped(base + 10 * MI, base + 80 * MI)),
         silent("SteadyAllocatorFragmentation", ALL_TIMES)),
]
files["deadline_drift"] = [
    test("goroutines pile up in network waits: deadline drift, not a goroutine leak",
         series(steady_go_goroutines=lin(100, 5), steady_go_goroutines_io_wait=lin(20, 5), steady_fds_open=flat(50)),
         silent("SteadyDeadlineDrift", ["20m", "45m"]) + [fires("SteadyDeadlineDrift", "60m")] + silent("SteadyGoroutineLeak", ["60m", "120m"])),
    test("network waits with descriptors growing: a connection leak, not deadline drift",
         series(steady_go_goroutines=lin(100, 5), steady_go_goroutines_io_wait=lin(20, 5), steady_fds_open=lin(50, 5)),
         silent("SteadyDeadlineDrift", ALL_TIMES)),
    test("network wait sawtooth: silent",
         series(steady_go_goroutines=saw(100, 60), steady_go_goroutines_io_wait=saw(20, 60), steady_fds_open=flat(50)),
         silent("SteadyDeadlineDrift", ALL_TIMES)),
    test("network wait step that levels off: silent",
         series(steady_go_goroutines=stepped(100, 2000), steady_go_goroutines_io_wait=stepped(20, 1920), steady_fds_open=flat(50)),
         silent("SteadyDeadlineDrift", ALL_TIMES)),
]
for name, tests in files.items():
    doc = {"rule_files": ["../steady-rules.yml"], "evaluation_interval": "1m", "tests": tests}
    with open(os.path.join(os.path.dirname(__file__), f"{name}.yml"), "w") as f:
        f.write(f"# Generated by deploy/prometheus/tests/gen_tests.py: leak shapes fire, sawtooth and step stay silent.\n")
        json.dump(doc, f, indent=1)
        f.write("\n")
