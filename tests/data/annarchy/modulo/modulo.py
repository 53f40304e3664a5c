"""ANNarchy 5.0.4.1 reference for `modulo` (tests/annarchy/modulo.rs):
ANNarchy defines it as `long(a) % long(b)`, so both operands are truncated
toward zero and the remainder takes the sign of the dividend; `fmod` is
C's floating-point remainder. Writes modulo.json: each variable after each
step.
"""
import json, os
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
N = ann.Neuron(
    parameters="x = 0.0\ny = 1.0",
    equations="""
        a = modulo(t, 3.0)
        b = modulo(x * t, y) + 0.5
        c = fmod(x * t, y)
        r = modulo(x - t, y) - 1.0
    """,
)
net = ann.Network(dt=0.25)
p = net.create(4, N)
p.x = [2.5, -1.7, 0.93, 7.3]
p.y = [2.0, 3.5, -2.7, 1.9]
net.compile(directory=d)
out = {k: [] for k in "abcr"}
for _ in range(24):
    net.simulate(0.25)
    for k in out:
        out[k].append(np.asarray(getattr(p, k), dtype=float).tolist())
json.dump(out, open("modulo.json", "w"), separators=(",", ":"))
print({k: v[10] for k, v in out.items()})
