"""stdp_annarchy.py's model (ANNarchy's STDP II notebook, which is Song,
Miller & Abbott 2000 as in Brian 2's own STDP example) for Brian 2 in C++
standalone mode, at ANNarchy's dt = 1 ms with explicit Euler. The STDP
rule is ANNarchy's built-in one, which is Brian 2's example's: traces
x (pre) and y (post) with 20 ms time constants, x += 0.01 w_max at a
pre spike, y -= 0.0105 w_max at a post spike, w clipped to [0, w_max];
the timing of its events is made ANNarchy 5.0.4.1's (see below), without
which the outcome differs (about 100 Hz and rising weights over the first
10 s instead of about 60 Hz and falling ones).

    python stdp_brian2.py --duration 100000
"""
import os
import time

from common import arguments, brian2_standalone, emit

args = arguments(__doc__, ["brian2"], duration=100000.0)
import brian2 as b2
import numpy as np
from brian2 import Hz, mV, ms

F, N, GMAX = 15.0, 1000, 0.01

t0 = time.perf_counter()
directory = os.path.join(os.getcwd(), "brian2_standalone")
b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
b2.defaultclock.dt = 1 * ms
b2.seed(args.seed)

taum, taue, vt, vr, El, Ee = 10 * ms, 5 * ms, -54 * mV, -60 * mV, -74 * mV, 0 * mV
tau_plus = tau_minus = 20 * ms
inp = b2.PoissonGroup(N, rates=F * Hz)
out = b2.NeuronGroup(
    1,
    """
    dv/dt = (El - v + ge * (Ee - vr)) / taum : volt
    dge/dt = -ge / taue : 1
    """,
    threshold="v > vt", reset="v = vr", method="euler",
)
out.v = vr
syn = b2.Synapses(
    inp, out,
    """
    w : 1
    dx/dt = -x / tau_plus : 1 (event-driven)
    dy/dt = -y / tau_minus : 1 (event-driven)
    """,
    on_pre=f"""
    x *= exp(dt / tau_plus)
    y *= exp(dt / tau_minus)
    ge += w
    x += 0.01 * {GMAX}
    w = clip(w + y, 0, {GMAX})
    """,
    on_post=f"""
    y -= 0.0105 * {GMAX}
    w = clip(w + x, 0, {GMAX})
    """,
)
# ANNarchy 5.0.4.1 handles a pre spike at the start of the next step,
# before the neuron's update and after the post spikes of the spike's own
# step (a pre and a post spike in one step count as post before pre);
# Brian 2 by default handles it in its own step, before that step's post
# spikes. Run the pre pathway where ANNarchy does.
syn.pre.when = "before_groups"
# At that pre event ANNarchy decays the traces only to the step before
# (the spike's) but stamps them with the current step, so each pre event
# leaves them one step less decayed: the two `*= exp(dt / tau)` in
# on_pre. At dt = 1 ms this makes depression about 5 % stronger, enough
# to change where the weights go.
syn.connect()
syn.w = f"rand() * {GMAX}"
spikes = b2.SpikeMonitor(out)
b2.run(args.duration * ms)
build_s, sim_s = brian2_standalone(b2, directory, t0)

emit(
    args, "stdp", build_s, sim_s, args.duration,
    rate_hz=spikes.num_spikes / (args.duration / 1000.0),
    w_mean=float(np.mean(syn.w[:])) / GMAX,
    neurons=N + 1,
    synapses=N,
)
