# ANNarchy's BCM notebook (ANNarchy/ANNarchy.github.io, notebooks/v4/BCM.ipynb):
# its code cells with 'import ANNarchy as ann' changed to 'import cajal as ann'.
# Other changes, each listed with its reason in python/README.md: none.
import numpy as np
import cajal as ann

ann.clear()
ann.setup(dt=1.0)

# Input
input_neuron = ann.Neuron(
    parameters = """
        r = 0.0
    """
)
pre = ann.Population(2, input_neuron)

# Output
neuron = ann.Neuron(
    equations = """
        r = sum(exc)
    """
)
post = ann.Population(1, neuron)

IBCM = ann.Synapse(
    parameters = """
        eta = 0.01 : projection
        tau = 100.0 : projection
    """,
    equations = """
        tau * dtheta/dt + theta = (post.r)^2 : postsynaptic, exponential

        dw/dt = eta * post.r * (post.r - theta) * pre.r : min=0.0, explicit
    """,
    psp = "w * pre.r"
)

proj = ann.Projection(pre, post, 'exc', IBCM)
proj.connect_all_to_all(1.0)

ann.compile()

m = ann.Monitor(post, 'r')
n = ann.Monitor(proj, ['w', 'theta'])

pre.r = np.array([1.0, 0.1])
ann.simulate(1000.)

r = m.get('r')
w = n.get('w')
theta = n.get('theta')

import matplotlib.pyplot as plt

plt.figure(figsize=(10, 5))
plt.subplot(211)
plt.plot(r[:, 0], label='r')
plt.plot(theta[:, 0], label='theta')
plt.legend()
plt.subplot(212)
plt.plot(w[:, 0, 0], label="$w_1$")
plt.plot(w[:, 0, 1], label="$w_2$")
plt.legend()
plt.show()