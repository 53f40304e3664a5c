"""ANNarchy 5.0.4.1 reference: the STP notebook (Tsodyks, Uziel & Markram
2000): 400 excitatory and 100 inhibitory LIF neurons, recurrent
projections through a short-term plasticity synapse (depressing between
excitatory neurons, facilitating onto inhibitory ones, parameters drawn per
synapse), dt = 0.25 ms, 10 s.

Run: python stp.py [seed ...] (writes stp.json next to this file). The
notebook's code, one fresh network per seed (the sorted input currents from
numpy, seeded); connectivity, weights and STP parameters are random, so the
outputs are compared as statistics over seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
dt = 0.25
duration = 10000.0

LIF = ann.Neuron(
    parameters="""
        tau = 30.0 : population
        I = 15.0
        tau_I = 3.0 : population
    """,
    equations="""
        tau * dv/dt = -v + g_exc - g_inh + I : init=13.5

        tau_I * dg_exc/dt = -g_exc
        tau_I * dg_inh/dt = -g_inh
    """,
    spike="v > 15.0",
    reset="v = 13.5",
    refractory=3.0,
)

STP = ann.Synapse(
    parameters="""
        tau_rec = 1.0
        tau_facil = 1.0
        U = 0.1
    """,
    equations="""
        dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven
        du/dt = (U - u)/tau_facil : init = 0.1, event-driven
    """,
    pre_spike="""
        g_target += w * u * x
        x *= (1 - u)
        u += U * (1 - u)
    """,
)

Aee, Aei, Aie, Aii = 1.8, 5.4, 7.2, 7.2
Uee, Uei, Uie, Uii = 0.5, 0.5, 0.04, 0.04
tau_rec_ee, tau_rec_ei, tau_rec_ie, tau_rec_ii = 800.0, 800.0, 100.0, 100.0
tau_facil_ie, tau_facil_ii = 1000.0, 1000.0


def bursts(counts_per_ms, threshold):
    """Population bursts: runs of 1 ms bins with more spikes than threshold."""
    above = counts_per_ms > threshold
    return int(np.sum(above[1:] & ~above[:-1]) + above[0])


runs = []
for seed in [int(s) for s in sys.argv[1:]] or [1, 2, 3, 4, 5]:
    np.random.seed(seed)
    net = ann.Network(dt=dt, seed=seed)
    P = net.create(geometry=500, neuron=LIF)
    P.I = np.sort(np.random.uniform(14.625, 15.375, 500))
    P.v = ann.Uniform(0.0, 15.0)
    Exc = P[:400]
    Inh = P[400:]
    proj_ee = net.connect(Exc, Exc, "exc", synapse=STP)
    proj_ee.fixed_probability(probability=0.1, weights=ann.Normal(Aee, (Aee / 2.0), min=0.2 * Aee, max=2.0 * Aee))
    proj_ei = net.connect(Inh, Exc, "inh", synapse=STP)
    proj_ei.fixed_probability(probability=0.1, weights=ann.Normal(Aei, (Aei / 2.0), min=0.2 * Aei, max=2.0 * Aei))
    proj_ie = net.connect(Exc, Inh, "exc", synapse=STP)
    proj_ie.fixed_probability(probability=0.1, weights=ann.Normal(Aie, (Aie / 2.0), min=0.2 * Aie, max=2.0 * Aie))
    proj_ii = net.connect(Inh, Inh, "inh", synapse=STP)
    proj_ii.fixed_probability(probability=0.1, weights=ann.Normal(Aii, (Aii / 2.0), min=0.2 * Aii, max=2.0 * Aii))
    Me = net.monitor(Exc, "spike")
    Mi = net.monitor(Inh, "spike")
    net.compile(directory="/tmp/annarchy_nb/stp")
    # The notebook sets the STP parameters per synapse after creating the
    # projections; with a Network they are set after compile.
    proj_ee.U = ann.Normal(Uee, (Uee / 2.0), min=0.1, max=0.9)
    proj_ee.tau_rec = ann.Normal(tau_rec_ee, (tau_rec_ee / 2.0), min=5.0)
    proj_ee.tau_facil = dt
    proj_ei.U = ann.Normal(Uei, (Uei / 2.0), min=0.1, max=0.9)
    proj_ei.tau_rec = ann.Normal(tau_rec_ei, (tau_rec_ei / 2.0), min=5.0)
    proj_ei.tau_facil = dt
    proj_ie.U = ann.Normal(Uie, (Uie / 2.0), min=0.001, max=0.07)
    proj_ie.tau_rec = ann.Normal(tau_rec_ie, (tau_rec_ie / 2.0), min=5.0)
    proj_ie.tau_facil = ann.Normal(tau_facil_ie, (tau_facil_ie / 2.0), min=5.0)
    proj_ii.U = ann.Normal(Uii, (Uii / 2.0), min=0.001, max=0.07)
    proj_ii.tau_rec = ann.Normal(tau_rec_ii, (tau_rec_ii / 2.0), min=5.0)
    proj_ii.tau_facil = ann.Normal(tau_facil_ii, (tau_facil_ii / 2.0), min=5.0)
    net.simulate(duration)
    se = Me.get("spike")
    si = Mi.get("spike")
    rates = np.array([len(se.get(i, [])) / duration * 1000.0 for i in range(400)])
    steps = np.concatenate([np.array(se.get(i, []), dtype=int) for i in range(400)])
    per_ms = np.bincount((steps * dt).astype(int), minlength=int(duration))[: int(duration)]
    run = {
        "seed": seed,
        "rate_exc_hz": float(rates.mean()),
        "rate_inh_hz": sum(len(v) for v in si.values()) / 100 / (duration / 1000.0),
        "rate_exc_sd_hz": float(rates.std()),
        # The notebook's histogram (1 ms bins): network bursts, where more
        # than a tenth of the excitatory neurons fire within 1 ms.
        "bursts_per_s": bursts(per_ms, 40) / (duration / 1000.0),
        "max_spikes_in_1ms": int(per_ms.max()),
    }
    runs.append(run)
    print(json.dumps(run))

summary = {}
for k in runs[0]:
    if k == "seed":
        continue
    vals = np.array([r[k] for r in runs], dtype=float)
    summary[k] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "stp.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
