"""A rate-coded network: the echo-state network of ANNarchy's RC notebook
grown to a 2000-neuron reservoir (the notebook has 400), with ANNarchy
5's Network API. `tau dx/dt + x = sum(in) + g sum(exc) + noise
Uniform(-1, 1)`, r = tanh(x), dense recurrent weights N(0, 1/sqrt(N))
(4 million synapses) scaled by g = 1.5 (the chaotic regime), one input
neuron at 1 during the first 100 ms; dt = 1 ms. The same script runs in
ANNarchy and in cajal (`--sim`). A rate network has no firing rate:
mean_abs_r, the mean |r| at the end (about 0.5 in the chaotic regime),
tells that the same thing ran.

    python rate_annarchy.py --sim cajal --n 2000 --duration 2000
"""
import os
import time

from common import arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], n=2000, duration=2000.0)
ann = simulator(args.sim)
import numpy as np

t0 = time.perf_counter()
ESN = ann.Neuron(
    parameters="""
        tau = 30.0 : population
        g = 1.5 : population
        noise = 0.01
    """,
    equations="""
        tau * dx/dt + x = sum(in) + g * sum(exc) + noise * Uniform(-1, 1)
        r = tanh(x)
    """,
)
n = args.n
net = ann.Network(dt=1.0, seed=args.seed)
net.config(num_threads=args.threads)
pop = net.create(n, ESN, name="reservoir")
# Named: cajal 0.1.0 gives an unnamed InputArray, made outside the network
# and then copied in, the name of the network's first population ("pop0")
# and refuses it as taken.
inp = net.create(ann.InputArray(1, name="input"))
w_in = net.connect(inp, pop, "in")
w_in.all_to_all(weights=ann.Uniform(-1.0, 1.0))
w_rec = net.connect(pop, pop, "exc")
w_rec.all_to_all(weights=ann.Normal(0.0, 1 / np.sqrt(n)))
net.compile(directory=os.path.join(os.getcwd(), "annarchy"))
build_s = time.perf_counter() - t0

# The input pulse needs two simulate() calls; sim_s is their sum.
t1 = time.perf_counter()
inp.r = 1.0
net.simulate(100.0)
pulse_s = time.perf_counter() - t1
inp.r = 0.0
t2 = time.perf_counter()
net.simulate(args.duration - 100.0)
sim_s = pulse_s + time.perf_counter() - t2

emit(
    args, "rate", build_s, sim_s, args.duration,
    rate_hz=None,
    mean_abs_r=float(np.abs(pop.r).mean()),
    neurons=n + 1,
    synapses=w_in.nb_synapses + w_rec.nb_synapses,
)
