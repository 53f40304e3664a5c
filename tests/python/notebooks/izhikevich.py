# ANNarchy's Izhikevich notebook (ANNarchy/ANNarchy.github.io, notebooks/v4/Izhikevich.ipynb):
# its code cells with 'import ANNarchy as ann' changed to 'import cajal as ann'.
# Other changes, each listed with its reason in python/README.md: none.
import numpy as np
import matplotlib.pyplot as plt

import cajal as ann
ann.clear()

Izhikevich = ann.Neuron(
    parameters="""
        noise = 5.0 
        a = 0.02
        b = 0.2
        c = -65.0
        d = 2.0 
        v_thresh = 30.0
    """,
    equations="""
        # Input current
        I = g_exc - g_inh + noise * Normal(0.0, 1.0)

        # Membrane potential
        dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I 

        # Recovery variable
        du/dt = a * (b*v - u) 
    """,
    spike = """
        v >= v_thresh
    """,
    reset = """
        v = c
        u += d
    """
)

pop = ann.Population(geometry=1000, neuron=Izhikevich)

Exc = pop[:800]
Inh = pop[800:]

re = np.random.random(800)      ; ri = np.random.random(200)
Exc.noise = 5.0                 ; Inh.noise = 2.0
Exc.a = 0.02                    ; Inh.a = 0.02 + 0.08 * ri
Exc.b = 0.2                     ; Inh.b = 0.25 - 0.05 * ri
Exc.c = -65.0 + 15.0 * re**2    ; Inh.c = -65.0
Exc.d = 8.0 - 6.0 * re**2       ; Inh.d = 2.0
Exc.v = -65.0                   ; Inh.v = -65.0
Exc.u = Exc.v * Exc.b           ; Inh.u = Inh.v * Inh.b

exc_proj = ann.Projection(pre=Exc, post=pop, target='exc')
exc_proj.connect_all_to_all(weights=ann.Uniform(0.0, 0.5))
   
inh_proj = ann.Projection(pre=Inh, post=pop, target='inh')
inh_proj.connect_all_to_all(weights=ann.Uniform(0.0, 1.0))

ann.compile()

m = ann.Monitor(pop, ['spike', 'v'])

ann.simulate(1000.0, measure_time=True)

spikes = m.get('spike')
v = m.get('v')
t, n = m.raster_plot(spikes)
fr = m.histogram(spikes)

plt.figure(figsize=(12, 12))

# First plot: raster plot
plt.subplot(311)
plt.plot(t, n, 'b.')
plt.title('Raster plot')

# Second plot: membrane potential of a single excitatory cell
plt.subplot(312)
plt.plot(v[:, 15]) # for example
plt.title('Membrane potential')

# Third plot: number of spikes per step in the population.
plt.subplot(313)
plt.plot(fr)
plt.title('Number of spikes')
plt.xlabel('Time (ms)')

plt.tight_layout()
plt.show()