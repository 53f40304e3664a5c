"""ANNarchy 5.0.4.1 reference: the RC notebook (an echo-state network): 400
rate neurons `tau * dx/dt + x = sum(in) + g * sum(exc) + noise *
Uniform(-1, 1)`, r = tanh(x), recurrent weights Normal(0, 1/sqrt(N)) scaled
by g = 1.5 (chaotic regime), one input neuron (InputArray) at 1 for 100 ms
after 100 ms; two trials of 3000 ms at dt = 1 ms. The notebook then fits a
Lasso readout (scikit-learn) on trial 1 and predicts trial 2; that step is
left out (cajal has no regression; it is not the simulator's part).

Run: python rc.py [seed ...] (writes rc.json next to this file). Weights
and noise are random: statistics over seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

ESN_Neuron = ann.Neuron(
    parameters="""
        tau = 30.0 : population
        g = 1.0 : population
        noise = 0.01
    """,
    equations="""
        tau * dx/dt + x = sum(in) + g * sum(exc) + noise * Uniform(-1, 1)

        r = tanh(x)
    """,
)
N = 400


def features(data1, data2):
    d = np.abs(data1 - data2)
    return {
        "mean_abs_r_trial1": float(np.abs(data1).mean()),
        "mean_abs_r_during_input": float(np.abs(data1[100:200]).mean()),
        "mean_abs_r_last_1000": float(np.abs(data1[2000:]).mean()),
        "sd_r_last_1000": float(data1[2000:].std()),
        # The notebook's third plot: how far the two trials drift apart.
        "mean_abs_diff_first_300": float(d[:300].mean()),
        "mean_abs_diff_last_1000": float(d[2000:].mean()),
    }


runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5]:
    net = ann.Network(dt=1.0, seed=seed)
    pop = net.create(N, ESN_Neuron)
    pop.tau = 30.0
    pop.g = 1.4
    pop.noise = 0.01
    inp = net.create(ann.InputArray(1))
    inp.r = 0.0
    Wi = net.connect(inp, pop, "in")
    Wi.all_to_all(weights=ann.Uniform(-1.0, 1.0))
    Wrec = net.connect(pop, pop, "exc")
    Wrec.all_to_all(weights=ann.Normal(0.0, 1 / np.sqrt(N)))
    m = net.monitor(pop, "r")
    net.compile(directory="/tmp/annarchy_nb/rc")

    def trial(T=3000.0):
        inp.r = 0.0
        pop.x = 0.0
        pop.r = 0.0
        net.simulate(100.0)
        inp.r = 1.0
        net.simulate(100.0)
        inp.r = 0.0
        net.simulate(T - 200.0)
        return m.get("r")

    pop.g = 1.5
    data1 = trial()
    data2 = trial()
    run = {"seed": seed, **features(data1, data2)}
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in runs[0]:
    if k == "seed":
        continue
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "rc.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
