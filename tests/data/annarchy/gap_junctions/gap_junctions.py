"""ANNarchy 5.0.4.1 reference: the Gap junctions notebook.

Run: python gap_junctions.py (writes gap_junctions.json next to this file).
Ten integrate-and-fire neurons started at v = 0, 1/9, ..., 1, coupled all
to all (no self-connections) by a synapse whose psp is
w * (pre.v - post.v), w = 0.02: a psp between spiking populations is
continuous transmission, summed into g_gap at every step. dt = 0.1 ms,
500 ms. The notebook plots v of neurons 0 and 5, which synchronise.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
net = ann.Network(dt=0.1)
neuron = ann.Neuron(
    parameters="v0 = 1.05: population; tau = 10.0: population",
    equations="tau*dv/dt = v0 - v + g_gap",
    spike="v >  1.",
    reset="v = 0.",
)
gap_junction = ann.Synapse(psp="w * (pre.v - post.v)")
pop = net.create(10, neuron)
pop.v = np.linspace(0.0, 1.0, 10)
proj = net.connect(pop, pop, "gap", gap_junction)
proj.connect_all_to_all(0.02)
m = net.monitor(pop, ["v", "spike", "g_gap"])
net.compile(directory=os.path.join(HERE, "_annarchy"))
net.simulate(500.0)
v = m.get("v")
g = m.get("g_gap")
spikes = m.get("spike")
out = {
    "v_0": [round(float(x), 7) for x in v[:, 0]],
    "v_5": [round(float(x), 7) for x in v[:, 5]],
    "g_gap_first_10_steps": g[:10].tolist(),
    "spike_steps": {str(k): [int(s) for s in spikes[k]] for k in range(10)},
}
with open(os.path.join(HERE, "gap_junctions.json"), "w") as f:
    json.dump(out, f)
print({k: out["spike_steps"][k][:6] for k in ("0", "5", "9")})
