"""Structural plasticity reference (ANNarchy 5.0.4.1): a rate-coded network
whose synapses are created and pruned by deterministic conditions (no
proba), checked every few steps; then synapses created and pruned by hand.
Writes structural.json."""
import json
import numpy as np
import ANNarchy as ann

ann.clear()
ann.setup(dt=1.0, structural_plasticity=True)

Leaky = ann.Neuron(
    parameters="""
        tau = 10.0 : population
        baseline = 0.0
    """,
    equations="""
        tau * dr/dt + r = baseline + sum(exc) : min=0.0
    """,
)
pop = ann.Population(8, Leaky)

Struct = ann.Synapse(
    parameters=" T = 12 : int, projection ",
    equations="""
        age = if pre.r * post.r > 0.25 :
                0
              else :
                age + 1 : init = 0, int""",
    pruning="age > T",
    creating="pre.r * post.r > 0.25 : w = 0.05",
)
proj = ann.Projection(pop, pop, 'exc', Struct)
proj.connect_all_to_all(weights=0.1)

mon = ann.Monitor(pop, 'r')
ann.compile()

def structure():
    rows = []
    for i in range(pop.size):
        if i in proj.post_ranks:
            d = proj.dendrite(i)
            rows.append({'pre': [int(x) for x in d.pre_ranks],
                         'w': [float(x) for x in d.w],
                         'age': [int(x) for x in d.age]})
        else:
            rows.append({'pre': [], 'w': [], 'age': []})
    return rows

out = {'snapshots': []}
def snap(label):
    out['snapshots'].append({'label': label, 'step': int(ann.get_current_step()), 'rows': structure()})

ann.simulate(3.0)
proj.start_creating(period=5.0)
proj.start_pruning(period=10.0)
pop[:4].baseline = 1.0
ann.simulate(40.0)
snap('first half active')
pop.baseline = 0.0
ann.simulate(25.0)
snap('rest')
pop[4:].baseline = 1.0
ann.simulate(40.0)
snap('second half active')
proj.stop_creating()
proj.stop_pruning()
pop.baseline = 0.0
pop[1].baseline = 0.5
proj.dendrite(2).create_synapse(1, 0.3)
proj.dendrite(6).prune_synapse(proj.dendrite(6).pre_ranks[0])
snap('by hand')
ann.simulate(20.0)
snap('end')
out['r'] = mon.get('r').tolist()
json.dump(out, open('structural.json', 'w'))
print(len(out['r']), [ (s['label'], s['step'], sum(len(r['pre']) for r in s['rows'])) for s in out['snapshots']])
