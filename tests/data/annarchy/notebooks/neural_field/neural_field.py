"""ANNarchy 5.0.4.1 reference: the Neural field notebook (Rougier & Vitay
2005): a 20x20 InputArray feeds a 20x20 field of rate neurons `tau * dr/dt
+ r = sum(exc) + sum(inh) + Uniform(-0.5, 0.5)` (r clipped to [0, 1]) one
to one (w = 1, delay 20 ms), with difference-of-Gaussians lateral
connections (amp_pos 0.2, sigma_pos 0.1, amp_neg 0.1, sigma_neg 0.7). A
Gaussian bubble plus uniform noise, set from the host every step, turns
once around a circle in 1000 steps (dt = 1 ms): the field keeps a single
bubble of activity that tracks it. The notebook's first loop (the tight
loop); its later cells repeat the run for an animation.

Run: python neural_field.py [seed ...] (writes neural_field.json next to
this file). Noise everywhere: statistics over seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
N = 20

NeuralFieldNeuron = ann.Neuron(
    parameters=dict(tau=10.0),
    equations=ann.Variable(
        "tau * dr/dt + r = sum(exc) + sum(inh) + Uniform(-0.5, 0.5)", min=0.0, max=1.0
    ),
)


def gaussian(angle):
    xx, yy = np.meshgrid(np.linspace(0, N - 1, N), np.linspace(0, N - 1, N))
    cx = N / 2.0 * (1.0 + 0.5 * np.cos(2.0 * np.pi * angle))
    cy = N / 2.0 * (1.0 + 0.5 * np.sin(2.0 * np.pi * angle))
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 8.0), cx, cy


def centre(r):
    """Centre of mass (x = column, y = row) of a 20x20 activity map."""
    yy, xx = np.mgrid[0:N, 0:N]
    s = r.sum()
    return (float((xx * r).sum() / s), float((yy * r).sum() / s)) if s > 0 else (np.nan, np.nan)


runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5]:
    np.random.seed(seed)
    net = ann.Network(dt=1.0, seed=seed)
    inp = net.create(ann.InputArray(geometry=(N, N), name="Input"))
    pop = net.create(geometry=(N, N), neuron=NeuralFieldNeuron, name="Focus")
    ff = net.connect(pre=inp, post=pop, target="exc")
    ff.one_to_one(weights=1.0, delays=20.0)
    lat = net.connect(pre=pop, post=pop, target="inh")
    lat.dog(amp_pos=0.2, sigma_pos=0.1, amp_neg=0.1, sigma_neg=0.7)
    n = net.monitor(pop, "r")
    net.compile(directory="/tmp/annarchy_nb/neural_field")
    T = 1000
    angle = 0.0
    centres = []
    for t in range(T):
        angle += 1.0 / T
        g, cx, cy = gaussian(angle)
        inp.r = g + np.random.uniform(-0.5, 0.5, (N, N))
        centres.append((cx, cy))
        net.step()
    r = n.get("r").reshape(T, N, N)
    # The field follows the bubble 20 ms (the delay) + its time constant late.
    dists = []
    for k in range(200, T):
        fx, fy = centre(r[k])
        cx, cy = centres[k - 20]
        dists.append(np.hypot(fx - cx, fy - cy))
    final = r[-1]
    run = {
        "seed": seed,
        "mean_r_last_500": float(r[500:].mean()),
        "max_r_last_500": float(r[500:].max(axis=(1, 2)).mean()),
        "active_neurons_last_500": float((r[500:] > 0.5).sum(axis=(1, 2)).mean()),
        "distance_to_bubble_centre": float(np.mean(dists)),
        "final_active_neurons": int((final > 0.5).sum()),
    }
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in runs[0]:
    if k == "seed":
        continue
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "neural_field.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
