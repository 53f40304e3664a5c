"""ANNarchy 5.0.4.1 reference: the BCM notebook: two rate inputs (1.0 and
0.1) onto one neuron r = sum(exc) through IBCM synapses (a sliding
threshold theta, w >= 0), dt = 1 ms, 1000 ms.

Run: python bcm.py (writes bcm.json next to this file). Deterministic:
compared to float precision.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

input_neuron = ann.Neuron(parameters="""
        r = 0.0
    """)
neuron = ann.Neuron(equations="""
        r = sum(exc)
    """)
IBCM = ann.Synapse(
    parameters="""
        eta = 0.01 : projection
        tau = 100.0 : projection
    """,
    equations="""
        tau * dtheta/dt + theta = (post.r)^2 : postsynaptic, exponential

        dw/dt = eta * post.r * (post.r - theta) * pre.r : min=0.0, explicit
    """,
    psp="w * pre.r",
)

net = ann.Network(dt=1.0)
pre = net.create(2, input_neuron)
post = net.create(1, neuron)
proj = net.connect(pre, post, "exc", IBCM)
proj.all_to_all(1.0)
m = net.monitor(post, "r")
n = net.monitor(proj, ["w", "theta"])
net.compile(directory="/tmp/annarchy_nb/bcm")
pre.r = np.array([1.0, 0.1])
net.simulate(1000.)
r = m.get("r")[:, 0]
w = np.array(n.get("w"))
theta = np.array(n.get("theta"))
out = {
    "r_peak": float(r.max()),
    "r_peak_sample": int(r.argmax()),
    "r_final": float(r[-1]),
    "w_final": [float(x) for x in np.array(proj.w).reshape(-1)],
    "theta_final": float(np.array(proj.theta).reshape(-1)[0]),
    "r_at_100_samples": [float(r[k]) for k in range(0, 1000, 100)],
    "monitor_shapes": [list(w.shape), list(theta.shape)],
}
print(json.dumps(out))
with open(os.path.join(HERE, "bcm.json"), "w") as f:
    json.dump(out, f, indent=1)
