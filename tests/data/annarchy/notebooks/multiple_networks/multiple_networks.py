"""ANNarchy 5.0.4.1 reference: the Multiple networks notebook: the
Izhikevich pulse-coupled network (800 + 200 neurons of ANNarchy's built-in
Izhikevich model, all to all) simulated 8 times with parallel_run, each
run drawing new c, d (excitatory) and a, b, u (inhibitory) parameters with
numpy; dt = 1 ms, 1000 ms each. ANNarchy 5 needs the network as a subclass
of Network for parallel_run, and the runs get sequential seeds and their
own numpy seeds (forked processes would otherwise share numpy's state). The quantities are the runs' spike
statistics: the eight runs differ by their draws.

Run: python multiple_networks.py [seed] (writes multiple_networks.json
next to this file); statistics over the 8 runs.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
np.random.seed(seed)



class PulseNetwork(ann.Network):
    """The notebook's network; ANNarchy 5's parallel_run needs a subclass
    of Network (each run constructs its own copy, weights included)."""

    def __init__(self):
        self.P = self.create(geometry=1000, neuron=ann.Izhikevich)
        Exc = self.P[:800]
        re = np.random.random(800)
        Exc.noise = 5.0
        Exc.a = 0.02
        Exc.b = 0.2
        Exc.c = -65.0 + 15.0 * re**2
        Exc.d = 8.0 - 6.0 * re**2
        Exc.v = -65.0
        Exc.u = Exc.v * Exc.b
        Inh = self.P[800:]
        ri = np.random.random(200)
        Inh.noise = 2.0
        Inh.a = 0.02 + 0.08 * ri
        Inh.b = 0.25 - 0.05 * ri
        Inh.c = -65.0
        Inh.d = 2.0
        Inh.v = -65.0
        Inh.u = Inh.v * Inh.b
        self.connect(Exc, self.P, "exc").all_to_all(weights=ann.Uniform(0.0, 0.5))
        self.connect(Inh, self.P, "inh").all_to_all(weights=ann.Uniform(0.0, 1.0))
        self.M = self.monitor(self.P, "spike")


def run_network(net, idx):
    # The runs are forked from one process: without its own numpy seed
    # every run would draw the same parameters.
    np.random.seed(1000 + idx)
    Exc = net.P[:800]
    Inh = net.P[800:]
    re = np.random.random(800)
    Exc.c = -65.0 + 15.0 * re**2
    Exc.d = 8.0 - 6.0 * re**2
    ri = np.random.random(200)
    Inh.noise = 2.0
    Inh.a = 0.02 + 0.08 * ri
    Inh.b = 0.25 - 0.05 * ri
    Inh.u = Inh.v * Inh.b
    net.simulate(1000.0)
    t, n = net.M.raster_plot()
    return t, n


net = PulseNetwork(dt=1.0, seed=seed)
net.compile(directory="/tmp/annarchy_nb/multiple_networks")
vals = net.parallel_run(method=run_network, number=8, seeds="sequential", idx=list(range(8)))
runs = []
for t, n in vals:
    n = np.array(n, dtype=int)
    t = np.array(t)
    per_ms = np.bincount(t.astype(int), minlength=1000)
    runs.append({
        "spikes": int(len(t)),
        "rate_exc_hz": float((n < 800).sum() / 800),
        "rate_inh_hz": float((n >= 800).sum() / 200),
        "max_spikes_in_1ms": int(per_ms.max()),
    })
    print(json.dumps(runs[-1]))
summary = {}
for k in runs[0]:
    vals_k = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals_k.mean()), "min": float(vals_k.min()), "max": float(vals_k.max())}
# The eight runs must differ (they draw their own parameters).
summary["distinct_spike_counts"] = len({r["spikes"] for r in runs})
with open(os.path.join(HERE, "multiple_networks.json"), "w") as f:
    json.dump({"seed": seed, "runs": runs, "summary": summary}, f, indent=1)
