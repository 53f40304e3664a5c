"""ANNarchy's "Homeostatic STDP: SORF" notebook with ANNarchy 5's Network
API: 32x32 On and Off Poisson inputs one-to-one onto 32x32 Izhikevich RS
buffers, whose 2 x 4096 plastic synapses (homeostatic STDP, equations at
every step) feed 4 excitatory neurons, with 4 inhibitory ones competing;
each grating 2000 ms at up to 28 Hz, then 500 ms at 1 Hz, as the
notebook. The models and the network are the notebook's (the cells
tests/data/annarchy/notebooks/sorf/sorf.py runs); the gratings go in a
fixed order (orientation k * 7 mod 40), as many as the duration holds
(2500 ms each). Many inputs are silent during a grating, so their
traces decay into the subnormal numbers (DECISIONS.md, "The CPU
engine"): both simulators keep them here. The same script runs in ANNarchy
and in cajal (`--sim`). rate_hz is the excitatory neurons' firing rate.

    python sorf_annarchy.py --sim cajal --duration 100000
"""
import time

from common import arguments, emit, simulator

args = arguments(__doc__, ["annarchy", "cajal"], duration=100000.0)
ann = simulator(args.sim)
import numpy as np

t0 = time.perf_counter()
nb_neuron = 4
size = (32, 32)
freq = 1.2
nb_stim = 40
max_freq = 28.
T = 10000.

# Izhikevich Coba neuron with AMPA, NMDA and GABA receptors
RSNeuron = ann.Neuron(
    parameters = """
        a = 0.02 : population
        b = 0.2 : population
        c = -65. : population
        d = 8. : population
        tau_ampa = 5. : population
        tau_nmda = 150. : population
        tau_gabaa = 6. : population
        tau_gabab = 150. : population
        vrev_ampa = 0.0 : population
        vrev_nmda = 0.0 : population
        vrev_gabaa = -70.0 : population
        vrev_gabab = -90.0 : population
    """ ,
    equations="""
        # Inputs
        I = g_ampa * (vrev_ampa - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev_nmda -v) + g_gabaa * (vrev_gabaa - v) + g_gabab * (vrev_gabab -v)
        # Midpoint scheme
        dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., min=-90., midpoint
        du/dt = a * (b*v - u) : init=-13., midpoint
        # Conductances
        tau_ampa * dg_ampa/dt = -g_ampa : exponential
        tau_nmda * dg_nmda/dt = -g_nmda : exponential
        tau_gabaa * dg_gabaa/dt = -g_gabaa : exponential
        tau_gabab * dg_gabab/dt = -g_gabab : exponential
    """ ,
    spike = """
        v >= 30.
    """,
    reset = """
        v = c
        u += d
        g_ampa = 0.0
        g_nmda = 0.0
        g_gabaa = 0.0
        g_gabab = 0.0
    """,
    functions = """
        nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)
    """,
    refractory=1.0
)

# STDP with homeostatic regulation
homeo_stdp = ann.Synapse(
    parameters="""
        # STDP
        tau_plus  = 60. : projection
        tau_minus = 90. : projection
        A_plus  = 0.000045 : projection
        A_minus = 0.00003 : projection

        # Homeostatic regulation
        alpha = 0.1 : projection
        beta = 50.0 : projection # <- Difference with the original implementation
        gamma = 50.0 : projection
        Rtarget = 10. : projection
        T = 10000. : projection
    """,
    equations = """
        # Homeostatic values
        R = post.r : postsynaptic
        K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
        # Nearest-neighbour
        stdp = if t_post >= t_pre: ltp else: - ltd 
        w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=0.0, max=10.0
        # Traces
        tau_plus  * dltp/dt = -ltp : exponential
        tau_minus * dltd/dt = -ltd : exponential
    """,
    pre_spike="""
        g_target += w
        ltp = A_plus
    """,
    post_spike="""
        ltd = A_minus
    """
)


net = ann.Network(dt=1.0, seed=args.seed)
net.config(num_threads=args.threads)
OnPoiss = net.create(ann.PoissonPopulation(size, rates=1.0))
OffPoiss = net.create(ann.PoissonPopulation(size, rates=1.0))
OnBuffer = net.create(geometry=size, neuron=RSNeuron)
OffBuffer = net.create(geometry=size, neuron=RSNeuron)
net.connect(OnPoiss, OnBuffer, ['ampa', 'nmda']).one_to_one(weights=ann.Uniform(0.2, 0.6))
net.connect(OffPoiss, OffBuffer, ['ampa', 'nmda']).one_to_one(weights=ann.Uniform(0.2, 0.6))
Exc = net.create(geometry=nb_neuron, neuron=RSNeuron)
Inh = net.create(geometry=nb_neuron, neuron=RSNeuron)
Exc.compute_firing_rate(T)
Inh.compute_firing_rate(T)
OnBufferExc = net.connect(OnBuffer, Exc, ['ampa', 'nmda'], synapse=homeo_stdp)
OnBufferExc.all_to_all(weights=ann.Uniform(0.004, 0.015))
OffBufferExc = net.connect(OffBuffer, Exc, ['ampa', 'nmda'], synapse=homeo_stdp)
OffBufferExc.all_to_all(weights=ann.Uniform(0.004, 0.015))
ExcInh = net.connect(Exc, Inh, ['ampa', 'nmda'], synapse=homeo_stdp)
ExcInh.all_to_all(weights=ann.Uniform(0.116, 0.403))
ExcInh.Rtarget = 75.
ExcInh.tau_plus = 51.
ExcInh.tau_minus = 78.
ExcInh.A_plus = -0.000041
ExcInh.A_minus = -0.000015
net.connect(Inh, Exc, ['gabaa', 'gabab']).all_to_all(weights=ann.Uniform(0.065, 0.259))
spikes = net.monitor(Exc, 'spike')


def get_grating(theta):
    x = np.linspace(-1., 1., size[0])
    y = np.linspace(-1., 1., size[1])
    xx, yy = np.meshgrid(x, y)
    z = np.sin(2.*np.pi*(np.cos(theta)*xx + np.sin(theta)*yy)*freq)
    return np.maximum(z, 0.), -np.minimum(z, 0.0)


import os
net.compile(directory=os.path.join(os.getcwd(), "annarchy"))
build_s = time.perf_counter() - t0
gratings = max(1, int(args.duration // 2500))
t1 = time.perf_counter()
for k in range(gratings):
    rates_on, rates_off = get_grating(np.pi * ((7 * k) % nb_stim) / float(nb_stim))
    OnPoiss.rates = max_freq * rates_on
    OffPoiss.rates = max_freq * rates_off
    net.simulate(2000.)
    OnPoiss.rates = 1.
    OffPoiss.rates = 1.
    net.simulate(500.)
sim_s = time.perf_counter() - t1
simulated = gratings * 2500.
count = sum(len(x) for x in spikes.get('spike').values())
emit(
    args, "sorf", build_s, sim_s, simulated,
    rate_hz=count / nb_neuron / (simulated / 1000.0),
    neurons=2 * 1024 * 2 + 2 * nb_neuron,
    synapses=2 * 1024 + 2 * 1024 * nb_neuron + 2 * nb_neuron * nb_neuron,
)
