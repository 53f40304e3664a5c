"""ANNarchy 5.0.4.1 reference for the GIF models (tests/annarchy/gif.rs):

- `traces`: GIF_curr_exp and GIF_curr with c = 0 (no escape: deterministic)
  driven by a spike source through exc and inh projections; u, v, g_exc
  and g_inh after each step.
- `cuba`: the GIF_CUBA notebook's network (4000 GIF_curr_exp, 3200
  excitatory with w = 1.62 and 800 inhibitory with w = 9.0, fixed
  probability 0.02, dt = 0.1, 1 s) over several seeds: its mean rate in Hz.
  The notebook sets `P[:3200].Jv`, a name the model does not have, which
  ANNarchy ignores: J_v stays 1000 for every neuron, as here.

Writes gif.json.
"""
import json, os, sys
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
out = {}

net = ann.Network(dt=0.1)
src = net.create(ann.SpikeSourceArray(spike_times=[[1.0, 2.5, 2.6, 7.0], [3.0, 3.1, 8.0]]))
a = net.create(2, ann.GIF_curr_exp(c=0.0, I_ext=200.0, C_m=200.0, u_r=-60.0))
b = net.create(2, ann.GIF_curr(c=0.0, u_th=-55.0, tau_m=15.0))
for post in (a, b):
    e = net.connect(src, post, "exc")
    e.all_to_all(weights=30.0)
    i = net.connect(src[1:], post, "inh")
    i.all_to_all(weights=20.0)
net.compile(directory=d)
keys = {"a": a, "b": b}
rec = {f"{p}.{v}": [] for p in keys for v in ["u", "v", "g_exc", "g_inh"]}
STEPS = 120
for _ in range(STEPS):
    net.simulate(0.1)
    for k in rec:
        p, v = k.split(".")
        rec[k].append(np.asarray(getattr(keys[p], v), dtype=float).tolist())
out["traces"] = rec
out["steps"] = STEPS

rates = []
for seed in range(5):
    n = ann.Network(dt=0.1, seed=seed)
    P = n.create(geometry=4000, neuron=ann.GIF_curr_exp)
    Ce = n.connect(pre=P[:3200], post=P, target="exc")
    Ce.fixed_probability(weights=1.62, probability=0.02)
    Ci = n.connect(pre=P[3200:], post=P, target="inh")
    Ci.fixed_probability(weights=9.0, probability=0.02)
    m = n.monitor(P, ["spike"])
    n.compile(directory=d + "_cuba")
    n.simulate(1000.0)
    t, _ = m.raster_plot(m.get("spike"))
    rates.append(len(t) / 4000.0)
out["cuba_rates_hz"] = rates
json.dump(out, open("gif.json", "w"), separators=(",", ":"))
print(rates)
