"""The Potjans & Diesmann (2014) microcircuit in cajal: its built-in model
(`cajal::networks::microcircuit`, with the Poisson background) run by the
`cajal` command-line program on the CPU engine, whose summary.json gives
the build and simulation times. Its outputs go to ./cajal-out (the run's
own working folder). The program also records v of L4E and the
populations' rate histograms for its report, which the NEST script
does not.

    python microcircuit_cajal.py --threads 2
"""
import json
import os
import subprocess

from common import arguments, emit

args = arguments(__doc__, ["cajal"], duration=1000.0)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(os.getcwd(), "cajal-out")
# RAYON_NUM_THREADS (set by arguments()) passes on to the program.
subprocess.run(
    [
        os.path.join(root, "target", "release", "cajal"), "run", "microcircuit",
        "--scale", "0.1", "--background", "poisson", "--backend", "cpu",
        "--duration", str(args.duration), "--seed", str(args.seed),
        "--no-plots", "--out", out,
    ],
    check=True,
    stdout=subprocess.DEVNULL,
)
with open(os.path.join(out, "summary.json")) as f:
    s = json.load(f)
assert s["cpu_threads"] == args.threads, s["cpu_threads"]
emit(
    args, "microcircuit", s["build_s"], s["wall_s"], s["duration_ms"],
    rate_hz=s["spikes"] / s["neurons"] / (s["duration_ms"] / 1000.0),
    neurons=s["neurons"],
    synapses=s["synapses"],
    version=s["cajal_version"],
)
