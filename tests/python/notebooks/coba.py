# ANNarchy's COBA notebook (ANNarchy/ANNarchy.github.io, notebooks/v4/COBA.ipynb):
# its code cells with 'import ANNarchy as ann' changed to 'import cajal as ann'.
# Other changes, each listed with its reason in python/README.md: none.
import numpy as np
import cajal as ann

ann.setup(dt=0.1) 

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
    spike = "v > Vt",
    reset = "v = Vr",
    refractory = 5.0
)

CUBA = ann.Neuron(
    parameters="""
        El = -49.0      : population
        Vr = -60.0      : population
        Vt = -50.0      : population
        tau_m = 20.0    : population
        tau_exc = 5.0   : population
        tau_inh = 10.0  : population
    """,
    equations="""
        tau_m * dv/dt = (El - v) + g_exc - g_inh 

        tau_exc * dg_exc/dt = - g_exc 
        tau_inh * dg_inh/dt = - g_inh 
    """,
    spike = "v > Vt",
    reset = "v = Vr",
    refractory = 5.0
)

# COBA network
P_COBA = ann.Population(geometry=4000, neuron=COBA)
P_COBA_E = P_COBA[:3200] ; P_COBA_I = P_COBA[3200:]

# CUBA network
P_CUBA = ann.Population(geometry=4000, neuron=CUBA)
P_CUBA_E = P_CUBA[:3200] ; P_CUBA_I = P_CUBA[3200:]

# COBA
P_COBA.v = ann.Normal(-55.0, 5.0)
P_COBA.g_exc = ann.Normal(4.0, 1.5)
P_COBA.g_inh = ann.Normal(20.0, 12.0)

# CUBA
P_CUBA.v = ann.Uniform(-60.0, -50.0)

# COBA
we_COBA = 0.6
wi_COBA = 6.7
Ce_COBA = ann.Projection(pre=P_COBA_E, post=P_COBA, target='exc')
Ce_COBA.connect_fixed_probability(weights=we_COBA, probability=0.02)

Ci_COBA = ann.Projection(pre=P_COBA_I, post=P_COBA, target='inh')
Ci_COBA.connect_fixed_probability(weights=wi_COBA, probability=0.02)

# CUBA
we_CUBA = 0.27 * 60.0 / 10.0 # 0.7 * (Vmean - E_rev_exc) / gL (mV)
wi_CUBA = 4.5 * 20.0 / 10.0 # 4.5 * (Vmean - E_rev_inh) / gL (mV)
Ce_CUBA = ann.Projection(pre=P_CUBA_E, post=P_CUBA, target='exc')
Ce_CUBA.connect_fixed_probability(weights=we_CUBA, probability=0.02)

Ci_CUBA = ann.Projection(pre=P_CUBA_I, post=P_CUBA, target='inh')
Ci_CUBA.connect_fixed_probability(weights=wi_CUBA, probability=0.02)

ann.compile()

m_COBA = ann.Monitor(P_COBA, ['spike'])
m_CUBA = ann.Monitor(P_CUBA, ['spike'])

ann.simulate(1000.)

data_COBA = m_COBA.get('spike')
data_CUBA = m_CUBA.get('spike')

t_COBA, n_COBA = m_COBA.raster_plot(data_COBA)
t_CUBA, n_CUBA = m_CUBA.raster_plot(data_CUBA)

print('Mean firing rate in the COBA population: ' + str(len(t_COBA) / 4000.) + 'Hz')
print('Mean firing rate in the CUBA population: ' + str(len(t_CUBA) / 4000.) + 'Hz')

import matplotlib.pyplot as plt

plt.figure(figsize=(15, 8))
plt.subplot(121)
plt.title("COBA")
plt.plot(t_COBA, n_COBA, '.', markersize=0.5)
plt.xlabel('Time (ms)')
plt.ylabel('# neuron')
plt.subplot(122)
plt.title("CUBA")
plt.plot(t_CUBA, n_CUBA, '.', markersize=0.5)
plt.xlabel('Time (ms)')
plt.ylabel('# neuron')
plt.show()

isi_COBA = m_COBA.inter_spike_interval(data_COBA)
isi_CUBA = m_COBA.inter_spike_interval(data_CUBA)

plt.figure(figsize=(15, 8))
plt.subplot(121)
plt.title("COBA")
plt.hist(isi_COBA)
plt.xlabel('ISI (ms)')
plt.ylabel('n in bin')
plt.subplot(122)
plt.title("CUBA")
plt.hist(isi_CUBA)
plt.xlabel('ISI (ms)')
plt.ylabel('n in bin')
plt.show()

cov_COBA = m_COBA.coefficient_of_variation(data_COBA)
cov_CUBA = m_COBA.coefficient_of_variation(data_CUBA)

plt.figure(figsize=(15, 8))
plt.subplot(121)
plt.title("COBA")
plt.hist(cov_COBA)
plt.xlabel('ISI CV')
plt.ylabel('n in bin')
plt.subplot(122)
plt.title("CUBA")
plt.hist(cov_CUBA)
plt.xlabel('ISI CV')
plt.ylabel('n in bin')
plt.show()

