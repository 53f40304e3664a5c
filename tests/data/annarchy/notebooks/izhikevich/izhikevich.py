"""ANNarchy 5.0.4.1 reference: the Izhikevich notebook (Izhikevich 2003,
800 excitatory and 200 inhibitory neurons, all to all, thalamic noise),
1 s at ANNarchy's default dt = 1 ms, explicit Euler.

Run: python izhikevich.py [seed ...] (writes izhikevich.json next to this
file). The notebook's code, one fresh network per seed (numpy's draws of re
and ri seeded too); weights, noise and parameters are random, so the
outputs are compared as statistics over seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

Izhikevich = ann.Neuron(
    parameters="""
        noise = 5.0
        a = 0.02
        b = 0.2
        c = -65.0
        d = 2.0
        v_thresh = 30.0
    """,
    equations="""
        # Input current
        I = g_exc - g_inh + noise * Normal(0.0, 1.0)

        # Membrane potential
        dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I

        # Recovery variable
        du/dt = a * (b*v - u)
    """,
    spike="""
        v >= v_thresh
    """,
    reset="""
        v = c
        u += d
    """,
)

runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5]:
    np.random.seed(seed)
    net = ann.Network(dt=1.0, seed=seed)
    pop = net.create(geometry=1000, neuron=Izhikevich)
    Exc = pop[:800]
    Inh = pop[800:]
    re = np.random.random(800)      ; ri = np.random.random(200)
    Exc.noise = 5.0                 ; Inh.noise = 2.0
    Exc.a = 0.02                    ; Inh.a = 0.02 + 0.08 * ri
    Exc.b = 0.2                     ; Inh.b = 0.25 - 0.05 * ri
    Exc.c = -65.0 + 15.0 * re**2    ; Inh.c = -65.0
    Exc.d = 8.0 - 6.0 * re**2       ; Inh.d = 2.0
    Exc.v = -65.0                   ; Inh.v = -65.0
    Exc.u = Exc.v * Exc.b           ; Inh.u = Inh.v * Inh.b
    net.connect(Exc, pop, "exc").all_to_all(weights=ann.Uniform(0.0, 0.5))
    net.connect(Inh, pop, "inh").all_to_all(weights=ann.Uniform(0.0, 1.0))
    m = net.monitor(pop, ["spike", "v"])
    net.compile(directory="/tmp/annarchy_nb/izhikevich")
    net.simulate(1000.0)
    spikes = m.get("spike")
    counts = np.array([len(spikes.get(i, [])) for i in range(1000)])
    steps = np.concatenate([np.array(spikes.get(i, []), dtype=int) for i in range(1000)])
    per_step = np.bincount(steps, minlength=1000)
    v = m.get("v")
    run = {
        "seed": seed,
        "rate_exc_hz": counts[:800].sum() / 800,
        "rate_inh_hz": counts[800:].sum() / 200,
        # The notebook's third plot (spikes per step): its bursts.
        "max_spikes_in_one_step": int(per_step.max()),
        "steps_with_over_20_spikes": int((per_step > 20).sum()),
        "mean_v_exc_mv": float(v[:, :800].mean()),
    }
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in runs[0]:
    if k == "seed":
        continue
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "izhikevich.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
