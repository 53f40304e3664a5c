"""ANNarchy 5.0.4.1 reference for `t_last` in a neuron's equations
(tests/annarchy/t_last.rs): the time in ms of the neuron's last spike,
-10000 dt before any; the equations of the step of a spike and its reset
read the previous one (ANNarchy refuses it in a reset). Writes t_last.json: each variable after each step.
"""
import json, os
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
N = ann.Neuron(
    parameters="I = 0.4",
    equations="""
        since = t - t_last
        dv/dt = I - 0.01 * since * v
    """,
    spike="v > 1.0",
    reset="v = 0.0",
)
net = ann.Network(dt=0.5)
p = net.create(3, N)
p.I = [0.43, 0.57, 0.91]
net.compile(directory=d)
out = {"since": [], "v": []}
for _ in range(40):
    net.simulate(0.5)
    for k in out:
        out[k].append(np.asarray(getattr(p, k), dtype=float).tolist())
json.dump(out, open("t_last.json", "w"), separators=(",", ":"))
print({k: v[-1] for k, v in out.items()}, out["since"][:3])
