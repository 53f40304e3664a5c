"""ANNarchy 5.0.4.1 reference: the Bar learning notebook (Foldiak 1990),
its model as cajal::networks::bar_learning transcribes it: 8x8 InputArray,
32 leaky rate neurons (8, 4) `tau * dr/dt + r = sum(exc) - sum(inh)` (tau
10, r >= 0), all-to-all Oja synapses `tau * dw/dt = pre.r * post.r - alpha
* post.r^2 * w` (tau 2000, w >= 0): feed-forward alpha = 8, weights
Uniform(0, 0.5); lateral (feature -> feature, inh) alpha = 0.3, weights
Uniform(0, 1). Each trial sets a new image (each of the 8 rows and 8
columns a bar with probability 1/8) and simulates 50 ms; dt = 1 ms; 10000
trials as the notebook.

Run: python bar_learning.py [seed ...] (writes bar_learning.json next to
this file). The images and weights are random: statistics over seeds. The
receptive fields are classified with the criterion of
examples/bar_learning.rs (a field is a bar when the mean weight on its best
row or column is at least twice that of every other line, each counted over
its pixels off the best line).
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
N, FEATURES, BAR_RATIO = 8, 32, 2.0
TRIALS = 10000

Leaky = ann.Neuron(
    parameters="tau = 10.0 : population",
    equations="tau * dr/dt + r = sum(exc) - sum(inh) : min = 0.0",
)


def oja(alpha):
    return ann.Synapse(
        parameters=f"tau = 2000.0 : projection\nalpha = {alpha} : projection",
        equations="tau * dw/dt = pre.r * post.r - alpha * post.r^2 * w : min = 0.0",
    )


def on(l, i, j):
    return i == l if l < N else j == l - N


def line_mean(rf, l, skip=None):
    vals = [rf[i, j] for i in range(N) for j in range(N) if on(l, i, j) and not (skip is not None and on(skip, i, j))]
    return sum(vals) / len(vals)


def bar_of(rf):
    means = [line_mean(rf, l) for l in range(2 * N)]
    best = int(np.argmax(means))
    top = means[best]
    other = max(line_mean(rf, l, best) for l in range(2 * N) if l != best)
    return best if top > 0.0 and top >= BAR_RATIO * other else None


runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5, 6]:
    rng = np.random.default_rng(seed)
    net = ann.Network(dt=1.0, seed=seed)
    inp = net.create(ann.InputArray(geometry=(N, N)))
    feat = net.create(geometry=(8, 4), neuron=Leaky)
    ff = net.connect(inp, feat, "exc", oja(8.0))
    ff.all_to_all(weights=ann.Uniform(0.0, 0.5))
    lat = net.connect(feat, feat, "inh", oja(0.3))
    lat.all_to_all(weights=ann.Uniform(0.0, 1.0))
    net.compile(directory="/tmp/annarchy_nb/bar_learning")
    for trial in range(TRIALS):
        img = np.zeros((N, N))
        for i in range(N):
            if rng.random() < 1.0 / 8.0:
                img[i, :] = 1.0
        for j in range(N):
            if rng.random() < 1.0 / 8.0:
                img[:, j] = 1.0
        inp.r = img
        net.simulate(50.0)
    w = np.array(ff.w)  # (32, 64): post, pre
    bars = [bar_of(w[k].reshape(N, N)) for k in range(FEATURES)]
    run = {
        "seed": seed,
        "bar_neurons": sum(b is not None for b in bars),
        "bars_covered": len({b for b in bars if b is not None}),
    }
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in ["bar_neurons", "bars_covered"]:
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "bar_learning.json"), "w") as f:
    json.dump({"trials": TRIALS, "runs": runs, "summary": summary}, f, indent=1)
