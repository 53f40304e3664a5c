"""ANNarchy 5.0.4.1 reference for `: int` and `: bool` synapse variables
stored by event statements (tests/annarchy/int_bool.rs): ANNarchy keeps
them in C++ `int` and `bool`, so a pre_spike or post_spike assignment
truncates toward zero (int) or stores 1 wherever the value is not 0
(bool) at the event itself, and equations reading them later in the step
see the stored value. Writes int_events.json.
"""
import json, os
import ANNarchy as ann

net = ann.Network(dt=1.0)
src = net.create(ann.SpikeSourceArray(spike_times=[1.0, 3.0, 4.0]))
post = net.create(1, neuron=ann.Neuron(
    equations="v = v + g_exc",
    spike="v > 1.5",
    reset="v = 0.0",
))
syn = ann.Synapse(
    equations="""
        d = c * 10.0
        e = b * 10.0
        c = c : int
        b = b : bool
    """,
    pre_spike="""
        g_target += w
        c = c + 1.6
        b = 0.3
    """,
    post_spike="""
        c = c - 2.7
    """,
)
proj = net.connect(src, post, "exc", syn)
proj.all_to_all(weights=1.0)
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
out = {v: [] for v in ["c", "b", "d", "e"]}
out["post_spikes"] = []
m = net.monitor(post, ["spike"])
for k in range(8):
    net.simulate(1.0)
    for v in ["c", "b", "d", "e"]:
        out[v].append(float(getattr(proj, v)[0][0]))
out["post_spikes"] = [int(s) for s in m.get("spike")[0]]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "int_events.json"), "w") as fh:
    json.dump(out, fh)
print(json.dumps(out))
