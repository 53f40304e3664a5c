"""COBA for NEST: coba_annarchy.py's model (ANNarchy's COBA notebook) as
iaf_cond_exp. ANNarchy's conductances are in units of the leak
conductance and its input I in mV; with g_L = 10 nS they become
C_m = tau_m g_L = 200 pF, w_exc = 6 nS, w_inh = -67 nS (the sign picks
the inhibitory conductance), I_e = 200 pA, initial g_ex ~ N(40, 15) nS and
g_in ~ N(200, 120) nS. Each pair is connected with probability 80 / N
(pairwise_bernoulli, no autapses), delay one step. NEST integrates with
GSL's adaptive RKF45, holds V at V_reset during t_ref, as ANNarchy.

build_s includes nest.Prepare() (NEST's last set-up before the first
step); sim_s is nest.Run() alone.

    python coba_nest.py --n 4000 --threads 2
"""
import time

from common import arguments, nest_run

args = arguments(__doc__, ["nest"], n=4000, duration=1000.0)
import nest

t0 = time.perf_counter()
nest.set_verbosity("M_WARNING")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=args.threads, rng_seed=args.seed, print_time=False)

n = args.n
n_exc = n * 4 // 5
p = 80.0 / n
pop = nest.Create(
    "iaf_cond_exp", n,
    params={
        "C_m": 200.0, "g_L": 10.0, "E_L": -60.0, "V_th": -50.0, "V_reset": -60.0,
        "t_ref": 5.0, "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
        "I_e": 200.0,
        "V_m": nest.random.normal(-55.0, 5.0),
        "g_ex": nest.random.normal(40.0, 15.0),
        "g_in": nest.random.normal(200.0, 120.0),
    },
)
rule = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": False}
nest.Connect(pop[:n_exc], pop, rule, {"weight": 6.0, "delay": 0.1})
nest.Connect(pop[n_exc:], pop, rule, {"weight": -67.0, "delay": 0.1})
synapses = nest.num_connections
recorder = nest.Create("spike_recorder")
nest.Connect(pop, recorder)
nest_run(nest, args, "coba", t0, recorder, n, synapses)
