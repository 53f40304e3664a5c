"""ANNarchy 5.0.4.1 reference: the Synaptic transmission notebook: one
spike at 10 ms onto a LIF neuron through three projections, an
instantaneous conductance g_a, an exponentially decaying g_b and an
alpha-shaped alpha_c (the exponential method), dt = 1 ms (ANNarchy's
default), 100 ms.

Run: python synaptic_transmission.py (writes synaptic_transmission.json
next to this file). Deterministic: compared to float precision.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

LIF = ann.Neuron(
    parameters="""
        tau = 20.
        E_L = -70.
        v_T = 0.
        v_r = -58.
        tau_b = 10.0
        tau_c = 10.0
    """,
    equations="""
        # Membrane potential
        tau * dv/dt = (E_L - v) + g_a + g_b + alpha_c : init=-70.

        # Exponentially decreasing
        tau_b * dg_b/dt = -g_b : exponential

        # Alpha-shaped
        tau_c * dg_c/dt = -g_c : exponential
        tau_c * dalpha_c/dt = exp((tau_c - dt/2.0)/tau_c) * g_c - alpha_c  : exponential
    """,
    spike="v >= v_T",
    reset="v = v_r",
    refractory=2.0,
)

net = ann.Network(dt=1.0)
inp = net.create(ann.SpikeSourceArray([10.]))
pop = net.create(1, LIF)
for target in ["a", "b", "c"]:
    net.connect(inp, pop, target).all_to_all(weights=1.0)
m = net.monitor(pop, ["g_a", "g_b", "alpha_c", "v"])
net.compile(directory="/tmp/annarchy_nb/synaptic_transmission")
net.simulate(100.)
out = {}
for var in ["g_a", "g_b", "alpha_c", "v"]:
    x = m.get(var)[:, 0]
    out[var] = {
        "peak": float(x.max()),
        "peak_sample": int(x.argmax()),
        "nonzero_samples": int((np.abs(x) > 1e-6).sum()) if var != "v" else None,
        "at_sample_30": float(x[30]),
    }
print(json.dumps(out))
with open(os.path.join(HERE, "synaptic_transmission.json"), "w") as f:
    json.dump(out, f, indent=1)
