"""ANNarchy 5.0.4.1 reference: the Basal ganglia notebook (its model,
without the tensorboard logging): 4 cortical inputs (A, B -> left; C, D ->
right), 10 striatal rate neurons with noise and mutual inhibition (w = 0.6),
2 GPi neurons tonically active (B = 1) and inhibited by half the striatum
each; the cortico-striatal weights learn with a dopamine-modulated rule
(w += eta * (dopamine * pre.r * post.r - alpha * w * post.r^2), w >= 0).
Each trial: 40 ms without input, 50 ms with the stimulus, answer = the
GPi neuron with the lowest rate, reward +1 or -1 as dopamine for 10 ms.
100 trials, dt = 1 ms.

Run: python basal_ganglia.py [seed ...] (writes basal_ganglia.json next to
this file). Initial weights and noise are random: statistics over seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

stimuli = [
    ([1, 0, 0, 0], 0),  # A : left
    ([0, 1, 0, 0], 0),  # B : left
    ([0, 0, 1, 0], 1),  # C : right
    ([0, 0, 0, 1], 1),  # D : right
]

msn = ann.Neuron(
    parameters="tau = 10.0 : population; noise = 0.1 : population",
    equations="""
        tau*dv/dt + v = sum(exc) - sum(inh) + noise * Uniform(-1, 1)
        r = clip(v, 0.0, 1.0)
        """,
)
gp_neuron = ann.Neuron(
    parameters="tau = 10.0 : population; B = 1.0",
    equations="tau*dv/dt + v = B - sum(inh); r= pos(v)",
)
corticostriatal = ann.Synapse(
    parameters="""
        eta = 0.1 : projection
        alpha = 0.5 : projection
        dopamine = 0.0 : projection""",
    equations="w += eta*(dopamine * pre.r * post.r - alpha*w*post.r*post.r) : min=0.0",
)

runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5]:
    net = ann.Network(dt=1.0, seed=seed)
    cortex = net.create(4, ann.Neuron(parameters="r=0.0"))
    striatum = net.create(10, msn)
    gpi = net.create(2, gp_neuron)
    cx_str = net.connect(cortex, striatum, "exc", corticostriatal)
    cx_str.all_to_all(weights=ann.Uniform(0.0, 0.5))
    str_str = net.connect(striatum, striatum, "inh")
    str_str.all_to_all(weights=0.6)
    net.connect(striatum[: int(striatum.size / 2)], gpi[0], "inh").all_to_all(1.0)
    net.connect(striatum[int(striatum.size / 2):], gpi[1], "inh").all_to_all(1.0)
    m = net.monitor(gpi, "r")
    net.compile(directory="/tmp/annarchy_nb/basal_ganglia")

    def training_trial(x, t):
        cortex.r = 0.0
        cx_str.dopamine = 0.0
        net.simulate(40.0)
        cortex.r = np.array(x)
        net.simulate(50.0)
        output = gpi.r
        answer = np.argmin(output)
        reward = 1.0 if answer == t else -1.0
        cx_str.dopamine = reward
        net.simulate(10.0)
        return reward, m.get("r")

    rewards = []
    for trial in range(100):
        x, t = stimuli[trial % len(stimuli)]
        reward, data = training_trial(x, t)
        rewards.append(reward)
    w = np.array(cx_str.w)
    rewards = np.array(rewards)
    run = {
        "seed": seed,
        "correct_first_20": float((rewards[:20] > 0).mean()),
        "correct_last_20": float((rewards[80:] > 0).mean()),
        "correct_all_100": float((rewards > 0).mean()),
        # Left striatal neurons should prefer A, B; right ones C, D.
        "w_left_AB_minus_CD": float(np.mean(w[:5, :2] - w[:5, 2:])),
        "w_right_CD_minus_AB": float(np.mean(w[5:, 2:] - w[5:, :2])),
        "w_mean": float(w.mean()),
    }
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in runs[0]:
    if k == "seed":
        continue
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "basal_ganglia.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
