"""ANNarchy 5.0.4.1 reference for `enable_learning(period)`
(tests/annarchy/learning_period.rs): a projection's continuous synapse
equations run every `period` ms and integrate (and read `dt`) with the
period as their step, `dt * period`; for a spiking projection they run on
that period whether learning is on or off (off freezes only `w`), and its
pre_spike statements change `w` at every spike while learning is on,
whatever the period. Writes learning_period.json: the values after each
step.
"""
import json, os
import numpy as np
import ANNarchy as ann

STEPS = 24
d = os.environ.get("ANN_DIR", "annarchy")

Rate = ann.Neuron(parameters="r0 = 1.0", equations="r = r0 + 0.0 * sum(exc)")
RateRule = ann.Synapse(
    equations="""
        dx/dt = r_post_like - x : init = 0.0
        r_post_like = post.r * 2.0
        dd = dt
        dw/dt = 0.01 * pre.r
    """,
)
Spiking = ann.Neuron(
    parameters="I = 0.0",
    equations="dv/dt = (I - v) / 10.0 + g_exc",
    spike="v > 1.0",
    reset="v = 0.0",
)
SpikeRule = ann.Synapse(
    equations="""
        dtr/dt = (post.v - tr) / 5.0
        dw/dt = 0.002
        dd = dt
    """,
    pre_spike="""
        g_target += w
        w += 0.001
    """,
)
net = ann.Network(dt=0.5)
a = net.create(2, Rate)
b = net.create(1, Rate)
a.r0 = [1.0, 2.0]
b.r0 = [0.5]
p = net.connect(a, b, "exc", synapse=RateRule)
p.all_to_all(weights=0.1)
s = net.create(1, Spiking)
q = net.create(2, Spiking)
s.I = [3.0]
q.I = [0.5, 0.8]
sp = net.connect(s, q, "exc", synapse=SpikeRule)
sp.all_to_all(weights=0.05)
# The same spiking projection with learning off.
q2 = net.create(2, Spiking)
q2.I = [0.5, 0.8]
sp2 = net.connect(s, q2, "exc", synapse=SpikeRule)
sp2.all_to_all(weights=0.05)
net.compile(directory=d)
p.enable_learning(period=2.0)
sp.enable_learning(period=1.5)
sp2.enable_learning(period=1.5)
sp2.disable_learning()
keys = ["p.x", "p.dd", "p.w", "sp.tr", "sp.w", "sp.dd", "sp2.tr", "sp2.w", "q.v", "s.v"]
objs = {"p": p, "sp": sp, "sp2": sp2, "q": q, "s": s}
rec = {k: [] for k in keys}
for _ in range(STEPS):
    net.simulate(0.5)
    for key in keys:
        obj, var = key.split(".")
        rec[key].append(np.asarray(getattr(objs[obj], var), dtype=float).ravel().tolist())
rec["steps"] = STEPS
json.dump(rec, open("learning_period.json", "w"), separators=(",", ":"))
