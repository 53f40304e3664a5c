"""ANNarchy 5.0.4.1 reference: when monitors sample conductances.

Run: python recording.py (writes recording.json next to this file).
One spike (a neuron firing at 10 ms, delivered at 11 ms, w = 2) into two
neurons: one whose conductance decays by its own equation
(tau_e * dg_exc/dt = -g_exc), one whose conductance has none (reset each
step). ANNarchy records conductances after the spikes are delivered and
before the neurons update (record_targets), the other variables after the
update. dt = 1 ms, explicit Euler, 16 ms.
"""
import json
import os

import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
src = ann.Neuron(parameters="t1 = 10.0", spike="t == t1")
dec = ann.Neuron(
    parameters="tau_e = 5.0",
    equations="""
        tau_e * dg_exc/dt = -g_exc
        dv/dt = g_exc - v : init = 0.0
    """,
    spike="v > 100.0",
    reset="v = 0.0",
)
plain = ann.Neuron(
    equations="dv/dt = g_exc - v : init = 0.0",
    spike="v > 100.0",
    reset="v = 0.0",
)
net = ann.Network(dt=1.0)
a = net.create(1, src)
b = net.create(1, dec)
c = net.create(1, plain)
net.connect(a, b, "exc").connect_all_to_all(2.0)
net.connect(a, c, "exc").connect_all_to_all(2.0)
mb = net.monitor(b, ["g_exc", "v"])
mc = net.monitor(c, ["g_exc", "v"])
net.compile(directory=os.path.join(HERE, "_annarchy"))
net.simulate(16.0)
out = {
    "decaying_g_exc": mb.get("g_exc")[:, 0].tolist(),
    "decaying_v": mb.get("v")[:, 0].tolist(),
    "plain_g_exc": mc.get("g_exc")[:, 0].tolist(),
    "plain_v": mc.get("v")[:, 0].tolist(),
}
with open(os.path.join(HERE, "recording.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out))
