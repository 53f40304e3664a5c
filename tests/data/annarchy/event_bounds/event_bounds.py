"""ANNarchy 5.0.4.1 reference for `min` and `max` flags on pre_spike,
post_spike and reset statements (tests/annarchy/event_bounds.rs): in an
event statement the stored value is bounded after the statement, as in
equations; in a reset the flag is parsed and does nothing (v goes below
its min), which cajal refuses. Writes event_bounds.json: w after each
step, and v of a neuron whose reset has a min.
"""
import json, os
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
S = ann.Synapse(
    parameters="wmax = 0.25",
    pre_spike="""
        g_target += w
        w += 0.1 : min = 0.0, max = wmax
    """,
    post_spike="w -= 0.3 : min = 0.05",
)
N = ann.Neuron(
    parameters="I = 0.6",
    equations="v += I",
    spike="v > 1.0",
    reset="v -= 2.5 : min = -1.2",
)
net = ann.Network(dt=1.0)
src = net.create(ann.SpikeSourceArray(spike_times=[[1.0, 3.0, 5.0, 7.0, 12.0]]))
post = net.create(ann.SpikeSourceArray(spike_times=[[8.0, 10.0]]))
p = net.connect(src, post, "exc", synapse=S)
p.all_to_all(weights=0.1)
n = net.create(1, N)
net.compile(directory=d)
out = {"w": [], "v": []}
for _ in range(15):
    net.simulate(1.0)
    out["w"].append(float(np.ravel(p.w)[0]))
    out["v"].append(float(n.v[0]))
json.dump(out, open("event_bounds.json", "w"), indent=1)
print(out)
