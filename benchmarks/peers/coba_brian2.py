"""COBA for Brian 2 in C++ standalone mode: coba_annarchy.py's model
(ANNarchy's COBA notebook) in Brian 2's equations, integrated as ANNarchy
does (explicit Euler, v held during the 5 ms refractory period while the
conductances decay) and connected as it does (each pair with probability
80 / N, no self-connection).

build_s is the script's start to a compiled binary plus the binary's own
set-up; sim_s is the simulation loop alone (common.brian2_standalone).

    python coba_brian2.py --n 4000 --threads 2
"""
import os
import time

from common import arguments, brian2_standalone, emit

args = arguments(__doc__, ["brian2"], n=4000, duration=1000.0)
import brian2 as b2
from brian2 import mV, ms

t0 = time.perf_counter()
directory = os.path.join(os.getcwd(), "brian2_standalone")
b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
# 0 means no OpenMP at all (Brian 2's single-threaded code).
b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
b2.defaultclock.dt = 0.1 * ms
b2.seed(args.seed)

n = args.n
n_exc = n * 4 // 5
p = 80.0 / n
El, Vr, Vt, Ee, Ei = -60 * mV, -60 * mV, -50 * mV, 0 * mV, -80 * mV
taum, taue, taui, I = 20 * ms, 5 * ms, 10 * ms, 20 * mV
eqs = """
dv/dt = ((El - v) + ge * (Ee - v) + gi * (Ei - v) + I) / taum : volt (unless refractory)
dge/dt = -ge / taue : 1
dgi/dt = -gi / taui : 1
"""
P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method="euler")
P.v = "-55*mV + 5*mV*randn()"
P.ge = "4 + 1.5*randn()"
P.gi = "20 + 12*randn()"
Ce = b2.Synapses(P[:n_exc], P, on_pre="ge += 0.6")
Ci = b2.Synapses(P[n_exc:], P, on_pre="gi += 6.7")
# sample() draws the targets of each source without testing every pair;
# the `if` leaves out the source itself, as ANNarchy does.
Ce.connect(j="k for k in sample(N_post, p=p) if k != i")
Ci.connect(j=f"k for k in sample(N_post, p=p) if k != i + {n_exc}")
spikes = b2.SpikeMonitor(P)
b2.run(args.duration * ms)
build_s, sim_s = brian2_standalone(b2, directory, t0)

emit(
    args, "coba", build_s, sim_s, args.duration,
    rate_hz=spikes.num_spikes / n / (args.duration / 1000.0),
    neurons=n,
    synapses=len(Ce) + len(Ci),
)
