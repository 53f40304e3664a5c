"""ANNarchy's "Homeostatic STDP: ramp" notebook (Carlson et al. 2013)
with ANNarchy 5's Network API: 100 Poisson inputs with rates from 0.2 to
20 Hz drive two Izhikevich RS neurons through AMPA and NMDA (one
projection onto both targets), one with nearest-neighbour STDP, the other
with the same STDP under a homeostatic regulation that reads the neuron's
firing rate (`compute_firing_rate(5000 ms)`); both neurons' r recorded
every step, as the notebook does. dt = 1 ms, 1000 s. The same script runs
in ANNarchy and in cajal (`--sim`). rate_hz is the mean r of the
homeostatic neuron over the run (about 35 Hz); the other neuron's (about
56 Hz) goes in `rate_without_hz`.

    python ramp_annarchy.py --sim cajal --duration 1000000
"""
import time

from common import annarchy_run, arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], duration=1000000.0)
ann = simulator(args.sim)
import numpy as np

t0 = time.perf_counter()
RSNeuron = ann.Neuron(
    parameters="""
        a = 0.02 : population
        b = 0.2 : population
        c = -65. : population
        d = 8. : population
        tau_ampa = 5. : population
        tau_nmda = 150. : population
        vrev = 0.0 : population
    """,
    equations="""
        I = g_ampa * (vrev - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev -v)
        dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., midpoint
        du/dt = a * (b*v - u) : init=-13., midpoint
        tau_ampa * dg_ampa/dt = -g_ampa : exponential
        tau_nmda * dg_nmda/dt = -g_nmda : exponential
    """,
    spike="v >= 30.",
    reset="""
        v = c
        u += d
    """,
    functions="""
        nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)
    """,
)
nearest_neighbour_stdp = ann.Synapse(
    parameters="""
        tau_plus = 20. : projection
        tau_minus = 60. : projection
        A_plus = 0.0002 : projection
        A_minus = 0.000066 : projection
        w_max = 0.03 : projection
    """,
    equations="""
        tau_plus  * dltp/dt = -ltp : exponential
        tau_minus * dltd/dt = -ltd : exponential
        w += if t_post >= t_pre: ltp else: - ltd : min=0.0, max=w_max
    """,
    pre_spike="""
        g_target += w
        ltp = A_plus
    """,
    post_spike="""
        ltd = A_minus
    """,
)
homeo_stdp = ann.Synapse(
    parameters="""
        tau_plus = 20. : projection
        tau_minus = 60. : projection
        A_plus = 0.0002 : projection
        A_minus = 0.000066 : projection
        w_min = 0.0 : projection
        w_max = 0.03 : projection
        alpha = 0.1 : projection
        beta = 1.0 : projection
        gamma = 50. : projection
        Rtarget = 35. : projection
        T = 5000. : projection
    """,
    equations="""
        tau_plus  * dltp/dt = -ltp : exponential
        tau_minus * dltd/dt = -ltd : exponential
        R = post.r : postsynaptic
        K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
        stdp = if t_post >= t_pre: ltp else: - ltd
        w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=w_min, max=w_max
    """,
    pre_spike="""
        g_target += w
        ltp = A_plus
    """,
    post_spike="""
        ltd = A_minus
    """,
)
net = ann.Network(dt=1.0, seed=args.seed)
net.config(num_threads=args.threads)
inp = net.create(ann.PoissonPopulation(100, rates=np.linspace(0.2, 20.0, 100)))
pop1 = net.create(geometry=1, neuron=RSNeuron)
pop2 = net.create(geometry=1, neuron=RSNeuron)
pop1.compute_firing_rate(5000.0)
pop2.compute_firing_rate(5000.0)
proj1 = net.connect(inp, pop1, ["ampa", "nmda"], synapse=nearest_neighbour_stdp)
proj1.all_to_all(weights=ann.Uniform(0.01, 0.03))
proj2 = net.connect(inp, pop2, ["ampa", "nmda"], synapse=homeo_stdp)
proj2.all_to_all(weights=ann.Uniform(0.01, 0.03))
m1 = net.monitor(pop1, "r")
m2 = net.monitor(pop2, "r")
build_s, sim_s = annarchy_run(net, t0, args.duration)

emit(
    args, "ramp", build_s, sim_s, args.duration,
    rate_hz=float(np.mean(m2.get("r"))),
    rate_without_hz=float(np.mean(m1.get("r"))),
    w_mean=float(np.mean(proj2.w)),
    neurons=102,
    synapses=200,
)
