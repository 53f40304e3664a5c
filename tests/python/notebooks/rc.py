# ANNarchy's RC notebook (ANNarchy/ANNarchy.github.io, notebooks/v4/RC.ipynb):
# its code cells with 'import ANNarchy as ann' changed to 'import cajal as ann'.
# Other changes, each listed with its reason in python/README.md: the scikit-learn readout runs only where scikit-learn is installed.
import numpy as np
import matplotlib.pyplot as plt

import cajal as ann

ann.clear()
ann.setup(dt=1.0)

ESN_Neuron = ann.Neuron(
    parameters = """
        tau = 30.0 : population
        g = 1.0 : population
        noise = 0.01
    """,
    equations="""
        tau * dx/dt + x = sum(in) + g * sum(exc) + noise * Uniform(-1, 1)

        r = tanh(x)
    """
)

N = 400
pop = ann.Population(N, ESN_Neuron)

pop.tau = 30.0
pop.g = 1.4
pop.noise = 0.01

inp = ann.InputArray(1)
inp.r = 0.0

Wi = ann.Projection(inp, pop, 'in')
Wi.connect_all_to_all(weights=ann.Uniform(-1.0, 1.0))

Wrec = ann.Projection(pop, pop, 'exc')
Wrec.connect_all_to_all(weights=ann.Normal(0., 1/np.sqrt(N)))

ann.compile()

m = ann.Monitor(pop, 'r')
n = ann.Monitor(inp, 'r')

def trial(T=3000.):
    "Runs two trials for a given spectral radius."

    # Reset firing rates
    inp.r = 0.0
    pop.x = 0.0
    pop.r = 0.0
    
    # Run the trial
    ann.simulate(100.)
    inp.r = 1.0
    ann.simulate(100.0) # initial stimulation
    inp.r = 0.0
    ann.simulate(T - 200.)
    
    return m.get('r')

pop.g = 1.5
data1 = trial()
data2 = trial()

plt.figure(figsize=(12, 12))
plt.subplot(311)
plt.title("First trial")
for i in range(5):
    plt.plot(data1[:, i], lw=2)
plt.subplot(312)
plt.title("Second trial")
for i in range(5):
    plt.plot(data2[:, i], lw=2)
plt.subplot(313)
plt.title("Difference")
for i in range(5):
    plt.plot(data1[:, i] - data2[:, i], lw=2)

plt.tight_layout()
plt.show()

target = np.zeros(3000)
target[2000:2500] = 1.0

# The notebook's readout (scikit-learn's Lasso); the test venv has no
# scikit-learn, so it runs only where it is installed (package README).
try:
    from sklearn import linear_model
except ImportError:
    linear_model = None
if linear_model is not None:
    reg = linear_model.Lasso(alpha=0.001, max_iter=10000)
    reg.fit(data1, target)
    pred = reg.predict(data2)

    plt.figure(figsize=(12, 8))
    plt.plot(pred, lw=3)
    plt.plot(target, lw=3)
    plt.show()
