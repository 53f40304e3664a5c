"""ANNarchy 5.0.4.1 reference: the STDP window of the STDP I notebook.

Run: python stdp_window.py (writes stdp_window.json next to this file).
The notebook loops over pre-synaptic times with one pair of
SpikeSourceArrays; here every pair is its own synapse (101 pre neurons
firing at 100, 99, ..., 0 ms onto 101 post neurons firing at 50 ms,
one-to-one), so one run gives the whole window without the loop's
carry-over between trials. Once with the default delay (one step), once
with 3 ms. dt = 1 ms.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

STDP = ann.Synapse(
    parameters="""
        tau_plus = 20.0 : projection ; tau_minus = 20.0 : projection
        A_plus = 0.01 : projection   ; A_minus = 0.01 : projection
        w_min = 0.0 : projection     ; w_max = 2.0 : projection
    """,
    equations="""
        tau_plus * dx/dt = -x : event-driven # pre-synaptic trace
        tau_minus * dy/dt = -y : event-driven # post-synaptic trace
    """,
    pre_spike="""
        g_target += w
        x += A_plus * w_max
        w = clip(w - y, w_min , w_max) # LTD
    """,
    post_spike="""
        y += A_minus * w_max
        w = clip(w + x, w_min , w_max) # LTP
    """,
)

pre_times = np.linspace(100.0, 0.0, 101)
out = {"pre_times": pre_times.tolist(), "post_time": 50.0}
for delay in [None, 3.0]:
    net = ann.Network(dt=1.0)
    pre = net.create(ann.SpikeSourceArray([[t] for t in pre_times]))
    post = net.create(ann.SpikeSourceArray([[50.0] for _ in pre_times]))
    proj = net.connect(pre, post, "exc", STDP)
    if delay is None:
        proj.connect_one_to_one(1.0)
    else:
        proj.connect_one_to_one(1.0, delays=delay)
    net.compile(directory=os.path.join(HERE, "_annarchy"))
    net.simulate(110.0)
    w = np.array([d.w[0] for d in proj.dendrites])
    post_ranks = [d.post_rank for d in proj.dendrites]
    dw = np.zeros(len(pre_times))
    dw[post_ranks] = w - 1.0
    key = "dw_default_delay" if delay is None else "dw_delay_3ms"
    out[key] = dw.tolist()

with open(os.path.join(HERE, "stdp_window.json"), "w") as f:
    json.dump(out, f, indent=1)
lag = 50.0 - pre_times
print({k: [round(v, 5) for v, l in zip(out[k], lag) if abs(l) <= 2] for k in out if k.startswith("dw")})
