"""ANNarchy's Bar Learning notebook (Foldiak 1990) with ANNarchy 5's
Network API: an 8x8 InputArray, 32 leaky rate neurons, all-to-all Oja
synapses updated at every step (2 048 feed-forward, 1 024 lateral); each
trial sets a new image of random bars from Python and simulates 50 ms,
as the notebook does, so a trial's own cost (setting the input, starting
a run) counts as much as the steps. The model is the one
tests/data/annarchy/notebooks/bar_learning/bar_learning.py runs. The same
script runs in ANNarchy and in cajal (`--sim`). bar_neurons (feature
neurons whose weights became one bar; the notebook's 10 000 trials give
about 23 of 32) tells that the same thing ran.

    python bar_learning_annarchy.py --sim cajal --duration 500000
"""
import os
import time

from common import arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], duration=500000.0)
ann = simulator(args.sim)
import numpy as np

t0 = time.perf_counter()
N, FEATURES = 8, 32
Leaky = ann.Neuron(
    parameters="tau = 10.0 : population",
    equations="tau * dr/dt + r = sum(exc) - sum(inh) : min = 0.0",
)


def oja(alpha):
    return ann.Synapse(
        parameters=f"tau = 2000.0 : projection\nalpha = {alpha} : projection",
        equations="tau * dw/dt = pre.r * post.r - alpha * post.r^2 * w : min = 0.0",
    )


net = ann.Network(dt=1.0, seed=args.seed)
net.config(num_threads=args.threads)
inp = net.create(ann.InputArray(geometry=(N, N), name="input"))
feat = net.create(geometry=(8, 4), neuron=Leaky, name="features")
ff = net.connect(inp, feat, "exc", oja(8.0))
ff.all_to_all(weights=ann.Uniform(0.0, 0.5))
lat = net.connect(feat, feat, "inh", oja(0.3))
lat.all_to_all(weights=ann.Uniform(0.0, 1.0))
net.compile(directory=os.path.join(os.getcwd(), "annarchy"))
build_s = time.perf_counter() - t0

rng = np.random.default_rng(args.seed)
trials = max(1, int(args.duration // 50))
t1 = time.perf_counter()
for _ in range(trials):
    img = np.zeros((N, N))
    img[rng.random(N) < 1.0 / 8.0, :] = 1.0
    img[:, rng.random(N) < 1.0 / 8.0] = 1.0
    inp.r = img
    net.simulate(50.0)
sim_s = time.perf_counter() - t1


def bar_of(rf):
    """The bar (row l < N, column l - N) a receptive field became, or None:
    its best line's mean weight at least twice every other line's, each
    counted off the best line (the criterion of examples/bar_learning.rs)."""
    def line(l):
        m = np.zeros((N, N), bool)
        if l < N:
            m[l, :] = True
        else:
            m[:, l - N] = True
        return m
    means = [rf[line(l)].mean() for l in range(2 * N)]
    best = int(np.argmax(means))
    other = max(rf[line(l) & ~line(best)].mean() for l in range(2 * N) if l != best)
    return best if means[best] > 0.0 and means[best] >= 2.0 * other else None


w = np.array(ff.w)  # (32, 64): post, pre
emit(
    args, "bar_learning", build_s, sim_s, trials * 50.0,
    bar_neurons=sum(bar_of(w[k].reshape(N, N)) is not None for k in range(FEATURES)),
    neurons=N * N + FEATURES,
    synapses=N * N * FEATURES + FEATURES * (FEATURES - 1),
)
