"""ANNarchy 5.0.4.1 reference for an `init` that names a parameter
(tests/annarchy/init_param.rs): ANNarchy resolves it when the network is
compiled, so the variable starts at the parameter's value as set before
compiling (per neuron where the parameter is), unless the variable itself
was set. Writes init_param.json.
"""
import json, os
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
N = ann.Neuron(
    parameters="u_r = -70.0\nu_th = -50.0 : population",
    equations="du/dt = -u : init = u_r\ndv/dt = 0.0 : init = u_th\nr = u + 0.0 * sum(exc)",
)
net = ann.Network()
a = net.create(3, N)   # u_r per neuron, set: u follows
a.u_r = [-80.0, -81.0, -82.0]
b = net.create(3, N)   # u set, then u_r and u_th set: u stays, v follows
b.u = 5.0
b.u_r = -90.0
b.u_th = -40.0
c = net.create(2, N)   # nothing set: the defaults
# The same in a synapse model: x follows x0 (per synapse), y follows y0
# (the projection's), z was set itself.
S = ann.Synapse(
    parameters="x0 = 0.5\ny0 = 0.2 : projection",
    equations="dx/dt = 0.0 : init = x0\ndy/dt = 0.0 : init = y0\ndz/dt = 0.0 : init = x0",
)
proj = net.connect(a, c, "exc", synapse=S)
proj.all_to_all(weights=0.1)
proj.z = 0.3
proj.x0 = 0.8
proj.y0 = 0.6
net.compile(directory=d)
out = {k: {"u": np.asarray(p.u, dtype=float).tolist(), "v": np.asarray(p.v, dtype=float).tolist()}
       for k, p in [("a", a), ("b", b), ("c", c)]}
out["proj"] = {k: np.asarray(getattr(proj, k), dtype=float).ravel().tolist() for k in "xyz"}
json.dump(out, open("init_param.json", "w"), indent=1)
print(out)
