"""Runs an ANNarchy script and times only its simulation calls.

    python timeit_ann.py SCRIPT.py [ARGS ...]

The script runs as __main__ (runpy) in its own folder, unchanged, so its
model definition, ANNarchy's code generation and C++ compilation, its
monitors' read-out and its own analysis are not counted: only the calls
that advance the network are. At the end it prints one line,

    TIMEIT {"simulate_s": ..., "step_s": ..., ...}

(JSON): simulate_s is simulate() and simulate_until(), step_s is step(),
parallel_run_s is Network.parallel_run() as a whole, each with its
number of calls and its process CPU time (cpu_*). TIMEIT_EXTRA=
"module:Class.method,..." times more methods, apart, as extra_s (the
Image notebook's ImagePopulation.set_image, which does the work a cajal
step does there).
"""
import importlib
import json
import os
import runpy
import sys
import time

START = time.perf_counter()
PARENT = os.getpid()

import ANNarchy  # noqa: E402  (its import is not the script's work either)
import ANNarchy.core.Simulate as Simulate  # noqa: E402
from ANNarchy.core.Network import Network  # noqa: E402

KEYS = ("simulate", "step", "parallel_run", "extra")
wall = dict.fromkeys(KEYS, 0.0)
cpu = dict.fromkeys(KEYS, 0.0)
calls = dict.fromkeys(KEYS, 0)
# Network.simulate() calls Simulate.simulate(), and parallel_run() calls
# simulate() in its workers: only the outermost call is counted. Per pid,
# because a forked worker inherits the parent's depth of 1.
depth = {}


def timed(fn, key):
    def wrapper(*args, **kwargs):
        pid = os.getpid()
        if depth.get(pid):
            return fn(*args, **kwargs)
        depth[pid] = 1
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            dt = time.perf_counter() - t0
            wall[key] += dt
            cpu[key] += time.process_time() - c0
            calls[key] += 1
            depth[pid] = 0
            if pid != PARENT:
                # A forked parallel_run worker's totals die with it: say them.
                print("TIMEIT_CHILD pid=%d %s_s=%.6f" % (pid, key, dt), file=sys.stderr, flush=True)

    wrapper.__wrapped__ = fn
    return wrapper


# Network's methods look these up in the module at each call, and the
# top-level ANNarchy.simulate (the global network's) is the same function
# re-exported: patch both names.
for name, key in (("simulate", "simulate"), ("simulate_until", "simulate"), ("step", "step")):
    patched = timed(getattr(Simulate, name), key)
    setattr(Simulate, name, patched)
    setattr(ANNarchy, name, patched)
Network.parallel_run = timed(Network.parallel_run, "parallel_run")

for spec in filter(None, os.environ.get("TIMEIT_EXTRA", "").split(",")):
    module, _, path = spec.partition(":")
    owner = importlib.import_module(module)
    *parents, attr = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    setattr(owner, attr, timed(getattr(owner, attr), "extra"))


def report():
    out = {"script_s": round(time.perf_counter() - START, 6)}
    for key in KEYS:
        out[f"{key}_s"] = round(wall[key], 6)
        out[f"{key}_calls"] = calls[key]
        out[f"cpu_{key}_s"] = round(cpu[key], 6)
    print("TIMEIT " + json.dumps(out), flush=True)


script = os.path.abspath(sys.argv[1])
sys.argv = [script] + sys.argv[2:]
os.chdir(os.path.dirname(script))
sys.path.insert(0, os.path.dirname(script))
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        raise
finally:
    if os.getpid() == PARENT:
        report()
