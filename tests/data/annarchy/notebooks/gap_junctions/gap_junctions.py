"""ANNarchy 5.0.4.1 reference: the Gap junctions notebook: 10 neurons
coupled all to all by gap junctions (psp = w * (pre.v - post.v), w =
0.02) synchronise; dt = 0.1 ms, 500 ms. (tests/data/annarchy/gap_junctions
holds the step-by-step traces the engine tests compare.)

Run: python gap_junctions.py (writes gap_junctions.json next to this file).
Deterministic: compared exactly.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

neuron = ann.Neuron(
    parameters="v0 = 1.05: population; tau = 10.0: population",
    equations="tau*dv/dt = v0 - v + g_gap",
    spike="v >  1.",
    reset="v = 0.",
)
gap_junction = ann.Synapse(psp="w * (pre.v - post.v)")

net = ann.Network(dt=0.1)
pop = net.create(10, neuron)
pop.v = np.linspace(0., 1., 10)
net.connect(pop, pop, "gap", gap_junction).all_to_all(0.02)
trace = net.monitor(pop[0] + pop[5], "v")
spk = net.monitor(pop, "spike")
net.compile(directory="/tmp/annarchy_nb/gap_junctions")
net.simulate(500.)
spikes = spk.get("spike")
v = trace.get("v")
out = {
    "spike_count": [len(spikes.get(i, [])) for i in range(10)],
    "first_spike_step": [int(spikes[i][0]) for i in range(10)],
    "last_spike_step": [int(spikes[i][-1]) for i in range(10)],
    # Synchrony: the spread of the last spikes (steps) across neurons.
    "last_spike_spread_steps": int(max(s[-1] for s in spikes.values()) - min(s[-1] for s in spikes.values())),
    "v0_final": float(v[-1, 0]),
    "v5_final": float(v[-1, 1]),
}
print(json.dumps(out))
with open(os.path.join(HERE, "gap_junctions.json"), "w") as f:
    json.dump(out, f, indent=1)
