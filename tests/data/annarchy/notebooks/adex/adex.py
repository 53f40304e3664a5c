"""ANNarchy 5.0.4.1 reference: the AdEx notebook (Naud et al. 2008's eight
firing patterns of the adaptive exponential integrate-and-fire neuron),
500 ms with the current, then 50 ms without, dt = 0.1 ms.

Run: python adex.py (writes adex.json next to this file). Deterministic:
compared step for step.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

AdEx = ann.Neuron(
    parameters="""
        C = 200.
        gL = 10. # not g_L! g_ is reserved for spike transmission
        E_L = -70.
        v_T = -50.
        delta_T = 2.0
        a = 2.0
        tau_w = 30.
        b = 0.
        v_r = -58.
        I = 500.
        v_spike = 0.0
    """,
    equations="""
        C * dv/dt = - gL * (v - E_L) +  gL * delta_T * exp((v-v_T)/delta_T) + I - w : init=-70.0
        tau_w * dw/dt = a * (v - E_L) - w  : init=0.0
    """,
    spike="""
        v >= v_spike
    """,
    reset="""
        v = v_r
        w += b
    """,
    refractory=2.0,
)

net = ann.Network(dt=0.1)
pop = net.create(8, AdEx)
m = net.monitor(pop, ["v", "spike"])
net.compile(directory="/tmp/annarchy_nb/adex")
pop.C =       [200, 200, 130, 200, 200, 200, 100, 100]
pop.gL =      [ 10,  12,  18,  10,  12,  12,  10,  12]
pop.E_L =     [-70, -70, -58, -58, -70, -70, -65, -60]
pop.v_T =     [-50, -50, -50, -50, -50, -50, -50, -50]
pop.delta_T = [  2,   2,   2,   2,   2,   2,   2,   2]
pop.a =       [  2,   2,   4,   2,-10., -6.,-10.,-11.]
pop.tau_w =   [ 30, 300, 150, 120, 300, 300,  90, 130]
pop.b =       [  0,  60, 120, 100,   0,   0,  30,  30]
pop.v_r =     [-58, -58, -50, -46, -58, -58, -47, -48]
pop.I =       [500, 500, 400, 210, 300, 110, 350, 160]
pop.v = pop.E_L
pop.w = 0.0
net.simulate(500.)
pop.I = 0.0
net.simulate(50.)
v = m.get("v")
spikes = m.get("spike")
out = {
    "spike_count": [len(spikes.get(i, [])) for i in range(8)],
    "first_spike_step": [int(spikes[i][0]) if spikes.get(i) else None for i in range(8)],
    "last_spike_step": [int(spikes[i][-1]) if spikes.get(i) else None for i in range(8)],
    "v_final_mv": [float(x) for x in v[-1]],
}
print(json.dumps(out))
with open(os.path.join(HERE, "adex.json"), "w") as f:
    json.dump(out, f, indent=1)
