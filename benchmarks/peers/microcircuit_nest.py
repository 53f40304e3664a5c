"""The Potjans & Diesmann (2014) microcircuit for NEST, written to match
cajal's built-in model (`microcircuit_with` in src/networks.rs, scale 0.1,
Poisson background) rather than NEST's own example where the two differ:

- scale 0.1 for both the neuron numbers (rounded) and the in-degrees
  (K = round(0.1 * K_full), K_full from the connection probability table
  as NEST's example computes it); weights / sqrt(0.1) and a DC current
  making up for the lost part of the mean recurrent and background input
  (van Albada et al. 2015), computed from the full-scale rates;
- each neuron gets exactly K inputs from each source population
  (fixed_indegree without multapses or autapses), where NEST's example
  draws a fixed total number with multapses;
- weights normal (sd 10 % of the mean) cut at 0, and delays normal
  (1.5 +- 0.75 ms excitatory, 0.75 +- 0.375 ms inhibitory) cut at dt,
  where NEST's example redraws values beyond its bounds;
- v(0) ~ N(-58, 10) mV for every population;
- K_ext * 0.1 Poisson inputs of 8 Hz per neuron as one poisson_generator
  per population (independent trains for each target).

build_s includes nest.Prepare(); sim_s is nest.Run() alone.

    python microcircuit_nest.py --threads 2
"""
import math
import time

from common import arguments, nest_run

args = arguments(__doc__, ["nest"], duration=1000.0)
import nest

SCALE, DT = 0.1, 0.1
N_FULL = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
RATES = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523]  # full scale, Hz
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
BG_RATE = 8.0
# Connection probabilities [target][source]; sources alternate E, I.
C = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
]
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5


def psc(psp):
    """The current (pA) whose PSP peaks at `psp` mV in iaf_psc_exp."""
    r = TAU_M / TAU_SYN
    k = (TAU_M * TAU_SYN / (TAU_SYN - TAU_M)
         * (r ** (-TAU_M / (TAU_M - TAU_SYN)) - r ** (-TAU_SYN / (TAU_M - TAU_SYN))) / C_M)
    return psp / k


W_E = psc(0.15)


def rnd(x):
    """Rounds half away from zero, as Rust's f64::round in cajal's builder
    (Python's round() goes to the even neighbour)."""
    return int(math.floor(x + 0.5))


def weight(t, s):
    """Full-scale mean weight (pA): inhibitory sources -4 w_E, L4E -> L2/3E doubled."""
    return -4.0 * W_E if s % 2 else (2.0 * W_E if (t, s) == (0, 2) else W_E)


def indegree_full(t, s):
    """Full-scale in-degree: the total number of synapses that, drawn at
    random with multapses, connects a pair with probability C[t][s]
    (Potjans & Diesmann's formula), per target neuron."""
    prod = N_FULL[t] * N_FULL[s]
    return math.log(1.0 - C[t][s]) / math.log((prod - 1.0) / prod) / N_FULL[t]


t0 = time.perf_counter()
nest.set_verbosity("M_WARNING")
nest.ResetKernel()
nest.set(resolution=DT, local_num_threads=args.threads, rng_seed=args.seed, print_time=False)
sq = math.sqrt(SCALE)
pops = []
for i in range(8):
    rec = sum(weight(i, s) * indegree_full(i, s) * RATES[s] for s in range(8))
    ext = W_E * K_EXT[i] * BG_RATE
    dc = 0.001 * TAU_SYN * (1.0 - sq) * (rec + ext)  # pA
    pops.append(nest.Create("iaf_psc_exp", max(1, rnd(N_FULL[i] * SCALE)), params={
        "C_m": C_M, "tau_m": TAU_M, "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN,
        "t_ref": 2.0, "E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "I_e": dc,
        "V_m": nest.random.normal(-58.0, 10.0),
    }))
for t in range(8):
    for s in range(8):
        k = min(rnd(indegree_full(t, s) * SCALE), len(pops[s]))
        if C[t][s] == 0.0 or k == 0:
            continue
        mean = abs(weight(t, s)) / sq
        w = nest.math.max(nest.random.normal(mean, 0.1 * mean), 0.0)
        d = 1.5 if s % 2 == 0 else 0.75
        nest.Connect(
            pops[s], pops[t],
            {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": False},
            {
                # An inhibitory weight is negative in NEST (the sign picks the synapse).
                "weight": -w if s % 2 else w,
                "delay": nest.math.max(nest.random.normal(d, 0.5 * d), DT),
            },
        )
synapses = nest.num_connections
recorder = nest.Create("spike_recorder")
for i, p in enumerate(pops):
    background = nest.Create("poisson_generator", params={"rate": K_EXT[i] * SCALE * BG_RATE})
    nest.Connect(background, p, "all_to_all", {"weight": W_E / sq, "delay": DT})
    nest.Connect(p, recorder)
nest_run(nest, args, "microcircuit", t0, recorder, sum(len(p) for p in pops), synapses)
