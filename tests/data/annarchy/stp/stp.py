"""ANNarchy 5.0.4.1 reference: Tsodyks-Markram short-term plasticity
(ANNarchy's STP model, as in its STP notebook) driven by a regular train.

Run: python stp.py (writes stp.json next to this file). One pre neuron
spikes every 20 ms from 1 ms (steps 1, 21, 41, ...); the post neuron keeps
what its conductance received (`last = g_exc`). dt = 1 ms, default delay
(one step). Two settings: depression (tau_rec 100, tau_facil 0.01, U 0.5)
and facilitation (tau_rec 100, tau_facil 1000, U 0.1); w = 2.
"""
import json
import os

import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))


def stp(tau_rec, tau_facil, u):
    return ann.Synapse(
        parameters=f"""
            tau_rec = {tau_rec} : projection
            tau_facil = {tau_facil} : projection
            U = {u}
        """,
        equations=f"""
            dx/dt = (1 - x) / tau_rec : init = 1.0, event-driven
            du/dt = (U - u) / tau_facil : init = {u}, event-driven
        """,
        pre_spike="""
            g_target += w * u * x
            x *= (1 - u)
            u += U * (1 - u)
        """,
    )


pre_neuron = ann.Neuron(parameters="isi = 20.0", spike="modulo(t - 1.0, isi) == 0.0")
post_neuron = ann.Neuron(equations="last = g_exc", spike="last > 1e9")
out = {}
for name, (tau_rec, tau_facil, u) in {
    "depression": (100.0, 0.01, 0.5),
    "facilitation": (100.0, 1000.0, 0.1),
}.items():
    net = ann.Network(dt=1.0)
    pre = net.create(1, pre_neuron)
    post = net.create(1, post_neuron)
    proj = net.connect(pre, post, "exc", stp(tau_rec, tau_facil, u))
    proj.connect_one_to_one(2.0)
    m = net.monitor(post, "last")
    mp = net.monitor(pre, "spike")
    net.compile(directory=os.path.join(HERE, "_annarchy"))
    net.simulate(161.0)
    last = m.get("last")[:, 0]
    out[name] = {
        "pre_spike_steps": [int(s) for s in mp.get("spike")[0]],
        "increments": [float(g) for g in last if g != 0.0],
        "increment_steps": [int(k) for k, g in enumerate(last) if g != 0.0],
    }
with open(os.path.join(HERE, "stp.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out))
