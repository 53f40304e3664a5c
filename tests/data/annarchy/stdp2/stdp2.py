"""ANNarchy 5.0.4.1 reference: the STDP II notebook (Song, Miller & Abbott
2000): 1000 Poisson inputs at 15 Hz onto one integrate-and-fire neuron
through ANNarchy's STDP synapse, 100 s.

Run: python stdp2.py [seed ...] (writes stdp2.json next to this file). The
notebook's code, with a seed per run and the statistics the notebook shows
(mean rates, the output's rate over time, the final weights' histogram).
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
F, N, gmax, duration = 15.0, 1000, 0.01, 100000.0

IF = ann.Neuron(
    parameters="""
        tau_m = 10.0
        tau_e = 5.0
        vt = -54.0
        vr = -60.0
        El = -74.0
        Ee = 0.0
    """,
    equations="""
        tau_m * dv/dt = El - v + g_exc * (Ee - vr) : init = -60.0
        tau_e * dg_exc/dt = - g_exc
    """,
    spike="v > vt",
    reset="v = vr",
)

runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3]:
    net = ann.Network(dt=1.0, seed=seed)
    inp = net.create(ann.PoissonPopulation(geometry=N, rates=F))
    out = net.create(geometry=1, neuron=IF)
    proj = net.connect(
        inp, out, "exc",
        synapse=ann.STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105, w_max=0.01),
    )
    proj.connect_all_to_all(weights=ann.Uniform(0.0, gmax))
    mo = net.monitor(out, "spike")
    mi = net.monitor(inp, "spike")
    net.compile(directory=os.path.join(HERE, "_annarchy"))
    net.simulate(duration)
    out_spikes = np.array(mo.get("spike")[0])
    in_count = sum(len(v) for v in mi.get("spike").values())
    w = np.array(proj.w[0])
    per_10s = [int(((out_spikes >= k * 10000) & (out_spikes < (k + 1) * 10000)).sum()) / 10.0 for k in range(10)]
    runs.append({
        "seed": seed,
        "input_rate_hz": in_count / N / (duration / 1000.0),
        "output_rate_hz": len(out_spikes) / (duration / 1000.0),
        "output_rate_per_10s_hz": per_10s,
        "w_mean": float(w.mean()),
        "w_fraction_above_0.9_gmax": float((w > 0.9 * gmax).mean()),
        "w_fraction_below_0.1_gmax": float((w < 0.1 * gmax).mean()),
        "w_histogram_20_bins": np.histogram(w, bins=20, range=(0.0, gmax))[0].tolist(),
    })
    print(json.dumps(runs[-1]))
with open(os.path.join(HERE, "stdp2.json"), "w") as f:
    json.dump({"runs": runs}, f, indent=1)
