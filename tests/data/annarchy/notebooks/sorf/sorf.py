# ANNarchy 5.0.4.1 runs of the SORF notebook (homeostatic STDP, Carlson et
# al. 2013), with the notebook's model strings and network, on a shortened
# protocol: NB_EPOCHS epochs of the 40 gratings instead of the notebook's 20,
# each epoch in a fixed order (ORDERS below; the notebook shuffles with
# Python's random) so that cajal's example gets the same inputs. Three
# seeds (the seed reaches the Poisson spikes, not the initial weights:
# ANNarchy 5's Uniform draws from an unseeded generator); writes
# sorf.json. The notebook uses ANNarchy's global network, which compiles
# once a process: each seed runs in a process of its own (`python sorf.py
# SEED` prints one JSON line).
import json
import subprocess
import sys

NB_EPOCHS = 4
# Each epoch's order of the 40 gratings: random.Random(e).shuffle of
# range(40) for e = 1, 2, 3, 4, written out.
ORDERS = [
    [23, 2, 11, 1, 37, 32, 5, 9, 17, 29, 34, 20, 38, 21, 27, 22, 10, 33, 18, 35,
     39, 14, 26, 19, 13, 12, 0, 15, 3, 6, 25, 24, 30, 28, 31, 7, 16, 4, 36, 8],
    [26, 4, 39, 27, 34, 15, 29, 9, 35, 31, 30, 25, 6, 28, 7, 22, 0, 1, 8, 24,
     14, 17, 11, 33, 36, 12, 20, 32, 37, 21, 18, 2, 13, 16, 19, 10, 23, 38, 5, 3],
    [5, 14, 18, 3, 26, 31, 27, 35, 13, 9, 2, 1, 10, 32, 11, 21, 16, 19, 28, 33,
     20, 12, 25, 24, 29, 39, 22, 6, 7, 17, 36, 38, 0, 4, 30, 23, 8, 34, 37, 15],
    [28, 27, 26, 39, 23, 38, 22, 14, 2, 18, 21, 32, 35, 10, 13, 0, 37, 20, 3, 33,
     8, 11, 29, 16, 7, 31, 24, 36, 34, 17, 12, 1, 4, 5, 9, 30, 25, 6, 19, 15],
]

KEYS = ["mean_r_exc", "mean_r_inh", "mean_r_exc_last", "mean_r_inh_last",
        "rate_exc", "rate_inh", "rate_on_buffer", "rate_off_buffer",
        "mean_w_on", "mean_w_off", "mean_w_exc_inh",
        "selectivity", "r_exc_end", "r_inh_end"]

if len(sys.argv) == 1:
    out = {"seeds": [1, 2, 3], **{k: [] for k in KEYS}}
    for seed in out["seeds"]:
        line = subprocess.run([sys.executable, __file__, str(seed)], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        run = json.loads(line)
        for k in KEYS:
            out[k].append(run[k])
        print(seed, run)
    json.dump(out, open("sorf.json", "w"), indent=1)
    sys.exit(0)

import numpy as np
import ANNarchy as ann

seed = int(sys.argv[1])
ann.setup(seed=seed)

nb_neuron = 4 # Number of exc and inh neurons
size = (32, 32) # input size
freq = 1.2 # nb_cycles/half-image
nb_stim = 40 # Number of grating per epoch
nb_epochs = 20 # Number of epochs
nb_epochs = NB_EPOCHS # shortened: see the top of the file
max_freq = 28. # Max frequency of the poisson neurons
T = 10000. # Period for averaging the firing rate

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

# Input population
OnPoiss = ann.PoissonPopulation(size, rates=1.0)
OffPoiss = ann.PoissonPopulation(size, rates=1.0)

# RS neuron for the input buffers
OnBuffer = ann.Population(size, RSNeuron)
OffBuffer = ann.Population(size, RSNeuron)

# Connect the buffers
OnPoissBuffer = ann.Projection(OnPoiss, OnBuffer, ['ampa', 'nmda'])
OnPoissBuffer.connect_one_to_one(ann.Uniform(0.2, 0.6))
OffPoissBuffer = ann.Projection(OffPoiss, OffBuffer, ['ampa', 'nmda'])
OffPoissBuffer.connect_one_to_one(ann.Uniform(0.2, 0.6))

# Excitatory and inhibitory neurons
Exc = ann.Population(nb_neuron, RSNeuron)
Inh = ann.Population(nb_neuron, RSNeuron)
Exc.compute_firing_rate(T)
Inh.compute_firing_rate(T)

# Input connections
OnBufferExc = ann.Projection(OnBuffer, Exc, ['ampa', 'nmda'], homeo_stdp)
OnBufferExc.connect_all_to_all(ann.Uniform(0.004, 0.015))
OffBufferExc = ann.Projection(OffBuffer, Exc, ['ampa', 'nmda'], homeo_stdp)
OffBufferExc.connect_all_to_all(ann.Uniform(0.004, 0.015))

# Competition
ExcInh = ann.Projection(Exc, Inh, ['ampa', 'nmda'], homeo_stdp)
ExcInh.connect_all_to_all(ann.Uniform(0.116, 0.403))

ExcInh.Rtarget = 75.
ExcInh.tau_plus = 51.
ExcInh.tau_minus = 78.
ExcInh.A_plus = -0.000041
ExcInh.A_minus = -0.000015

InhExc = ann.Projection(Inh, Exc, ['gabaa', 'gabab'])
InhExc.connect_all_to_all(ann.Uniform(0.065, 0.259))

ann.compile(directory=f"annarchy_sorf_{seed}")
# Projection parameters set before compile: check they were kept.
print("ExcInh:", ExcInh.Rtarget, ExcInh.tau_plus, ExcInh.tau_minus, ExcInh.A_plus,
      ExcInh.A_minus, "OnBufferExc:", OnBufferExc.Rtarget, OnBufferExc.A_plus, file=sys.stderr)

# Inputs
def get_grating(theta):
    x = np.linspace(-1., 1., size[0])
    y = np.linspace(-1., 1., size[1])
    xx, yy = np.meshgrid(x, y)
    z = np.sin(2.*np.pi*(np.cos(theta)*xx + np.sin(theta)*yy)*freq)
    return np.maximum(z, 0.), -np.minimum(z, 0.0)

# Initial weights
w_on_start = OnBufferExc.w
w_off_start = OffBufferExc.w

# Monitors
m = ann.Monitor(Exc, 'r')
n = ann.Monitor(Inh, 'r')
# (the notebook's weight monitors are left out: their plots are not compared)
spikes = {name: ann.Monitor(pop, 'spike') for name, pop in
          [("exc", Exc), ("inh", Inh), ("on", OnBuffer), ("off", OffBuffer)]}

# Learning procedure
from time import time
import random
tstart = time()
stim_order = list(range(nb_stim))
try:
    for epoch in range(nb_epochs):
        stim_order = ORDERS[epoch]
        for stim in stim_order:
            # Generate a grating randomly
            rates_on, rates_off = get_grating(np.pi*stim/float(nb_stim))
            # Set it as input to the poisson neurons
            OnPoiss.rates  = max_freq * rates_on
            OffPoiss.rates = max_freq * rates_off
            # Simulate for 2s
            ann.simulate(2000.)
            # Relax the Poisson inputs
            OnPoiss.rates  = 1.
            OffPoiss.rates = 1.
            # Simulate for 500ms
            ann.simulate(500.)
        print('Epoch', epoch+1, 'done.', file=sys.stderr)
except KeyboardInterrupt:
    print('Simulation stopped')
    
print('Done in ', time()-tstart, file=sys.stderr)

# Recordings
datae = m.get('r')
datai = n.get('r')

# What sorf.json holds (see manifest.json)
duration = nb_epochs * nb_stim * 2500.
last = int(nb_stim * 2500. / ann.dt())  # steps of the last epoch
counts = {k: sum(len(x) for x in mon.get('spike').values()) for k, mon in spikes.items()}
sizes = {"exc": Exc.size, "inh": Inh.size, "on": OnBuffer.size, "off": OffBuffer.size}
w_on = np.array(OnBufferExc.w)
w_off = np.array(OffBufferExc.w)
gratings = [get_grating(np.pi * s / float(nb_stim))[0].reshape(-1) for s in range(nb_stim)]
def best_correlation(w):
    return max(np.corrcoef(w, g)[0, 1] for g in gratings)
out = {
    "mean_r_exc": float(np.mean(datae)),
    "mean_r_inh": float(np.mean(datai)),
    "mean_r_exc_last": float(np.mean(datae[-last:])),
    "mean_r_inh_last": float(np.mean(datai[-last:])),
    "rate_exc": counts["exc"] / sizes["exc"] / duration * 1000.,
    "rate_inh": counts["inh"] / sizes["inh"] / duration * 1000.,
    "rate_on_buffer": counts["on"] / sizes["on"] / duration * 1000.,
    "rate_off_buffer": counts["off"] / sizes["off"] / duration * 1000.,
    "mean_w_on": float(np.mean(w_on)),
    "mean_w_off": float(np.mean(w_off)),
    "mean_w_exc_inh": float(np.mean(np.array(ExcInh.w))),
    "selectivity": float(np.mean([best_correlation(w) for w in w_on])),
    "r_exc_end": [float(x) for x in datae[-1]],
    "r_inh_end": [float(x) for x in datai[-1]],
}
print(json.dumps(out))