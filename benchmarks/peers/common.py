"""What every run script of the peers benchmark shares: the command line
and the one JSON line a run prints, which the driver (peers.py) reads."""
import argparse
import importlib
import json
import os
import time
from importlib.metadata import version as dist_version

# numpy's OpenBLAS starts its worker threads when numpy is imported, and
# they spin for about 0.1 s before they sleep (0.11 s of CPU on this 2-core
# VM): a simulator that is ready sooner
# (cajal builds in milliseconds) would share its cores with them during
# its first tenth of a second (measured: COBA 4,000 on two threads took
# 0.11-0.13 s instead of 0.06-0.08). No simulator here computes with
# BLAS, so every run gets one OpenBLAS thread, set before any script
# imports numpy (each imports this module first).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def arguments(description, sims, **defaults):
    """The run scripts' common flags; `defaults` gives each workload's own
    (n, duration). The driver always passes all of them."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sim", choices=sims, default=sims[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--duration", type=float, default=defaults.get("duration", 1000.0), help="simulated ms")
    if "n" in defaults:
        p.add_argument("--n", type=int, default=defaults["n"], help="neurons")
    args = p.parse_args()
    if args.sim == "cajal":
        # cajal's CPU engine runs on rayon's global pool, which reads this
        # variable once, when the engine first runs: set it before the import.
        os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    return args


def simulator(sim):
    """The module an ANNarchy script runs with: ANNarchy itself, or cajal,
    which implements ANNarchy's API (the only line a script changes)."""
    return importlib.import_module({"annarchy": "ANNarchy", "cajal": "cajal"}[sim])


def version(sim):
    """The simulator's version, for the table's header."""
    return dist_version({"annarchy": "ANNarchy", "cajal": "cajal", "brian2": "brian2", "nest": "nest-simulator"}[sim])


def emit(args, workload, build_s, sim_s, simulated_ms, **extra):
    """Prints the run's result as one JSON line (the last line of stdout;
    the driver ignores everything the simulators print before it)."""
    line = {
        "sim": args.sim,
        "workload": workload,
        # A script that runs a program rather than a Python package passes its own.
        "version": extra.pop("version", None) or version(args.sim),
        "threads": args.threads,
        "seed": args.seed,
        "build_s": round(build_s, 4),
        "sim_s": round(sim_s, 4),
        "simulated_ms": simulated_ms,
    }
    line.update(extra)
    print(json.dumps(line), flush=True)


def annarchy_run(net, t0, duration):
    """Compiles an ANNarchy-API network (ANNarchy generates and compiles
    C++ into ./annarchy; cajal builds its engine) and simulates `duration`
    ms; gives (build_s, sim_s): build_s from t0 to ready, sim_s the
    simulation alone."""
    net.compile(directory=os.path.join(os.getcwd(), "annarchy"))
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    net.simulate(duration)
    return build_s, time.perf_counter() - t1


def brian2_standalone(b2, directory, t0):
    """Compiles Brian 2's C++ standalone project and runs its binary; gives
    (build_s, sim_s): build_s from t0 to the compiled binary plus the
    binary's own set-up (synapse creation, initial values), sim_s the
    network's run loop alone, which the binary times and writes to
    results/last_run_info.txt, read back by Brian 2 into _last_run_time."""
    b2.device.build(directory=directory, compile=True, run=False)
    compiled = time.perf_counter()
    b2.device.run(directory=directory, with_output=False)
    binary_s = time.perf_counter() - compiled
    sim_s = b2.device._last_run_time
    return compiled - t0 + binary_s - sim_s, sim_s


def nest_run(nest, args, workload, t0, recorder, n, synapses):
    """The end every NEST script shares: nest.Prepare() (counted in
    build_s, from t0), nest.Run() alone timed as sim_s, and the result
    line, with the whole network's rate from the spike recorder and
    `synapses` the network's own (counted before recorders and inputs)."""
    nest.Prepare()
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Run(args.duration)
    sim_s = time.perf_counter() - t1
    nest.Cleanup()
    emit(
        args, workload, build_s, sim_s, args.duration,
        rate_hz=recorder.n_events / n / (args.duration / 1000.0),
        neurons=n,
        synapses=synapses,
    )
