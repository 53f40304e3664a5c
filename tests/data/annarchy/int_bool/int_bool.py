"""ANNarchy 5.0.4.1 reference for `: int` and `: bool` equation variables
(tests/annarchy/int_bool.rs): what ANNarchy stores after each step for an
int assignment (positive and negative values), an int ODE, a bool
assignment, and a variable reading them. Writes int_bool.json.
"""
import json, os
import numpy as np
import ANNarchy as ann

net = ann.Network(dt=1.0)
N = ann.Neuron(
    parameters="k = 0.7",
    equations="""
        a = k * t - 3.0 : int
        b = -k * t : int
        dc/dt = k : int, init = 0
        dd/dt = 0.4 * k * t : int, init = 1
        e = t - 4.5 : bool
        f = sin(t) : bool
        r = a + b + c + d + e + 0.5 * f
    """,
)
pop = net.create(2, neuron=N)
pop.k = np.array([0.7, 2.9])
m = net.monitor(pop, ["a", "b", "c", "d", "e", "f", "r"])
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
net.simulate(12.0)
out = {v: np.asarray(m.get(v)).tolist() for v in ["a", "b", "c", "d", "e", "f", "r"]}
out["types"] = {v: str(getattr(pop, v).dtype) for v in ["a", "b", "c", "d", "e", "f", "r"]}
# Parameters and values set from Python: an int parameter's value, and
# values set into int parameters and variables, are truncated too.
net2 = ann.Network(dt=1.0)
P = ann.Neuron(parameters="n = 2.7 : int\nm = -2.5 : int\nq = 0.6 : bool", equations="a = a : int\nr = a")
pop2 = net2.create(1, neuron=P)
net2.compile(directory=os.environ.get("ANN_DIR", "annarchy") + "2")
out["compiled"] = {v: float(getattr(pop2, v)[0]) for v in ["n", "m", "q", "a"]}
pop2.n = 3.7
pop2.m = -3.5
pop2.a = -1.7
out["set"] = {"n": [3.7, float(pop2.n[0])], "m": [-3.5, float(pop2.m[0])], "a": [-1.7, float(pop2.a[0])]}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "int_bool.json"), "w") as fh:
    json.dump(out, fh)
print(json.dumps(out)[:1500])
