# ANNarchy 5.0.4.1 reference for delayed rate-coded projections: an input
# whose r is set to 1 (then 2 from step 3) before the run, read one to one
# by `r = sum(exc)` with no delay, 1, 2 and 3 ms; dt 1 ms, then dt 0.5 ms
# with 1.5 ms. r of every output at every step. Writes rate_delays.json.
# (Per-synapse delays given with connect_from_matrix crash ANNarchy
# 5.0.4.1 with a segmentation fault here, so they are not in it.)
import json
import numpy as np
import ANNarchy as ann

Out = ann.Neuron(equations="r = sum(exc)")
out = {}
for dt, delays in [(1.0, {"none": None, "d1": 1.0, "d2": 2.0, "d3": 3.0}),
                   (0.5, {"none": None, "d1.5": 1.5})]:
    net = ann.Network(dt=dt)
    inp = net.create(geometry=2, neuron=ann.Neuron(parameters="r = 0.0"))
    posts = {}
    for name, d in delays.items():
        post = net.create(geometry=2, neuron=Out)
        proj = net.connect(inp, post, 'exc')
        if d is None:
            proj.connect_one_to_one(weights=1.0)
        else:
            proj.connect_one_to_one(weights=1.0, delays=d)
        posts[name] = post
    net.compile(directory=f'annarchy_rate_delays_{dt}')
    mons = {k: net.monitor(p, 'r') for k, p in posts.items()}
    inp.r = 1.0
    net.step(); net.step(); net.step()
    inp.r = 2.0
    for _ in range(5):
        net.step()
    out[f"dt={dt}"] = {k: np.asarray(m.get('r')).tolist() for k, m in mons.items()}
json.dump(out, open('rate_delays.json', 'w'), indent=1)
print(json.dumps(out))
