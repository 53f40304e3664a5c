"""ANNarchy 5.0.4.1 reference for the order in which shared variables are
updated (tests/annarchy/shared_order.rs): ANNarchy runs the equations of a
population's `: population` variables before its per-neuron ones, and a
projection's `: projection`, then `: postsynaptic`, then per-synapse
equations, each group in a loop of its own, whatever the written order.
Every model below reads a shared variable above its equation, and mixes
ODEs of different groups in one written block. Writes shared_order.json:
each variable's values after each of STEPS steps.
"""
import json, os
import numpy as np
import ANNarchy as ann

STEPS = 30
out = {}
d = os.environ.get("ANN_DIR", "annarchy")

# A rate-coded population and a rate-coded projection.
Rate = ann.Neuron(
    parameters="""
        r0 = 0.0
        k = 0.3 : population
        tau = 4.0 : population
    """,
    equations="""
        dx/dt = (B + G - x) / tau
        B = t * 0.1 + k : population
        c = B * 2.0 + r
        dG/dt = (k - G) / tau : population
        dy/dt = (x - y) / tau
        r = r0 + x * 0.01 + G + 0.0 * sum(exc)
    """,
)
Learn = ann.Synapse(
    parameters="eta = 0.5 : projection",
    equations="""
        dx/dt = K + A - x
        c = K * 2.0 + w + A
        A = t * 0.1 + eta + z : projection
        dz/dt = (A - z) / 2.0 : projection
        dK/dt = post.r + A - K : postsynaptic
        dw/dt = K * 0.01 - x * 0.001
    """,
)
net = ann.Network(dt=1.0)
a = net.create(3, Rate)
b = net.create(2, Rate)
a.r0 = [1.0, 2.0, 3.0]
b.r0 = [0.5, -1.0]
p = net.connect(a, b, "exc", synapse=Learn)
p.all_to_all(weights=0.1)

# A spiking population driving a spiking projection whose continuous
# equations read a postsynaptic variable above its equation.
Spiking = ann.Neuron(
    parameters="""
        I = 0.0
        tau = 10.0 : population
    """,
    equations="""
        dv/dt = (I + M - v) / tau + g_exc
        M = 0.5 * sin(t / 5.0) : population
    """,
    spike="v > 1.0",
    reset="v = 0.0",
)
Trace = ann.Synapse(
    parameters="tau_s = 5.0 : projection",
    equations="""
        e = R * w + tr
        R = post.v * 2.0 : postsynaptic
        dtr/dt = (R - tr) / tau_s
    """,
    pre_spike="g_target += w",
)
s = net.create(2, Spiking)
q = net.create(2, Spiking)
s.I = [1.5, 1.2]
q.I = [1.4, 1.6]
sp = net.connect(s, q, "exc", synapse=Trace)
sp.all_to_all(weights=0.05)

net.compile(directory=d)
rec = {k: [] for k in ["a.c", "a.x", "a.y", "a.G", "a.B", "a.r", "b.r",
                       "p.c", "p.x", "p.K", "p.z", "p.A", "p.w",
                       "q.v", "q.M", "sp.e", "sp.R", "sp.tr"]}
for _ in range(STEPS):
    net.simulate(1.0)
    for key in rec:
        obj, var = key.split(".")
        v = getattr({"a": a, "b": b, "p": p, "q": q, "sp": sp}[obj], var)
        rec[key].append(np.asarray(v, dtype=float).ravel().tolist())
out.update(rec)
out["steps"] = STEPS
json.dump(out, open("shared_order.json", "w"), separators=(",", ":"))
