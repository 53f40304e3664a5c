"""ANNarchy 5.0.4.1 reference for the sign of a zero that an `: int` holds
(tests/annarchy/int_bool.rs): ANNarchy keeps `: int` in a C++ `int`,
which has one zero, so a value truncated from (-1, 0), the negation or a
product of such a zero, an int ODE stepping below 0 and a parameter set
from a small negative value all read back as +0: 1 / x is +inf. Each
`s*` variable is 1 where 1 / x > 0, else -1. Writes int_sign.json.
"""
import json, os
import ANNarchy as ann

net = ann.Network(dt=1.0)
N = ann.Neuron(
    parameters="k = -0.3\nm = -0.5 : int",
    equations="""
        a = k : int
        b = -a : int
        c = a * 2.0 : int
        dd/dt = k : int, init = 0
        sa = ite(1.0 / a > 0.0, 1.0, -1.0)
        sb = ite(1.0 / b > 0.0, 1.0, -1.0)
        sc = ite(1.0 / c > 0.0, 1.0, -1.0)
        sd = ite(1.0 / d > 0.0, 1.0, -1.0)
        sm = ite(1.0 / m > 0.0, 1.0, -1.0)
        r = 0.0
    """,
)
pop = net.create(1, neuron=N)
names = ["a", "b", "c", "d", "sa", "sb", "sc", "sd", "sm"]
mon = net.monitor(pop, names)
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
net.simulate(3.0)
out = {v: [float(x[0]) for x in mon.get(v)] for v in names}
# A value set from Python after compile: -0.7 into the int parameter.
pop.m = -0.7
net.simulate(1.0)
out["sm_after_set"] = float(pop.sm[0])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "int_sign.json"), "w") as fh:
    json.dump(out, fh)
print(json.dumps(out))
