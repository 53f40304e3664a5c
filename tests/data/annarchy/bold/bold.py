"""ANNarchy 5.0.4.1 reference for cajal's BOLD monitors (tests/annarchy/bold.rs).

Two rate-coded populations whose rates are fixed functions of time and
rank (no randomness), watched by one BOLD monitor per built-in model
(some normalising their input over a baseline window, some scaling it),
and one custom BoldModel. Writes bold.json beside this script.
"""
import json, os
import numpy as np
import ANNarchy as ann
import ANNarchy.extensions.bold as bold

net = ann.Network(dt=1.0)
Drive = ann.Neuron(
    parameters="base = 1.0\namp = 0.0",
    equations="r = if (t > 2000.0) and (t < 5000.0): base + amp else: base",
)
a = net.create(100, neuron=Drive, name="a")
b = net.create(40, neuron=Drive, name="b")
a.base = 10.0 + 0.05 * np.arange(100)
a.amp = 6.0
b.base = 4.0 + 0.25 * np.arange(40)
b.amp = 0.0

custom = bold.BoldModel(
    parameters="tau = 500.0\ngain = 0.02",
    equations="""
        I_CBF = sum(I_CBF)
        tau * dx/dt = I_CBF - x : init=0
        BOLD = gain * x
    """,
    inputs="I_CBF",
)

# balloon_CN names itself with a tuple, ("BoldNeuron CN",), which
# ANNarchy 5.0.4.1 then fails on when it creates the population: give it
# the string it meant.
cn = bold.balloon_CN()
cn.name = "BoldNeuron CN"

monitors = {
    "RN": net.boldmonitor([a, b], bold.balloon_RN(), {"I_CBF": "r"}, normalize_input=1000, recorded_variables=["I_CBF", "BOLD", "s", "f_in", "v", "q"]),
    "CN": net.boldmonitor([a, b], cn, {"I_CBF": "r"}, normalize_input=[500, 1500], recorded_variables=["I_CBF", "BOLD"]),
    "CL": net.boldmonitor([a], bold.balloon_CL(), {"I_CBF": "r"}, scale_factor=0.05, recorded_variables=["I_CBF", "BOLD"]),
    "maith2021": net.boldmonitor([a, b], bold.balloon_maith2021(), {"I_CBF": "r"}, normalize_input=1000, recorded_variables=["I_CBF", "BOLD"]),
    "two_inputs": net.boldmonitor([a, b], bold.balloon_two_inputs(), {"I_CBF": "r", "I_CMRO2": "r"}, normalize_input=1000, scale_factor=[1.0, 0.5], recorded_variables=["I_CBF", "I_CMRO2", "BOLD"]),
    "custom": net.boldmonitor([b], custom, {"I_CBF": "r"}, scale_factor=[0.1], recorded_variables=["I_CBF", "BOLD"]),
}
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))

# balloon_RL integrates q and v with tau = 0.98 ms (no division by
# `second`): explicit Euler multiplies a deviation of v by
# 1 - (dt / tau) v^(1/alpha - 1) / alpha a step, -2.1 at dt = 1 ms and
# v = 1, -1.25 at dt = 0.5 ms and v = 1.2 (the high phase here), and the
# run oscillates in f64 as in f32. At dt = 0.25 ms it is -0.12 at
# v = 1.2: a network of its own.
net2 = ann.Network(dt=0.25)
a2 = net2.create(100, neuron=Drive, name="a")
b2 = net2.create(40, neuron=Drive, name="b")
a2.base = 10.0 + 0.05 * np.arange(100)
a2.amp = 6.0
b2.base = 4.0 + 0.25 * np.arange(40)
b2.amp = 0.0
rl = net2.boldmonitor([a2, b2], bold.balloon_RL(), {"I_CBF": "r"}, normalize_input=1000, recorded_variables=["I_CBF", "BOLD"])
net2.compile(directory=os.environ.get("ANN_DIR", "annarchy") + "2")
net2.simulate(500.0)
rl.start()
net2.simulate(7000.0)
net.simulate(500.0)
for m in monitors.values():
    m.start()
net.simulate(7000.0)

# One sample in ten keeps the file small; sample k of a recording is the
# state after step 10 k of the recorded period.
out = {"dt": 1.0, "pre_ms": 500.0, "ms": 7000.0, "every": 10}
for name, m in monitors.items():
    out[name] = {v: np.asarray(m.get(v)).reshape(-1)[::10].tolist() for v in m._recorded_variables}
out["RL_dt0.25"] = {v: np.asarray(rl.get(v)).reshape(-1)[::40].tolist() for v in rl._recorded_variables}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bold.json"), "w") as f:
    json.dump(out, f)
print({k: (len(v["BOLD"]), max(v["BOLD"]), min(v["BOLD"])) for k, v in out.items() if isinstance(v, dict)})
