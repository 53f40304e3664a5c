"""ANNarchy 5.0.4.1 reference: monitors of synaptic variables.

Run: python projection_monitor.py (writes projection_monitor.json next to
this file; compiles in a temporary directory).
Six spike sources (SpikeSourceArray, fixed times) onto two
integrate-and-fire neurons through ANNarchy's STDP synapse (tau_plus =
tau_minus = 20, A_plus = 0.05, A_minus = 0.055, w in [0, 1]), connected
from a [post, pre] matrix with one synapse missing (post 1 from pre 2).
dt = 0.5 ms. Monitors of `w` (made after compile, which dendrites need):
  d0: Monitor(proj[0], 'w', period=5.0)      a dendrite every 10 steps
  d1: Monitor(proj[1], 'w')                  a dendrite every step
  pj: Monitor(proj, 'w', period=10.0)        the whole projection
  late: Monitor(proj[0], 'w', period=5.0) made at step 23 (after 11.5 ms)
Runs 11.5 ms (23 steps), makes `late`, reads d0 (which empties it), runs
88.5 ms more (200 steps in all), reads everything. Also the post spikes.
"""
import json
import os
import tempfile

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
net = ann.Network(dt=0.5)
times = [
    [2.0, 20.0, 41.0, 60.5, 80.0],
    [3.0, 22.0, 43.0, 62.0],
    [5.0, 25.0, 45.0, 70.0, 90.0],
    [10.0, 30.0, 50.0],
    [12.5, 33.0, 52.0, 75.0],
    [15.0, 35.0, 55.0, 95.0],
]
pre = net.create(ann.SpikeSourceArray(spike_times=times))
neuron = ann.Neuron(
    parameters="tau = 10.0 : population\ntau_e = 5.0 : population\nvt = 1.0",
    equations="tau * dv/dt = -v + g_exc : init = 0.0\ntau_e * dg_exc/dt = -g_exc",
    spike="v > vt",
    reset="v = 0.0",
)
post = net.create(2, neuron)
post.vt = [1.0, 0.8]
w = np.array(
    [
        [0.9, 0.8, 0.7, 0.85, 0.6, 0.75],
        [0.5, 0.95, None, 0.7, 0.8, 0.65],
    ],
    dtype=object,
)
stdp = ann.STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.05, A_minus=0.055, w_min=0.0, w_max=1.0)
proj = net.connect(pre, post, "exc", stdp)
proj.connect_from_matrix(w)
ms = net.monitor(post, "spike")
net.compile(directory=tempfile.mkdtemp(prefix="annarchy_projmon_"))
# Dendrites exist after compile: these monitors are made then, at step 0.
d0 = net.monitor(proj[0], "w", period=5.0)
d1 = net.monitor(proj[1], "w")
pj = net.monitor(proj, "w", period=10.0)
net.simulate(11.5)
# Made now, at step 23, it counts its period from now (offset = 23 % 10):
# samples at steps 23, 33, ... (start() on a monitor made with
# start=False would keep the phase of its creation, and start(period=...)
# fails on a projection recorder in 5.0.4.1).
late = net.monitor(proj[0], "w", period=5.0)
d0_first = np.asarray(d0.get("w"), dtype=float)
net.simulate(88.5)
d0_second = np.asarray(d0.get("w"), dtype=float)
d1_w = np.asarray(d1.get("w"), dtype=float)
pj_w = pj.get("w")
late_w = np.asarray(late.get("w"), dtype=float)
spikes = ms.get("spike")
out = {
    "dt": 0.5,
    "steps": 200,
    "d0_first": d0_first.tolist(),
    "d0_second": d0_second.tolist(),
    "d1": d1_w.tolist(),
    "projection": [[list(map(float, dend)) for dend in sample] for sample in pj_w],
    "late": late_w.tolist(),
    "post_spike_steps": {str(k): [int(s) for s in spikes[k]] for k in range(2)},
    "final_w": [list(map(float, d.w)) for d in proj.dendrites],
}
with open(os.path.join(HERE, "projection_monitor.json"), "w") as f:
    json.dump(out, f)
print("d0_first", d0_first.shape, "d0_second", d0_second.shape, "d1", d1_w.shape)
print("projection", len(out["projection"]), [len(d) for d in out["projection"][0]])
print("late", late_w.shape, "spikes", out["post_spike_steps"])
print("d0_first", d0_first)
