# ANNarchy's AdEx notebook (ANNarchy/ANNarchy.github.io, notebooks/v4/AdEx.ipynb):
# its code cells with 'import ANNarchy as ann' changed to 'import cajal as ann'.
# Other changes, each listed with its reason in python/README.md: the last line, ann.NetworkManager(), removed.
import cajal as ann
ann.clear()
ann.setup(dt=0.1)

AdEx = ann.Neuron(
    parameters="""
        C = 200.
        gL = 10. # not g_L! g_ is reserved for spike transmission
        E_L = -70.
        v_T = -50.
        delta_T = 2.0
        a = 2.0
        tau_w = 30.
        b = 0.
        v_r = -58.
        I = 500.
        v_spike = 0.0 
    """,
    equations="""
        C * dv/dt = - gL * (v - E_L) +  gL * delta_T * exp((v-v_T)/delta_T) + I - w : init=-70.0     
        tau_w * dw/dt = a * (v - E_L) - w  : init=0.0
    """,
    spike="""
        v >= v_spike
    """,
    reset="""
        v = v_r
        w += b
    """,
    refractory = 2.0
)

pop = ann.Population(8, AdEx)

ann.compile()

m = ann.Monitor(pop, ['v', 'spike'])

# a) tonic spiking b) adaptation, c) initial burst, d) regular bursting, e) delayed accelerating, f) delayed regular bursting, g) transcient spiking, h) irregular spiking
pop.C =       [200, 200, 130, 200, 200, 200, 100, 100]
pop.gL =      [ 10,  12,  18,  10,  12,  12,  10,  12]
pop.E_L =     [-70, -70, -58, -58, -70, -70, -65, -60]
pop.v_T =     [-50, -50, -50, -50, -50, -50, -50, -50]
pop.delta_T = [  2,   2,   2,   2,   2,   2,   2,   2]
pop.a =       [  2,   2,   4,   2,-10., -6.,-10.,-11.]
pop.tau_w =   [ 30, 300, 150, 120, 300, 300,  90, 130]
pop.b =       [  0,  60, 120, 100,   0,   0,  30,  30]
pop.v_r =     [-58, -58, -50, -46, -58, -58, -47, -48]
pop.I =       [500, 500, 400, 210, 300, 110, 350, 160]

# Reset neuron
pop.v = pop.E_L
pop.w = 0.0

# Simulate
ann.simulate(500.)
pop.I = 0.0
ann.simulate(50.)

# Recordings
data = m.get('v')
spikes = m.get('spike')
for n, t in spikes.items(): # Normalize the spikes
    data[[x - m.times()['v']['start'][0] for x in t], n] = 0.0

import matplotlib.pyplot as plt

titles = [
    "a) tonic spiking", 
    "b) adaptation", 
    "c) initial burst", 
    "d) regular bursting", 
    "e) delayed accelerating", 
    "f) delayed regular bursting", 
    "g) transcient spiking", 
    "h) irregular spiking"
]

plt.figure(figsize=(12, 15))
plt.ylim((-70., 0.))
for i in range(8):
    plt.subplot(4, 2, i+1)
    plt.title(titles[i])
    plt.plot(data[:, i], lw=3)
    

plt.tight_layout()
plt.show()

