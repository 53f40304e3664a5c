"""ANNarchy 5.0.4.1 reference for network constants and functions.

Run: python constants.py (writes constants.json next to this file).
A constant changed between two simulate() calls acts from the next step;
a model parameter of the same name hides it; a global function is usable in
models and callable from Python.
"""
import json
import os

import ANNarchy as ann

ann.setup(dt=1.0)
tau = ann.Constant("tau", 10.0)
gain = ann.Constant("gain", 2.0)
ann.add_function("sig(x) = 1.0 / (1.0 + exp(-x))")

relax = ann.Neuron(equations="tau * dr/dt + r = gain")
own = ann.Neuron(parameters="tau = 5.0", equations="tau * dr/dt + r = gain")
lif = ann.Neuron(
    equations="tau * dv/dt = -v + gain * 0.8 : init = 0.0",
    spike="v > 1.0",
    reset="v = 0.0",
)
curve = ann.Neuron(equations="r = sig(gain * (t / 10.0 - 1.0))")

net = ann.Network()
net.create(1, relax, name="relax")
net.create(1, own, name="own")
net.create(1, lif, name="lif")
net.create(1, curve, name="curve")
pops = {p.name: p for p in net.get_populations()}
m = {
    "relax": net.monitor(pops["relax"], "r"),
    "own": net.monitor(pops["own"], "r"),
    "lif": net.monitor(pops["lif"], ["v", "spike"]),
    "curve": net.monitor(pops["curve"], "r"),
}
net.compile(directory=os.path.join(os.path.dirname(os.path.abspath(__file__)), "_annarchy"))
ctau = net.get_constant("tau")
cgain = net.get_constant("gain")
net.simulate(20.0)
ctau.set(4.0)
cgain.set(3.0)
net.simulate(20.0)
out = {
    "relax_r": m["relax"].get("r")[:, 0].tolist(),
    "own_r": m["own"].get("r")[:, 0].tolist(),
    "lif_v": m["lif"].get("v")[:, 0].tolist(),
    "lif_spikes": [int(s) for s in m["lif"].get("spike")[0]],
    "curve_r": m["curve"].get("r")[:, 0].tolist(),
    # ann.functions("sig") looks for "func_sig" in 5.0.4.1, which exports
    # the compiled function as "sig": call that one, point by point.
    "sig_host": [float(net.instance.sig(x)) for x in [-2.0, 0.0, 0.5, 3.0]],
    "tau_after_change": float(net.get_constant("tau").value),
}
# What reset() does to a changed constant, and to a changed parameter.
pops["own"].tau = 7.0
net.reset()
out["tau_after_reset"] = float(net.get_constant("tau").value)
out["own_tau_after_reset"] = float(pops["own"].tau[0])
net.simulate(1.0)
out["relax_r_first_step_after_reset"] = float(pops["relax"].r[0])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "constants.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: (v if not isinstance(v, list) else v[:5]) for k, v in out.items()}))
