"""ANNarchy 5.0.4.1 reference: the STDP I notebook: one pre and one post
SpikeSourceArray joined by an online STDP synapse (pre and post traces,
A_plus = A_minus = 0.01, w_max = 2, w = 1); the notebook loops over 101
trials, moving the pre spike from 100 ms to 0 ms while the post spike stays
at 50 ms, resetting the traces and simulating 105 ms each, and plots the
weight change against the lag. dt = 1 ms (default).

Run: python stdp1.py (writes stdp1.json next to this file). Deterministic.
The notebook's loop as written: one compiled network, the spike times and
traces reset between trials; "dw_by_lag_pre_minus_post_ms" keys each
trial's weight change by the lag its spikes really had. (tests/data/annarchy/stdp_window holds the
window measured with fresh pairs.)
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

net = ann.Network()
pre = net.create(ann.SpikeSourceArray([[0.]]))
post = net.create(ann.SpikeSourceArray([[50.]]))
proj = net.connect(pre, post, "exc", STDP)
proj.all_to_all(1.0)
mpre = net.monitor(pre, "spike")
mpost = net.monitor(post, "spike")
net.compile(directory="/tmp/annarchy_nb/stdp1")

pre_times = np.linspace(100.0, 0.0, 101)
weight_changes = []
spike_steps = []
for t_pre in pre_times:
    pre.clear()
    post.clear()
    pre.spike_times = [[t_pre]]
    post.spike_times = [[50.0]]
    proj.x = 0.0
    proj.y = 0.0
    w_before = proj[0].w[0]
    t0 = net.current_step
    net.simulate(105.0)
    delta_w = proj[0].w[0] - w_before
    weight_changes.append(float(delta_w))
    spike_steps.append([[int(s) - t0 for s in mpre.get("spike").get(0, [])], [int(s) - t0 for s in mpost.get("spike").get(0, [])]])

# In 5.0.4.1 the spike times set before a trial take effect one trial
# later (the first trial replays the times given at creation, pre at 0 ms):
# the window is measured against the spikes each trial really had.
by_lag = {}
for dw, (pre_s, post_s) in zip(weight_changes, spike_steps):
    by_lag[str(pre_s[0] - post_s[0])] = dw
out = {
    "dw_by_lag_pre_minus_post_ms": by_lag,
    "pre_times": pre_times.tolist(),
    "weight_changes": weight_changes,
    "spike_steps_in_trial": spike_steps,
}
print(json.dumps({k: by_lag[k] for k in ["-50", "-20", "-1", "0", "1", "20", "49", "50"]}))
with open(os.path.join(HERE, "stdp1.json"), "w") as f:
    json.dump(out, f, indent=1)
