"""ANNarchy 5.0.4.1 reference: the COBA notebook (COBA and CUBA networks of
Vogels & Abbott 2005, as ANNarchy's benchmark), 1 s at dt = 0.1 ms.

Run: python coba.py [seed ...] (writes coba.json next to this file). The
notebook's code, one fresh network per seed; the connectivity and the
initial values are random, so the outputs are compared as statistics over
seeds.
"""
import json
import os
import sys

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))

COBA = ann.Neuron(
    parameters="""
        El = -60.0          : population
        Vr = -60.0          : population
        Erev_exc = 0.0      : population
        Erev_inh = -80.0    : population
        Vt = -50.0          : population
        tau = 20.0          : population
        tau_exc = 5.0       : population
        tau_inh = 10.0      : population
        I = 20.0            : population
    """,
    equations="""
        tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v ) + I

        tau_exc * dg_exc/dt = - g_exc
        tau_inh * dg_inh/dt = - g_inh
    """,
    spike="v > Vt",
    reset="v = Vr",
    refractory=5.0,
)

CUBA = ann.Neuron(
    parameters="""
        El = -49.0      : population
        Vr = -60.0      : population
        Vt = -50.0      : population
        tau_m = 20.0    : population
        tau_exc = 5.0   : population
        tau_inh = 10.0  : population
    """,
    equations="""
        tau_m * dv/dt = (El - v) + g_exc - g_inh

        tau_exc * dg_exc/dt = - g_exc
        tau_inh * dg_inh/dt = - g_inh
    """,
    spike="v > Vt",
    reset="v = Vr",
    refractory=5.0,
)


def stats(spikes, n):
    """Mean rate (Hz over 1 s), the exc and inh parts' rates, mean ISI CV."""
    counts = np.array([len(spikes.get(i, [])) for i in range(n)])
    cvs = []
    for i in range(n):
        ts = np.array(spikes.get(i, []), dtype=float)
        if len(ts) > 2:
            isi = np.diff(ts)
            cvs.append(isi.std() / isi.mean())
    return {
        "rate_hz": counts.sum() / n,
        "rate_exc_hz": counts[:3200].sum() / 3200,
        "rate_inh_hz": counts[3200:].sum() / 800,
        "mean_cv_isi": float(np.mean(cvs)) if cvs else None,
    }


runs = []
for seed in [int(s) for s in sys.argv[1:]] or list(range(1, 11)):
    net = ann.Network(dt=0.1, seed=seed)
    P_COBA = net.create(geometry=4000, neuron=COBA)
    P_CUBA = net.create(geometry=4000, neuron=CUBA)
    P_COBA.v = ann.Normal(-55.0, 5.0)
    P_COBA.g_exc = ann.Normal(4.0, 1.5)
    P_COBA.g_inh = ann.Normal(20.0, 12.0)
    P_CUBA.v = ann.Uniform(-60.0, -50.0)
    net.connect(P_COBA[:3200], P_COBA, "exc").fixed_probability(weights=0.6, probability=0.02)
    net.connect(P_COBA[3200:], P_COBA, "inh").fixed_probability(weights=6.7, probability=0.02)
    net.connect(P_CUBA[:3200], P_CUBA, "exc").fixed_probability(weights=0.27 * 60.0 / 10.0, probability=0.02)
    net.connect(P_CUBA[3200:], P_CUBA, "inh").fixed_probability(weights=4.5 * 20.0 / 10.0, probability=0.02)
    m_coba = net.monitor(P_COBA, "spike")
    m_cuba = net.monitor(P_CUBA, "spike")
    net.compile(directory="/tmp/annarchy_nb/coba")
    net.simulate(1000.0)
    run = {"seed": seed, "coba": stats(m_coba.get("spike"), 4000), "cuba": stats(m_cuba.get("spike"), 4000)}
    runs.append(run)
    print(json.dumps(run))

summary = {}
for net_name in ["coba", "cuba"]:
    for k in runs[0][net_name]:
        vals = np.array([r[net_name][k] for r in runs], dtype=float)
        summary[f"{net_name}_{k}"] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
with open(os.path.join(HERE, "coba.json"), "w") as f:
    json.dump({"runs": runs, "summary": summary}, f, indent=1)
