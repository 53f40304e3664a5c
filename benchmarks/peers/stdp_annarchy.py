"""ANNarchy's STDP II notebook (Song, Miller & Abbott 2000) with ANNarchy
5's Network API: 1000 Poisson inputs at 15 Hz drive one integrate-and-
fire neuron through ANNarchy's built-in STDP synapse (A_minus a little
above A_plus, w_max = 0.01, w(0) ~ U(0, w_max)); dt = 1 ms, 100 s. The
same script runs in ANNarchy and in cajal (`--sim`). rate_hz is the
output neuron's rate; w_mean the final mean weight over w_max (about
0.43 after 100 s, with the weights split at 0 and w_max).

    python stdp_annarchy.py --sim cajal --duration 100000
"""
import time

from common import annarchy_run, arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], duration=100000.0)
ann = simulator(args.sim)
import numpy as np

F, N, GMAX = 15.0, 1000, 0.01

t0 = time.perf_counter()
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
net = ann.Network(dt=1.0, seed=args.seed)
net.config(num_threads=args.threads)
inp = net.create(ann.PoissonPopulation(geometry=N, rates=F))
out = net.create(geometry=1, neuron=IF)
proj = net.connect(
    inp, out, "exc",
    synapse=ann.STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105, w_max=GMAX),
)
proj.all_to_all(weights=ann.Uniform(0.0, GMAX))
m = net.monitor(out, "spike")
build_s, sim_s = annarchy_run(net, t0, args.duration)

emit(
    args, "stdp", build_s, sim_s, args.duration,
    rate_hz=len(m.get("spike")[0]) / (args.duration / 1000.0),
    w_mean=float(np.mean(proj.w[0])) / GMAX,
    neurons=N + 1,
    synapses=N,
)
