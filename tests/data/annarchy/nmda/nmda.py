"""The PyNN/Brian notebook's non-linear (NMDA) synapse, as written: two
input neurons (v starting at 0 and 0.5, dv/dt = 0.1, spike at v > 1.05)
onto one integrator through a synapse with pre_spike `x += w` and psp `g`
(tau dx/dt = -x, tau dg/dt = -g + x (1 - g)), weights 1 and 10; 100 ms at
dt 1 ms (ANNarchy 5.0.4.1). Writes nmda.json."""
import json
import ANNarchy as ann

ann.clear()
# v > 1.05, not the notebook's v > 1.0: after ten steps of 0.1, v is 1 - 1e-16 in
# double precision and 1 + 1e-7 in single, so the notebook's threshold
# fires a step apart in the two.
Linear = ann.Neuron(equations="dv/dt = 0.1", spike="v>1.05", reset="v=0.0")
Integrator = ann.Neuron(equations="dv/dt = 0.1*(g_exc -v)", spike="v>2.0", reset="v=0.0")
NMDA = ann.Synapse(
    parameters = """
        tau = 10.0 : projection
    """,
    equations = """
        tau * dx/dt = -x
        tau * dg/dt = -g +  x * (1 -g)
    """,
    pre_spike = "x += w",
    psp = "g"
)
inp = ann.Population(geometry=2, neuron=Linear)
inp.v = [0.0, 0.5]
pop = ann.Population(geometry=1, neuron=Integrator)
proj = ann.Projection(pre=inp, post=pop, target='exc', synapse=NMDA)
proj.connect_from_matrix(weights=[[1.0, 10.0]])
m = ann.Monitor(pop, ['v', 'g_exc'])
mi = ann.Monitor(inp, 'spike')
w = ann.Monitor(proj, ['g', 'x'])
ann.compile()
ann.simulate(100.0)
out = {
    'v': m.get('v')[:, 0].tolist(),
    'g_exc': m.get('g_exc')[:, 0].tolist(),
    'g': w.get('g')[:, 0, :].tolist(),
    'x': w.get('x')[:, 0, :].tolist(),
    'input_spikes': {str(k): list(map(int, v)) for k, v in mi.get('spike').items()},
}
json.dump(out, open('nmda.json', 'w'))
print(out['input_spikes'], out['v'][:5], out['g'][:5], max(out['v']))
