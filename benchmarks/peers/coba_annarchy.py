"""COBA (Vogels & Abbott 2005; Brette et al. 2007's benchmark 1) as in
ANNarchy's COBA notebook, written with ANNarchy 5's Network API. The same
script runs in ANNarchy and in cajal: `--sim` only picks the module.

N neurons (80 % excitatory), conductances in units of the leak
conductance (g_L = 10 nS), so w_exc = 0.6 and w_inh = 6.7 are 6 nS and
67 nS; I = 20 mV drives every neuron. The connection probability is
80 / N so that each neuron keeps the notebook's 80 inputs (0.02 at
N = 4000) whatever N: the weights then need no scaling.

    python coba_annarchy.py --sim cajal --n 4000 --threads 2
"""
import time

from common import annarchy_run, arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], n=4000, duration=1000.0)
ann = simulator(args.sim)

t0 = time.perf_counter()
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

n = args.n
n_exc = n * 4 // 5
p = 80.0 / n
net = ann.Network(dt=0.1, seed=args.seed)
# ANNarchy's OpenMP threads; cajal ignores this (common.py sets its threads).
net.config(num_threads=args.threads)
pop = net.create(geometry=n, neuron=COBA)
pop.v = ann.Normal(-55.0, 5.0)
pop.g_exc = ann.Normal(4.0, 1.5)
pop.g_inh = ann.Normal(20.0, 12.0)
exc = net.connect(pop[:n_exc], pop, "exc")
exc.fixed_probability(weights=0.6, probability=p)
inh = net.connect(pop[n_exc:], pop, "inh")
inh.fixed_probability(weights=6.7, probability=p)
m = net.monitor(pop, "spike")
build_s, sim_s = annarchy_run(net, t0, args.duration)

spikes = sum(len(ts) for ts in m.get("spike").values())
emit(
    args, "coba", build_s, sim_s, args.duration,
    rate_hz=spikes / n / (args.duration / 1000.0),
    neurons=n,
    synapses=exc.nb_synapses + inh.nb_synapses,
)
